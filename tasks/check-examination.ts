// CheckExamination: the describe half of the examination Wait loop; records each volume's acquisition hash and each output with its tool.
import type { S3Client } from '@aws-sdk/client-s3';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { CancelCommandCommand, GetCommandInvocationCommand } from '@aws-sdk/client-ssm';
import { forensicsFor } from './lib/config';
import { errorMessage, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { ArtifactRecord, TaskDeps } from './lib/task';
import type { ExaminationCommand, WorkstationInput, WorkstationState } from './lib/workstation';
import { recordWorkstation, workstationGap, WorkstationInputSchema } from './lib/workstation';
import { compositeSha256 } from './check-command';
import type { PlannedUpload, UploadReport } from './ssm-command';
import { completeReportedUpload, objectKey, parseReports } from './ssm-command';
import { isTransient } from './snapshot-volumes';

const STEP = 'CheckExamination';
const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);
const VOLUME_LINE = /^custody: volume id=(vol-[0-9a-f]+) device=(\S+) bytes=(\d+) sha256=([0-9a-f]{64})$/;
const TOOL_LINE = /^custody: tool name=(\S+) version=(\S+) object=(\S+)$/;

interface Context {
  readonly input: WorkstationInput;
  readonly deps: TaskDeps;
  readonly command: ExaminationCommand;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly gaps: WorkstationState['gaps'];
}

export async function checkExamination(input: WorkstationInput, deps: TaskDeps): Promise<WorkstationState> {
  const state = input.workstation;
  const command = state.command;
  if (state.skipped || !command || !state.instanceId || command.status) return { ...state, done: true };
  const ssm = deps.clients.forensics(input.target.region).ssm();
  let invocation: GetCommandInvocationCommandOutput | undefined;
  try {
    invocation = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: command.commandId, InstanceId: state.instanceId }),
    );
  } catch (error) {
    // Right after SendCommand the invocation may not exist yet (GetCommandInvocation API reference): keep waiting.
    if (errorName(error) !== 'InvocationDoesNotExist') throw error;
  }
  const status = invocation?.Status ?? 'Pending';
  const expired = deps.now().getTime() > Date.parse(command.deadline);
  if (RUNNING.has(status) && !expired) return { ...state, done: false };
  const destination = forensicsFor(deps.config, input.target.region);
  const ctx: Context = {
    input,
    deps,
    command,
    s3: deps.clients.forensics(input.target.region).s3(),
    bucket: destination.evidenceBucket,
    gaps: [],
  };
  if (RUNNING.has(status)) {
    await ssm
      .send(new CancelCommandCommand({ CommandId: command.commandId, InstanceIds: [state.instanceId] }))
      .catch(() => undefined);
    ctx.gaps.push(
      workstationGap(input.target, STEP, `the examination did not finish before ${command.deadline}; it was cancelled`),
    );
  } else if (status !== 'Success') {
    const stderr = (invocation?.StandardErrorContent ?? '').trim().split('\n').slice(-3).join(' | ');
    ctx.gaps.push(
      workstationGap(
        input.target,
        STEP,
        `${command.documentName} ended ${status} with exit code ${invocation?.ResponseCode ?? '?'}`,
        stderr.slice(0, 500),
      ),
    );
  }
  const stdout = invocation?.StandardOutputContent ?? '';
  await recordVolumeHashes(ctx, stdout);
  const tools = toolsOf(stdout);
  const reports = parseReports(stdout);
  for (const upload of command.uploads) await settle(ctx, upload, reports.get(upload.name), tools.get(upload.name));
  const finalStatus = RUNNING.has(status) ? 'TimedOut' : status;
  return { ...state, done: true, command: { ...command, status: finalStatus }, gaps: [...state.gaps, ...ctx.gaps] };
}

