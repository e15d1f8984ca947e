// The sandbox S3 object store on disk: streams bodies to disk while checksumming, commits versions, enforces Object Lock.
// Other sandbox code (the simulated SSM agent's presigned uploads) writes through `s3Store(sandbox).putObject(...)`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { awsError } from './errors';
import type { ChecksumAlgorithm, Digest, StoredChecksum } from './s3-checksums';
import { newDigest } from './s3-checksums';
import type { LockMode, ObjectLock, ObjectMeta, PartMeta, VersionMeta } from './s3-meta';
import {
  currentVersion,
  isLocked,
  metaDir,
  objectPath,
  readObjectMeta,
  safeKey,
  versionPath,
  writeObjectMeta,
} from './s3-meta';
import type { Sandbox } from './sandbox';
import type { AccountState, BucketState } from './scenario';

/** A body as SDK callers pass it: bytes, text, a Node stream, an async iterable or a Blob-like object. */
export type BodyInput =
  Readable | Uint8Array | string | AsyncIterable<Uint8Array> | { stream(): ReadableStream<Uint8Array> };

export interface PutObjectOptions {
  readonly contentType?: string;
  /** A checksum the request carries: verified against the bytes (BadDigest when it differs) and stored. */
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
  /** An algorithm to compute and store when no value is supplied (the SDK's default is CRC32). */
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  /** Base64 MD5 of the body (Content-MD5), verified when present. */
  readonly contentMD5?: string;
  /** Explicit retention; otherwise the bucket's default retention applies. */
  readonly lock?: { readonly mode: LockMode; readonly retainUntil: Date };
  /** SSE-KMS key (ARN); otherwise the bucket's default key, or SSE-S3 when it has none. */
  readonly kmsKeyId?: string;
  /** `If-None-Match: *`: fail with PreconditionFailed when the key already has a current version. */
  readonly ifNoneMatch?: boolean;
  /** Declared Content-Length: a body of another size is refused, as S3 does. */
  readonly contentLength?: number;
}

export interface ReceivedBody {
  readonly path: string;
  readonly size: number;
  readonly checksum: StoredChecksum;
}

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10000;

/** A bucket and the account that owns it. */
export interface BucketRef {
  readonly bucket: BucketState;
  readonly owner: AccountState;
}

const stores = new WeakMap<Sandbox, S3Store>();

/** The object store of a sandbox (one per sandbox, so key reservations are shared by every caller). */
export function s3Store(sandbox: Sandbox): S3Store {
  let store = stores.get(sandbox);
  if (!store) {
    store = new S3Store(sandbox);
    stores.set(sandbox, store);
  }
  return store;
}

export class S3Store {
  public readonly root: string;
  /** Keys with a conditional write in flight: reserved synchronously so racing `If-None-Match: *` writes cannot both win. */
  private readonly reserved = new Set<string>();

  public constructor(private readonly sandbox: Sandbox) {
    this.root = sandbox.root;
  }

  public findBucket(name: string): BucketRef | undefined {
    for (const owner of this.sandbox.scenario.accounts) {
      const bucket = owner.buckets.find((candidate) => candidate.name === name);
      if (bucket) return { bucket, owner };
    }
    return undefined;
  }

  public bucket(name: string): BucketState {
    const ref = this.findBucket(name);
    if (!ref) throw awsError('NoSuchBucket', 'The specified bucket does not exist', { httpStatusCode: 404 });
    return ref.bucket;
  }

  /** Streams a body into a new version of `s3://bucket/key`; nothing becomes visible unless every check passes. */
  public async putObject(
    bucketName: string,
    key: string,
    body: BodyInput,
    options: PutObjectOptions = {},
  ): Promise<VersionMeta> {
    const bucket = this.bucket(bucketName);
    checkKey(key);
    const lock = this.resolveLock(bucket, options.lock);
    const release = options.ifNoneMatch ? this.reserve(bucket.name, key) : () => undefined;
    try {
      const algorithm = options.checksum?.algorithm ?? options.checksumAlgorithm ?? 'CRC32';
      const received = await this.receive(bucket.name, body, algorithm, options);
      return this.commit(bucket, key, received.path, {
        size: received.size,
        etag: `"${randomBytes(16).toString('hex')}"`,
        contentType: options.contentType,
        checksum: received.checksum,
        lock,
        sse: this.resolveSse(bucket, options.kmsKeyId),
      });
    } finally {
      release();
    }
  }

