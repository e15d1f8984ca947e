// OpenCase: writes case.json and the first custody entry in every region the case touches; a second delivery stops here, and a
// resume (`custody start --resume`) is let through only onto its own unsealed case, with a `case.resumed` entry.
import { z } from 'zod';
import { CaseSchema, ResumeSchema } from './lib/case';
import type { Case, Resume, Target } from './lib/case';
import { casePrefix, readObject } from './lib/case-store';
import { forensicsFor } from './lib/config';
import { CaseAlreadyOpenError, CaseMismatchError, CaseNotFoundError, CaseSealedError, errorName } from './lib/errors';
import { objectExists } from './lib/existing-artifact';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';

export const OpenCaseInputSchema = z.object({ case: CaseSchema, resume: ResumeSchema.optional() });
export type OpenCaseInput = z.infer<typeof OpenCaseInputSchema>;

export interface OpenCaseOutput {
  readonly caseId: string;
  readonly regions: readonly string[];
  readonly openedAt: string;
  /** The case the flow goes on with: the input's, or on a resume the one recorded in case.json (its openedAt, options). */
  readonly case: Case;
  /** On a resume: the execution it takes over from. */
  readonly resumed?: string;
}

/** The regions a case writes evidence in: each target's own region, never another. */
export function caseRegions(custodyCase: Case): string[] {
  return [...new Set(custodyCase.targets.map((target) => target.region))].sort();
}

function regional(custodyCase: Case, region: string): Case {
  return { ...custodyCase, targets: custodyCase.targets.filter((target) => target.region === region) };
}

export async function openCase(input: OpenCaseInput, deps: TaskDeps): Promise<OpenCaseOutput> {
  if (input.resume) return resumeCase(input.case, input.resume, deps);
  const custodyCase = input.case;
  const regions = caseRegions(custodyCase);
  for (const region of regions) {
    const store = deps.store(custodyCase.caseId, region);
    const regionalCase = regional(custodyCase, region);
    try {
      // case.json is written once (onExisting 'fail': the writer refuses an existing key), so it is the case's idempotency lock.
      await store.putArtifact({
        key: 'case.json',
        body: `${JSON.stringify(regionalCase, null, 2)}\n`,
        contentType: 'application/json',
        source: 'custody:triage',
        target: 'case',
        onExisting: 'fail',
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'ObjectExistsError') {
        throw new CaseAlreadyOpenError(`case ${custodyCase.caseId} is already open in ${region}`, {
          caseId: custodyCase.caseId,
          region,
        });
      }
      throw error;
    }
    await store.record({
      action: 'case.opened',
      target: 'case',
      details: {
        mode: custodyCase.mode,
        trigger: custodyCase.trigger,
        requestedBy: custodyCase.requestedBy,
        reason: custodyCase.reason,
        finding: custodyCase.finding?.arn,
        targets: regionalCase.targets.map((target) => target.instanceId),
        options: custodyCase.options,
      },
    });
  }
  return { caseId: custodyCase.caseId, regions, openedAt: deps.now().toISOString(), case: custodyCase };
}

/**
 * Every region is checked before any is written to: the recorded case.json must be this case (id, mode, targets) and no
 * manifest may exist yet. Then each region's log gets a `case.resumed` entry and the flow goes on with the recorded case.
 */
async function resumeCase(custodyCase: Case, resume: Resume, deps: TaskDeps): Promise<OpenCaseOutput> {
  const regions = caseRegions(custodyCase);
  const recorded: Case[] = [];
  for (const region of regions) recorded.push(await recordedCase(regional(custodyCase, region), region, deps));
  for (const region of regions) {
    await deps.store(custodyCase.caseId, region).record({
      action: 'case.resumed',
      target: 'case',
      details: {
        resumes: resume.resumes,
        status: resume.status,
        ...(resume.error ? { error: resume.error } : {}),
        requestedBy: resume.requestedBy,
        ...(resume.principal ? { principal: resume.principal } : {}),
        reason: resume.reason,
      },
    });
  }
  const continued: Case = { ...recorded[0], targets: custodyCase.targets };
  return {
    caseId: custodyCase.caseId,
    regions,
    openedAt: continued.openedAt,
    case: continued,
    resumed: resume.resumes,
  };
}

async function recordedCase(expected: Case, region: string, deps: TaskDeps): Promise<Case> {
  const s3 = deps.clients.forensics(region).s3();
  const bucket = forensicsFor(deps.config, region).evidenceBucket;
  const prefix = casePrefix(expected.caseId);
  const where = { caseId: expected.caseId, region };
  let bytes: Buffer;
  try {
    bytes = await readObject(s3, bucket, `${prefix}case.json`);
  } catch (error) {
    if (!['NoSuchKey', 'NotFound'].includes(errorName(error))) throw error;
    throw new CaseNotFoundError(
      `case ${expected.caseId} was never opened in ${region}: there is nothing to resume`,
      where,
    );
  }
  const parsed = CaseSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success || !sameCase(parsed.data, expected))
    throw new CaseMismatchError(
      `case.json of case ${expected.caseId} in ${region} does not record this case (case id, mode and targets must match)`,
      where,
    );
  // SealCase writes manifest.json before manifest.sig: either one means the log was closed, and a closed log is not reopened.
  if (await objectExists(s3, bucket, `${prefix}manifest.json`))
    throw new CaseSealedError(
      `case ${expected.caseId} is already sealed in ${region}: a sealed case is not resumed`,
      where,
    );
  return parsed.data;
}

function sameCase(recorded: Case, expected: Case): boolean {
  const key = (targets: readonly Target[]): string =>
    targets
      .map((target) => `${target.accountId}/${target.region}/${target.instanceId}`)
      .sort()
      .join(',');
  return (
    recorded.caseId === expected.caseId &&
    recorded.mode === expected.mode &&
    key(recorded.targets) === key(expected.targets)
  );
}

/** The OpenCase state's result replaces the state: `{ case, opened, resume? }`, so a resume goes on with the recorded case. */
export const openCaseTask = defineTask(
  'OpenCase',
  OpenCaseInputSchema,
  async (input: OpenCaseInput, deps: TaskDeps) => {
    const { case: continued, ...opened } = await openCase(input, deps);
    return { case: continued, opened, ...(input.resume ? { resume: input.resume } : {}) };
  },
);
export const handler = lambdaHandler(openCaseTask);
