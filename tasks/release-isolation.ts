// Release (`custody release CASE`): restores what containment changed, from the custody log, and records each restoration in it.
import { AttachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteRolePolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { Gap, Target } from './lib/case';
import { CaseSchema, InstanceIdSchema } from './lib/case';
import { asgMembership, targetRegistrations } from './lib/containment/fleet';
import type { ReleasePlan } from './lib/containment/release-plan';
import { hasContainment, LoggedEntrySchema, releasePlan } from './lib/containment/release-plan';
import { instanceInterfaces } from './lib/containment/security-groups';
import { ACTIONS, gap, recorder } from './lib/containment/steps';
import { CaseNotFoundError, errorMessage, errorName, IsolationChangedError } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';

const STEP = 'ReleaseIsolation';

export const ReleaseIsolationInputSchema = z.object({
  case: CaseSchema,
  /** The case's custody log, in order (as the custody-log reader returns it). */
  entries: z.array(LoggedEntrySchema),
  /** Release only this instance of the case. */
  instanceId: InstanceIdSchema.optional(),
});
export type ReleaseIsolationInput = z.infer<typeof ReleaseIsolationInputSchema>;

export interface InstanceRelease {
  readonly instanceId: string;
  readonly status: 'released' | 'nothing-to-release' | 'already-released';
  readonly restored: readonly string[];
}

export interface ReleaseIsolationOutput {
  readonly caseId: string;
  readonly instances: readonly InstanceRelease[];
  readonly gaps: readonly Gap[];
}

export async function releaseIsolation(input: ReleaseIsolationInput, deps: TaskDeps): Promise<ReleaseIsolationOutput> {
  if (input.entries.length === 0)
    throw new CaseNotFoundError(`no custody log entries for case ${input.case.caseId}: nothing to release`, {
      caseId: input.case.caseId,
    });
  const targets = input.case.targets.filter((target) => !input.instanceId || target.instanceId === input.instanceId);
  if (targets.length === 0)
    throw new CaseNotFoundError(`case ${input.case.caseId} has no target ${input.instanceId ?? ''}`, {
      caseId: input.case.caseId,
    });
  const plans = targets.map((target) => ({ target, plan: releasePlan(input.entries, target.instanceId) }));
  // Every instance is checked before any is touched: a refusal leaves the whole case as containment left it.
  for (const { target, plan } of plans) await checkUnchanged(target, plan, deps);
  const gaps: Gap[] = [];
  const instances: InstanceRelease[] = [];
  for (const { target, plan } of plans) instances.push(await releaseOne(input, target, plan, deps, gaps));
  return { caseId: input.case.caseId, instances, gaps };
}

async function checkUnchanged(target: Target, plan: ReleasePlan, deps: TaskDeps): Promise<void> {
  const clients = deps.clients.member(target.accountId, target.region);
  if (plan.networkInterfaces.size > 0 && !plan.released.has('network')) {
    const live = await instanceInterfaces(clients.ec2(), target.instanceId);
    for (const eniId of plan.networkInterfaces.keys()) {
      const eni = live.find((candidate) => candidate.networkInterfaceId === eniId);
      if (!eni || eni.groups.length !== 1 || eni.groups[0] !== plan.isolationGroupId) {
        throw new IsolationChangedError(
          `${target.instanceId}: ${eniId} is ${eni ? `in ${eni.groups.join(', ')}` : 'no longer attached'}, not in the isolation group ${plan.isolationGroupId ?? ''}; refusing to release`,
          { instanceId: target.instanceId, networkInterfaceId: eniId, groups: eni?.groups ?? [] },
        );
      }
    }
  }
  if (plan.autoScalingGroup && !plan.released.has('auto-scaling-group')) {
    const membership = await asgMembership(clients.autoScaling(), target.instanceId);
    if (membership) {
      throw new IsolationChangedError(
        `${target.instanceId} is back in ${membership.autoScalingGroupName} already; refusing to release`,
        { instanceId: target.instanceId },
      );
    }
  }
}

async function releaseOne(
  input: ReleaseIsolationInput,
  target: Target,
  plan: ReleasePlan,
  deps: TaskDeps,
  gaps: Gap[],
): Promise<InstanceRelease> {
  const { instanceId } = target;
  if (!hasContainment(plan)) return { instanceId, status: 'nothing-to-release', restored: [] };
  const record = recorder({ case: input.case, target }, deps);
  const clients = deps.clients.member(target.accountId, target.region);
  const restored: string[] = [];
  const attempt = async (step: string, restore: () => Promise<Record<string, unknown>>): Promise<void> => {
    if (plan.released.has(step)) return;
    try {
      const details = await restore();
      await record({ action: ACTIONS.released, target: instanceId, details: { step, ...details } });
      restored.push(step);
    } catch (error) {
      gaps.push(gap(target, STEP, `${step} not restored: ${errorMessage(error)}`, error));
    }
  };

  // Network first, so the instance has its own groups again before any load balancer sends it traffic.
  if (plan.networkInterfaces.size > 0) {
    await attempt('network', async () => {
      const changes = [];
      for (const [networkInterfaceId, groups] of plan.networkInterfaces) {
        await clients
          .ec2()
          .send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: networkInterfaceId, Groups: groups }));
        changes.push({ networkInterfaceId, groups });
      }
      return { prior: { isolationGroupId: plan.isolationGroupId }, now: { networkInterfaces: changes } };
    });
  }
  const group = plan.autoScalingGroup;
  if (group) {
    await attempt('auto-scaling-group', async () => {
      // "AttachInstances" raises the desired capacity by one: exact when containment decremented it, one more otherwise.
      await clients
        .autoScaling()
        .send(new AttachInstancesCommand({ AutoScalingGroupName: group.name, InstanceIds: [instanceId] }));
      if (group.replacementLaunched)
        gaps.push(
          gap(
            target,
            STEP,
            `${group.name} keeps the replacement it launched: its desired capacity is one above what it was`,
          ),
        );
      return { prior: { autoScalingGroupName: null }, now: { autoScalingGroupName: group.name } };
    });
  }
  if (plan.targetGroups.length > 0) {
    await attempt('target-groups', async () => {
      const live = await targetRegistrations(clients.elbv2(), instanceId, undefined);
      const registered = [];
      for (const registration of plan.targetGroups) {
        if (live.some((left) => left.targetGroupArn === registration.targetGroupArn && left.port === registration.port))
          continue;
        await clients.elbv2().send(
          new RegisterTargetsCommand({
            TargetGroupArn: registration.targetGroupArn,
            Targets: [{ Id: instanceId, Port: registration.port }],
          }),
        );
        registered.push(registration);
      }
      return { now: { targetGroups: plan.targetGroups }, registeredByRelease: registered };
    });
  }
  for (const policy of plan.revokePolicies) {
    await attempt(`credentials:${policy.roleName}`, async () => {
      try {
        await clients
          .iam()
          .send(new DeleteRolePolicyCommand({ RoleName: policy.roleName, PolicyName: policy.policyName }));
      } catch (error) {
        if (errorName(error) !== 'NoSuchEntity') throw error;
        return {
          ...policy,
          prior: { present: false },
          now: { present: false },
          note: 'policy already removed by someone else',
        };
      }
      return { ...policy, prior: { present: true }, now: { present: false } };
    });
  }
  return { instanceId, status: restored.length > 0 ? 'released' : 'already-released', restored };
}

export const releaseIsolationTask = defineTask('ReleaseIsolation', ReleaseIsolationInputSchema, releaseIsolation);
export const handler = lambdaHandler(releaseIsolationTask);
