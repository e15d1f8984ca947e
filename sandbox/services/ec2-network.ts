// Sandbox handlers for this service (filled in as the flow needs them).
export const ec2Network = {};
