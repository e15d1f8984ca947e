// Security-group connection tracking in the sandbox: which open flows survive a change of an ENI's groups or rules.
import type { RegionState, SecurityGroupState } from '../scenario';

type Rule = SecurityGroupState['ingress'][number];
type Flow = RegionState['flows'][number];

const ALL_TRAFFIC = new Set(['0.0.0.0/0', '::/0']);

/** Whether a rule lets every protocol and port through to or from anywhere. */
function allowsAll(rule: Rule): boolean {
  if (!rule.cidr || !ALL_TRAFFIC.has(rule.cidr)) return false;
  if (rule.protocol === '-1') return true;
  return (rule.protocol === 'tcp' || rule.protocol === '6') && rule.fromPort === 0 && rule.toPort === 65535;
}

/**
 * "Untracked connections" (Amazon EC2 security group connection tracking): when the groups allow all traffic in from
 * anywhere and all response traffic out to anywhere, flows are not tracked; otherwise they are.
 */
export function tracksConnections(groups: readonly SecurityGroupState[]): boolean {
  const ingressAll = groups.some((group) => group.ingress.some(allowsAll));
  const egressAll = groups.some((group) => group.egress.some(allowsAll));
  return !(ingressAll && egressAll);
}

function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function cidrContains(cidr: string, ip: string): boolean {
  if (cidr === '::/0') return ip.includes(':');
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? '32');
  const network = ipToNumber(base);
  const address = ipToNumber(ip);
  if (network === undefined || address === undefined) return false;
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (network & mask) === (address & mask);
}

function ruleAllows(rule: Rule, flow: Flow, port: number): boolean {
  const protocolOk = rule.protocol === '-1' || rule.protocol === flow.protocol;
  const portOk = rule.protocol === '-1' || (port >= (rule.fromPort ?? 0) && port <= (rule.toPort ?? 65535));
  // Prefix-list and group references only cover AWS service ranges and peers in the VPC, never an outside address.
  return protocolOk && portOk && rule.cidr !== undefined && cidrContains(rule.cidr, flow.remoteIp);
}

/** Whether the groups would let this flow start now (outbound checks egress to the remote port, inbound ingress to the local port). */
export function permits(groups: readonly SecurityGroupState[], flow: Flow): boolean {
  if (flow.direction === 'outbound')
    return groups.some((group) => group.egress.some((rule) => ruleAllows(rule, flow, flow.remotePort)));
  return groups.some((group) => group.ingress.some((rule) => ruleAllows(rule, flow, flow.localPort)));
}

/**
 * After an ENI's groups or their rules change: a tracked flow keeps going even if no rule allows it any more ("existing
 * tracked connections are not interrupted"), an untracked flow that is no longer allowed is cut at once, and every flow
 * still allowed becomes tracked or untracked according to the new rules.
 */
export function reevaluateFlows(state: RegionState, networkInterfaceId: string): void {
  const eni = state.instances
    .flatMap((instance) => instance.networkInterfaces)
    .find((candidate) => candidate.networkInterfaceId === networkInterfaceId);
  if (!eni) return;
  const groups = state.securityGroups.filter((group) => eni.groups.includes(group.groupId));
  const tracked = tracksConnections(groups);
  for (const flow of state.flows) {
    if (flow.networkInterfaceId !== networkInterfaceId || !flow.open) continue;
    if (permits(groups, flow)) flow.tracked = tracked;
    else if (!flow.tracked) flow.open = false;
  }
}
