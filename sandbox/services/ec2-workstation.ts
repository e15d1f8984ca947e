// Sandbox EC2 for the examination workstation: launch and terminate instances, and the evidence volumes created from snapshots.
import type {
  AttachVolumeCommandInput,
  AttachVolumeCommandOutput,
  CreateVolumeCommandInput,
  CreateVolumeCommandOutput,
  DeleteVolumeCommandInput,
  DetachVolumeCommandInput,
  DetachVolumeCommandOutput,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  TagSpecification,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { withClientToken } from '../client-tokens';
import { awsError } from '../errors';
import { canUseKey } from '../kms-keys';
import type { CallContext } from '../sandbox';
import type { InstanceState, SnapshotState } from '../scenario';
import { InstanceSchema } from '../scenario';
import { attachmentOf, findInstance, findVolume, stateOf } from './ec2-instance-lookup';

function hexId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function tagsFor(specs: readonly TagSpecification[] | undefined, type: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of specs ?? [])
    if (spec.ResourceType === type) for (const tag of spec.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? '';
  return tags;
}

/** RunInstances (EC2 API reference): the subnet and groups must exist in the caller's region; the instance starts `pending`. */
function runInstances(ctx: CallContext, input: RunInstancesCommandInput): Partial<RunInstancesCommandOutput> {
  if ((input.MinCount ?? 0) !== 1 || (input.MaxCount ?? 0) !== 1)
    throw awsError('InvalidParameterValue', 'the sandbox launches exactly one instance per call');
  if (!/^ami-[0-9a-f]{8,17}$/.test(input.ImageId ?? ''))
    throw awsError('InvalidAMIID.Malformed', `Invalid id: "${input.ImageId ?? ''}"`);
  const eni = input.NetworkInterfaces?.[0];
  const subnetId = eni?.SubnetId ?? input.SubnetId;
  const subnet = ctx.regionState.subnets.find((candidate) => candidate.subnetId === subnetId);
  if (!subnet) throw awsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId ?? ''}' does not exist`);
  const groups = eni?.Groups ?? input.SecurityGroupIds ?? [];
  for (const groupId of groups)
    if (!ctx.regionState.securityGroups.some((group) => group.groupId === groupId))
      throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
  const profile = input.IamInstanceProfile?.Arn;
  if (profile && !ctx.account.instanceProfiles.some((candidate) => candidate.arn === profile))
    throw awsError('InvalidParameterValue', `Value (${profile}) for parameter iamInstanceProfile.arn is invalid.`);
  const instanceId = hexId('i');
  const instance: InstanceState = InstanceSchema.parse({
    instanceId,
    state: ctx.sandbox.pendingMs > 0 ? 'pending' : 'running',
    instanceType: input.InstanceType ?? 'm1.small',
    imageId: input.ImageId,
    launchTime: new Date().toISOString(),
    availabilityZone: subnet.availabilityZone,
    vpcId: subnet.vpcId,
    subnetId: subnet.subnetId,
    networkInterfaces: [
      {
        networkInterfaceId: hexId('eni'),
        subnetId: subnet.subnetId,
        privateIpAddress: '10.99.0.10',
        // A subnet with no internet gateway route: AssociatePublicIpAddress is false and no public address is given.
        groups: groups.length > 0 ? groups : ['sg-default'],
      },
    ],
    iamInstanceProfileArn: profile,
    tags: tagsFor(input.TagSpecifications, 'instance'),
    instanceInitiatedShutdownBehavior: input.InstanceInitiatedShutdownBehavior ?? 'stop',
  });
  ctx.regionState.instances.push(instance);
  return {
    Instances: [
      {
        InstanceId: instanceId,
        ImageId: instance.imageId,
        InstanceType: instance.instanceType as never,
        State: stateOf(instance),
        SubnetId: subnet.subnetId,
        VpcId: subnet.vpcId,
        Placement: { AvailabilityZone: subnet.availabilityZone },
      },
    ],
  };
}

