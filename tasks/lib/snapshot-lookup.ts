// Finds the snapshots a case already made of a target, so a retried or resumed task reuses them instead of making more.
import type { EC2Client, Snapshot } from '@aws-sdk/client-ec2';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import type { Case, Target } from './case';

/** What a Custody snapshot is, by its `custody:role` tag: the source-account snapshot has none. */
export type SnapshotRole = 'source' | 'shareable-copy' | 'evidence';

export interface CustodySnapshot {
  readonly snapshotId: string;
  readonly role: SnapshotRole;
  /** The source volume (from the `custody:source-volume` tag, or EBS's own VolumeId for a source snapshot). */
  readonly volumeId?: string;
  /** The source snapshot a copy was made of (`custody:copy-of`). */
  readonly copyOf?: string;
  readonly state: string;
  readonly snapshot: Snapshot;
}

function tag(snapshot: Snapshot, key: string): string | undefined {
  return snapshot.Tags?.find((candidate) => candidate.Key === key)?.Value;
}

function roleOf(snapshot: Snapshot): SnapshotRole {
  const role = tag(snapshot, 'custody:role');
  return role === 'shareable-copy' || role === 'evidence' ? role : 'source';
}

/**
 * The caller's own snapshots tagged with this case and instance. Tags are applied by the create call itself
 * (TagSpecifications), so a snapshot whose creating task died before it returned is still found here. EBS offers no
 * client token for CreateSnapshots or CopySnapshot (EC2 API reference), so these tags are the idempotency key. Snapshots in
 * the `error` state are left out: a new one is what the evidence needs. `OwnerIds: ['self']` keeps public and shared
 * snapshots out of the answer (DescribeSnapshots API reference).
 */
export async function findCaseSnapshots(ec2: EC2Client, kase: Case, target: Target): Promise<CustodySnapshot[]> {
  const found: CustodySnapshot[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [
          { Name: 'tag:custody:case-id', Values: [kase.caseId] },
          { Name: 'tag:custody:source-instance', Values: [target.instanceId] },
        ],
        NextToken: token,
      }),
    );
    for (const snapshot of page.Snapshots ?? []) {
      if (!snapshot.SnapshotId || snapshot.State === 'error') continue;
      const role = roleOf(snapshot);
      const volumeId = tag(snapshot, 'custody:source-volume') ?? (role === 'source' ? snapshot.VolumeId : undefined);
      const copyOf = tag(snapshot, 'custody:copy-of');
      found.push({
        snapshotId: snapshot.SnapshotId,
        role,
        state: snapshot.State ?? 'pending',
        snapshot,
        ...(volumeId ? { volumeId } : {}),
        ...(copyOf ? { copyOf } : {}),
      });
    }
    token = page.NextToken;
  } while (token);
  return found;
}

/** The copy of `sourceSnapshotId` in the given role, if one exists. */
export function copyOf(
  snapshots: readonly CustodySnapshot[],
  sourceSnapshotId: string,
  role: Exclude<SnapshotRole, 'source'>,
): CustodySnapshot | undefined {
  return snapshots.find((snapshot) => snapshot.role === role && snapshot.copyOf === sourceSnapshotId);
}
