// Where the sandbox S3 keeps objects on disk, and the per-key version metadata that `custody verify` reads for local case folders.
//
// Layout under the sandbox root:
//   buckets/<bucket>/<key>                     the CURRENT version's bytes, as a plain file (what a user opens)
//   .s3meta/<bucket>/objects/<encoded key>.json  every version of the key, newest first (ObjectMeta)
//   .s3meta/<bucket>/versions/<versionId>      bytes of noncurrent versions
//   .s3meta/<bucket>/uploads/<uploadId>/       parts of multipart uploads in progress
//   .s3meta/<bucket>/tmp/                      bodies being received, before their checksum is verified
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChecksumAlgorithm, StoredChecksum } from './s3-checksums';

export type LockMode = 'COMPLIANCE' | 'GOVERNANCE';

export interface ObjectLock {
  readonly mode: LockMode;
  /** ISO-8601 UTC. */
  readonly retainUntil: string;
}

export interface PartMeta {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly checksum?: string;
}

/** One version of a key (or a delete marker), as S3 keeps it. */
export interface VersionMeta {
  /** `null` (the string) in a bucket without versioning, as S3 reports it. */
  readonly versionId: string;
  readonly deleteMarker: boolean;
  readonly lastModified: string;
  readonly size: number;
  readonly etag: string;
  readonly contentType?: string;
  readonly checksum?: StoredChecksum;
  /** Parts of a multipart object, for GetObjectAttributes. */
  readonly parts?: readonly PartMeta[];
  lock?: ObjectLock;
  readonly sse?: { readonly algorithm: 'aws:kms' | 'AES256'; readonly kmsKeyId?: string };
}

export interface ObjectMeta {
  readonly bucket: string;
  readonly key: string;
  /** Newest first; `versions[0]` is current unless it is a delete marker. */
  versions: VersionMeta[];
}

export function bucketDir(root: string, bucket: string): string {
  return join(root, 'buckets', bucket);
}

export function metaDir(root: string, bucket: string, ...parts: string[]): string {
  return join(root, '.s3meta', bucket, ...parts);
}

/** Keys with empty, `.` or `..` segments cannot map onto a folder tree safely; the sandbox refuses them. */
export function safeKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024 || key.startsWith('/')) return false;
  return key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The plain file holding the current version of `s3://bucket/key`. */
export function objectPath(root: string, bucket: string, key: string): string {
  return join(bucketDir(root, bucket), ...key.split('/'));
}

export function versionPath(root: string, bucket: string, versionId: string): string {
  return metaDir(root, bucket, 'versions', versionId);
}

function metaFile(root: string, bucket: string, key: string): string {
  const encoded = encodeURIComponent(key);
  const name = encoded.length <= 200 ? encoded : `~${createHash('sha256').update(key).digest('hex')}`;
  return metaDir(root, bucket, 'objects', `${name}.json`);
}

/** Every version of a key, newest first, or undefined when the key never existed. */
export function readObjectMeta(root: string, bucket: string, key: string): ObjectMeta | undefined {
  const file = metaFile(root, bucket, key);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ObjectMeta;
}

/** The current version of a key (not a delete marker), or undefined. */
export function currentVersion(meta: ObjectMeta | undefined): VersionMeta | undefined {
  const head = meta?.versions[0];
  return head && !head.deleteMarker ? head : undefined;
}

/** Where the bytes of a version are: the plain file when current, the version store otherwise. */
export function versionBodyPath(root: string, meta: ObjectMeta, version: VersionMeta): string {
  return meta.versions[0] === version
    ? objectPath(root, meta.bucket, meta.key)
    : versionPath(root, meta.bucket, version.versionId);
}

/**
 * One bucket's metadata held in this process, sorted by key, so a listing reads no file: writeObjectMeta keeps it in step,
 * and it is read again from disk whenever the folder changed behind it (another process wrote to the bucket). Without it a
 * case of hundreds of targets, whose bucket holds tens of thousands of keys, would read them all on every ListObjectsV2.
 */
interface BucketIndex {
  /** The objects folder's mtime when the index last matched it. */
  stamp: number;
  readonly keys: Buffer[];
  readonly metas: ObjectMeta[];
}

const indexes = new Map<string, BucketIndex>();

function stampOf(dir: string): number | undefined {
  return existsSync(dir) ? statSync(dir).mtimeMs : undefined;
}

/** The first index whose key is not below `key` (UTF-8 binary order, as S3 sorts). */
function lowerBound(keys: readonly Buffer[], key: Buffer): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (Buffer.compare(keys[middle], key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function loadIndex(dir: string): BucketIndex | undefined {
  const stamp = stampOf(dir);
  if (stamp === undefined) return undefined;
  const cached = indexes.get(dir);
  if (cached && cached.stamp === stamp) return cached;
  const metas = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as ObjectMeta)
    .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  const index = { stamp, keys: metas.map((meta) => Buffer.from(meta.key)), metas };
  indexes.set(dir, index);
  return index;
}

function upsert(index: BucketIndex, meta: ObjectMeta): void {
  const key = Buffer.from(meta.key);
  const at = lowerBound(index.keys, key);
  if (at < index.keys.length && index.keys[at].equals(key)) index.metas[at] = meta;
  else {
    index.keys.splice(at, 0, key);
    index.metas.splice(at, 0, meta);
  }
}

/** Writes a key's metadata atomically (rename), so a reader never sees half a file. */
export function writeObjectMeta(root: string, meta: ObjectMeta): void {
  const file = metaFile(root, meta.bucket, meta.key);
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const before = stampOf(dir);
  const temp = `${file}.${process.pid}.tmp`;
  const text = JSON.stringify(meta, null, 2);
  writeFileSync(temp, text);
  renameSync(temp, file);
  const index = indexes.get(dir);
  if (!index) return;
  if (index.stamp !== before) {
    indexes.delete(dir);
    return;
  }
  // The index holds its own copy: callers go on changing the meta they wrote (locks, new versions) and write it again.
  upsert(index, JSON.parse(text) as ObjectMeta);
  index.stamp = stampOf(dir) ?? index.stamp;
}

/** Every key's metadata in a bucket (or only the keys under `prefix`), sorted by key (UTF-8 binary order, as S3 lists). */
export function listObjectMeta(root: string, bucket: string, prefix = ''): readonly ObjectMeta[] {
  const index = loadIndex(metaDir(root, bucket, 'objects'));
  if (!index) return [];
  const start = lowerBound(index.keys, Buffer.from(prefix));
  let end = start;
  while (end < index.metas.length && index.metas[end].key.startsWith(prefix)) end += 1;
  return index.metas.slice(start, end);
}

/** Whether a version is protected from deletion now: retention not yet expired. */
export function isLocked(version: VersionMeta, now: Date): boolean {
  return version.lock !== undefined && new Date(version.lock.retainUntil).getTime() > now.getTime();
}

export type { ChecksumAlgorithm, StoredChecksum };