/** The SHA-256 of each whole block device, as the workstation streamed it: the volume's acquisition hash. */
async function recordVolumeHashes(ctx: Context, stdout: string): Promise<void> {
  const { workstation } = ctx.input;
  const hashed = new Set<string>();
  for (const line of stdout.split(/\r?\n/)) {
    const match = VOLUME_LINE.exec(line.trim());
    if (!match) continue;
    const volume = workstation.volumes.find((candidate) => candidate.volumeId === match[1]);
    if (!volume) continue;
    hashed.add(volume.volumeId ?? '');
    await recordWorkstation(ctx.deps, ctx.input, 'volume.acquired', {
      volumeId: volume.volumeId,
      device: match[2],
      bytes: Number(match[3]),
      sha256: match[4],
      fromSnapshotId: volume.copySnapshotId,
      sourceVolumeId: volume.sourceVolumeId,
      sourceDeviceName: volume.sourceDeviceName,
      workstation: workstation.instanceId,
      commandId: ctx.command.commandId,
    });
  }
  for (const volume of workstation.volumes)
    if (volume.stage === 'attached' && !hashed.has(volume.volumeId ?? ''))
      ctx.gaps.push(
        workstationGap(
          ctx.input.target,
          STEP,
          `no acquisition hash for ${volume.volumeId} (source ${volume.sourceVolumeId})`,
        ),
      );
}

function toolsOf(stdout: string): Map<string, { tool: string; version: string }> {
  const tools = new Map<string, { tool: string; version: string }>();
  for (const line of stdout.split(/\r?\n/)) {
    const match = TOOL_LINE.exec(line.trim());
    if (match) tools.set(match[3], { tool: match[1], version: match[2] });
  }
  return tools;
}

/** Completes an output the workstation fully reported and checks the bucket's checksum; anything else is aborted and accounted for. */
async function settle(
  ctx: Context,
  upload: PlannedUpload,
  report: UploadReport | undefined,
  tool: { tool: string; version: string } | undefined,
): Promise<void> {
  const key = objectKey(ctx.input.case, upload.key);
  const parts = [...(report?.parts ?? [])].sort((a, b) => a.n - b.n);
  if (!report?.object || parts.length !== report.object.parts || !parts.every((part, i) => part.n === i + 1))
    return abandon(ctx, upload, `the workstation did not report a complete upload of ${upload.name}`);
  try {
    const completed = await completeReportedUpload(ctx.s3, ctx.bucket, key, upload.uploadId, parts);
    const head = { ChecksumSHA256: completed.checksumSHA256, ContentLength: completed.contentLength };
    const store = ctx.deps.store(ctx.input.case.caseId, ctx.input.target.region);
    if (
      head.ChecksumSHA256 !== compositeSha256(parts.map((part) => part.sha256)) ||
      head.ContentLength !== report.object.bytes
    ) {
      await store.record({
        action: 'artifact.checksum-mismatch',
        target: ctx.input.target.instanceId,
        details: { key: upload.key, bucketChecksumSHA256: head.ChecksumSHA256 },
      });
      ctx.gaps.push(
        workstationGap(
          ctx.input.target,
          STEP,
          `${upload.name} in the bucket does not match what the workstation hashed; it is kept but not recorded as verified`,
        ),
      );
      return;
    }
    const artifact: ArtifactRecord = {
      key: upload.key,
      bytes: report.object.bytes,
      sha256: report.object.sha256,
      source: `ssm:${ctx.command.documentName}`,
      tool: tool?.tool ?? ctx.command.documentName,
      toolVersion: tool?.version ?? 'unknown',
    };
    await store.record({
      action: 'artifact.acquired',
      target: ctx.input.target.instanceId,
      artifact,
      details: {
        commandId: ctx.command.commandId,
        workstation: ctx.input.workstation.instanceId,
        versionId: completed.versionId,
        bucketChecksumSHA256: head.ChecksumSHA256,
      },
    });
  } catch (error) {
    if (isTransient(error)) throw error;
    return abandon(ctx, upload, `the bucket refused to complete ${upload.name}`, errorMessage(error));
  }
}

async function abandon(ctx: Context, upload: PlannedUpload, reason: string, error?: string): Promise<void> {
  await ctx.s3
    .send(
      new AbortMultipartUploadCommand({
        Bucket: ctx.bucket,
        Key: objectKey(ctx.input.case, upload.key),
        UploadId: upload.uploadId,
      }),
    )
    .catch(() => undefined);
  await recordWorkstation(ctx.deps, ctx.input, 'artifact.abandoned', {
    key: upload.key,
    reason,
    ...(error ? { error } : {}),
  });
  ctx.gaps.push(workstationGap(ctx.input.target, STEP, reason, error));
}

export const checkExaminationTask = defineTask(STEP, WorkstationInputSchema, checkExamination);
export const handler = lambdaHandler(checkExaminationTask);
