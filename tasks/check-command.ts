// CheckCommand: the describe half of the SSM Wait loop; on completion it verifies each upload against the bucket and records it.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { CancelCommandCommand, GetCommandInvocationCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import type { Gap, Target } from './lib/case';
import { forensicsFor } from './lib/config';
import { errorMessage, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { ArtifactRecord, TaskDeps } from './lib/task';
import type { CommandRef, PlannedUpload, UploadReport } from './ssm-command';
import { CommandRefSchema, completeReportedUpload, objectKey, parseReports } from './ssm-command';
import { isTransient } from './snapshot-volumes';

export const CheckCommandInputSchema = z.object({ case: CaseSchema, target: TargetSchema, command: CommandRefSchema });
export type CheckCommandInput = z.infer<typeof CheckCommandInputSchema>;

export interface CheckCommandOutput {
  /** True once the command has finished (or was given up on): the ASL leaves the Wait loop. */
  readonly done: boolean;
  readonly command: CommandRef;
  readonly status: string;
  readonly artifacts: ArtifactRecord[];
  readonly gaps: Gap[];
}

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

interface Context {
  readonly input: CheckCommandInput;
  readonly deps: TaskDeps;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly gaps: Gap[];
}

export async function checkCommand(input: CheckCommandInput, deps: TaskDeps): Promise<CheckCommandOutput> {
  const { target, command } = input;
  const ssm = deps.clients.member(target.accountId, target.region).ssm();
  let invocation: GetCommandInvocationCommandOutput | undefined;
  try {
    invocation = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: command.commandId, InstanceId: target.instanceId }),
    );
  } catch (error) {
    // Right after SendCommand the invocation may not exist yet (GetCommandInvocation API reference): keep waiting.
    if (errorName(error) !== 'InvocationDoesNotExist') throw error;
  }
  const status = invocation?.Status ?? 'Pending';
  const expired = deps.now().getTime() > Date.parse(command.deadline);
  if (RUNNING.has(status) && !expired) return { done: false, command, status, artifacts: [], gaps: [] };
  const ctx: Context = {
    input,
    deps,
    s3: deps.clients.forensics(target.region).s3(),
    bucket: forensicsFor(deps.config, target.region).evidenceBucket,
    gaps: [],
  };
  if (RUNNING.has(status)) {
    await ssm
      .send(new CancelCommandCommand({ CommandId: command.commandId, InstanceIds: [target.instanceId] }))
      .catch(() => undefined);
    ctx.gaps.push(
      gap(target, command, `the command did not finish before ${command.deadline} (still ${status}); it was cancelled`),
    );
  } else if (status !== 'Success') {
    const detail =
      invocation?.StatusDetails && invocation.StatusDetails !== status ? ` (${invocation.StatusDetails})` : '';
    const output = `${invocation?.StandardOutputContent ?? ''}\n${invocation?.StandardErrorContent ?? ''}`
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    ctx.gaps.push(
      gap(
        target,
        command,
        `the command ended ${status}${detail} with exit code ${invocation?.ResponseCode ?? '?'}`,
        output.slice(0, 500),
      ),
    );
  }
  await keepOutput(ctx, invocation, status);
  const reports = parseReports(invocation?.StandardOutputContent ?? '');
  const artifacts: ArtifactRecord[] = [];
  for (const upload of command.uploads) {
    const artifact = await settleUpload(ctx, upload, reports.get(upload.name));
    if (artifact) artifacts.push(artifact);
  }
  return { done: true, command, status: RUNNING.has(status) ? 'TimedOut' : status, artifacts, gaps: ctx.gaps };
}

function gap(target: Target, command: CommandRef, reason: string, error?: string): Gap {
  return {
    target: targetLabel(target),
    step: command.step,
    reason: `${command.documentName}: ${reason}`,
    ...(error ? { error } : {}),
  };
}

