// CaptureMemory: sends the memory-capture document (AVML on Linux, WinPMEM on Windows) with presigned upload URLs (Collect phase).
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import type { Gap } from './lib/case';
import { forensicsFor } from './lib/config';
import { errorMessage } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import { InstanceFactsSchema } from './lib/instance-facts';
import type { ArtifactRecord, TaskDeps } from './lib/task';
import { custodyStoreFor } from './lib/case-store';
import type { CommandRef } from './ssm-command';
import { agentGap, agentStatus, objectKey, partUrls, presignUrl, startUpload, ToolSpecSchema } from './ssm-command';
import type { DryRunVerdict } from './snapshot-volumes';
import { isTransient } from './snapshot-volumes';

const MIB = 1024 * 1024;
/** Upload URLs per command: each is a long presigned URL and they all travel in one SendCommand request. */
const MAX_URLS = 32;
/** S3's part-size floor (every part but the last) is 5 MiB; S3's ceiling is 5 GiB (Amazon S3 multipart upload limits). */
const MIN_PART = 8 * MIB;
const MAX_PART = 5 * 1024 * MIB;
/** Used when PreserveInstance could not learn the memory size: large enough for most instance types. */
const UNKNOWN_MEMORY_MIB = 256 * 1024;
/** aws:runShellScript and aws:runPowerShellScript accept at most 48 hours (SSM document plugin reference). */
const MAX_EXECUTION_SECONDS = 172_800;

export const STEP = 'CaptureMemory';

export const CaptureMemoryInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  instance: InstanceFactsSchema,
  /** The pinned capture tools staged in the region's evidence bucket; a platform without one is a gap, never an unverified tool. */
  tools: z.object({ linux: ToolSpecSchema.optional(), windows: ToolSpecSchema.optional() }).strict().default({}),
  /** Overrides the URL lifetime (seconds); by default it is the command's execution timeout, at most one hour. */
  urlExpirySeconds: z.number().int().min(1).max(3600).optional(),
});
export type CaptureMemoryInput = z.infer<typeof CaptureMemoryInputSchema>;

export interface MemoryPlan {
  readonly memoryMiB: number;
  readonly partSizeBytes: number;
  readonly urls: number;
  readonly executionTimeoutSeconds: number;
}

export interface CaptureMemoryOutput {
  /** True when nothing was sent (dry-run, disabled, or a gap): the ASL skips the Wait loop. */
  readonly done: boolean;
  readonly command?: CommandRef;
  readonly estimate: MemoryPlan;
  readonly plan: DryRunVerdict[];
  readonly gaps: Gap[];
  /** The memory artifact an earlier run of the case already captured and recorded: nothing was sent again. */
  readonly alreadyCaptured?: ArtifactRecord;
}

/** Part size and timeout scaled to the memory size: about 60 s per GiB on top of ten minutes for the tool and agent. */
export function memoryPlan(memoryMiB: number | undefined): MemoryPlan {
  const mib = memoryMiB ?? UNKNOWN_MEMORY_MIB;
  const estimate = mib * MIB * 1.02 + MIB;
  const partSizeBytes = Math.min(MAX_PART, Math.max(MIN_PART, Math.ceil(estimate / (MAX_URLS - 1) / MIB) * MIB));
  const urls = Math.min(MAX_URLS, Math.ceil(estimate / partSizeBytes) + 1);
  const executionTimeoutSeconds = Math.min(MAX_EXECUTION_SECONDS, 600 + Math.ceil(mib / 1024) * 60);
  return { memoryMiB: mib, partSizeBytes, urls, executionTimeoutSeconds };
}

