// DetachFromFleet (Collect phase): takes the instance out of its Auto Scaling group and every target group, so nothing terminates, replaces or routes to it.
import { DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { z } from 'zod';
import type { Gap } from './lib/case';
import type { AsgMembership, TargetRegistration } from './lib/containment/fleet';
import { asgMembership, targetRegistrations } from './lib/containment/fleet';
import type { StepOutput } from './lib/containment/steps';
import { ACTIONS, ContainmentInputSchema, gap, recorder, reportDryRun, simulate, skip } from './lib/containment/steps';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';

const STEP = 'DetachFromFleet';

export const DetachFromFleetInputSchema = ContainmentInputSchema;
export type DetachFromFleetInput = z.infer<typeof DetachFromFleetInputSchema>;

export interface DetachFromFleetOutput extends StepOutput {
  readonly autoScalingGroup?: AsgMembership & { readonly shouldDecrementDesiredCapacity: boolean };
  readonly targetGroups: readonly TargetRegistration[];
}

export async function detachFromFleet(input: DetachFromFleetInput, deps: TaskDeps): Promise<DetachFromFleetOutput> {
  const { instanceId } = input.target;
  if (input.facts.state === 'terminated')
    return {
      ...(await skip(input, deps, STEP, 'instance is terminated: no group can replace or route to it')),
      targetGroups: [],
    };
  const clients = deps.clients.member(input.target.accountId, input.target.region);
  const membership = await asgMembership(clients.autoScaling(), instanceId);
  const registrations = await targetRegistrations(clients.elbv2(), instanceId, input.facts.vpcId);

  if (input.case.mode === 'dry-run') {
    const actions = [
      ...(membership ? ['autoscaling:DetachInstances'] : []),
      ...(registrations.length > 0 ? ['elasticloadbalancing:DeregisterTargets'] : []),
    ];
    const output = await reportDryRun(input, deps, STEP, await simulate(input.target, deps, actions), {
      autoScalingGroup: membership,
      targetGroups: registrations,
    });
    return {
      ...output,
      targetGroups: registrations,
      ...(membership
        ? { autoScalingGroup: { ...membership, shouldDecrementDesiredCapacity: canDecrement(membership) } }
        : {}),
    };
  }

  if (!membership && registrations.length === 0) {
    // The group Auto Scaling tagged the instance with ("Tag Auto Scaling groups and instances") outlives a detach.
    const formerGroup = input.facts.autoScalingGroupName ?? input.facts.tags['aws:autoscaling:groupName'];
    if (formerGroup) {
      // PreserveInstance saw a group, the live state shows none: an earlier run (or a person) already took it out.
      await recorder(
        input,
        deps,
      )({
        action: ACTIONS.foundContained,
        target: instanceId,
        details: { step: STEP, formerAutoScalingGroup: formerGroup, targetGroups: [] },
      });
      return {
        step: STEP,
        instanceId,
        status: 'already-contained',
        reason: `already out of ${formerGroup} and of every target group`,
        checks: [],
        gaps: [],
        targetGroups: [],
      };
    }
    return {
      ...(await skip(input, deps, STEP, 'instance is in no Auto Scaling group and no target group')),
      targetGroups: [],
    };
  }

  const gaps: Gap[] = [];
  const record = recorder(input, deps);
  let detached: DetachFromFleetOutput['autoScalingGroup'];
  if (membership) {
    const decrement = canDecrement(membership);
    // "DetachInstances": with the desired capacity decremented the group launches nothing; otherwise it launches a
    // replacement. Either way the detached instance is independent and the group never terminates it (docs/containment.md).
    await clients.autoScaling().send(
      new DetachInstancesCommand({
        AutoScalingGroupName: membership.autoScalingGroupName,
        InstanceIds: [instanceId],
        ShouldDecrementDesiredCapacity: decrement,
      }),
    );
    detached = { ...membership, shouldDecrementDesiredCapacity: decrement };
    await record({
      action: ACTIONS.detachedFromAsg,
      target: instanceId,
      details: {
        prior: membership,
        now: {
          autoScalingGroupName: null,
          desiredCapacity: decrement ? membership.desiredCapacity - 1 : membership.desiredCapacity,
        },
        shouldDecrementDesiredCapacity: decrement,
        replacementLaunched: !decrement,
      },
    });
    if (!decrement)
      gaps.push(
        gap(
          input.target,
          STEP,
          `${membership.autoScalingGroupName} is at its minimum size, so it launches a replacement instance`,
        ),
      );
  }
  // Detaching also deregisters the instance from the group's own target groups; whatever is left is deregistered here.
  const remaining = membership
    ? await targetRegistrations(clients.elbv2(), instanceId, input.facts.vpcId)
    : registrations;
  for (const registration of registrations) {
    const stillThere = remaining.some(
      (left) => left.targetGroupArn === registration.targetGroupArn && left.port === registration.port,
    );
    if (stillThere) {
      await clients.elbv2().send(
        new DeregisterTargetsCommand({
          TargetGroupArn: registration.targetGroupArn,
          Targets: [{ Id: instanceId, Port: registration.port }],
        }),
      );
    }
    await record({
      action: ACTIONS.deregisteredFromTargetGroup,
      target: instanceId,
      details: {
        prior: { ...registration, registered: true },
        now: { registered: false },
        by: stillThere ? 'elasticloadbalancing:DeregisterTargets' : 'autoscaling:DetachInstances',
      },
    });
  }
  return {
    step: STEP,
    instanceId,
    status: 'contained',
    checks: [],
    gaps,
    targetGroups: registrations,
    ...(detached ? { autoScalingGroup: detached } : {}),
  };
}

/** Decrementing keeps the group from launching a twin from the same (possibly compromised) launch template, unless it is at its minimum. */
function canDecrement(membership: AsgMembership): boolean {
  return membership.desiredCapacity - 1 >= membership.minSize;
}

export const detachFromFleetTask = defineTask('DetachFromFleet', DetachFromFleetInputSchema, detachFromFleet);
export const handler = lambdaHandler(detachFromFleetTask);