/** The command's own output is evidence too: what ran, what it printed, how it ended. */
async function keepOutput(
  ctx: Context,
  invocation: GetCommandInvocationCommandOutput | undefined,
  status: string,
): Promise<void> {
  const { target, command } = ctx.input;
  const header = [
    `command ${command.commandId}`,
    `document ${command.documentName}`,
    `status ${status} ${invocation?.StatusDetails ?? ''}`,
    `exit ${invocation?.ResponseCode ?? ''}`,
  ];
  const body = `${header.join('\n')}\n--- stdout ---\n${invocation?.StandardOutputContent ?? ''}\n--- stderr ---\n${invocation?.StandardErrorContent ?? ''}\n`;
  await ctx.deps.store(ctx.input.case.caseId, target.region).putArtifact({
    key: `${target.accountId}/${target.instanceId}/${command.kind}/command-output.txt`,
    body,
    contentType: 'text/plain; charset=utf-8',
    source: `ssm:GetCommandInvocation ${command.documentName}`,
    target: target.instanceId,
  });
}

/** S3's composite checksum: SHA-256 over the parts' raw SHA-256 digests, then `-<parts>` (Checking object integrity in Amazon S3). */
export function compositeSha256(partSha256Base64: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of partSha256Base64) hash.update(Buffer.from(part, 'base64'));
  return `${hash.digest('base64')}-${partSha256Base64.length}`;
}

/** Completes an upload the instance fully reported and checks the bucket's checksum; anything else is aborted and accounted for. */
async function settleUpload(
  ctx: Context,
  upload: PlannedUpload,
  report: UploadReport | undefined,
): Promise<ArtifactRecord | undefined> {
  const { input, deps } = ctx;
  const key = objectKey(input.case, upload.key);
  const parts = [...(report?.parts ?? [])].sort((a, b) => a.n - b.n);
  const complete =
    report?.object !== undefined && parts.length === report.object.parts && parts.every((part, i) => part.n === i + 1);
  if (!report?.object || !complete)
    return abandon(
      ctx,
      upload,
      `the instance did not report a complete upload of ${upload.name} (${parts.length} part(s) reported)`,
    );
  try {
    const completed = await completeReportedUpload(ctx.s3, ctx.bucket, key, upload.uploadId, parts);
    const head = { ChecksumSHA256: completed.checksumSHA256, ContentLength: completed.contentLength };
    const expected = compositeSha256(parts.map((part) => part.sha256));
    const store = deps.store(input.case.caseId, input.target.region);
    if (head.ChecksumSHA256 !== expected || head.ContentLength !== report.object.bytes) {
      await store.record({
        action: 'artifact.checksum-mismatch',
        target: input.target.instanceId,
        details: {
          key: upload.key,
          bucketChecksumSHA256: head.ChecksumSHA256,
          expected,
          bucketBytes: head.ContentLength,
          reportedBytes: report.object.bytes,
        },
      });
      ctx.gaps.push(
        gap(
          input.target,
          input.command,
          `${upload.name} in the bucket does not match what the instance hashed; it is kept but not recorded as verified`,
        ),
      );
      return undefined;
    }
    const artifact: ArtifactRecord = {
      key: upload.key,
      bytes: report.object.bytes,
      sha256: report.object.sha256,
      source: `ssm:${input.command.documentName}`,
      tool: input.command.tool?.name ?? input.command.documentName,
      toolVersion: input.command.tool?.version ?? '1',
    };
    await store.record({
      action: 'artifact.acquired',
      target: input.target.instanceId,
      artifact,
      details: {
        commandId: input.command.commandId,
        versionId: completed.versionId,
        bucketChecksumSHA256: head.ChecksumSHA256,
        instanceSha256: report.object.sha256,
        toolSha256: input.command.tool?.sha256,
      },
    });
    return artifact;
  } catch (error) {
    if (isTransient(error)) throw error;
    return abandon(ctx, upload, `the bucket refused to complete ${upload.name}`, errorMessage(error));
  }
}

async function abandon(ctx: Context, upload: PlannedUpload, reason: string, error?: string): Promise<undefined> {
  const { input } = ctx;
  await ctx.s3
    .send(
      new AbortMultipartUploadCommand({
        Bucket: ctx.bucket,
        Key: objectKey(input.case, upload.key),
        UploadId: upload.uploadId,
      }),
    )
    .catch(() => undefined);
  await ctx.deps.store(input.case.caseId, input.target.region).record({
    action: 'artifact.abandoned',
    target: input.target.instanceId,
    details: { key: upload.key, reason, ...(error ? { error } : {}) },
  });
  ctx.gaps.push(gap(input.target, input.command, reason, error));
  return undefined;
}

export const checkCommandTask = defineTask('CheckCommand', CheckCommandInputSchema, checkCommand);
export const handler = lambdaHandler(checkCommandTask);
