// CollectVolatileData: sends the volatile-data document (processes, sockets, users, logins, modules, scheduled tasks) (Collect phase).
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
import { custodyStoreFor, listObjects } from './lib/case-store';
import type { CommandRef, PlannedUpload } from './ssm-command';
import { agentGap, agentStatus, objectKey, partUrls, startUpload } from './ssm-command';
import type { DryRunVerdict } from './snapshot-volumes';
import { isTransient } from './snapshot-volumes';

export const STEP = 'CollectVolatileData';
const EXECUTION_TIMEOUT_SECONDS = 600;

/** Output file → document parameter carrying its upload URL (infra/documents/Custody-*VolatileData.json). */
export const VOLATILE_OUTPUTS: ReadonlyArray<readonly [string, string]> = [
  ['processes.txt', 'processesUrl'],
  ['sockets.txt', 'socketsUrl'],
  ['users.txt', 'usersUrl'],
  ['logins.txt', 'loginsUrl'],
  ['modules.txt', 'modulesUrl'],
  ['scheduled-tasks.txt', 'scheduledTasksUrl'],
];

export const CollectVolatileInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  instance: InstanceFactsSchema,
  urlExpirySeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(EXECUTION_TIMEOUT_SECONDS + 300),
});
export type CollectVolatileInput = z.infer<typeof CollectVolatileInputSchema>;

export interface CollectVolatileOutput {
  readonly done: boolean;
  readonly command?: CommandRef;
  readonly plan: DryRunVerdict[];
  readonly gaps: Gap[];
  /** Outputs an earlier run of the case already collected and recorded: nothing was sent again. */
  readonly alreadyCollected?: ArtifactRecord[];
}

export async function collectVolatileData(input: CollectVolatileInput, deps: TaskDeps): Promise<CollectVolatileOutput> {
  const { target } = input;
  const none = { done: true, plan: [] as DryRunVerdict[], gaps: [] as Gap[] };
  if (!input.case.options.volatile) return none;
  const ssm = deps.clients.member(target.accountId, target.region).ssm();
  const agent = await agentStatus(ssm, target.instanceId);
  if (!agent.online) return { ...none, gaps: [agentGap(target, STEP, agent)] };
  const platform = agent.platform ?? input.instance.platform;
  const documentName = platform === 'windows' ? 'Custody-WindowsVolatileData' : 'Custody-LinuxVolatileData';
  if (input.case.mode === 'dry-run')
    return { ...none, plan: [{ action: `ssm:SendCommand ${documentName}`, verdict: 'would-do' }] };
  const collected = await alreadyCollected(input, deps, documentName);
  if (collected.length > 0) return { ...none, alreadyCollected: collected };
  const destination = forensicsFor(deps.config, target.region);
  const s3 = deps.clients.forensics(target.region).s3();
  const bucket = destination.evidenceBucket;
  const uploads: PlannedUpload[] = [];
  const parameters: Record<string, string[]> = { executionTimeout: [String(EXECUTION_TIMEOUT_SECONDS)] };
  const sentAt = deps.now();
  try {
    for (const [name, parameter] of VOLATILE_OUTPUTS) {
      const key = `${target.accountId}/${target.instanceId}/volatile/${name}`;
      const uploadId = await startUpload(
        s3,
        bucket,
        objectKey(input.case, key),
        destination.evidenceKeyArn,
        'text/plain; charset=utf-8',
      );
      uploads.push({ name, key, uploadId });
      parameters[parameter] = await partUrls(
        s3,
        bucket,
        objectKey(input.case, key),
        uploadId,
        1,
        input.urlExpirySeconds,
      );
    }
    const response = await ssm.send(
      new SendCommandCommand({
        DocumentName: documentName,
        InstanceIds: [target.instanceId],
        Comment: `Custody case ${input.case.caseId}: volatile data`.slice(0, 100),
        TimeoutSeconds: 600,
        Parameters: parameters,
      }),
    );
    const command: CommandRef = {
      commandId: response.Command?.CommandId ?? '',
      documentName,
      kind: 'volatile',
      step: STEP,
      sentAt: sentAt.toISOString(),
      deadline: new Date(sentAt.getTime() + (EXECUTION_TIMEOUT_SECONDS + 300) * 1000).toISOString(),
      uploads,
    };
    await deps.store(input.case.caseId, target.region).record({
      action: 'command.sent',
      target: target.instanceId,
      details: {
        commandId: command.commandId,
        documentName,
        uploadKeys: uploads.map((u) => u.key),
        urlExpirySeconds: input.urlExpirySeconds,
      },
    });
    return { ...none, done: false, command };
  } catch (error) {
    for (const upload of uploads)
      await s3.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: objectKey(input.case, upload.key),
          UploadId: upload.uploadId,
        }),
      );
    if (isTransient(error)) throw error;
    return {
      ...none,
      gaps: [
        {
          target: targetLabel(target),
          step: STEP,
          reason: 'the volatile-data command could not be sent',
          error: errorMessage(error),
        },
      ],
    };
  }
}

/**
 * The volatile outputs a resumed case (or a retried task) already holds. Any one of them means the collection ran: running it
 * again would mix two moments of a changing system, so the first collection stands, with what it got.
 */
async function alreadyCollected(
  input: CollectVolatileInput,
  deps: TaskDeps,
  documentName: string,
): Promise<ArtifactRecord[]> {
  const { target } = input;
  const folder = `${target.accountId}/${target.instanceId}/volatile/`;
  // One listing of the target's volatile folder: a first run (the usual case) finds it empty and asks nothing more.
  const s3 = deps.clients.forensics(target.region).s3();
  const bucket = forensicsFor(deps.config, target.region).evidenceBucket;
  const present = new Set((await listObjects(s3, bucket, objectKey(input.case, folder))).map((object) => object.key));
  const names = VOLATILE_OUTPUTS.map(([name]) => name).filter((name) =>
    present.has(objectKey(input.case, folder + name)),
  );
  if (names.length === 0) return [];
  const store = custodyStoreFor(deps, input.case.caseId, target.region);
  const found = await Promise.all(
    names.map((name) =>
      store.existingArtifact({
        key: `${folder}${name}`,
        source: `ssm:${documentName}`,
        tool: documentName,
        toolVersion: '1',
        target: target.instanceId,
      }),
    ),
  );
  return found.filter((artifact): artifact is ArtifactRecord => artifact !== undefined);
}

export const collectVolatileDataTask = defineTask(
  'CollectVolatileData',
  CollectVolatileInputSchema,
  collectVolatileData,
);
export const handler = lambdaHandler(collectVolatileDataTask);
