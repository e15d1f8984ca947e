// `custody start --resume CASE`: starts a case's stopped execution again on purpose, under a new name, with a resume marker.
import { userInfo } from 'node:os';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { Resume } from '../../tasks/lib/case';
import { casePrefix } from '../../tasks/lib/case-store';
import type { CustodyConfig } from '../../tasks/lib/config';
import { forensicsFor } from '../../tasks/lib/config';
import { InvalidInputError, ResumeRefusedError, errorName } from '../../tasks/lib/errors';
import { objectExists } from '../../tasks/lib/existing-artifact';
import { caseRegions } from '../../tasks/open-case';
import { isResumeInput, triageExecution } from '../../tasks/triage';
import type { AwsContext } from '../aws-context';
import { executionArnFor } from '../aws-context';
import type { CliIo } from '../io';

export interface ResumeOptions {
  readonly resume: string;
  readonly reason?: string;
  readonly requestedBy?: string;
}

export interface ResumeStart {
  readonly caseId: string;
  readonly executionArn: string;
}

const RESUMABLE = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

/** The n-th resume of a case runs as `<caseId>-resume-<n>`: Step Functions never reuses a closed execution's name. */
export function resumeExecutionName(caseId: string, n: number): string {
  return n === 0 ? caseId : `${caseId}-resume-${n}`;
}

/** The case id is checked before any AWS call, like every other input of `custody start`. */
export function assertCaseId(caseId: string): void {
  if (!z.string().uuid().safeParse(caseId).success)
    throw new InvalidInputError(`--resume takes a case id (a UUID), got ${JSON.stringify(caseId)}`);
}

/** Refuses what must not be resumed (still running, succeeded, sealed), then starts the resume and returns its ARN. */
export async function startResume(
  options: ResumeOptions,
  context: AwsContext,
  config: CustodyConfig,
  principal: string,
  io: CliIo,
): Promise<ResumeStart> {
  const caseId = options.resume;
  const sfn = context.clients.orchestrator(context.region).sfn();
  const executions = await executionsOf(sfn, context.stateMachineArn, caseId);
  const last = executions[executions.length - 1];
  if (!last)
    throw new ResumeRefusedError(`case ${caseId} has no execution on ${context.stateMachineArn}: nothing to resume`);
  const status = last.status ?? 'UNKNOWN';
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE')
    throw new ResumeRefusedError(
      `case ${caseId} is still ${status} in ${last.executionArn}: follow it with custody status, or stop it first`,
    );
  const original = originalInput(last.input);
  const custodyCase = triageExecution(original, { config, now: () => new Date() }).case;
  await refuseSealed(context, config, caseId, caseRegions(custodyCase));
  if (!RESUMABLE.has(status))
    throw new ResumeRefusedError(`case ${caseId} ended ${status} in ${last.executionArn}: there is nothing to resume`);
  const resume: Resume = {
    caseId,
    resumes: last.executionArn ?? executionArnFor(context.stateMachineArn, caseId),
    status: status as Resume['status'],
    ...(last.error ? { error: last.error.slice(0, 256) } : {}),
    requestedBy: options.requestedBy ?? userInfo().username,
    principal,
    reason: options.reason || `resume after ${status}${last.error ? ` (${last.error})` : ''}`,
  };
  const name = resumeExecutionName(caseId, executions.length);
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: context.stateMachineArn,
      name,
      input: JSON.stringify({ resume, input: original }),
    }),
  );
  const executionArn = started.executionArn ?? executionArnFor(context.stateMachineArn, name);
  io.out(`Resuming case ${caseId} from ${resume.resumes} (${status})`);
  io.out(`Started execution ${executionArn}`);
  return { caseId, executionArn };
}

/** The case's executions in order: the original (named by the case id), then each resume, until a name is unused. */
/** A case's executions in order: `<caseId>`, then each `<caseId>-resume-<n>` that exists. */
export async function executionsOf(
  sfn: SFNClient,
  stateMachineArn: string,
  caseId: string,
): Promise<DescribeExecutionCommandOutput[]> {
  const executions: DescribeExecutionCommandOutput[] = [];
  for (let n = 0; ; n += 1) {
    const executionArn = executionArnFor(stateMachineArn, resumeExecutionName(caseId, n));
    try {
      executions.push(await sfn.send(new DescribeExecutionCommand({ executionArn })));
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return executions;
      throw error;
    }
  }
}

/** The input the case was first started with: a resume's input carries it unchanged. */
function originalInput(text: string | undefined): Record<string, unknown> {
  const input = JSON.parse(text ?? '{}') as Record<string, unknown>;
  return isResumeInput(input) ? (input.input as Record<string, unknown>) : input;
}

/** A sealed case (manifest.json in any of its regions) is closed for good: its log is never extended. */
async function refuseSealed(
  context: AwsContext,
  config: CustodyConfig,
  caseId: string,
  regions: readonly string[],
): Promise<void> {
  for (const region of regions) {
    const bucket = forensicsFor(config, region).evidenceBucket;
    const key = `${casePrefix(caseId)}manifest.json`;
    if (await objectExists(context.clients.forensics(region).s3(), bucket, key))
      throw new ResumeRefusedError(`case ${caseId} is already sealed (s3://${bucket}/${key}): it cannot be resumed`);
  }
}
