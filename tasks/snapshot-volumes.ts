// SnapshotVolumes: one crash-consistent snapshot set of every EBS volume of the target, tagged with the case (Collect phase).
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CreateSnapshotCommand, CreateSnapshotsCommand, CreateTagsCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import type { Case, Gap, Target } from './lib/case';
import { errorMessage, errorName, TRANSIENT_AWS_ERRORS } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import { InstanceFactsSchema } from './lib/instance-facts';
import type { InstanceFacts, InstanceVolume } from './lib/instance-facts';
import { findCaseSnapshots } from './lib/snapshot-lookup';
import type { CustodySnapshot } from './lib/snapshot-lookup';
import type { TaskDeps } from './lib/task';

/** One source volume and what became of its snapshot. */
export const VolumeSnapshotSchema = z
  .object({
    volumeId: z.string(),
    deviceName: z.string(),
    sizeGiB: z.number().int().nonnegative(),
    snapshotId: z.string().optional(),
    state: z.enum(['pending', 'completed', 'failed']),
    encrypted: z.boolean(),
    kmsKeyId: z.string().optional(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    error: z.string().optional(),
    /** The snapshot existed before this task ran (a retried or resumed task found it by its case tags). */
    reused: z.boolean().optional(),
  })
  .strict();
export type VolumeSnapshot = z.infer<typeof VolumeSnapshotSchema>;

/** A dry-run answer: EC2's DryRun says whether the call would have been allowed. */
export const DryRunVerdictSchema = z
  .object({ action: z.string(), verdict: z.enum(['would-do', 'denied']), error: z.string().optional() })
  .strict();
export type DryRunVerdict = z.infer<typeof DryRunVerdictSchema>;

export const SnapshotVolumesInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  instance: InstanceFactsSchema,
  /** How long CheckSnapshots keeps polling before it records the still-pending snapshots as gaps. */
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(48 * 60)
    .default(6 * 60),
});
export type SnapshotVolumesInput = z.infer<typeof SnapshotVolumesInputSchema>;

export interface SnapshotVolumesOutput {
  /** True when nothing is left pending (dry-run, nothing to snapshot, or every snapshot failed). */
  readonly done: boolean;
  readonly snapshots: VolumeSnapshot[];
  /** ISO time after which CheckSnapshots stops waiting. */
  readonly deadline: string;
  /** What a collection would snapshot: the sum of the EBS volume sizes. */
  readonly estimate: { readonly volumes: number; readonly totalGiB: number };
  readonly plan: DryRunVerdict[];
  readonly gaps: Gap[];
}

export const SNAPSHOT_STEP = 'SnapshotVolumes';

/** Tags every Custody snapshot carries, so a responder finds the crash-consistent set from the console (multi-volume snapshots docs). */
export function caseTags(kase: Case, target: Target): Array<{ Key: string; Value: string }> {
  return [
    { Key: 'custody:case-id', Value: kase.caseId },
    { Key: 'custody:source-account', Value: target.accountId },
    { Key: 'custody:source-instance', Value: target.instanceId },
    { Key: 'custody:evidence', Value: 'true' },
  ];
}

export function volumeTags(
  volume: Pick<InstanceVolume, 'volumeId' | 'deviceName'>,
): Array<{ Key: string; Value: string }> {
  return [
    { Key: 'custody:source-volume', Value: volume.volumeId },
    { Key: 'custody:device-name', Value: volume.deviceName },
  ];
}

export function isTransient(error: unknown): boolean {
  return TRANSIENT_AWS_ERRORS.includes(errorName(error));
}

/** Runs an EC2 call with DryRun: DryRunOperation means allowed, UnauthorizedOperation denied (EC2 API reference, DryRun). */
export async function ec2DryRun(action: string, call: () => Promise<unknown>): Promise<DryRunVerdict> {
  try {
    await call();
    return { action, verdict: 'would-do' };
  } catch (error) {
    if (errorName(error) === 'DryRunOperation') return { action, verdict: 'would-do' };
    if (isTransient(error)) throw error;
    return { action, verdict: 'denied', error: errorMessage(error) };
  }
}

