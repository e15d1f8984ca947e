// SummariseTarget: the last step for each target: every step's gaps and every caught failure become the target's record.
import { z } from 'zod';
import { CaseSchema, GapSchema, TargetSchema } from './lib/case';
import type { Gap, Target } from './lib/case';
import { targetLabel } from './lib/case';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';

/** What a Catch puts at `$.failures.<State>`: the error name and its cause (a message or the Lambda's JSON error). */
const CaughtFailureSchema = z.object({ Error: z.string(), Cause: z.unknown() });

export const SummariseTargetInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  steps: z.record(z.string(), z.unknown()).default({}),
  /** Latest state of each polling loop (snapshots, copies, SSM commands): their gaps are the final word on those steps. */
  polls: z.record(z.string(), z.unknown()).optional(),
  failures: z.record(z.string(), CaughtFailureSchema).default({}),
});
export type SummariseTargetInput = z.infer<typeof SummariseTargetInputSchema>;

export type TargetStatus = 'complete' | 'partial' | 'failed';

/**
 * One element of CollectTargets' output, kept small: the Map's whole output for hundreds of targets must stay under the
 * 256 KiB payload quota (docs/scale.md). Each step's verdict and every gap are in the custody log's `target.summarised`
 * entry, where the report and the tabletop summary read them; the element only counts the gaps.
 */
export interface TargetSummary {
  readonly target: Target;
  readonly status: TargetStatus;
  readonly gapCount: number;
}

/** Steps without which nothing else about the target could be collected. */
const ESSENTIAL_STEPS = ['PreserveInstance'];

export async function summariseTarget(input: SummariseTargetInput, deps: TaskDeps): Promise<TargetSummary> {
  const store = deps.store(input.case.caseId, input.target.region);
  const gaps: Gap[] = [];
  const steps: Record<string, 'ok' | 'gaps' | 'failed'> = {};
  const seen = new Set<string>();
  const add = (gap: Gap): boolean => {
    const key = JSON.stringify(gap);
    if (seen.has(key)) return false;
    seen.add(key);
    gaps.push(gap);
    return true;
  };
  for (const [step, result] of [...Object.entries(input.steps), ...Object.entries(input.polls ?? {})]) {
    const reported = stepGaps(result);
    reported.forEach(add);
    steps[step] = reported.length > 0 ? 'gaps' : (steps[step] ?? 'ok');
  }
  for (const [step, failure] of Object.entries(input.failures)) {
    const reason = causeText(failure.Cause);
    add({ target: targetLabel(input.target), step, reason, error: failure.Error });
    steps[step] = 'failed';
    await store.record({
      action: 'step.failed',
      target: input.target.instanceId,
      details: { step, error: failure.Error, reason },
    });
  }
  const failedEssential = ESSENTIAL_STEPS.some((step) => steps[step] === 'failed' || !(step in steps));
  const status: TargetStatus = failedEssential ? 'failed' : gaps.length > 0 ? 'partial' : 'complete';
  await store.record({
    action: 'target.summarised',
    target: input.target.instanceId,
    details: { status, steps, gaps },
  });
  return { target: input.target, status, gapCount: gaps.length };
}

function stepGaps(result: unknown): Gap[] {
  const parsed = z.object({ gaps: z.array(GapSchema) }).safeParse(result);
  return parsed.success ? parsed.data.gaps : [];
}

/** A Lambda's Cause is JSON with errorMessage; a local handler's is the message itself. Either way, one readable line. */
function causeText(cause: unknown): string {
  const text = typeof cause === 'string' ? cause : JSON.stringify(cause);
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 1000);
  } catch {
    // not JSON: the message itself
  }
  return text.slice(0, 1000);
}

export const summariseTargetTask = defineTask('SummariseTarget', SummariseTargetInputSchema, summariseTarget);
export const handler = lambdaHandler(summariseTargetTask);
