// A case built by the real tasks against the sandbox, up to just before SealCase, for the report tests.
import type { Scenario } from '../../sandbox/scenario';
import { loadScenario } from '../../sandbox/scenario';
import { analyzeCase } from '../../tasks/analyze-case';
import { collectLogs } from '../../tasks/collect-logs';
import { isolateNetwork } from '../../tasks/isolate-network';
import type { Case } from '../../tasks/lib/case';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { openCase } from '../../tasks/open-case';
import { preserveInstance } from '../../tasks/preserve-instance';
import { SnapshotVolumesInputSchema, snapshotVolumes } from '../../tasks/snapshot-volumes';
import type { TargetSummary } from '../../tasks/summarise-target';
import { summariseTarget } from '../../tasks/summarise-target';
import { custodyStoreFor } from '../../tasks/lib/case-store';
import type { TestContext } from '../helpers/deps';
import { makeTestContext } from '../helpers/deps';
import { TARGET, logCase } from '../helpers/log-case';

export const BUCKET = 'custody-evidence-333333333333-eu-west-1';

export interface BuiltCase {
  readonly ctx: TestContext;
  readonly kase: Case;
  readonly summary: TargetSummary;
  readonly analysisGaps: number;
}

/** Open → preserve → isolate → snapshot → logs → analyze → summarise, each with the real task. */
export interface BuildOptions {
  /** Collect logs and analyze them (slow: the default scenario's log volume). */
  readonly logs?: boolean;
  /** Failures as a Catch would hand them to SummariseTarget. */
  readonly failures?: Record<string, { Error: string; Cause: unknown }>;
}

export async function buildCase(
  mode: Case['mode'] = 'collect',
  scenario?: Scenario,
  options: BuildOptions = {},
): Promise<BuiltCase> {
  const ctx = makeTestContext(scenario);
  const kase = logCase({ mode });
  await openCase({ case: kase }, ctx.deps);
  const preserved = await preserveInstance({ case: kase, target: TARGET }, ctx.deps);
  const steps: Record<string, unknown> = { PreserveInstance: preserved };
  steps.IsolateNetwork = await isolateNetwork({ case: kase, target: TARGET, facts: preserved.instance }, ctx.deps);
  steps.SnapshotVolumes = await snapshotVolumes(
    SnapshotVolumesInputSchema.parse({ case: kase, target: TARGET, instance: preserved.instance }),
    ctx.deps,
  );
  let analysisGaps = 0;
  if (mode === 'collect' && options.logs) {
    steps.CollectLogs = await collectLogs({ case: kase, target: TARGET, instance: preserved.instance }, ctx.deps);
    analysisGaps = (await analyzeCase({ case: kase }, ctx.deps)).gaps.length;
  }
  const summary = await summariseTarget(
    { case: kase, target: TARGET, steps, failures: options.failures ?? {} },
    ctx.deps,
  );
  return { ctx, kase, summary, analysisGaps };
}

export function scenarioWith(change: (scenario: Scenario) => void): Scenario {
  const scenario = loadScenario();
  change(scenario);
  return scenario;
}

export async function entriesOf(built: BuiltCase): Promise<CustodyEntry[]> {
  return custodyStoreFor(built.ctx.deps, built.kase.caseId, TARGET.region).readEntries();
}

/** An object of the case as the sandbox bucket holds it. */
export async function caseObject(built: BuiltCase, key: string): Promise<string> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const response = await built.ctx.deps.clients
    .forensics(TARGET.region)
    .s3()
    .send(new GetObjectCommand({ Bucket: BUCKET, Key: `cases/${built.kase.caseId}/${key}` }));
  return response.Body ? response.Body.transformToString() : '';
}