function instanceStoreGaps(target: Target, instance: InstanceFacts): Gap[] {
  return instance.instanceStore.map((device) => ({
    target: targetLabel(target),
    step: SNAPSHOT_STEP,
    reason: `instance-store volume ${device} cannot be snapshotted: its data lives only on the host and is lost when the instance stops; image it from inside the instance if it matters`,
  }));
}

export async function snapshotVolumes(input: SnapshotVolumesInput, deps: TaskDeps): Promise<SnapshotVolumesOutput> {
  const { target, instance } = input;
  const deadline = new Date(deps.now().getTime() + input.timeoutMinutes * 60_000).toISOString();
  const estimate = {
    volumes: instance.volumes.length,
    totalGiB: instance.volumes.reduce((sum, volume) => sum + volume.sizeGiB, 0),
  };
  const gaps = instanceStoreGaps(target, instance);
  const base = { deadline, estimate, gaps };
  if (!input.case.options.snapshots || instance.volumes.length === 0)
    return { ...base, done: true, snapshots: [], plan: [] };
  const ec2 = deps.clients.member(target.accountId, target.region).ec2();
  const request = {
    InstanceSpecification: { InstanceId: target.instanceId, ExcludeBootVolume: false },
    Description: `Custody case ${input.case.caseId}: crash-consistent set of ${target.instanceId}`,
    TagSpecifications: [{ ResourceType: 'snapshot' as const, Tags: caseTags(input.case, target) }],
  };
  if (input.case.mode === 'dry-run') {
    const verdict = await ec2DryRun('ec2:CreateSnapshots', () =>
      ec2.send(new CreateSnapshotsCommand({ ...request, DryRun: true })),
    );
    return { ...base, done: true, snapshots: [], plan: [verdict] };
  }
  const snapshots = await createOrReuse(ec2, input, request, deps);
  for (const snapshot of snapshots) {
    if (snapshot.state === 'failed')
      gaps.push({
        target: targetLabel(target),
        step: SNAPSHOT_STEP,
        reason: `no snapshot of ${snapshot.volumeId} (${snapshot.deviceName})`,
        error: snapshot.error,
      });
  }
  gaps.push(...(await tagEach(ec2, target, snapshots)));
  await recordCreated(input, snapshots, deps);
  return { ...base, done: snapshots.every((snapshot) => snapshot.state !== 'pending'), snapshots, plan: [] };
}

/**
 * The snapshots this case already made of the target's volumes (a retried or resumed task) are reused; only the volumes
 * without one get a new snapshot: the whole set in one call when none exists, one by one otherwise.
 */
async function createOrReuse(
  ec2: EC2Client,
  input: SnapshotVolumesInput,
  request: ConstructorParameters<typeof CreateSnapshotsCommand>[0],
  deps: TaskDeps,
): Promise<VolumeSnapshot[]> {
  const existing = new Map<string, CustodySnapshot>();
  for (const found of await findCaseSnapshots(ec2, input.case, input.target))
    if (found.role === 'source' && found.volumeId && !existing.has(found.volumeId)) existing.set(found.volumeId, found);
  if (existing.size === 0) return createSet(ec2, input, request, deps);
  const startedAt = deps.now().toISOString();
  const results: VolumeSnapshot[] = [];
  for (const volume of input.instance.volumes) {
    const found = existing.get(volume.volumeId);
    results.push(
      found
        ? reused(volume, found)
        : await createOne(ec2, volume, request, 'an earlier attempt left this volume without a snapshot', startedAt),
    );
  }
  return results;
}

function reused(volume: InstanceVolume, found: CustodySnapshot): VolumeSnapshot {
  const { snapshot } = found;
  const completed = found.state === 'completed';
  return {
    ...fromVolume(volume),
    snapshotId: found.snapshotId,
    state: completed ? 'completed' : 'pending',
    encrypted: snapshot.Encrypted ?? volume.encrypted,
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
    ...(snapshot.StartTime ? { startedAt: snapshot.StartTime.toISOString() } : {}),
    ...(completed && snapshot.CompletionTime ? { completedAt: snapshot.CompletionTime.toISOString() } : {}),
    reused: true,
  };
}

