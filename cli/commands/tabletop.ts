// `custody tabletop`: runs a whole case locally, the real state machine and tasks against the simulated organisation.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createSandboxEnvironment } from '../../sandbox';
import { sandboxDeps } from '../../sandbox/deps';
import { DEFAULT_SCENARIO, loadScenario } from '../../sandbox/scenario';
import { stageCaptureTools } from '../../sandbox/ssm-agent';
import type { Scenario } from '../../sandbox/scenario';
import { runCollectEvidence } from '../../statemachines/runner';
import type { ProgressEvent, RunResult } from '../../statemachines/runner';
import type { Case, Gap } from '../../tasks/lib/case';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { custodyStoreFor } from '../../tasks/lib/case-store';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';
import { asDryRunRequest } from './dry-run';
import { renderProgress } from './progress';

export interface TabletopOptions {
  readonly scenario?: string;
  readonly out?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** The `--json` summary line: the contract scripts rely on (ARCHITECTURE.md, "The custody CLI"). */
export interface CaseSummary {
  readonly caseId: string | null;
  readonly status: 'complete' | 'partial' | 'failed' | 'rejected' | 'duplicate';
  readonly mode: string;
  readonly scenario: string;
  readonly caseDir: string | null;
  readonly caseDirs: readonly string[];
  readonly targets: readonly { instanceId: string; status: string }[];
  readonly gaps: readonly Gap[];
  readonly manifest: string | null;
  readonly report: string | null;
  readonly error?: string;
}

/** A CollectTargets element: its gaps are in the custody log's `target.summarised`, unless SummariseTarget failed. */
interface TargetSummary {
  readonly target: { readonly instanceId: string };
  readonly status: string;
  readonly gaps?: readonly Gap[];
}

interface CaseOutput {
  readonly case?: Case;
  /** One element per child execution of the CollectTargets Distributed Map; a child that failed leaves no summary. */
  readonly targets?: readonly unknown[];
  readonly workstations?: readonly { readonly gaps?: readonly Gap[] }[];
  readonly examine?: { readonly gaps?: readonly Gap[] };
  readonly analysis?: { readonly gaps?: readonly Gap[] };
  readonly seal?: { readonly gaps?: readonly Gap[]; readonly report?: string };
  readonly duplicate?: unknown;
}

export async function tabletop(options: TabletopOptions, io: CliIo): Promise<ExitCode> {
  const scenario = loadScenario(options.scenario ?? DEFAULT_SCENARIO);
  const out = resolve(options.out ?? join('custody-cases', `${scenario.name}-${timestamp()}`));
  const env = createSandboxEnvironment({ scenario, root: out });
  // What operators do once per forensics bucket: stage the pinned capture tools (docs/disk-and-memory.md).
  for (const destination of Object.values(env.config.regions)) {
    if (env.sandbox.bucketExists(destination.evidenceBucket))
      await stageCaptureTools(env.sandbox, destination.evidenceBucket);
  }
  const mode = options.dryRun ? 'dry-run' : 'collect';
  const input = options.dryRun ? asDryRunRequest(scenario.trigger, env.config) : scenario.trigger;
  io.out(`Custody tabletop: scenario ${scenario.name} (${mode}), sandbox only — no real AWS account is touched`);
  io.out(`  ${scenario.description}`);
  const render = renderProgress(io);
  const deps = sandboxDeps(env, `tabletop-${timestamp()}`);
  const result = await runCollectEvidence(input, {
    deps,
    onProgress: (event: ProgressEvent) => render(event),
    // A scenario can shorten a state's TimeoutSeconds to rehearse a Lambda-style timeout (the faults scenario does).
    timeoutOverrides: scenario.stateTimeouts,
  });
  env.sandbox.saveState();
  const summary = await summarise(result, scenario, mode, out, (caseId, region) =>
    custodyStoreFor(deps, caseId, region).readEntries(),
  );
  printSummary(summary, io);
  if (options.json) io.out(JSON.stringify(summary));
  if (summary.status === 'rejected') return EXIT.badInput;
  return summary.status === 'failed' ? EXIT.failed : EXIT.ok;
}

type ReadEntries = (caseId: string, region: string) => Promise<readonly CustodyEntry[]>;

async function summarise(
  result: RunResult,
  scenario: Scenario,
  mode: string,
  out: string,
  readEntries: ReadEntries,
): Promise<CaseSummary> {
  const output = (result.output ?? {}) as CaseOutput;
  const custodyCase = output.case;
  const base = { mode, scenario: scenario.name, manifest: null, report: null };
  if (result.status === 'FAILED' || !custodyCase) {
    const rejected = result.error?.name === 'CaseRejected';
    // A case that failed after it was opened has evidence and a custody log on disk (and maybe an isolated instance to
    // release): its folder must be named.
    const opened = result.openedCase;
    const caseDirs = opened ? caseDirectories(scenario, out, opened) : [];
    return {
      ...base,
      caseId: opened?.caseId ?? custodyCase?.caseId ?? null,
      status: rejected ? 'rejected' : 'failed',
      caseDir: caseDirs[0] ?? null,
      caseDirs,
      targets: [],
      gaps: [],
      error: result.error ? `${result.error.name}: ${result.error.cause}` : 'the execution produced no case',
    };
  }
  const caseDirs = caseDirectories(scenario, out, custodyCase);
  const summaries = collectedSummaries(output.targets);
  const targets = summaries.map((summary) => ({ instanceId: summary.target.instanceId, status: summary.status }));
  const recorded = await recordedGaps(custodyCase, readEntries);
  const gaps = [
    ...summaries.flatMap((summary) => summary.gaps ?? recorded.get(summary.target.instanceId) ?? []),
    ...(output.workstations ?? []).flatMap((workstation) => workstation.gaps ?? []),
    ...(output.examine?.gaps ?? []),
    ...(output.analysis?.gaps ?? []),
    ...(output.seal?.gaps ?? []),
  ];
  const anyFailed = targets.some((target) => target.status === 'failed');
  const status = output.duplicate ? 'duplicate' : anyFailed ? 'failed' : gaps.length > 0 ? 'partial' : 'complete';
  const caseDir = caseDirs[0] ?? null;
  const manifest = caseDir && existsSync(join(caseDir, 'manifest.json')) ? join(caseDir, 'manifest.json') : null;
  const report =
    caseDir && existsSync(join(caseDir, 'report', 'report.html')) ? join(caseDir, 'report', 'report.html') : null;
  return { ...base, caseId: custodyCase.caseId, status, caseDir, caseDirs, targets, gaps, manifest, report };
}

/** A child execution that failed anyway leaves an element that is no summary (the Distributed Map tolerates it). */
function collectedSummaries(elements: readonly unknown[] = []): TargetSummary[] {
  return elements.filter((element): element is TargetSummary => {
    const summary = element as Partial<TargetSummary> | null;
    return typeof summary?.target?.instanceId === 'string' && typeof summary.status === 'string';
  });
}

/** Each target's gaps as SummariseTarget recorded them (its last `target.summarised` entry), by instance id. */
async function recordedGaps(custodyCase: Case, readEntries: ReadEntries): Promise<Map<string, Gap[]>> {
  const gaps = new Map<string, Gap[]>();
  const regions = [...new Set(custodyCase.targets.map((target) => target.region))].sort();
  for (const region of regions) {
    const entries = await readEntries(custodyCase.caseId, region).catch(() => []);
    for (const entry of entries) {
      const recorded = entry.details?.gaps;
      if (entry.action === 'target.summarised' && entry.target && Array.isArray(recorded))
        gaps.set(entry.target, recorded as Gap[]);
    }
  }
  return gaps;
}

/** The local folders that mirror `s3://<bucket>/cases/<caseId>/`, one per region the case touched. */
function caseDirectories(scenario: Scenario, out: string, custodyCase: Case): string[] {
  const regions = [...new Set(custodyCase.targets.map((target) => target.region))].sort();
  const config = scenario.config as { regions?: Record<string, { evidenceBucket?: string }> };
  return regions
    .map((region) => config.regions?.[region]?.evidenceBucket)
    .filter((bucket): bucket is string => !!bucket)
    .map((bucket) => join(out, 'buckets', bucket, 'cases', custodyCase.caseId));
}

function printSummary(summary: CaseSummary, io: CliIo): void {
  io.out('');
  if (summary.status === 'rejected' || (summary.status === 'failed' && !summary.caseDir)) {
    io.out(`Case ${summary.status}: ${summary.error ?? 'see the progress above'}`);
    return;
  }
  io.out(
    `Case ${summary.caseId}: ${summary.status} (${summary.targets.length} target(s), ${summary.gaps.length} gap(s))`,
  );
  for (const gap of summary.gaps) io.out(`  gap  ${gap.target} ${gap.step}: ${gap.reason}`);
  for (const dir of summary.caseDirs) io.out(`Case folder: ${dir}`);
  if (summary.report) io.out(`Report:      ${summary.report}`);
  if (summary.caseDir) io.out(`Verify with: npx custody verify ${summary.caseDir}`);
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}
