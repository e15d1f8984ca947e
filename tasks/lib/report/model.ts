// Builds the report model from what the case recorded: custody entries, the bucket listing, analysis outputs and summaries.
import type { Gap, Target } from '../case';
import type { CustodyEntry } from '../custody-log';
import { planChecks, phaseOf, toAction } from './actions';
import type {
  Correlation,
  Estimate,
  EvidenceRow,
  PhaseSpan,
  ReportModel,
  ReportTarget,
  TargetStatus,
  TimelineSummary,
} from './types';
import { PHASES, REPORT_FORMAT } from './types';

/** The case as the report needs it (a Case, or case.json as OpenCase wrote it). */
export interface ReportCase {
  readonly caseId: string;
  readonly mode: string;
  readonly trigger: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly openedAt: string;
  readonly targets: readonly Target[];
  readonly finding?: {
    readonly type: string;
    readonly title: string;
    readonly severity: number;
    readonly severityLabel: string;
    readonly arn: string;
    readonly source: string;
  };
}

/** What SummariseTarget returned for a target; its steps' verdicts are in the custody log's `target.summarised`. */
export interface TargetSummaryInput {
  readonly target: Target;
  readonly status: string;
  readonly steps?: Readonly<Record<string, string>>;
  readonly gaps?: readonly Gap[];
}

/** Sizes that drive a dry run's estimate: volumes and memory of an instance. */
export interface InstanceSize {
  readonly instanceId: string;
  readonly volumes: ReadonlyArray<{ readonly volumeId: string; readonly sizeGiB: number }>;
  readonly memoryMiB?: number;
}

export interface ModelInput {
  readonly case: ReportCase;
  readonly region: string;
  readonly location: string;
  readonly generatedAt: string;
  readonly entries: readonly CustodyEntry[];
  /** Objects under the case prefix; when given, a recorded artifact that is not listed is reported missing. */
  readonly listing?: ReadonlyArray<{ readonly key: string; readonly size: number }>;
  readonly summaries?: readonly TargetSummaryInput[];
  readonly extraGaps?: readonly Gap[];
  readonly correlations?: readonly Correlation[];
  readonly timeline?: TimelineSummary;
  readonly instances?: readonly InstanceSize[];
  /** Volume or snapshot id → the instance it belongs to (from describe-volumes evidence and snapshot entries). */
  readonly owners?: ReadonlyMap<string, string>;
}

// Estimate assumptions: first EBS snapshots copy every written block; volumes snapshot in parallel, memory is streamed.
export const SNAPSHOT_MIB_PER_SECOND = 100;
export const MEMORY_MIB_PER_SECOND = 50;
export const FIXED_OVERHEAD_SECONDS = 300;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

export function verifyInstructions(caseId: string): string[] {
  return [
    `npx custody verify <caseDir>   (the folder holding cases/${caseId}/, or s3://<bucket>/cases/${caseId}/)`,
    "jq -r '.signing.publicKeyPem' manifest.json > manifest-key.pem",
    'openssl dgst -sha256 -verify manifest-key.pem -signature manifest.sig manifest.json',
    `jq -r '.artifacts[] | "\\(.sha256)  \\(.key)"' manifest.json | sha256sum --check --strict`,
    `echo "$(jq -r '.custody.sha256' manifest.json)  custody.jsonl" | sha256sum --check --strict`,
    'then walk the hash chain as docs/evidence-format.md shows (each prev is the previous hash, each hash recomputes)',
  ];
}

