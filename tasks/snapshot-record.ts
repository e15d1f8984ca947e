// The target's snapshots.json: every source volume, its snapshot, and its copy in the forensics account (or why there is none).
import type { Case, Target } from './lib/case';
import { casePrefix, readObject } from './lib/case-store';
import { forensicsFor } from './lib/config';
import { errorName } from './lib/errors';
import type { TaskDeps } from './lib/task';
import type { SnapshotCopy } from './copy-snapshots';

export const SNAPSHOTS_RECORD_VERSION = 1;

/** Case-relative key of a target's snapshot record (docs/disk-and-memory.md). */
export function snapshotsKey(target: Target): string {
  return `${target.accountId}/${target.instanceId}/snapshots.json`;
}

/** The evidence document: plain JSON, one entry per EBS volume, failures included so no volume goes unaccounted for. */
export function snapshotsRecord(
  kase: Case,
  target: Target,
  copies: readonly SnapshotCopy[],
  deps: TaskDeps,
): Record<string, unknown> {
  const destination = forensicsFor(deps.config, target.region);
  return {
    version: SNAPSHOTS_RECORD_VERSION,
    caseId: kase.caseId,
    target,
    forensicsAccountId: destination.forensicsAccountId,
    generatedAt: deps.now().toISOString(),
    volumes: copies.map((copy) => ({
      volumeId: copy.volumeId,
      deviceName: copy.deviceName,
      sizeGiB: copy.sizeGiB,
      status: copy.stage,
      source: {
        accountId: target.accountId,
        snapshotId: copy.source.snapshotId ?? null,
        encrypted: copy.source.encrypted,
        kmsKeyId: copy.source.kmsKeyId ?? null,
        startedAt: copy.source.startedAt ?? null,
        completedAt: copy.source.completedAt ?? null,
      },
      sharedSnapshotId: copy.sharedSnapshotId ?? null,
      copy: copy.copySnapshotId
        ? {
            accountId: destination.forensicsAccountId,
            snapshotId: copy.copySnapshotId,
            kmsKeyId: copy.kmsKeyId,
            startedAt: copy.startedAt,
            completedAt: copy.completedAt ?? null,
          }
        : null,
      error: copy.error ?? null,
    })),
  };
}

/** Writes snapshots.json once every copy has finished; the store hashes it and records `artifact.acquired`. */
export async function writeSnapshotsRecord(
  kase: Case,
  target: Target,
  copies: readonly SnapshotCopy[],
  deps: TaskDeps,
): Promise<string> {
  const key = snapshotsKey(target);
  await deps.store(kase.caseId, target.region).putArtifact({
    key,
    body: `${JSON.stringify(snapshotsRecord(kase, target, copies, deps), null, 2)}\n`,
    contentType: 'application/json',
    source: 'ec2:DescribeSnapshots',
    target: target.instanceId,
  });
  return key;
}

/** Case-relative key of the case's snapshot index (ARCHITECTURE.md, evidence layout). */
export const SNAPSHOTS_INDEX_KEY = 'snapshots.json';

/**
 * The case-root snapshots.json of one region: every target's snapshot record gathered in one document, written once by the
 * Report phase (a write-once object cannot grow per target). A target without a record is listed with the reason.
 */
export async function writeSnapshotsIndex(kase: Case, region: string, deps: TaskDeps): Promise<string> {
  const destination = forensicsFor(deps.config, region);
  const s3 = deps.clients.forensics(region).s3();
  const targets = [];
  for (const target of kase.targets.filter((candidate) => candidate.region === region)) {
    const key = snapshotsKey(target);
    try {
      const record = JSON.parse(
        (await readObject(s3, destination.evidenceBucket, `${casePrefix(kase.caseId)}${key}`)).toString('utf8'),
      ) as { volumes?: unknown[] };
      targets.push({ target, key, volumes: record.volumes ?? [] });
    } catch (error) {
      if (errorName(error) !== 'NoSuchKey') throw error;
      targets.push({ target, key: null, volumes: [], missing: 'no snapshots.json: the snapshot steps did not finish' });
    }
  }
  const index = {
    version: SNAPSHOTS_RECORD_VERSION,
    caseId: kase.caseId,
    region,
    forensicsAccountId: destination.forensicsAccountId,
    generatedAt: deps.now().toISOString(),
    targets,
  };
  await deps.store(kase.caseId, region).putArtifact({
    key: SNAPSHOTS_INDEX_KEY,
    body: `${JSON.stringify(index, null, 2)}\n`,
    contentType: 'application/json',
    source: 'custody:snapshot-records',
    target: 'case',
  });
  return SNAPSHOTS_INDEX_KEY;
}