/** The snapshot with this id visible to the caller: its own, or one another account gave it createVolumePermission on. */
function visibleSnapshot(ctx: CallContext, snapshotId: string): SnapshotState {
  for (const account of ctx.sandbox.scenario.accounts) {
    const snapshot = account.regions[ctx.region]?.snapshots.find((candidate) => candidate.snapshotId === snapshotId);
    if (!snapshot) continue;
    if (account.accountId === ctx.caller.accountId || snapshot.createVolumePermissions.includes(ctx.caller.accountId))
      return snapshot;
  }
  throw awsError('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
}

/** CreateVolume from a snapshot (EC2 API reference): the snapshot must be completed; encryption takes the key given. */
function createVolume(ctx: CallContext, input: CreateVolumeCommandInput): Partial<CreateVolumeCommandOutput> {
  const snapshot = input.SnapshotId ? visibleSnapshot(ctx, input.SnapshotId) : undefined;
  if (snapshot && snapshot.state !== 'completed')
    throw awsError('IncorrectState', `Snapshot '${snapshot.snapshotId}' is not 'completed'`);
  const sizeGiB = input.Size ?? snapshot?.volumeSizeGiB;
  if (!sizeGiB) throw awsError('MissingParameter', 'The request must contain the parameter size/snapshot');
  if (!ctx.regionState.subnets.some((subnet) => subnet.availabilityZone === input.AvailabilityZone))
    throw awsError('InvalidParameterValue', `Invalid availability zone: [${input.AvailabilityZone ?? ''}]`);
  const encrypted = Boolean(input.Encrypted || snapshot?.encrypted);
  const kmsKeyId = input.KmsKeyId ?? snapshot?.kmsKeyId;
  if (encrypted && kmsKeyId && !canUseKey(ctx.sandbox, ctx.caller.accountId, kmsKeyId, ctx.region))
    throw awsError('InvalidKMSKey.InvalidState', `The KMS key ${kmsKeyId} cannot be used by this account`);
  const volumeId = hexId('vol');
  ctx.regionState.volumes.push({
    volumeId,
    sizeGiB,
    volumeType: input.VolumeType ?? 'gp3',
    availabilityZone: input.AvailabilityZone ?? '',
    encrypted,
    kmsKeyId: encrypted ? kmsKeyId : undefined,
    tags: tagsFor(input.TagSpecifications, 'volume'),
    snapshotFails: false,
    snapshotId: snapshot?.snapshotId,
  });
  return {
    VolumeId: volumeId,
    Size: sizeGiB,
    SnapshotId: snapshot?.snapshotId ?? '',
    AvailabilityZone: input.AvailabilityZone,
    State: 'creating',
    Encrypted: encrypted,
    KmsKeyId: encrypted ? kmsKeyId : undefined,
    CreateTime: new Date(),
  };
}

/** AttachVolume: same Availability Zone, a running or stopped instance, a free device name (EC2 API reference). */
function attachVolume(ctx: CallContext, input: AttachVolumeCommandInput): Partial<AttachVolumeCommandOutput> {
  const volume = findVolume(ctx, input.VolumeId);
  const instance = findInstance(ctx, input.InstanceId);
  if (attachmentOf(ctx, volume.volumeId))
    throw awsError('VolumeInUse', `${volume.volumeId} is already attached to an instance`);
  if (!['running', 'stopped'].includes(instance.state))
    throw awsError('IncorrectState', `The instance '${instance.instanceId}' is not 'running' or 'stopped'`);
  if (volume.availabilityZone !== instance.availabilityZone)
    throw awsError(
      'InvalidVolume.ZoneMismatch',
      `The volume '${volume.volumeId}' is not in the same availability zone as instance '${instance.instanceId}'`,
    );
  const device = input.Device ?? '';
  if (instance.blockDevices.some((candidate) => candidate.deviceName === device))
    throw awsError(
      'InvalidParameterValue',
      `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`,
    );
  instance.blockDevices.push({ deviceName: device, volumeId: volume.volumeId, deleteOnTermination: false });
  return {
    VolumeId: volume.volumeId,
    InstanceId: instance.instanceId,
    Device: device,
    State: 'attaching',
    AttachTime: new Date(),
  };
}

function detachVolume(ctx: CallContext, input: DetachVolumeCommandInput): Partial<DetachVolumeCommandOutput> {
  const volume = findVolume(ctx, input.VolumeId);
  const attachment = attachmentOf(ctx, volume.volumeId);
  if (!attachment) throw awsError('IncorrectState', `Volume '${volume.volumeId}' is in the 'available' state.`);
  if (input.InstanceId && input.InstanceId !== attachment.instance.instanceId)
    throw awsError(
      'InvalidAttachment.NotFound',
      `The volume '${volume.volumeId}' is not attached to '${input.InstanceId}'`,
    );
  if (attachment.deviceName === attachment.instance.rootDeviceName)
    throw awsError('OperationNotPermitted', 'Detaching the root volume of a running instance is not permitted.');
  attachment.instance.blockDevices = attachment.instance.blockDevices.filter((d) => d.volumeId !== volume.volumeId);
  return {
    VolumeId: volume.volumeId,
    InstanceId: attachment.instance.instanceId,
    Device: attachment.deviceName,
    State: 'detaching',
  };
}

/** DeleteVolume refuses an attached volume with VolumeInUse (EC2 API reference). */
function deleteVolume(ctx: CallContext, input: DeleteVolumeCommandInput): Record<string, never> {
  const volume = findVolume(ctx, input.VolumeId);
  if (attachmentOf(ctx, volume.volumeId))
    throw awsError('VolumeInUse', `Volume ${volume.volumeId} is currently attached`);
  ctx.regionState.volumes = ctx.regionState.volumes.filter((candidate) => candidate.volumeId !== volume.volumeId);
  return {};
}

/** TerminateInstances honours termination protection with OperationNotPermitted; delete-on-termination volumes go with it. */
function terminateInstances(
  ctx: CallContext,
  input: TerminateInstancesCommandInput,
): Partial<TerminateInstancesCommandOutput> {
  const instances = (input.InstanceIds ?? []).map((id) => findInstance(ctx, id));
  for (const instance of instances)
    if (instance.disableApiTermination)
      throw awsError(
        'OperationNotPermitted',
        `The instance '${instance.instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
      );
  return {
    TerminatingInstances: instances.map((instance) => {
      const previous = stateOf(instance);
      const doomed = new Set(instance.blockDevices.filter((d) => d.deleteOnTermination).map((d) => d.volumeId));
      ctx.regionState.volumes = ctx.regionState.volumes.filter((volume) => !doomed.has(volume.volumeId));
      instance.blockDevices = [];
      instance.state = 'terminated';
      instance.ssm.online = false;
      return { InstanceId: instance.instanceId, PreviousState: previous, CurrentState: stateOf(instance) };
    }),
  };
}

export const ec2Workstation = {
  RunInstances: (ctx: CallContext, input: RunInstancesCommandInput) =>
    withClientToken(ctx, input, () => runInstances(ctx, input)),
  CreateVolume: (ctx: CallContext, input: CreateVolumeCommandInput) =>
    withClientToken(ctx, input, () => createVolume(ctx, input)),
  AttachVolume: attachVolume,
  DetachVolume: detachVolume,
  DeleteVolume: deleteVolume,
  TerminateInstances: terminateInstances,
};
