// CheckSnapshots: the describe half of the snapshot Wait loop; says whether every snapshot of the set has finished.
import type { Snapshot } from '@aws-sdk/client-ec2';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import type { Gap } from './lib/case';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import { VolumeSnapshotSchema } from './snapshot-volumes';
import type { VolumeSnapshot } from './snapshot-volumes';

export const CheckSnapshotsInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  snapshots: z.array(VolumeSnapshotSchema),
  deadline: z.string().datetime(),
});
export type CheckSnapshotsInput = z.infer<typeof CheckSnapshotsInputSchema>;

export interface CheckSnapshotsOutput {
  /** True when no snapshot is pending any more: the ASL leaves the Wait loop. */
  readonly done: boolean;
  readonly snapshots: VolumeSnapshot[];
  readonly deadline: string;
  readonly pending: number;
  /** Only the gaps this check found (failed or timed-out snapshots); SnapshotVolumes' own gaps stay in its output. */
  readonly gaps: Gap[];
}

export async function checkSnapshots(input: CheckSnapshotsInput, deps: TaskDeps): Promise<CheckSnapshotsOutput> {
  const pendingIds = input.snapshots
    .filter((s) => s.state === 'pending' && s.snapshotId)
    .map((s) => s.snapshotId as string);
  const described = new Map<string, Snapshot>();
  if (pendingIds.length > 0) {
    const ec2 = deps.clients.member(input.target.accountId, input.target.region).ec2();
    const response = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: pendingIds }));
    for (const snapshot of response.Snapshots ?? [])
      if (snapshot.SnapshotId) described.set(snapshot.SnapshotId, snapshot);
  }
  const expired = deps.now().getTime() > Date.parse(input.deadline);
  const gaps: Gap[] = [];
  const snapshots = input.snapshots.map((snapshot) => {
    if (snapshot.state !== 'pending' || !snapshot.snapshotId) return snapshot;
    const next = advance(snapshot, described.get(snapshot.snapshotId), expired);
    if (next.state === 'failed') {
      gaps.push({
        target: targetLabel(input.target),
        step: 'CheckSnapshots',
        reason: `snapshot ${snapshot.snapshotId} of ${snapshot.volumeId} (${snapshot.deviceName}) did not complete`,
        error: next.error,
      });
    }
    return next;
  });
  const pending = snapshots.filter((snapshot) => snapshot.state === 'pending').length;
  return { done: pending === 0, snapshots, deadline: input.deadline, pending, gaps };
}

/** EBS reports `completed` or `error` (with a StateMessage) once it finishes (DescribeSnapshots API reference). */
function advance(snapshot: VolumeSnapshot, described: Snapshot | undefined, expired: boolean): VolumeSnapshot {
  if (described?.State === 'completed') {
    return {
      ...snapshot,
      state: 'completed',
      encrypted: described.Encrypted ?? snapshot.encrypted,
      ...(described.KmsKeyId ? { kmsKeyId: described.KmsKeyId } : {}),
      completedAt: (described.CompletionTime ?? new Date()).toISOString(),
    };
  }
  if (described?.State === 'error')
    return { ...snapshot, state: 'failed', error: described.StateMessage ?? 'the snapshot entered the error state' };
  if (!described)
    return { ...snapshot, state: 'failed', error: 'the snapshot no longer exists (deleted while pending?)' };
  if (expired)
    return {
      ...snapshot,
      state: 'failed',
      error: `timed out at ${described.Progress ?? '?'} progress; the snapshot may still finish in the source account`,
    };
  return snapshot;
}

export const checkSnapshotsTask = defineTask('CheckSnapshots', CheckSnapshotsInputSchema, checkSnapshots);
export const handler = lambdaHandler(checkSnapshotsTask);
