// Reads custody entries as a responder would: which phase each belongs to, what it did, to what, with what result.
import type { CustodyEntry } from '../custody-log';
import type { ActionStatus, Phase, PlanCheck, ReportAction } from './types';

/** State names (as step.failed and gaps carry them) → phase. */
const STATE_PHASE: Readonly<Record<string, Phase>> = {
  PreserveInstance: 'preserve',
  DetachFromFleet: 'isolate',
  IsolateNetwork: 'isolate',
  IsolateNetworkAfterCapture: 'isolate',
  ContainCredentials: 'isolate',
  SnapshotVolumes: 'snapshot',
  CheckSnapshots: 'snapshot',
  CopySnapshots: 'snapshot',
  CaptureMemory: 'memory',
  CheckCommand: 'memory',
  CollectVolatile: 'volatile',
  CollectLogs: 'logs',
  ExamineEvidence: 'examine',
  AnalyzeCase: 'analyze',
  RenderReport: 'report',
  SealCase: 'seal',
};

const ACTION_PHASE: ReadonlyArray<readonly [RegExp, Phase]> = [
  [/^case\.sealed$/, 'seal'],
  [/^(case|target)\./, 'case'],
  [/^(instance\.(tagged|termination-protected|shutdown-behavior-set|terminated)|volume\.)/, 'preserve'],
  [/^(instance\.|containment\.|role\.|security-group\.)/, 'isolate'],
  [/^snapshot\./, 'snapshot'],
  [/^logs\./, 'logs'],
  [/^(evidence\.|artifact\.checksum-mismatch)/, 'examine'],
  [/^report\./, 'report'],
];

export function phaseOfState(state: string): Phase | undefined {
  return STATE_PHASE[state];
}

/** Evidence keys say what they are: <account>/<instance>/<kind>/…, report/…, snapshots.json, case.json. */
export function phaseOfKey(key: string): Phase {
  if (key === 'case.json') return 'case';
  if (key === 'snapshots.json') return 'snapshot';
  if (/^report\/(?:resume-\d+\/)?report\./.test(key)) return 'report';
  if (key.startsWith('report/')) return 'analyze';
  const kind = key.split('/')[2];
  if (kind === 'memory' || kind === 'volatile' || kind === 'logs') return kind;
  return 'preserve';
}

function phaseOfStep(step: unknown): Phase | undefined {
  if (typeof step !== 'string') return undefined;
  const byState = phaseOfState(step);
  if (byState) return byState;
  if (/snapshot/i.test(step)) return 'snapshot';
  if (/memory/i.test(step)) return 'memory';
  if (/volatile/i.test(step)) return 'volatile';
  if (/isolat|fleet|credential|contain/i.test(step)) return 'isolate';
  return undefined;
}

export function phaseOf(entry: CustodyEntry): Phase {
  const details = entry.details ?? {};
  if (entry.artifact) return phaseOfKey(entry.artifact.key);
  if (entry.action === 'command.sent')
    return /memory/i.test(String(details.documentName ?? '')) ? 'memory' : 'volatile';
  if (['step.failed', 'dryrun.checked', 'containment.dry-run', 'containment.skipped'].includes(entry.action)) {
    return phaseOfStep(details.step) ?? (entry.action.startsWith('containment.') ? 'isolate' : 'preserve');
  }
  return ACTION_PHASE.find(([pattern]) => pattern.test(entry.action))?.[1] ?? 'case';
}

export function statusOf(entry: CustodyEntry): ActionStatus {
  const details = entry.details ?? {};
  if (
    entry.action === 'step.failed' ||
    entry.action === 'artifact.abandoned' ||
    entry.action === 'artifact.checksum-mismatch'
  )
    return 'failed';
  if (entry.action === 'containment.rolled-back') return 'failed';
  if (entry.action === 'dryrun.checked') return verdictStatus(details.verdict);
  if (entry.action === 'containment.dry-run') return 'would-do';
  if (entry.action === 'containment.skipped') return 'skipped';
  if (details.alreadyInPlace === true || entry.action === 'instance.found-contained') return 'already';
  if (entry.action === 'logs.queried' && details.error) return 'failed';
  return 'done';
}

