// Triage, the first state: turns any trigger (GuardDuty, Security Hub, a request) into one Case, or refuses it touching nothing.
import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { CaseOptionsSchema, CaseSchema, ResumeSchema } from './lib/case';
import type { Case, CaseOptions, Resume } from './lib/case';
import { forensicsFor } from './lib/config';
import { InvalidInputError, UnsupportedEventError } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import { describeIssue, quote } from './lib/triggers/common';
import type { CaseDraft } from './lib/triggers/common';
import { fromGuardDuty, isRecord } from './lib/triggers/guardduty';
import { fromRequest } from './lib/triggers/request';
import { fromSecurityHub } from './lib/triggers/securityhub';

/**
 * Namespace of finding-derived case ids: caseId = UUIDv5(finding ARN, this namespace) (RFC 9562 §5.5), so a finding that is
 * delivered again (a later updatedAt, a higher count) opens the same case. Fixed forever: changing it splits cases.
 */
export const CUSTODY_CASE_NAMESPACE = '35eb75b9-6410-4b9f-96b6-bf65eed6a8a6';

/** What triage needs: the clock, and the configuration when the region routing is to be checked too. */
export interface TriageDeps {
  readonly config?: TaskDeps['config'];
  now(): Date;
}

/** The case id a finding maps to, whatever delivered it. */
export function caseIdForFinding(findingKey: string): string {
  return uuidv5(findingKey, CUSTODY_CASE_NAMESPACE);
}

/** Normalises a trigger into a Case; every refusal is a CustodyError with a one-line reason. */
export function triage(event: unknown, deps: TriageDeps): Case {
  if (!isRecord(event)) throw new InvalidInputError(`trigger must be a JSON object, got ${kindOf(event)}`);
  const draft = draftFrom(event);
  // Evidence never leaves its region: refuse before anything is touched if any target's region has no forensics account.
  // Without a configuration (`custody triage` with no --config) only the event itself is checked.
  const config = deps.config;
  if (config) for (const target of draft.targets) forensicsFor(config, target.region);
  const options: CaseOptions = CaseOptionsSchema.parse({
    isolationPolicy: config?.isolationPolicy,
    // A region whose workstation is enabled by default examines its targets there unless the request says otherwise.
    ...(draft.targets.some((target) => config?.regions[target.region]?.workstation?.enabledByDefault)
      ? { examine: { workstation: true } }
      : {}),
    ...definedOnly(draft.options),
  });
  const candidate = {
    caseId: draft.caseId ?? (draft.findingKey ? caseIdForFinding(draft.findingKey) : uuidv4()),
    mode: draft.mode,
    trigger: draft.trigger,
    targets: [...draft.targets],
    finding: draft.finding,
    requestedBy: draft.requestedBy,
    reason: draft.reason,
    options,
    openedAt: deps.now().toISOString(),
  };
  const parsed = CaseSchema.safeParse(candidate);
  if (!parsed.success)
    throw new InvalidInputError(
      `trigger does not make a valid case: ${describeIssue(parsed.error.issues, '', candidate)}`,
    );
  return parsed.data;
}

/** EventBridge events are told apart by source and detail-type ("Amazon GuardDuty events", "EventBridge event formats"). */
function draftFrom(event: Record<string, unknown>): CaseDraft {
  if (!('detail-type' in event) && !('source' in event) && !('detail' in event)) return fromRequest(event);
  const source = event.source;
  const detailType = event['detail-type'];
  if (source === 'aws.guardduty' && detailType === 'GuardDuty Finding') return fromGuardDuty(event);
  if (source === 'aws.securityhub' && detailType === 'Security Hub Findings - Imported')
    return fromSecurityHub(event, false);
  if (source === 'aws.securityhub' && detailType === 'Security Hub Findings - Custom Action')
    return fromSecurityHub(event, true);
  if (typeof source !== 'string' || typeof detailType !== 'string') {
    throw new InvalidInputError('EventBridge event needs string source and detail-type fields');
  }
  throw new UnsupportedEventError(
    `event ${quote(source)} / ${quote(detailType)} is not a trigger Custody acts on (GuardDuty Finding, Security Hub Findings - Imported or - Custom Action)`,
  );
}

/** Parses the text of an event file (`custody triage --event FILE`); empty, malformed and non-object input is refused. */
export function parseEventText(text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new InvalidInputError('event is empty: expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError(`event is not valid JSON: ${quote(why)}`, {}, { cause: error });
  }
  if (!isRecord(value)) throw new InvalidInputError(`event must be a JSON object, got ${kindOf(value)}`);
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface TriageOutput {
  readonly case: Case;
  /** Only on a resume: the marker OpenCase checks the recorded case against. */
  readonly resume?: Resume;
}

/** The execution input of a resume: the original execution's input, unchanged, beside the marker (docs/architecture.md). */
export const ResumeInputSchema = z.object({ resume: ResumeSchema, input: z.record(z.string(), z.unknown()) }).strict();

/** An execution input in the resume form (a trigger or request never has a top-level `resume`). */
export function isResumeInput(event: unknown): boolean {
  return isRecord(event) && 'resume' in event;
}

/**
 * Triage of any execution input: a trigger or request opens its case; the resume form triages the original input the same
 * way and must arrive at the case it names, so a resume can only continue the case it was asked for.
 */
export function triageExecution(event: unknown, deps: TriageDeps): TriageOutput {
  if (!isResumeInput(event)) return { case: triage(event, deps) };
  const parsed = ResumeInputSchema.safeParse(event);
  if (!parsed.success)
    throw new InvalidInputError(`resume input is not valid: ${describeIssue(parsed.error.issues, '', event)}`);
  const { resume, input } = parsed.data;
  if (isResumeInput(input)) throw new InvalidInputError('a resume carries the original input, not another resume');
  const custodyCase = triage(input, deps);
  if (custodyCase.caseId !== resume.caseId)
    throw new InvalidInputError(
      `the resume names case ${resume.caseId} but its original input opens case ${custodyCase.caseId}`,
    );
  return { case: custodyCase, resume };
}

/** The Triage state: its input is the raw execution input (an event, a request or a resume), its output `{ case }`. */
export const triageTask = defineTask(
  'Triage',
  z.unknown(),
  async (event: unknown, deps: TaskDeps): Promise<TriageOutput> => triageExecution(event, deps),
);

export const handler = lambdaHandler(triageTask);