export function buildReportModel(input: ModelInput): ReportModel {
  const { entries } = input;
  const targets = input.case.targets.filter((target) => target.region === input.region);
  const owners = ownersOf(entries, input.owners);
  const instanceIds = new Set(targets.map((target) => target.instanceId));
  const instanceOf = (resource: string): string =>
    instanceIds.has(resource) ? resource : (owners.get(resource) ?? 'case');
  const evidence = evidenceRows(entries, input.listing);
  const reportTargets = targets.map((target) => reportTarget(target, entries, instanceOf, input));
  const missing: Gap[] = evidence
    .filter((row) => row.present === false)
    .map((row) => ({
      target: row.target,
      step: 'evidence',
      reason: `${row.key} is recorded in the custody log but not in the evidence bucket`,
      error: 'missing',
    }));
  const gaps = [...reportTargets.flatMap((target) => target.gaps), ...(input.extraGaps ?? []), ...missing];
  const last = entries[entries.length - 1];
  const actions: Record<string, number> = {};
  for (const entry of entries) actions[entry.action] = (actions[entry.action] ?? 0) + 1;
  const dryRun = input.case.mode === 'dry-run';
  return {
    format: REPORT_FORMAT,
    generatedAt: input.generatedAt,
    region: input.region,
    location: input.location,
    case: {
      caseId: input.case.caseId,
      mode: input.case.mode,
      trigger: input.case.trigger,
      requestedBy: input.case.requestedBy,
      reason: input.case.reason,
      openedAt: input.case.openedAt,
      ...resumedFrom(entries),
      ...(input.case.finding ? { finding: pickFinding(input.case.finding) } : {}),
    },
    status: overallStatus(reportTargets, gaps, dryRun),
    targets: reportTargets,
    caseActions: entries
      .filter((entry) => !ownedByTarget(entry, instanceOf) && entry.action !== 'target.summarised')
      .map(toAction),
    gaps,
    evidence,
    custody: {
      entries: entries.length,
      head: last ? last.hash : '0'.repeat(64),
      sealed:
        entries.some((entry) => entry.action === 'case.sealed') ||
        (input.listing ?? []).some((object) => object.key === 'manifest.sig'),
      actions,
      verify: verifyInstructions(input.case.caseId),
    },
    phases: phaseSpans(entries),
    correlations: input.correlations ?? [],
    ...(input.timeline ? { timeline: input.timeline } : {}),
    ...(dryRun ? { plan: { checks: planChecks(entries, instanceOf), estimate: estimate(input, instanceOf) } } : {}),
  };
}

/** The resumes a case went through, from its `case.resumed` entries (absent for a case that ran once). */
function resumedFrom(entries: readonly CustodyEntry[]): Pick<ReportModel['case'], 'resumed'> {
  const resumed = entries
    .filter((entry) => entry.action === 'case.resumed')
    .map((entry) => ({
      at: entry.at,
      resumes: String(entry.details?.resumes ?? ''),
      requestedBy: String(entry.details?.requestedBy ?? ''),
      reason: String(entry.details?.reason ?? ''),
    }));
  return resumed.length > 0 ? { resumed } : {};
}

function pickFinding(finding: NonNullable<ReportCase['finding']>): NonNullable<ReportCase['finding']> {
  const { type, title, severity, severityLabel, arn, source } = finding;
  return { type, title, severity, severityLabel, arn, source };
}

/** Volumes and snapshots map to instances through snapshot.created entries and the describe-volumes evidence. */
function ownersOf(
  entries: readonly CustodyEntry[],
  known: ReadonlyMap<string, string> | undefined,
): Map<string, string> {
  const owners = new Map(known ?? []);
  for (const entry of entries) {
    const d = entry.details ?? {};
    if (entry.action === 'snapshot.created') {
      if (typeof d.volumeId === 'string') owners.set(d.volumeId, entry.target);
      if (typeof d.snapshotId === 'string') owners.set(d.snapshotId, entry.target);
    }
    if (typeof d.instanceId === 'string') owners.set(entry.target, d.instanceId);
  }
  return owners;
}

/** The target instance an entry is about, or undefined for the case itself. */
function ownedByTarget(entry: CustodyEntry, instanceOf: (resource: string) => string): string | undefined {
  const owner = instanceOf(entry.target);
  if (owner !== 'case') return owner;
  const fromKey = entry.artifact?.key.split('/')[1];
  return fromKey && instanceOf(fromKey) !== 'case' ? fromKey : undefined;
}

function reportTarget(
  target: Target,
  entries: readonly CustodyEntry[],
  instanceOf: (resource: string) => string,
  input: ModelInput,
): ReportTarget {
  const own = entries.filter((entry) => ownedByTarget(entry, instanceOf) === target.instanceId);
  const summary = input.summaries?.find((candidate) => candidate.target.instanceId === target.instanceId);
  const summarised = [...own].reverse().find((entry) => entry.action === 'target.summarised')?.details;
  const steps = (summary?.steps ?? (summarised?.steps as Record<string, string> | undefined) ?? {}) as Record<
    string,
    string
  >;
  const status = (summary?.status ??
    summarised?.status ??
    (input.case.mode === 'dry-run' ? 'planned' : 'unknown')) as TargetStatus;
  const recorded = summarised?.gaps;
  const gaps = summary?.gaps
    ? [...summary.gaps]
    : Array.isArray(recorded)
      ? (recorded as Gap[])
      : derivedGaps(target, own);
  const actions = own.filter((entry) => entry.action !== 'target.summarised').map(toAction);
  return {
    instanceId: target.instanceId,
    accountId: target.accountId,
    region: target.region,
    status,
    steps,
    actions,
    gaps,
  };
}

