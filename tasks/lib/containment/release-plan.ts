// Reads what containment changed on one instance back out of the custody log, so release can restore exactly that.
import { z } from 'zod';
import { ACTIONS } from './steps';

/** The fields release reads from a custody entry (a full CustodyEntry fits). */
export const LoggedEntrySchema = z
  .object({
    seq: z.number().int().optional(),
    action: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type LoggedEntry = z.infer<typeof LoggedEntrySchema>;

const GroupsSchema = z.object({
  networkInterfaces: z.array(z.object({ networkInterfaceId: z.string(), groups: z.array(z.string()) })),
});
const IsolationDetails = z.object({ untrackGroupId: z.string(), isolationGroupId: z.string(), prior: GroupsSchema });
const AsgDetails = z.object({
  prior: z.object({ autoScalingGroupName: z.string() }),
  replacementLaunched: z.boolean(),
});
const TargetDetails = z.object({ prior: z.object({ targetGroupArn: z.string(), port: z.number() }) });
const CredentialDetails = z.object({ roleName: z.string(), prior: z.object({ policyName: z.string() }) });

export interface ReleasePlan {
  /** ENI id → the groups it had before containment first touched it. */
  readonly networkInterfaces: ReadonlyMap<string, string[]>;
  /** Groups containment manages (untrack and isolation): an ENI in anything else was changed by someone else. */
  readonly custodyGroups: ReadonlySet<string>;
  readonly isolationGroupId?: string;
  readonly autoScalingGroup?: { readonly name: string; readonly replacementLaunched: boolean };
  readonly targetGroups: ReadonlyArray<{ readonly targetGroupArn: string; readonly port: number }>;
  readonly revokePolicies: ReadonlyArray<{ readonly roleName: string; readonly policyName: string }>;
  /** Steps an earlier release already restored. */
  readonly released: ReadonlySet<string>;
}

/** Builds the plan from the instance's entries in log order; an ENI's prior groups are the first ones that were not Custody's own. */
export function releasePlan(entries: readonly LoggedEntry[], instanceId: string): ReleasePlan {
  const mine = entries.filter((entry) => entry.target === instanceId).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const custodyGroups = new Set<string>();
  const priors = new Map<string, string[]>();
  const targetGroups = new Map<string, { targetGroupArn: string; port: number }>();
  const revokePolicies: Array<{ roleName: string; policyName: string }> = [];
  const released = new Set<string>();
  let isolationGroupId: string | undefined;
  let autoScalingGroup: ReleasePlan['autoScalingGroup'];
  for (const entry of mine) {
    const details = entry.details ?? {};
    if (entry.action === ACTIONS.isolating || entry.action === ACTIONS.isolated) {
      const parsed = IsolationDetails.parse(details);
      custodyGroups.add(parsed.untrackGroupId).add(parsed.isolationGroupId);
      isolationGroupId = parsed.isolationGroupId;
      for (const eni of parsed.prior.networkInterfaces) {
        if (!priors.has(eni.networkInterfaceId) && !eni.groups.some((group) => custodyGroups.has(group)))
          priors.set(eni.networkInterfaceId, eni.groups);
      }
    }
    if (entry.action === ACTIONS.detachedFromAsg) {
      const parsed = AsgDetails.parse(details);
      autoScalingGroup = { name: parsed.prior.autoScalingGroupName, replacementLaunched: parsed.replacementLaunched };
    }
    if (entry.action === ACTIONS.deregisteredFromTargetGroup) {
      const { prior } = TargetDetails.parse(details);
      targetGroups.set(`${prior.targetGroupArn}:${prior.port}`, prior);
    }
    if (entry.action === ACTIONS.sessionsRevoked) {
      const parsed = CredentialDetails.parse(details);
      revokePolicies.push({ roleName: parsed.roleName, policyName: parsed.prior.policyName });
    }
    if (entry.action === ACTIONS.released && typeof details.step === 'string') released.add(details.step);
  }
  return {
    networkInterfaces: priors,
    custodyGroups,
    isolationGroupId,
    autoScalingGroup,
    targetGroups: [...targetGroups.values()],
    revokePolicies,
    released,
  };
}

export function hasContainment(plan: ReleasePlan): boolean {
  return (
    plan.networkInterfaces.size > 0 ||
    plan.autoScalingGroup !== undefined ||
    plan.targetGroups.length > 0 ||
    plan.revokePolicies.length > 0
  );
}
