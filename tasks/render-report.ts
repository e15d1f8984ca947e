// RenderReport: before SealCase, writes report/report.{json,md,html} per region as artifacts, so the signed manifest covers them.
import { z } from 'zod';
import { CaseSchema, GapSchema, TargetSchema } from './lib/case';
import type { Case, Gap } from './lib/case';
import { casePrefix } from './lib/case-store';
import { forensicsFor } from './lib/config';
import { TRANSIENT_AWS_ERRORS, errorMessage, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import { buildReportModel, renderReport } from './lib/report';
import { loadModelInput } from './lib/report/load';
import { describeSizes } from './lib/report/sizes';
import type { TaskDeps } from './lib/task';
import { writeSnapshotsIndex } from './snapshot-record';
import { s3Source } from './lib/verify/source-s3';
import { caseRegions } from './open-case';

const TargetSummarySchema = z.object({
  target: TargetSchema,
  status: z.enum(['complete', 'partial', 'failed']),
  steps: z.record(z.string(), z.string()).optional(),
  /** Only when SummariseTarget itself failed (TargetNotSummarised); otherwise the gaps are in `target.summarised`. */
  gaps: z.array(GapSchema).optional(),
});

/**
 * CollectTargets' output: one SummariseTarget result per child execution. A child that failed anyway (the Distributed
 * Map tolerates it) leaves an element that is no summary; it is skipped here and the report tells that target from
 * the custody log, which names every failure and denial.
 */
const CollectedTargetsSchema = z
  .array(z.unknown())
  .default([])
  .transform((items) =>
    items.flatMap((item) => {
      const parsed = TargetSummarySchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    }),
  );
/** ExamineEvidence and AnalyzeCase outputs: only their gaps matter here; the rest is read back from the evidence. */
const PhaseOutputSchema = z.object({ gaps: z.array(GapSchema).default([]) }).passthrough();

export const RenderReportInputSchema = z.object({
  case: CaseSchema,
  targets: CollectedTargetsSchema,
  examine: PhaseOutputSchema.optional(),
  analysis: PhaseOutputSchema.optional(),
  /** The workstation examination per target (ExamineOnWorkstation's Map): its gaps belong in the report too. */
  workstations: z.array(PhaseOutputSchema).default([]),
});
export type RenderReportInput = z.infer<typeof RenderReportInputSchema>;

export const REPORT_KEYS = { json: 'report/report.json', md: 'report/report.md', html: 'report/report.html' } as const;

/**
 * Where a report goes: report/report.* for a case that ran once; after its n-th resume, report/resume-<n>/report.*, since the
 * report an earlier execution wrote is evidence too and is never replaced.
 */
export function reportKeys(resumes: number): Record<keyof typeof REPORT_KEYS, string> {
  if (resumes === 0) return { ...REPORT_KEYS };
  const folder = `report/resume-${resumes}/`;
  return { json: `${folder}report.json`, md: `${folder}report.md`, html: `${folder}report.html` };
}

export interface RenderedRegion {
  readonly region: string;
  /** s3:// location of report.html (report.md and report.json sit next to it). */
  readonly location: string;
  readonly status: string;
  readonly evidence: number;
  readonly gaps: number;
  readonly sha256: Readonly<Record<keyof typeof REPORT_KEYS, string>>;
}

export interface RenderReportOutput {
  readonly caseId: string;
  readonly reports: RenderedRegion[];
  readonly gaps: Gap[];
}

const CONTENT_TYPES = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

export async function renderCaseReport(input: RenderReportInput, deps: TaskDeps): Promise<RenderReportOutput> {
  const reports: RenderedRegion[] = [];
  const gaps: Gap[] = [];
  for (const region of caseRegions(input.case)) {
    if (input.case.mode === 'collect') await indexSnapshots(input.case, region, deps, gaps);
    try {
      reports.push(await renderRegion(input, region, deps, gaps));
    } catch (error) {
      if (TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
      gaps.push({
        target: `case/${region}`,
        step: 'RenderReport',
        reason: `the report could not be written in ${region}: ${errorMessage(error)}`,
        error: errorName(error),
      });
    }
  }
  return { caseId: input.case.caseId, reports, gaps };
}

/** The case-root snapshots.json, before the report; a failure is a gap, the per-target records stay where they are. */
async function indexSnapshots(kase: Case, region: string, deps: TaskDeps, gaps: Gap[]): Promise<void> {
  try {
    await writeSnapshotsIndex(kase, region, deps);
  } catch (error) {
    if (TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
    gaps.push({
      target: `case/${region}`,
      step: 'RenderReport',
      reason: `the case's snapshots.json index could not be written in ${region}: ${errorMessage(error)}`,
      error: errorName(error),
    });
  }
}

async function renderRegion(
  input: RenderReportInput,
  region: string,
  deps: TaskDeps,
  gaps: Gap[],
): Promise<RenderedRegion> {
  const custodyCase: Case = input.case;
  const bucket = forensicsFor(deps.config, region).evidenceBucket;
  const url = `s3://${bucket}/${casePrefix(custodyCase.caseId)}`;
  const targets = custodyCase.targets.filter((target) => target.region === region);
  const sizeGaps: Gap[] = [];
  const instances = custodyCase.mode === 'dry-run' ? await describeSizes(targets, deps, sizeGaps) : [];
  const regional = new Set(targets.map((target) => target.instanceId));
  const phaseGaps = [
    ...(input.examine?.gaps ?? []),
    ...(input.analysis?.gaps ?? []),
    ...(input.workstations ?? []).flatMap((workstation) => workstation.gaps),
  ];
  const modelInput = await loadModelInput(s3Source(deps.clients.forensics(region).s3(), url), {
    region,
    generatedAt: deps.now().toISOString(),
    case: custodyCase,
    summaries: input.targets.filter((summary) => regional.has(summary.target.instanceId)),
    extraGaps: [...phaseGaps, ...sizeGaps],
    instances,
  });
  const model = buildReportModel(modelInput);
  const rendered = renderReport(model);
  const keys = reportKeys(model.case.resumed?.length ?? 0);
  const store = deps.store(custodyCase.caseId, region);
  const sha256: Record<string, string> = {};
  for (const kind of ['json', 'md', 'html'] as const) {
    try {
      const record = await store.putArtifact({
        key: keys[kind],
        body: rendered[kind],
        onExisting: 'fail',
        contentType: CONTENT_TYPES[kind],
        source: 'custody:render-report',
        target: 'case',
      });
      sha256[kind] = record.sha256;
    } catch (error) {
      // Evidence is write-once: a retried RenderReport finds its earlier report in place and leaves it, as recorded.
      if (!alreadyWritten(error)) throw error;
      gaps.push({
        target: `case/${region}`,
        step: 'RenderReport',
        reason: `${keys[kind]} was already written by an earlier attempt and was kept`,
        error: 'ObjectExistsError',
      });
    }
  }
  gaps.push(...sizeGaps);
  return {
    region,
    location: `${url}${keys.html}`,
    status: model.status,
    evidence: model.evidence.length,
    gaps: model.gaps.length,
    sha256: sha256 as RenderedRegion['sha256'],
  };
}

/** The evidence writer refuses an existing key with ObjectExistsError. */
function alreadyWritten(error: unknown): boolean {
  return errorName(error) === 'ObjectExistsError';
}

export const renderReportTask = defineTask('RenderReport', RenderReportInputSchema, renderCaseReport);
export const handler = lambdaHandler(renderReportTask);
