// The report's data model (report/report.json, documented in docs/report-format.md): what the renderers draw from.
import type { Gap } from '../case';

export const REPORT_FORMAT = 'custody-report/1';

/** Collect-flow phases, in the order a case runs them. */
export const PHASES = [
  'case',
  'preserve',
  'isolate',
  'snapshot',
  'memory',
  'volatile',
  'logs',
  'examine',
  'analyze',
  'report',
  'seal',
] as const;
export type Phase = (typeof PHASES)[number];

export type ActionStatus = 'done' | 'already' | 'skipped' | 'failed' | 'would-do' | 'allowed' | 'denied' | 'unknown';
export type TargetStatus = 'complete' | 'partial' | 'failed' | 'planned' | 'unknown';

/** One thing Custody did (or, in a dry run, checked) to or for a target, from one custody entry. */
export interface ReportAction {
  readonly seq: number;
  readonly at: string;
  readonly phase: Phase;
  readonly action: string;
  /** The instance, volume, snapshot or group the entry names. */
  readonly resource: string;
  readonly status: ActionStatus;
  readonly summary: string;
  /** Prior and resulting state for changes (`details.prior` / `details.now`), as compact JSON. */
  readonly before?: string;
  readonly after?: string;
  /** Relative key of the evidence object the action produced. */
  readonly artifact?: string;
}

export interface ReportTarget {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly status: TargetStatus;
  /** State name → ok | gaps | failed, as SummariseTarget reported it. */
  readonly steps: Readonly<Record<string, string>>;
  readonly actions: readonly ReportAction[];
  readonly gaps: readonly Gap[];
}

export interface EvidenceRow {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly source: string;
  readonly tool: string;
  readonly target: string;
  readonly seq: number;
  readonly at: string;
  /** False when the custody log recorded it but the listing did not show the object (only set when a listing was read). */
  readonly present?: boolean;
}

export interface PhaseSpan {
  readonly phase: Phase;
  readonly start: string;
  readonly end: string;
  readonly durationMs: number;
  readonly entries: number;
}

export interface Correlation {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly question: string;
  readonly count: number;
  readonly evidence: ReadonlyArray<{
    readonly key: string;
    readonly line: number;
    readonly datetime: string;
    readonly message: string;
  }>;
}

export interface TimelineHighlight {
  readonly datetime: string;
  readonly source: string;
  readonly message: string;
  readonly evidence?: string;
  readonly line?: number;
  /** Why this event was kept: a correlation id, `finding`, or `first`/`last` of its source. */
  readonly why: string;
}

/** Events per source per time bucket, for the incident-timeline diagram. */
export interface SourceSeries {
  readonly source: string;
  readonly events: number;
  readonly buckets: readonly number[];
}

export interface TimelineSummary {
  readonly key: string;
  readonly events: number;
  readonly from?: string;
  readonly to?: string;
  readonly bucketMs: number;
  readonly sources: readonly SourceSeries[];
  readonly highlights: readonly TimelineHighlight[];
}

export interface PlanCheck {
  readonly target: string;
  readonly step: string;
  readonly call: string;
  readonly verdict: 'allowed' | 'denied' | 'would-do' | 'unknown' | 'failed';
  readonly reason?: string;
}

export interface Estimate {
  readonly volumes: ReadonlyArray<{ readonly target: string; readonly volumeId: string; readonly sizeGiB: number }>;
  readonly memory: ReadonlyArray<{ readonly target: string; readonly memoryMiB: number }>;
  readonly totalBytes: number;
  readonly seconds: number;
  /** The throughput figures the estimate assumes, stated so a reader can redo it. */
  readonly assumptions: readonly string[];
}

export interface ReportModel {
  readonly format: typeof REPORT_FORMAT;
  readonly generatedAt: string;
  readonly region: string;
  /** s3://bucket/cases/<caseId>/ or the local folder the report was built from. */
  readonly location: string;
  readonly case: {
    readonly caseId: string;
    readonly mode: string;
    readonly trigger: string;
    readonly requestedBy: string;
    readonly reason: string;
    readonly openedAt: string;
    /** Each `custody start --resume` of the case, in order, from its `case.resumed` entries. */
    readonly resumed?: ReadonlyArray<{
      readonly at: string;
      readonly resumes: string;
      readonly requestedBy: string;
      readonly reason: string;
    }>;
    readonly finding?: {
      readonly type: string;
      readonly title: string;
      readonly severity: number;
      readonly severityLabel: string;
      readonly arn: string;
      readonly source: string;
    };
  };
  readonly status: TargetStatus;
  readonly targets: readonly ReportTarget[];
  /** Entries about the case itself or resources of no single target (case.json, shared security groups, the seal). */
  readonly caseActions: readonly ReportAction[];
  /** Every gap of the case in this region: per target, examination, analysis and case-level ones. */
  readonly gaps: readonly Gap[];
  readonly evidence: readonly EvidenceRow[];
  readonly custody: {
    readonly entries: number;
    readonly head: string;
    readonly sealed: boolean;
    readonly actions: Readonly<Record<string, number>>;
    readonly verify: readonly string[];
  };
  readonly phases: readonly PhaseSpan[];
  readonly correlations: readonly Correlation[];
  readonly timeline?: TimelineSummary;
  readonly plan?: { readonly checks: readonly PlanCheck[]; readonly estimate: Estimate };
}