/** One CreateSnapshots call for the whole instance; if EC2 refuses the set, each volume is tried alone so one bad volume costs only itself. */
async function createSet(
  ec2: EC2Client,
  input: SnapshotVolumesInput,
  request: ConstructorParameters<typeof CreateSnapshotsCommand>[0],
  deps: TaskDeps,
): Promise<VolumeSnapshot[]> {
  const startedAt = deps.now().toISOString();
  try {
    const response = await ec2.send(new CreateSnapshotsCommand(request));
    return input.instance.volumes.map((volume) => {
      const info = response.Snapshots?.find((candidate) => candidate.VolumeId === volume.volumeId);
      if (!info?.SnapshotId)
        return failed(volume, 'the volume was not in the crash-consistent set (detached after PreserveInstance?)');
      return {
        ...fromVolume(volume),
        snapshotId: info.SnapshotId,
        state: 'pending' as const,
        startedAt: info.StartTime?.toISOString() ?? startedAt,
      };
    });
  } catch (error) {
    if (isTransient(error)) throw error;
    const setError = errorMessage(error);
    const results: VolumeSnapshot[] = [];
    for (const volume of input.instance.volumes)
      results.push(await createOne(ec2, volume, request, setError, startedAt));
    return results;
  }
}

async function createOne(
  ec2: EC2Client,
  volume: InstanceVolume,
  request: ConstructorParameters<typeof CreateSnapshotsCommand>[0],
  setError: string,
  startedAt: string,
): Promise<VolumeSnapshot> {
  try {
    const snapshot = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volume.volumeId,
        Description: request.Description,
        TagSpecifications: request.TagSpecifications,
      }),
    );
    return {
      ...fromVolume(volume),
      snapshotId: snapshot.SnapshotId,
      state: 'pending',
      startedAt: snapshot.StartTime?.toISOString() ?? startedAt,
    };
  } catch (error) {
    if (isTransient(error)) throw error;
    return failed(volume, `CreateSnapshots: ${setError}; CreateSnapshot: ${errorMessage(error)}`);
  }
}

function fromVolume(volume: InstanceVolume): VolumeSnapshot {
  return {
    volumeId: volume.volumeId,
    deviceName: volume.deviceName,
    sizeGiB: volume.sizeGiB,
    state: 'pending',
    encrypted: volume.encrypted,
    ...(volume.kmsKeyId ? { kmsKeyId: volume.kmsKeyId } : {}),
  };
}

function failed(volume: InstanceVolume, error: string): VolumeSnapshot {
  return { ...fromVolume(volume), state: 'failed', error };
}

/** CreateSnapshots tags the whole set alike; the volume and device of each snapshot are added one by one. */
async function tagEach(ec2: EC2Client, target: Target, snapshots: VolumeSnapshot[]): Promise<Gap[]> {
  const gaps: Gap[] = [];
  for (const snapshot of snapshots) {
    if (!snapshot.snapshotId) continue;
    try {
      await ec2.send(new CreateTagsCommand({ Resources: [snapshot.snapshotId], Tags: volumeTags(snapshot) }));
    } catch (error) {
      if (isTransient(error)) throw error;
      gaps.push({
        target: targetLabel(target),
        step: SNAPSHOT_STEP,
        reason: `snapshot ${snapshot.snapshotId} lacks its volume and device tags (snapshots.json still records them)`,
        error: errorMessage(error),
      });
    }
  }
  return gaps;
}

async function recordCreated(input: SnapshotVolumesInput, snapshots: VolumeSnapshot[], deps: TaskDeps): Promise<void> {
  const store = deps.store(input.case.caseId, input.target.region);
  for (const snapshot of snapshots) {
    if (!snapshot.snapshotId) continue;
    await store.record({
      action: 'snapshot.created',
      target: input.target.instanceId,
      details: {
        snapshotId: snapshot.snapshotId,
        volumeId: snapshot.volumeId,
        deviceName: snapshot.deviceName,
        sizeGiB: snapshot.sizeGiB,
        accountId: input.target.accountId,
        startedAt: snapshot.startedAt,
        ...(snapshot.reused ? { reused: true } : {}),
      },
    });
  }
}

export const snapshotVolumesTask = defineTask('SnapshotVolumes', SnapshotVolumesInputSchema, snapshotVolumes);
export const handler = lambdaHandler(snapshotVolumesTask);
