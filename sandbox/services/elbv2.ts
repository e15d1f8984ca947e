// Elastic Load Balancing v2 in the sandbox: target groups and their registered targets (instance id and port).
import type {
  DeregisterTargetsCommandInput,
  DescribeTargetGroupsCommandInput,
  DescribeTargetGroupsCommandOutput,
  DescribeTargetHealthCommandInput,
  DescribeTargetHealthCommandOutput,
  RegisterTargetsCommandInput,
  TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import type { RegionState } from '../scenario';

type TargetGroup = RegionState['targetGroups'][number];

const PAGE = 2;

function findTargetGroup(state: RegionState, arn: string | undefined): TargetGroup {
  const group = state.targetGroups.find((candidate) => candidate.arn === arn);
  if (!group) throw awsError('TargetGroupNotFound', `Target groups '${arn ?? ''}' not found`);
  return group;
}

/** A registration is the pair (id, port); a target registered without a port uses the group's port. */
function portOf(group: TargetGroup, port: number | undefined): number {
  return port ?? group.port;
}

/** Registers an instance the way RegisterTargets and Auto Scaling do: an existing (id, port) pair is left as it is. */
export function registerTarget(state: RegionState, arn: string, id: string, port?: number): void {
  const group = findTargetGroup(state, arn);
  const wanted = portOf(group, port);
  if (group.targets.some((target) => target.id === id && portOf(group, target.port) === wanted)) return;
  group.targets.push({ id, port: wanted });
}

export function deregisterTarget(state: RegionState, arn: string, id: string, port?: number): boolean {
  const group = findTargetGroup(state, arn);
  const before = group.targets.length;
  group.targets = group.targets.filter(
    (target) => !(target.id === id && (port === undefined || portOf(group, target.port) === port)),
  );
  return group.targets.length < before;
}

/** Paginated with Marker, as the real API is: callers that read only the first page miss target groups. */
function describeTargetGroups(
  ctx: CallContext,
  input: DescribeTargetGroupsCommandInput,
): Partial<DescribeTargetGroupsCommandOutput> {
  for (const arn of input.TargetGroupArns ?? []) findTargetGroup(ctx.regionState, arn);
  const selected = ctx.regionState.targetGroups.filter(
    (group) =>
      (!input.TargetGroupArns || input.TargetGroupArns.includes(group.arn)) &&
      (!input.Names || input.Names.includes(group.name)),
  );
  const start = Number(input.Marker ?? '0');
  const size = Math.min(input.PageSize ?? PAGE, PAGE);
  const page = selected.slice(start, start + size);
  return {
    TargetGroups: page.map((group) => ({
      TargetGroupArn: group.arn,
      TargetGroupName: group.name,
      Port: group.port,
      Protocol: group.protocol as 'HTTP',
      VpcId: group.vpcId,
      TargetType: 'instance',
    })),
    ...(start + size < selected.length ? { NextMarker: String(start + size) } : {}),
  };
}

function describeTargetHealth(
  ctx: CallContext,
  input: DescribeTargetHealthCommandInput,
): Partial<DescribeTargetHealthCommandOutput> {
  const group = findTargetGroup(ctx.regionState, input.TargetGroupArn);
  const wanted = input.Targets;
  const targets = group.targets.filter((target) => !wanted || wanted.some((want) => want.Id === target.id));
  return {
    TargetHealthDescriptions: targets.map((target) => ({
      Target: { Id: target.id, Port: portOf(group, target.port) },
      HealthCheckPort: String(portOf(group, target.port)),
      TargetHealth: { State: 'healthy' },
    })),
  };
}

function checkTargets(ctx: CallContext, targets: TargetDescription[] | undefined): TargetDescription[] {
  if (!targets || targets.length === 0) throw awsError('ValidationError', 'Targets must contain at least one target');
  for (const target of targets) {
    const instance = ctx.regionState.instances.find((candidate) => candidate.instanceId === target.Id);
    // "RegisterTargets": instances must be in the running state when registered.
    if (!instance || instance.state !== 'running')
      throw awsError(
        'InvalidTarget',
        `The following targets are not in a running state and cannot be registered: '${target.Id ?? ''}'`,
      );
  }
  return targets;
}

function registerTargets(ctx: CallContext, input: RegisterTargetsCommandInput): Record<string, never> {
  const group = findTargetGroup(ctx.regionState, input.TargetGroupArn);
  for (const target of checkTargets(ctx, input.Targets))
    registerTarget(ctx.regionState, group.arn, target.Id ?? '', target.Port);
  return {};
}

function deregisterTargets(ctx: CallContext, input: DeregisterTargetsCommandInput): Record<string, never> {
  const group = findTargetGroup(ctx.regionState, input.TargetGroupArn);
  const targets = input.Targets ?? [];
  const missing = targets.filter(
    (target) =>
      !group.targets.some(
        (existing) =>
          existing.id === target.Id && (target.Port === undefined || portOf(group, existing.port) === target.Port),
      ),
  );
  if (missing.length > 0) {
    throw awsError(
      'InvalidTarget',
      `The following targets are not registered in target group '${group.arn}': '${missing.map((target) => target.Id).join("', '")}'`,
    );
  }
  for (const target of targets) deregisterTarget(ctx.regionState, group.arn, target.Id ?? '', target.Port);
  return {};
}

export const elbv2 = {
  DescribeTargetGroups: describeTargetGroups,
  DescribeTargetHealth: describeTargetHealth,
  RegisterTargets: registerTargets,
  DeregisterTargets: deregisterTargets,
};