/** Without SummariseTarget's output (a re-render from the folder), the log still names every failure and denial. */
function derivedGaps(target: Target, own: readonly CustodyEntry[]): Gap[] {
  const gaps: Gap[] = [];
  for (const entry of own) {
    const d = entry.details ?? {};
    if (entry.action === 'step.failed')
      gaps.push({
        target: target.instanceId,
        step: String(d.step ?? 'unknown'),
        reason: String(d.reason ?? 'failed'),
        ...(d.error ? { error: String(d.error) } : {}),
      });
    if (entry.action === 'dryrun.checked' && d.verdict !== 'allowed')
      gaps.push({
        target: target.instanceId,
        step: String(d.step),
        reason: `dry run: ${String(d.step)} would be ${String(d.verdict)}`,
      });
  }
  return gaps;
}

function evidenceRows(entries: readonly CustodyEntry[], listing: ModelInput['listing']): EvidenceRow[] {
  const listed = listing ? new Set(listing.map((object) => object.key)) : undefined;
  const byKey = new Map<string, EvidenceRow>();
  for (const entry of entries) {
    const artifact = entry.artifact;
    if (!artifact) continue;
    byKey.set(artifact.key, {
      key: artifact.key,
      bytes: artifact.bytes,
      sha256: artifact.sha256,
      source: artifact.source,
      tool: `${artifact.tool} ${artifact.toolVersion}`,
      target: entry.target,
      seq: entry.seq,
      at: entry.at,
      ...(listed ? { present: listed.has(artifact.key) } : {}),
    });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function phaseSpans(entries: readonly CustodyEntry[]): PhaseSpan[] {
  const spans = new Map<string, { start: number; end: number; entries: number }>();
  for (const entry of entries) {
    if (entry.action === 'target.summarised') continue;
    const phase = phaseOf(entry);
    const at = Date.parse(entry.at);
    const span = spans.get(phase) ?? { start: at, end: at, entries: 0 };
    spans.set(phase, { start: Math.min(span.start, at), end: Math.max(span.end, at), entries: span.entries + 1 });
  }
  return PHASES.filter((phase) => spans.has(phase)).map((phase) => {
    const span = spans.get(phase)!;
    return {
      phase,
      start: new Date(span.start).toISOString(),
      end: new Date(span.end).toISOString(),
      durationMs: span.end - span.start,
      entries: span.entries,
    };
  });
}

function overallStatus(targets: readonly ReportTarget[], gaps: readonly Gap[], dryRun: boolean): TargetStatus {
  if (dryRun) return 'planned';
  if (targets.length > 0 && targets.every((target) => target.status === 'failed')) return 'failed';
  if (targets.some((target) => target.status !== 'complete') || gaps.length > 0) return 'partial';
  return 'complete';
}

function estimate(input: ModelInput, instanceOf: (resource: string) => string): Estimate {
  const volumes = new Map<string, { target: string; volumeId: string; sizeGiB: number }>();
  const memory: Array<{ target: string; memoryMiB: number }> = [];
  for (const instance of input.instances ?? []) {
    for (const volume of instance.volumes) volumes.set(volume.volumeId, { target: instance.instanceId, ...volume });
    if (instance.memoryMiB !== undefined && input.case.targets.some((t) => t.instanceId === instance.instanceId))
      memory.push({ target: instance.instanceId, memoryMiB: instance.memoryMiB });
  }
  for (const entry of input.entries) {
    const d = entry.details ?? {};
    if (
      entry.action === 'snapshot.created' &&
      typeof d.volumeId === 'string' &&
      typeof d.sizeGiB === 'number' &&
      !volumes.has(d.volumeId)
    ) {
      volumes.set(d.volumeId, { target: instanceOf(entry.target), volumeId: d.volumeId, sizeGiB: d.sizeGiB });
    }
  }
  const list = [...volumes.values()];
  const largestGiB = Math.max(0, ...list.map((volume) => volume.sizeGiB));
  const memoryMiB = memory.reduce((sum, item) => sum + item.memoryMiB, 0);
  const totalBytes = list.reduce((sum, volume) => sum + volume.sizeGiB * GIB, 0) + memoryMiB * MIB;
  const seconds = Math.ceil(
    (largestGiB * 1024) / SNAPSHOT_MIB_PER_SECOND + memoryMiB / MEMORY_MIB_PER_SECOND + FIXED_OVERHEAD_SECONDS,
  );
  return {
    volumes: list,
    memory,
    totalBytes,
    seconds,
    assumptions: [
      `EBS snapshots at ${SNAPSHOT_MIB_PER_SECOND} MiB/s per volume, all volumes in parallel (a first snapshot copies every written block)`,
      `memory streamed to S3 at ${MEMORY_MIB_PER_SECOND} MiB/s, one instance after another`,
      `${FIXED_OVERHEAD_SECONDS} s for containment, metadata, volatile data and logs`,
    ],
  };
}
