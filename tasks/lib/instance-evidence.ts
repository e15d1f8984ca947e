// Instance metadata evidence: the API responses, tags, console output and screenshot, written under <account>/<instance>/metadata/.
import type { EC2Client, Instance, Volume } from '@aws-sdk/client-ec2';
import { GetConsoleOutputCommand, GetConsoleScreenshotCommand } from '@aws-sdk/client-ec2';
import type { Target } from './case';
import { errorName } from './errors';
import { isTransient } from './step-log';
import type { StepLog } from './step-log';
import type { CaseStore } from './task';

export type DescribeInstancesResponse = { Reservations?: Array<{ Instances?: Instance[] }> };
export type DescribeVolumesResponse = { Volumes?: Volume[] };

/** describe-instance.json, describe-volumes.json and tags.json: the API responses as read before any change. */
export async function writeMetadata(
  log: StepLog,
  store: CaseStore,
  target: Target,
  described: DescribeInstancesResponse,
  volumes: DescribeVolumesResponse | undefined,
): Promise<void> {
  const prefix = `${target.accountId}/${target.instanceId}/metadata`;
  const instance = described.Reservations?.[0]?.Instances?.[0];
  const tags = {
    instanceId: target.instanceId,
    tags: instance?.Tags ?? [],
    volumes: (volumes?.Volumes ?? []).map((volume) => ({ volumeId: volume.VolumeId, tags: volume.Tags ?? [] })),
  };
  const files = [
    { step: 'describe-instance', name: 'describe-instance.json', source: 'ec2:DescribeInstances', body: described },
    ...(volumes
      ? [{ step: 'describe-volumes', name: 'describe-volumes.json', source: 'ec2:DescribeVolumes', body: volumes }]
      : []),
    { step: 'tags', name: 'tags.json', source: 'ec2:DescribeInstances+ec2:DescribeVolumes', body: tags },
  ];
  for (const file of files) {
    const key = `${prefix}/${file.name}`;
    if (log.dryRun) {
      log.add({ step: file.step, status: 'would-do', resource: target.instanceId, detail: `would write ${key}` });
      continue;
    }
    await log.attempt(file.step, target.instanceId, async () => {
      const record = await store.putArtifact({
        key,
        body: `${JSON.stringify(file.body, null, 2)}\n`,
        contentType: 'application/json',
        source: file.source,
        target: target.instanceId,
      });
      return `${key} (${record.bytes} bytes, sha256 ${record.sha256})`;
    });
  }
}

/** console-output.txt and screenshot.jpg; in a dry run only the permission is checked (both APIs accept DryRun). */
export async function collectConsole(
  log: StepLog,
  ec2: EC2Client,
  store: CaseStore,
  target: Target,
  state: string,
): Promise<void> {
  const prefix = `${target.accountId}/${target.instanceId}/metadata`;
  const id = target.instanceId;
  if (log.dryRun) {
    await log.check('console-output', id, (DryRun) =>
      ec2.send(new GetConsoleOutputCommand({ InstanceId: id, DryRun })),
    );
  } else {
    await log.attempt('console-output', id, async () => {
      const text = await consoleOutput(ec2, id);
      const record = await store.putArtifact({
        key: `${prefix}/console-output.txt`,
        body: text,
        contentType: 'text/plain; charset=utf-8',
        source: 'ec2:GetConsoleOutput',
        target: id,
      });
      return `${record.key} (${record.bytes} bytes${record.bytes === 0 ? ': the instance had no buffered console output' : ''})`;
    });
  }
  // Only a running instance has a screen to capture ("GetConsoleScreenshot", EC2 API reference).
  if (state !== 'running') {
    log.add({
      step: 'screenshot',
      status: 'skipped',
      resource: id,
      detail: `the instance is ${state}: no screen to capture`,
    });
    return;
  }
  if (log.dryRun) {
    await log.check('screenshot', id, (DryRun) =>
      ec2.send(new GetConsoleScreenshotCommand({ InstanceId: id, DryRun })),
    );
    return;
  }
  await log.attempt('screenshot', id, async () => {
    const response = await ec2.send(new GetConsoleScreenshotCommand({ InstanceId: id }));
    if (!response.ImageData) throw new Error('GetConsoleScreenshot returned no image');
    const record = await store.putArtifact({
      key: `${prefix}/screenshot.jpg`,
      body: Buffer.from(response.ImageData, 'base64'),
      contentType: 'image/jpeg',
      source: 'ec2:GetConsoleScreenshot',
      target: id,
    });
    return `${record.key} (${record.bytes} bytes)`;
  });
}

/**
 * The decoded console output, its bytes kept exactly. `Latest` asks for the live serial buffer, which only Nitro instances
 * have ("GetConsoleOutput", EC2 API reference); elsewhere the buffered output taken at the last state change is used.
 */
async function consoleOutput(ec2: EC2Client, instanceId: string): Promise<Buffer> {
  let response;
  try {
    response = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }));
  } catch (error) {
    if (errorName(error) === 'UnauthorizedOperation' || isTransient(error)) throw error;
    response = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
  }
  return Buffer.from(response.Output ?? '', 'base64');
}
