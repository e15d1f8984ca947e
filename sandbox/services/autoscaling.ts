// EC2 Auto Scaling in the sandbox: groups with desired capacity, standby, detach and attach, and their target groups.
import { randomBytes } from 'node:crypto';
import type {
  Activity,
  AttachInstancesCommandInput,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeAutoScalingInstancesCommandInput,
  DescribeAutoScalingInstancesCommandOutput,
  DetachInstancesCommandInput,
  DetachInstancesCommandOutput,
  EnterStandbyCommandInput,
  EnterStandbyCommandOutput,
  ExitStandbyCommandInput,
  ExitStandbyCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import type { RegionState } from '../scenario';
import { deregisterTarget, registerTarget } from './elbv2';

type Group = RegionState['autoScalingGroups'][number];

function findGroup(state: RegionState, name: string | undefined): Group {
  const group = state.autoScalingGroups.find((candidate) => candidate.name === name);
  if (!group) throw awsError('ValidationError', `AutoScalingGroup name not found - ${name ?? ''}`);
  return group;
}

function member(group: Group, instanceId: string): Group['instances'][number] {
  const found = group.instances.find((instance) => instance.instanceId === instanceId);
  if (!found)
    throw awsError('ValidationError', `The instance ${instanceId} is not part of Auto Scaling group ${group.name}.`);
  return found;
}

function activity(group: Group, description: string): Activity {
  return {
    ActivityId: randomBytes(16).toString('hex'),
    AutoScalingGroupName: group.name,
    Description: description,
    Cause: description,
    StartTime: new Date(),
    StatusCode: 'InProgress',
    Progress: 50,
  };
}

/** With desired capacity kept, the group launches an instance to replace each one that leaves service ("DetachInstances"). */
function launchReplacements(group: Group, count: number): void {
  for (let i = 0; i < count; i += 1)
    group.instances.push({ instanceId: `i-${randomBytes(9).toString('hex').slice(0, 17)}`, lifecycleState: 'Pending' });
}

function decrement(group: Group, count: number, decrementDesired: boolean | undefined): void {
  if (decrementDesired === undefined) throw awsError('ValidationError', 'ShouldDecrementDesiredCapacity is required');
  if (!decrementDesired) return launchReplacements(group, count);
  if (group.desiredCapacity - count < group.minSize) {
    throw awsError(
      'ValidationError',
      `Currently, desiredSize equals minSize (${group.minSize}). Detaching the instance would cause the group to go below its minimum size.`,
    );
  }
  group.desiredCapacity -= count;
}

function leaveTargetGroups(state: RegionState, group: Group, instanceId: string): void {
  for (const arn of group.targetGroupArns) deregisterTarget(state, arn, instanceId);
}

function joinTargetGroups(state: RegionState, group: Group, instanceId: string): void {
  for (const arn of group.targetGroupArns) registerTarget(state, arn, instanceId);
}

function describeAutoScalingInstances(
  ctx: CallContext,
  input: DescribeAutoScalingInstancesCommandInput,
): Partial<DescribeAutoScalingInstancesCommandOutput> {
  const wanted = input.InstanceIds;
  const found = ctx.regionState.autoScalingGroups.flatMap((group) =>
    group.instances
      .filter((instance) => !wanted || wanted.includes(instance.instanceId))
      .map((instance) => ({
        InstanceId: instance.instanceId,
        AutoScalingGroupName: group.name,
        LifecycleState: instance.lifecycleState,
        HealthStatus: 'HEALTHY',
        AvailabilityZone:
          ctx.regionState.instances.find((candidate) => candidate.instanceId === instance.instanceId)
            ?.availabilityZone ?? '',
        ProtectedFromScaleIn: false,
      })),
  );
  return { AutoScalingInstances: found };
}

function describeAutoScalingGroups(
  ctx: CallContext,
  input: DescribeAutoScalingGroupsCommandInput,
): Partial<DescribeAutoScalingGroupsCommandOutput> {
  const names = input.AutoScalingGroupNames;
  const groups = ctx.regionState.autoScalingGroups.filter((group) => !names || names.includes(group.name));
  return {
    AutoScalingGroups: groups.map((group) => ({
      AutoScalingGroupName: group.name,
      MinSize: group.minSize,
      MaxSize: group.maxSize,
      DesiredCapacity: group.desiredCapacity,
      DefaultCooldown: 300,
      AvailabilityZones: [],
      HealthCheckType: 'ELB',
      CreatedTime: new Date('2026-01-01T00:00:00.000Z'),
      TargetGroupARNs: group.targetGroupArns,
      LoadBalancerNames: group.loadBalancerNames,
      Instances: group.instances.map((instance) => ({
        InstanceId: instance.instanceId,
        LifecycleState: instance.lifecycleState as 'InService',
        HealthStatus: 'HEALTHY',
        AvailabilityZone: '',
        ProtectedFromScaleIn: false,
      })),
    })),
  };
}

function enterStandby(ctx: CallContext, input: EnterStandbyCommandInput): Partial<EnterStandbyCommandOutput> {
  const group = findGroup(ctx.regionState, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids)
    if (member(group, id).lifecycleState !== 'InService')
      throw awsError('ValidationError', `The instance ${id} is not in InService.`);
  decrement(group, ids.length, input.ShouldDecrementDesiredCapacity);
  for (const id of ids) {
    member(group, id).lifecycleState = 'Standby';
    leaveTargetGroups(ctx.regionState, group, id);
  }
  return { Activities: ids.map((id) => activity(group, `Moving EC2 instance to Standby: ${id}`)) };
}

function exitStandby(ctx: CallContext, input: ExitStandbyCommandInput): Partial<ExitStandbyCommandOutput> {
  const group = findGroup(ctx.regionState, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids)
    if (member(group, id).lifecycleState !== 'Standby')
      throw awsError('ValidationError', `The instance ${id} is not in Standby.`);
  if (group.desiredCapacity + ids.length > group.maxSize)
    throw awsError('ValidationError', 'Exiting standby would exceed the maximum size of the group.');
  group.desiredCapacity += ids.length;
  for (const id of ids) {
    member(group, id).lifecycleState = 'InService';
    joinTargetGroups(ctx.regionState, group, id);
  }
  return { Activities: ids.map((id) => activity(group, `Moving EC2 instance out of Standby: ${id}`)) };
}

/** Detached instances are independent of the group: it never terminates or replaces them afterwards. */
function detachInstances(ctx: CallContext, input: DetachInstancesCommandInput): Partial<DetachInstancesCommandOutput> {
  const group = findGroup(ctx.regionState, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids) member(group, id);
  decrement(group, ids.length, input.ShouldDecrementDesiredCapacity);
  group.instances = group.instances.filter((instance) => !ids.includes(instance.instanceId));
  for (const id of ids) leaveTargetGroups(ctx.regionState, group, id);
  return { Activities: ids.map((id) => activity(group, `Detaching EC2 instance: ${id}`)) };
}

/** "AttachInstances": the instance must be running and in no group; desired capacity grows by one and may not pass the maximum. */
function attachInstances(ctx: CallContext, input: AttachInstancesCommandInput): Record<string, never> {
  const group = findGroup(ctx.regionState, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids) {
    const instance = ctx.regionState.instances.find((candidate) => candidate.instanceId === id);
    if (!instance || instance.state !== 'running')
      throw awsError('ValidationError', `Instance ${id} is not in correct state.`);
    if (
      ctx.regionState.autoScalingGroups.some((other) =>
        other.instances.some((candidate) => candidate.instanceId === id),
      )
    ) {
      throw awsError('ValidationError', `The instance ${id} is already part of an Auto Scaling group.`);
    }
  }
  if (group.desiredCapacity + ids.length > group.maxSize)
    throw awsError('ValidationError', 'Attaching the instances would exceed the maximum size of the group.');
  group.desiredCapacity += ids.length;
  for (const id of ids) {
    group.instances.push({ instanceId: id, lifecycleState: 'InService' });
    joinTargetGroups(ctx.regionState, group, id);
  }
  return {};
}

export const autoScaling = {
  DescribeAutoScalingInstances: describeAutoScalingInstances,
  DescribeAutoScalingGroups: describeAutoScalingGroups,
  EnterStandby: enterStandby,
  ExitStandby: exitStandby,
  DetachInstances: detachInstances,
  AttachInstances: attachInstances,
};
