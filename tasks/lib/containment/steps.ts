// What every containment step shares: its input, its output, the custody actions it records, and the dry-run verdicts.
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { Case, Gap, Target } from '../case';
import { CaseSchema, TargetSchema } from '../case';
import { errorMessage, errorName } from '../errors';
import { InstanceFactsSchema } from '../instance-facts';
import type { CustodyEvent, TaskDeps } from '../task';

export const ContainmentInputSchema = z.object({ case: CaseSchema, target: TargetSchema, facts: InstanceFactsSchema });
export type ContainmentInput = z.infer<typeof ContainmentInputSchema>;

/** Custody-log actions of containment and release; release reads the first four back to undo them. */
export const ACTIONS = {
  detachedFromAsg: 'instance.detached-from-asg',
  deregisteredFromTargetGroup: 'instance.deregistered-from-target-group',
  isolating: 'instance.isolating',
  isolated: 'instance.isolated',
  sessionsRevoked: 'role.sessions-revoked',
  profileDisassociated: 'instance.profile-disassociated',
  foundContained: 'instance.found-contained',
  skipped: 'containment.skipped',
  dryRun: 'containment.dry-run',
  securityGroupCreated: 'security-group.created',
  released: 'instance.released',
  rolledBack: 'containment.rolled-back',
} as const;

/** One call a dry run checked: allowed or denied for the responder role, or unknown when even the check was refused. */
export interface CallVerdict {
  readonly call: string;
  readonly verdict: 'allowed' | 'denied' | 'unknown';
  readonly reason?: string;
}

export type StepStatus = 'contained' | 'already-contained' | 'skipped' | 'would-do';

export interface StepOutput {
  readonly step: string;
  readonly instanceId: string;
  readonly status: StepStatus;
  readonly reason?: string;
  /** Dry-run verdicts, one per mutating call the step would make. */
  readonly checks: readonly CallVerdict[];
  readonly gaps: readonly Gap[];
}

/** Where a step's records go, with the account and region every record carries so release can find the instance again. */
export function recorder(
  input: { case: Case; target: Target },
  deps: TaskDeps,
): (event: CustodyEvent) => Promise<void> {
  const store = deps.store(input.case.caseId, input.target.region);
  return (event) =>
    store.record({
      ...event,
      details: { accountId: input.target.accountId, region: input.target.region, ...event.details },
    });
}

export function gap(target: Target, step: string, reason: string, error?: unknown): Gap {
  return { target: target.instanceId, step, reason, ...(error === undefined ? {} : { error: errorName(error) }) };
}

/** Records that a step does not apply to this instance and says why; the step's output carries the same reason. */
export async function skip(
  input: ContainmentInput,
  deps: TaskDeps,
  step: string,
  reason: string,
  details: Record<string, unknown> = {},
): Promise<StepOutput> {
  await recorder(
    input,
    deps,
  )({ action: ACTIONS.skipped, target: input.target.instanceId, details: { step, reason, ...details } });
  return { step, instanceId: input.target.instanceId, status: 'skipped', reason, checks: [], gaps: [] };
}

/** An EC2 call made with DryRun: DryRunOperation means allowed, UnauthorizedOperation denied ("Dry run" in the EC2 API reference). */
export async function ec2DryRun(call: string, send: () => Promise<unknown>): Promise<CallVerdict> {
  try {
    await send();
  } catch (error) {
    if (errorName(error) === 'DryRunOperation') return { call, verdict: 'allowed' };
    if (errorName(error) === 'UnauthorizedOperation') return { call, verdict: 'denied', reason: errorMessage(error) };
    throw error;
  }
  throw new Error(`${call} with DryRun returned without DryRunOperation: refusing to trust it`);
}

/**
 * APIs without DryRun are checked with iam:SimulatePrincipalPolicy against the responder role, which evaluates its
 * identity policies without acting ("Testing IAM policies with the IAM policy simulator").
 */
export async function simulate(target: Target, deps: TaskDeps, actions: readonly string[]): Promise<CallVerdict[]> {
  if (actions.length === 0) return [];
  const roleArn = `arn:aws:iam::${target.accountId}:role/${deps.config.responderRoleName}`;
  try {
    const result = await deps.clients
      .member(target.accountId, target.region)
      .iam()
      .send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: [...actions] }));
    return actions.map((action) => {
      const decision = result.EvaluationResults?.find(
        (evaluation) => evaluation.EvalActionName === action,
      )?.EvalDecision;
      return decision === 'allowed'
        ? { call: action, verdict: 'allowed' }
        : { call: action, verdict: 'denied', reason: decision ?? 'not evaluated' };
    });
  } catch (error) {
    return actions.map((action) => ({ call: action, verdict: 'unknown', reason: errorMessage(error) }));
  }
}

/** Records the verdicts of a dry run and returns the step's would-do output. */
export async function reportDryRun(
  input: ContainmentInput,
  deps: TaskDeps,
  step: string,
  checks: CallVerdict[],
  details: Record<string, unknown> = {},
): Promise<StepOutput> {
  await recorder(
    input,
    deps,
  )({ action: ACTIONS.dryRun, target: input.target.instanceId, details: { step, checks, ...details } });
  const gaps = checks
    .filter((check) => check.verdict !== 'allowed')
    .map((check) =>
      gap(
        input.target,
        step,
        `dry run: ${check.call} would be ${check.verdict}${check.reason ? ` (${check.reason})` : ''}`,
      ),
    );
  return { step, instanceId: input.target.instanceId, status: 'would-do', checks, gaps };
}
