// RunExamination: sends the read-only examination document to the workstation, with presigned URLs for its outputs.
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { forensicsFor } from './lib/config';
import { errorMessage } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import type { WorkstationInput, WorkstationState } from './lib/workstation';
import { EXAMINE_DOCUMENT, recordWorkstation, workstationGap, WorkstationInputSchema } from './lib/workstation';
import type { PlannedUpload } from './ssm-command';
import { objectKey, partUrls, presignUrl, startUpload } from './ssm-command';
import { isTransient } from './snapshot-volumes';

const STEP = 'RunExamination';
/** Hours of analysis the command may take; the URLs outlive it by the signing session at most (presigned URL validity). */
const EXECUTION_SECONDS = 4 * 3600;
const URL_SECONDS = 4 * 3600;

/** Document parameter → the output it uploads; the Volatility outputs only when there is a memory image. */
const DISK_OUTPUTS: Readonly<Record<string, string>> = { timelineUrl: 'timeline.jsonl', listingUrl: 'listing.jsonl' };
const MEMORY_OUTPUTS: Readonly<Record<string, string>> = {
  pslistUrl: 'pslist.txt',
  netscanUrl: 'netscan.txt',
  cmdlineUrl: 'cmdline.txt',
};

/** Case-relative key of a workstation output (docs/workstation.md). */
export function examinationKey(input: Pick<WorkstationInput, 'target'>, name: string): string {
  return `${input.target.accountId}/${input.target.instanceId}/examination/${name}`;
}

export async function runExamination(input: WorkstationInput, deps: TaskDeps): Promise<WorkstationState> {
  const state = input.workstation;
  if (state.skipped || !state.ready || state.command || !state.instanceId) return { ...state, done: true };
  const destination = forensicsFor(deps.config, input.target.region);
  const s3 = deps.clients.forensics(input.target.region).s3();
  const bucket = destination.evidenceBucket;
  const attached = state.volumes.filter((volume) => volume.stage === 'attached');
  const outputs = { ...DISK_OUTPUTS, ...(state.memoryKey ? MEMORY_OUTPUTS : {}) };
  const parameters: Record<string, string[]> = {
    volumes: [attached.map((volume) => `${volume.volumeId}:${volume.device}`).join(' ') || 'none'],
    executionTimeout: [String(EXECUTION_SECONDS)],
  };
  const uploads: PlannedUpload[] = [];
  try {
    for (const [parameter, name] of Object.entries(outputs)) {
      const key = examinationKey(input, name);
      const uploadId = await startUpload(
        s3,
        bucket,
        objectKey(input.case, key),
        destination.evidenceKeyArn,
        name.endsWith('.jsonl') ? 'application/x-ndjson' : 'text/plain; charset=utf-8',
      );
      uploads.push({ name, key, uploadId });
      parameters[parameter] = await partUrls(s3, bucket, objectKey(input.case, key), uploadId, 1, URL_SECONDS);
    }
    if (state.memoryKey) {
      parameters.memoryUrl = [
        await presignUrl(s3, { method: 'GET', bucket, key: objectKey(input.case, state.memoryKey) }, URL_SECONDS),
      ];
    }
    const response = await deps.clients
      .forensics(input.target.region)
      .ssm()
      .send(
        new SendCommandCommand({
          DocumentName: EXAMINE_DOCUMENT,
          InstanceIds: [state.instanceId],
          Parameters: parameters,
          TimeoutSeconds: 600,
          Comment: `Custody case ${input.case.caseId}: examine ${input.target.instanceId}`.slice(0, 100),
        }),
      );
    const commandId = response.Command?.CommandId ?? '';
    const sentAt = deps.now();
    await recordWorkstation(deps, input, 'examination.started', {
      commandId,
      documentName: EXAMINE_DOCUMENT,
      workstation: state.instanceId,
      volumes: attached.map((volume) => ({
        volumeId: volume.volumeId,
        device: volume.device,
        fromSnapshotId: volume.copySnapshotId,
      })),
      memoryKey: state.memoryKey,
      outputs: uploads.map((upload) => upload.key),
    });
    return {
      ...state,
      command: {
        commandId,
        documentName: EXAMINE_DOCUMENT,
        sentAt: sentAt.toISOString(),
        deadline: new Date(sentAt.getTime() + (EXECUTION_SECONDS + 600) * 1000).toISOString(),
        uploads,
      },
    };
  } catch (error) {
    if (isTransient(error)) throw error;
    // Nothing was sent: the uploads started for it hold no bytes and are aborted, so no open upload is left behind.
    for (const upload of uploads)
      await s3
        .send(
          new AbortMultipartUploadCommand({
            Bucket: bucket,
            Key: objectKey(input.case, upload.key),
            UploadId: upload.uploadId,
          }),
        )
        .catch(() => undefined);
    return {
      ...state,
      done: true,
      gaps: [
        ...state.gaps,
        workstationGap(input.target, STEP, 'the examination command was not sent', errorMessage(error)),
      ],
    };
  }
}

export const runExaminationTask = defineTask(STEP, WorkstationInputSchema, runExamination);
export const handler = lambdaHandler(runExaminationTask);