  /** Claims a key for a conditional write, synchronously; throws PreconditionFailed when it exists or is claimed. */
  public reserve(bucket: string, key: string): () => void {
    const id = `${bucket}\u0000${key}`;
    if (this.reserved.has(id) || currentVersion(readObjectMeta(this.root, bucket, key))) {
      throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        httpStatusCode: 412,
      });
    }
    this.reserved.add(id);
    return () => this.reserved.delete(id);
  }

  /**
   * Streams a body to disk, computing and verifying checksums on the way; memory stays bounded. Without `target` the bytes
   * go to a new temporary file; with it they are written into that file at `offset` (a multipart part in place).
   */
  public async receive(
    bucket: string,
    body: BodyInput,
    algorithm: ChecksumAlgorithm,
    options: PutObjectOptions = {},
    target?: { path: string; offset: number },
  ): Promise<ReceivedBody> {
    const dir = metaDir(this.root, bucket, 'tmp');
    mkdirSync(dir, { recursive: true });
    const path = target?.path ?? join(dir, randomBytes(12).toString('hex'));
    const digest = newDigest(algorithm);
    const md5: Digest | undefined = options.contentMD5 ? newDigest('MD5') : undefined;
    const file = await open(path, target ? 'r+' : 'w');
    const discard = () => (target ? undefined : rmSync(path, { force: true }));
    let size = 0;
    try {
      for await (const chunk of toChunks(body)) {
        digest.update(chunk);
        md5?.update(chunk);
        await file.write(chunk, 0, chunk.length, target ? target.offset + size : null);
        size += chunk.length;
      }
    } catch (error) {
      await file.close();
      discard();
      throw error;
    }
    await file.close();
    const value = (await digest.digest()).toString('base64');
    const fail = (name: string, message: string): never => {
      discard();
      throw awsError(name, message, { httpStatusCode: 400 });
    };
    if (options.contentLength !== undefined && options.contentLength !== size) {
      fail('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    if (md5 && (await md5.digest()).toString('base64') !== options.contentMD5) {
      fail('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    if (options.checksum && options.checksum.value !== value) {
      fail('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
    }
    return { path, size, checksum: { algorithm, value, type: 'FULL_OBJECT' } };
  }

  /** Makes a received body the current version of a key (synchronously, so concurrent commits never interleave). */
  public commit(
    bucket: BucketState,
    key: string,
    bodyPath: string,
    fields: Omit<VersionMeta, 'versionId' | 'deleteMarker' | 'lastModified'>,
  ): VersionMeta {
    const meta: ObjectMeta = readObjectMeta(this.root, bucket.name, key) ?? { bucket: bucket.name, key, versions: [] };
    const version: VersionMeta = {
      versionId: bucket.versioning ? newVersionId() : 'null',
      deleteMarker: false,
      lastModified: new Date().toISOString(),
      ...fields,
    };
    const target = objectPath(this.root, bucket.name, key);
    this.retireCurrent(bucket, meta);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(bodyPath, target);
    meta.versions.unshift(version);
    writeObjectMeta(this.root, meta);
    return version;
  }

  /** A version of a key and where its bytes are; NoSuchKey / NoSuchVersion / MethodNotAllowed as S3 answers. */
  public version(
    bucketName: string,
    key: string,
    versionId?: string,
  ): { meta: ObjectMeta; version: VersionMeta; path: string } {
    const bucket = this.bucket(bucketName);
    const meta = readObjectMeta(this.root, bucket.name, key);
    const noKey = () => awsError('NoSuchKey', 'The specified key does not exist.', { httpStatusCode: 404 });
    if (!meta || meta.versions.length === 0)
      throw versionId
        ? awsError('NoSuchVersion', 'The specified version does not exist.', { httpStatusCode: 404 })
        : noKey();
    const version = versionId ? meta.versions.find((candidate) => candidate.versionId === versionId) : meta.versions[0];
    if (!version) throw awsError('NoSuchVersion', 'The specified version does not exist.', { httpStatusCode: 404 });
    if (version.deleteMarker) {
      if (versionId)
        throw awsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
          httpStatusCode: 405,
        });
      throw noKey();
    }
    const path =
      meta.versions[0] === version
        ? objectPath(this.root, bucket.name, key)
        : versionPath(this.root, bucket.name, version.versionId);
    return { meta, version, path };
  }

  /**
   * DeleteObject as S3 does it (Using versioning in S3 buckets; Locking objects with Object Lock): without a version id on a
   * versioned bucket a delete marker is added and nothing is removed; with a version id the version is removed unless Object
   * Lock retains it (COMPLIANCE always, GOVERNANCE unless bypassed), which is AccessDenied.
   */
  public deleteObject(
    bucketName: string,
    key: string,
    versionId: string | undefined,
    bypassGovernance = false,
  ): { versionId?: string; deleteMarker: boolean } {
    const bucket = this.bucket(bucketName);
    const meta = readObjectMeta(this.root, bucket.name, key) ?? { bucket: bucket.name, key, versions: [] };
    if (versionId === undefined && bucket.versioning) {
      this.retireCurrent(bucket, meta);
      const marker: VersionMeta = {
        versionId: newVersionId(),
        deleteMarker: true,
        lastModified: new Date().toISOString(),
        size: 0,
        etag: '',
      };
      meta.versions.unshift(marker);
      writeObjectMeta(this.root, meta);
      return { versionId: marker.versionId, deleteMarker: true };
    }
    const index = meta.versions.findIndex((candidate) => candidate.versionId === (versionId ?? 'null'));
    if (index < 0) return { versionId, deleteMarker: false };
    const version = meta.versions[index];
    if (
      !version.deleteMarker &&
      isLocked(version, new Date()) &&
      (version.lock?.mode === 'COMPLIANCE' || !bypassGovernance)
    ) {
      throw awsError('AccessDenied', 'Access Denied because object protected by object lock.', { httpStatusCode: 403 });
    }
    const wasCurrent = index === 0;
    const bodyPath = wasCurrent
      ? objectPath(this.root, bucket.name, key)
      : versionPath(this.root, bucket.name, version.versionId);
    if (!version.deleteMarker) rmSync(bodyPath, { force: true });
    meta.versions.splice(index, 1);
    const next = meta.versions[0];
    if (wasCurrent && next && !next.deleteMarker)
      renameSync(versionPath(this.root, bucket.name, next.versionId), objectPath(this.root, bucket.name, key));
    writeObjectMeta(this.root, meta);
    return { versionId: version.versionId, deleteMarker: version.deleteMarker };
  }

  /** PutObjectRetention: COMPLIANCE can only be extended; GOVERNANCE can be shortened only with the bypass (Object Lock docs). */
  public putRetention(
    bucketName: string,
    key: string,
    versionId: string | undefined,
    lock: ObjectLock,
    bypassGovernance = false,
  ): void {
    const bucket = this.bucket(bucketName);
    if (!bucket.objectLock)
      throw awsError('InvalidRequest', 'Bucket is missing Object Lock Configuration', { httpStatusCode: 400 });
    const { meta, version } = this.version(bucketName, key, versionId);
    const current = version.lock;
    const now = new Date();
    if (current && isLocked(version, now)) {
      const shorter = new Date(lock.retainUntil).getTime() < new Date(current.retainUntil).getTime();
      const weaker = current.mode === 'COMPLIANCE' && lock.mode !== 'COMPLIANCE';
      if (
        (current.mode === 'COMPLIANCE' && (shorter || weaker)) ||
        (current.mode === 'GOVERNANCE' && (shorter || weaker) && !bypassGovernance)
      ) {
        throw awsError('AccessDenied', 'Access Denied because object protected by object lock.', {
          httpStatusCode: 403,
        });
      }
    }
    version.lock = lock;
    writeObjectMeta(this.root, meta);
  }

  /** The retention a new version gets: explicit, or the bucket's default; refused on a bucket without Object Lock. */
  public resolveLock(bucket: BucketState, explicit: PutObjectOptions['lock']): ObjectLock | undefined {
    if (explicit) {
      if (!bucket.objectLock)
        throw awsError('InvalidRequest', 'Bucket is missing Object Lock Configuration', { httpStatusCode: 400 });
      if (explicit.retainUntil.getTime() <= Date.now()) {
        throw awsError('InvalidArgument', 'The retain until date must be in the future!', { httpStatusCode: 400 });
      }
      return { mode: explicit.mode, retainUntil: explicit.retainUntil.toISOString() };
    }
    if (!bucket.objectLock) return undefined;
    const until = new Date(Date.now() + bucket.objectLock.days * 86_400_000);
    return { mode: bucket.objectLock.mode, retainUntil: until.toISOString() };
  }

  public resolveSse(bucket: BucketState, kmsKeyId: string | undefined): VersionMeta['sse'] {
    const key = kmsKeyId ?? bucket.kmsKeyArn;
    return key ? { algorithm: 'aws:kms', kmsKeyId: key } : { algorithm: 'AES256' };
  }

  /** Moves the current version's bytes to the version store (versioned bucket) or drops them (unversioned). */
  private retireCurrent(bucket: BucketState, meta: ObjectMeta): void {
    const current = currentVersion(meta);
    if (!current) return;
    const plain = objectPath(this.root, bucket.name, meta.key);
    if (bucket.versioning) {
      const target = versionPath(this.root, bucket.name, current.versionId);
      mkdirSync(dirname(target), { recursive: true });
      if (existsSync(plain)) renameSync(plain, target);
      return;
    }
    meta.versions.splice(0, 1);
  }
}

export type { PartMeta };

function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

function checkKey(key: string): void {
  if (!safeKey(key)) {
    throw awsError(
      'InvalidArgument',
      `the sandbox cannot store key ${JSON.stringify(key)}: empty, "." or ".." path segments`,
      { httpStatusCode: 400 },
    );
  }
}

/** Chunks of any supported body, without collecting them. */
export async function* toChunks(body: BodyInput): AsyncIterable<Uint8Array> {
  if (typeof body === 'string') {
    yield Buffer.from(body);
    return;
  }
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  const source: AsyncIterable<unknown> =
    Symbol.asyncIterator in body
      ? body
      : Readable.fromWeb((body as { stream(): ReadableStream<Uint8Array> }).stream() as never);
  for await (const chunk of source) {
    yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
  }
}
