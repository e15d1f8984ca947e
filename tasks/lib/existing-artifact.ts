// What the store does when an artifact's key is already taken (a resumed case, a Lambda retried after a timeout): the first
// acquisition is the evidence, so its record is returned, or, when a crash lost the record, the object is hashed and recorded.
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { hashStream } from './canonical';
import type { CustodyEntry } from './custody-log';
import { custodyPrefix, parseEntry, seqOfKey } from './custody-log';
import { errorName } from './errors';
import type { ArtifactRecord, CustodyEvent, PutArtifactRequest } from './task';

export interface ExistingArtifactContext {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly caseId: string;
  /** Full object key (`cases/<caseId>/…`) of the artifact. */
  readonly objectKey: string;
  readonly append: (event: CustodyEvent) => Promise<CustodyEntry>;
  readonly list: (prefix: string) => Promise<ReadonlyArray<{ readonly key: string }>>;
  readonly read: (key: string) => Promise<Buffer>;
  /** Entries this store already read, by seq: an entry is write-once under Object Lock, so a cached one never goes stale. */
  readonly entries: Map<number, CustodyEntry>;
  /** `toolVersion` of a recovered artifact whose request named none (Custody's own version). */
  readonly defaultToolVersion: string;
}

/** What identifies an artifact that may already be in place: its key and how it would be recorded. */
export type ExistingArtifactRequest = Omit<PutArtifactRequest, 'body' | 'contentType' | 'onExisting'>;

/** True when the object exists; HeadObject answers 404 (NotFound) for a missing key to a caller with s3:ListBucket. */
export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (['NotFound', 'NoSuchKey'].includes(errorName(error))) return false;
    throw error;
  }
}

/** The artifact the case's custody log recorded under a case-relative key, if any (the first record wins). */
export async function recordedArtifact(
  context: Pick<ExistingArtifactContext, 'caseId' | 'list' | 'read' | 'entries'>,
  key: string,
): Promise<ArtifactRecord | undefined> {
  const cache = context.entries;
  for (const object of await context.list(custodyPrefix(context.caseId))) {
    const seq = seqOfKey(object.key);
    if (seq === undefined) continue;
    let entry = cache.get(seq);
    if (!entry) {
      entry = parseEntry((await context.read(object.key)).toString('utf8'));
      if (!entry) continue;
      cache.set(seq, entry);
    }
    if (entry.artifact?.key === key) return entry.artifact;
  }
  return undefined;
}

/**
 * Resolves a write whose key exists: the recorded artifact as it was recorded (not re-hashed, not rewritten); an object with
 * no record (written, then the task died before recording it) is read back, hashed and recorded, marked `recovered`.
 * Undefined when the object is not there after all (a racing conditional write that has not landed, 409).
 */
export async function existingArtifact(
  context: ExistingArtifactContext,
  request: ExistingArtifactRequest,
): Promise<ArtifactRecord | undefined> {
  const recorded = await recordedArtifact(context, request.key);
  if (recorded) return recorded;
  let body: Readable;
  try {
    const response = await context.s3.send(new GetObjectCommand({ Bucket: context.bucket, Key: context.objectKey }));
    body = response.Body as Readable;
  } catch (error) {
    if (['NoSuchKey', 'NotFound'].includes(errorName(error))) return undefined;
    throw error;
  }
  const { sha256, bytes } = await hashStream(body);
  const artifact: ArtifactRecord = {
    key: request.key,
    bytes,
    sha256,
    source: request.source,
    tool: request.tool ?? 'custody',
    toolVersion: request.toolVersion ?? context.defaultToolVersion,
  };
  await context.append({
    action: 'artifact.acquired',
    target: request.target,
    artifact,
    details: {
      recovered: true,
      reason:
        'the object was already in the bucket without a custody entry (a write interrupted before it was recorded)',
    },
  });
  return artifact;
}

/** A stream the store will not read (its artifact is already in place) is released rather than left open. */
export function discard(body: PutArtifactRequest['body']): void {
  if (typeof body === 'object' && body !== null && 'destroy' in body && typeof body.destroy === 'function')
    body.destroy();
}