function verdictStatus(verdict: unknown): ActionStatus {
  return verdict === 'allowed' || verdict === 'denied' ? verdict : verdict === 'failed' ? 'failed' : 'unknown';
}

const compact = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));

/** One readable line per entry; the details stay in the custody log for whoever needs all of them. */
export function summaryOf(entry: CustodyEntry): string {
  const d = entry.details ?? {};
  const text = (value: unknown): string => (typeof value === 'string' ? value : (compact(value) ?? ''));
  if (entry.artifact) return `acquired ${entry.artifact.bytes} bytes from ${entry.artifact.source}`;
  switch (entry.action) {
    case 'case.opened':
      return `case opened (${text(d.mode)}, ${text(d.trigger)}) by ${text(d.requestedBy)}`;
    case 'step.failed':
      return `${text(d.step)} failed: ${text(d.error)} ${text(d.reason)}`.trim();
    case 'dryrun.checked':
      return `dry run of ${text(d.step)} on ${entry.target}: ${text(d.verdict)}`;
    case 'containment.dry-run':
      return `dry run of ${text(d.step)}: ${Array.isArray(d.checks) ? d.checks.length : 0} call(s) checked`;
    case 'containment.skipped':
      return `${text(d.step)} skipped: ${text(d.reason)}`;
    case 'snapshot.created':
      return `snapshot ${text(d.snapshotId)} of ${text(d.volumeId)} (${text(d.deviceName)}, ${text(d.sizeGiB)} GiB) ${d.reused === true ? 'found, already started by an earlier attempt' : 'started'}`;
    case 'snapshot.copied':
      return `snapshot copied to the forensics account: ${text(d.copySnapshotId ?? d.snapshotId ?? entry.target)}`;
    case 'command.sent':
      return `SSM ${text(d.documentName)} sent (command ${text(d.commandId)})`;
    case 'logs.queried':
      return d.error
        ? `${text(d.source)} query failed: ${text(d.error)}`
        : `${text(d.source)} queried (${text(d.records)} records) into ${text(d.key)}`;
    case 'evidence.examined':
      return `evidence examined: ${compact(d) ?? ''}`.slice(0, 300);
    default:
      return `${entry.action} on ${entry.target}`;
  }
}

export function toAction(entry: CustodyEntry): ReportAction {
  const details = entry.details ?? {};
  const before = compact(details.prior);
  const after = compact(details.now);
  return {
    seq: entry.seq,
    at: entry.at,
    phase: phaseOf(entry),
    action: entry.action,
    resource: entry.target,
    status: statusOf(entry),
    summary: summaryOf(entry),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(entry.artifact ? { artifact: entry.artifact.key } : {}),
  };
}

/** The permission verdicts a dry run left in the log: EC2 DryRun checks and the simulated calls of containment steps. */
export function planChecks(entries: readonly CustodyEntry[], instanceOf: (resource: string) => string): PlanCheck[] {
  const checks: PlanCheck[] = [];
  for (const entry of entries) {
    const d = entry.details ?? {};
    const step = typeof d.step === 'string' ? d.step : entry.action;
    if (entry.action === 'dryrun.checked') {
      checks.push({ target: instanceOf(entry.target), step, call: step, verdict: verdict(d.verdict) });
    } else if (entry.action === 'containment.dry-run' && Array.isArray(d.checks)) {
      for (const check of d.checks as Array<Record<string, unknown>>) {
        checks.push({
          target: instanceOf(entry.target),
          step,
          call: String(check.call ?? step),
          verdict: verdict(check.verdict),
          ...(typeof check.reason === 'string' ? { reason: check.reason } : {}),
        });
      }
    }
  }
  return checks;
}

function verdict(value: unknown): PlanCheck['verdict'] {
  return value === 'allowed' || value === 'denied' || value === 'would-do' || value === 'failed' ? value : 'unknown';
}