export async function captureMemory(input: CaptureMemoryInput, deps: TaskDeps): Promise<CaptureMemoryOutput> {
  const { target } = input;
  const estimate = memoryPlan(input.instance.memoryMiB);
  const none = { done: true, estimate, plan: [] as DryRunVerdict[], gaps: [] as Gap[] };
  if (!input.case.options.memory) return none;
  const gap = (reason: string, error?: string): CaptureMemoryOutput => ({
    ...none,
    gaps: [{ target: targetLabel(target), step: STEP, reason, ...(error ? { error } : {}) }],
  });
  const ssm = deps.clients.member(target.accountId, target.region).ssm();
  const agent = await agentStatus(ssm, target.instanceId);
  if (!agent.online) return { ...none, gaps: [agentGap(target, STEP, agent)] };
  const platform = agent.platform ?? input.instance.platform;
  const tool = input.tools[platform] ?? forensicsFor(deps.config, target.region).captureTools?.[platform];
  if (!tool)
    return gap(
      `no capture tool is pinned for ${platform}: stage one in the evidence bucket and pass its SHA-256 (docs/disk-and-memory.md)`,
    );
  const documentName = platform === 'windows' ? 'Custody-WindowsMemoryCapture' : 'Custody-LinuxMemoryCapture';
  if (input.case.mode === 'dry-run') {
    const action = `ssm:SendCommand ${documentName} (${estimate.memoryMiB} MiB in up to ${estimate.urls} parts of ${estimate.partSizeBytes / MIB} MiB)`;
    return { ...none, plan: [{ action, verdict: 'would-do' }] };
  }
  const name = platform === 'windows' ? 'memory.raw' : 'memory.lime';
  const key = `${target.accountId}/${target.instanceId}/memory/${name}`;
  // A resumed case (or a retried task) keeps the memory it captured first: a second capture would be other evidence.
  const captured = await custodyStoreFor(deps, input.case.caseId, target.region).existingArtifact({
    key,
    source: `ssm:${documentName}`,
    tool: tool.name,
    toolVersion: tool.version,
    target: target.instanceId,
  });
  if (captured) return { ...none, alreadyCaptured: captured };
  const destination = forensicsFor(deps.config, target.region);
  const s3 = deps.clients.forensics(target.region).s3();
  const bucket = destination.evidenceBucket;
  const expiresIn = input.urlExpirySeconds ?? Math.min(3600, estimate.executionTimeoutSeconds);
  const uploadId = await startUpload(
    s3,
    bucket,
    objectKey(input.case, key),
    destination.evidenceKeyArn,
    'application/octet-stream',
  );
  const sentAt = deps.now();
  try {
    const toolUrl = await presignUrl(s3, { method: 'GET', bucket, key: tool.key }, Math.min(expiresIn, 900));
    const urls = await partUrls(s3, bucket, objectKey(input.case, key), uploadId, estimate.urls, expiresIn);
    const response = await ssm.send(
      new SendCommandCommand({
        DocumentName: documentName,
        InstanceIds: [target.instanceId],
        Comment: `Custody case ${input.case.caseId}: memory capture`.slice(0, 100),
        TimeoutSeconds: 600,
        Parameters: {
          toolUrl: [toolUrl],
          toolSha256: [tool.sha256],
          partUrls: [urls.join(' ')],
          partSizeBytes: [String(estimate.partSizeBytes)],
          executionTimeout: [String(estimate.executionTimeoutSeconds)],
        },
      }),
    );
    const command: CommandRef = {
      commandId: response.Command?.CommandId ?? '',
      documentName,
      kind: 'memory',
      step: STEP,
      sentAt: sentAt.toISOString(),
      deadline: new Date(sentAt.getTime() + (estimate.executionTimeoutSeconds + 300) * 1000).toISOString(),
      uploads: [{ name, key, uploadId }],
      tool: { name: tool.name, version: tool.version, sha256: tool.sha256 },
    };
    await deps.store(input.case.caseId, target.region).record({
      action: 'command.sent',
      target: target.instanceId,
      details: {
        commandId: command.commandId,
        documentName,
        tool: command.tool,
        uploadKey: key,
        parts: estimate.urls,
        partSizeBytes: estimate.partSizeBytes,
        urlExpirySeconds: expiresIn,
      },
    });
    return { ...none, done: false, command };
  } catch (error) {
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey(input.case, key), UploadId: uploadId }),
    );
    if (isTransient(error)) throw error;
    return gap('the memory capture command could not be sent', errorMessage(error));
  }
}

export const captureMemoryTask = defineTask('CaptureMemory', CaptureMemoryInputSchema, captureMemory);
export const handler = lambdaHandler(captureMemoryTask);
