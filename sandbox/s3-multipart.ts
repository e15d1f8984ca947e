// Multipart uploads in the sandbox S3: parts on disk, per-part checksums, composite or full-object checksums on completion.
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32Base64, crc32Combine } from '../tasks/lib/evidence-checksums';
import { awsError } from './errors';
import type { ChecksumAlgorithm, ChecksumType, StoredChecksum } from './s3-checksums';
import { compositeChecksum, newDigest } from './s3-checksums';
import type { ObjectLock, PartMeta, VersionMeta } from './s3-meta';
import { metaDir } from './s3-meta';
import type { BodyInput, PutObjectOptions, S3Store } from './s3-store';
import { MAX_PARTS, MIN_PART_SIZE } from './s3-store';

export interface Upload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: string;
  readonly algorithm?: ChecksumAlgorithm;
  readonly checksumType: ChecksumType;
  readonly lock?: ObjectLock;
  readonly sse: VersionMeta['sse'];
  readonly contentType?: string;
  readonly parts: Map<number, StoredPart>;
  /** Sizes of parts received or being received, so a part with a Content-Length can be written in place. */
  readonly declared: Map<number, number>;
  /** The file the object is assembled in: parts land at their offsets as they arrive (no copy on completion). */
  readonly assembled: string;
}

/** A received part and where its bytes are: in the assembled file at its offset, or in a file of its own. */
export interface StoredPart extends PartMeta {
  readonly file: string;
  readonly offset: number;
}

export interface CreateUploadOptions {
  readonly algorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
  readonly lock?: PutObjectOptions['lock'];
  readonly kmsKeyId?: string;
  readonly contentType?: string;
}

export interface CompleteOptions {
  readonly parts: ReadonlyArray<{ readonly PartNumber?: number; readonly ETag?: string; readonly checksum?: string }>;
  /** Full-object or composite checksum the client states for the whole object. */
  readonly checksum?: string;
  readonly mpuObjectSize?: number;
  readonly ifNoneMatch?: boolean;
}

const uploadsByStore = new WeakMap<S3Store, Map<string, Upload>>();

function uploads(store: S3Store): Map<string, Upload> {
  let map = uploadsByStore.get(store);
  if (!map) {
    map = new Map();
    uploadsByStore.set(store, map);
  }
  return map;
}

export function createUpload(store: S3Store, bucketName: string, key: string, options: CreateUploadOptions): Upload {
  const bucket = store.bucket(bucketName);
  const type = options.checksumType ?? (options.algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  // Checking object integrity in Amazon S3: SHA-256 multipart checksums are composite only, CRC64NVME full-object only.
  if (
    (options.algorithm === 'SHA256' && type === 'FULL_OBJECT') ||
    (options.algorithm === 'CRC64NVME' && type === 'COMPOSITE')
  ) {
    throw awsError(
      'InvalidRequest',
      `The ${type} checksum type cannot be used with the ${options.algorithm.toLowerCase()} checksum algorithm.`,
    );
  }
  const uploadId = randomBytes(32).toString('base64url');
  const upload: Upload = {
    uploadId,
    bucket: bucket.name,
    key,
    initiated: new Date().toISOString(),
    algorithm: options.algorithm,
    checksumType: type,
    lock: store.resolveLock(bucket, options.lock),
    sse: store.resolveSse(bucket, options.kmsKeyId),
    contentType: options.contentType,
    parts: new Map(),
    declared: new Map(),
    assembled: metaDir(store.root, bucket.name, 'uploads', uploadId, 'object'),
  };
  mkdirSync(metaDir(store.root, bucket.name, 'uploads', upload.uploadId), { recursive: true });
  writeFileSync(upload.assembled, '');
  uploads(store).set(upload.uploadId, upload);
  return upload;
}

export function findUpload(store: S3Store, bucket: string, key: string, uploadId: string | undefined): Upload {
  const upload = uploadId ? uploads(store).get(uploadId) : undefined;
  if (!upload || upload.bucket !== bucket || upload.key !== key) {
    throw awsError(
      'NoSuchUpload',
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
      { httpStatusCode: 404 },
    );
  }
  return upload;
}

export async function uploadPart(
  store: S3Store,
  upload: Upload,
  partNumber: number,
  body: BodyInput,
  options: PutObjectOptions,
): Promise<PartMeta> {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw awsError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
  }
  if (options.checksum && upload.algorithm && options.checksum.algorithm !== upload.algorithm) {
    throw awsError(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${upload.algorithm.toLowerCase()}, actual checksum Type: ${options.checksum.algorithm.toLowerCase()}`,
    );
  }
  const algorithm = upload.algorithm ?? options.checksum?.algorithm ?? 'CRC32';
  const offset = inPlaceOffset(upload, partNumber, options.contentLength);
  const separate = join(
    metaDir(store.root, upload.bucket, 'uploads', upload.uploadId),
    `part-${partNumber}-${randomBytes(4).toString('hex')}`,
  );
  let received;
  try {
    received = await store.receive(
      upload.bucket,
      body,
      algorithm,
      options,
      offset === undefined ? undefined : { path: upload.assembled, offset },
    );
  } catch (error) {
    if (offset !== undefined) upload.declared.delete(partNumber);
    throw error;
  }
  if (offset === undefined) await rename(received.path, separate);
  const part: StoredPart = {
    partNumber,
    size: received.size,
    etag: `"${randomBytes(16).toString('hex')}"`,
    checksum: upload.algorithm ? received.checksum.value : undefined,
    file: offset === undefined ? separate : upload.assembled,
    offset: offset ?? 0,
  };
  upload.parts.set(partNumber, part);
  return part;
}

/**
 * Where a part goes in the assembled file: after every earlier part, when all their sizes are known (each arrived with a
 * Content-Length, as the evidence writer's parts do). Otherwise (unknown size, a part sent again) it gets a file of its own.
 */
function inPlaceOffset(upload: Upload, partNumber: number, contentLength: number | undefined): number | undefined {
  if (contentLength === undefined || upload.declared.has(partNumber) || upload.parts.has(partNumber)) return undefined;
  let offset = 0;
  for (let earlier = 1; earlier < partNumber; earlier += 1) {
    const size = upload.declared.get(earlier);
    if (size === undefined) return undefined;
    offset += size;
  }
  upload.declared.set(partNumber, contentLength);
  return offset;
}

/** CompleteMultipartUpload, with S3's checks: ascending parts, ETags, 5 MiB minimum except the last, stated checksums. */
export async function completeUpload(store: S3Store, upload: Upload, options: CompleteOptions): Promise<VersionMeta> {
  const release = options.ifNoneMatch ? store.reserve(upload.bucket, upload.key) : () => undefined;
  try {
    const parts = checkParts(upload, options);
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    if (options.mpuObjectSize !== undefined && options.mpuObjectSize !== size) {
      throw awsError(
        'InvalidRequest',
        `The provided 'x-amz-mp-object-size' header value ${options.mpuObjectSize} does not match what was computed: ${size}`,
      );
    }
    const { path, full } = await concatenate(store, upload, parts);
    const checksum = await objectChecksum(upload, parts, full);
    if (options.checksum && checksum && options.checksum !== checksum.value) {
      if (path !== upload.assembled) rmSync(path, { force: true });
      throw awsError('BadDigest', `The ${upload.algorithm} you specified did not match the calculated checksum.`);
    }
    const bucket = store.bucket(upload.bucket);
    const version = store.commit(bucket, upload.key, path, {
      size,
      etag: `"${randomBytes(16).toString('hex')}-${parts.length}"`,
      contentType: upload.contentType,
      checksum,
      parts: parts.map(({ partNumber, size: partSize, etag, checksum: partChecksum }) => ({
        partNumber,
        size: partSize,
        etag,
        checksum: partChecksum,
      })),
      lock: upload.lock,
      sse: upload.sse,
    });
    abortUpload(store, upload);
    return version;
  } finally {
    release();
  }
}

export function abortUpload(store: S3Store, upload: Upload): void {
  uploads(store).delete(upload.uploadId);
  rmSync(metaDir(store.root, upload.bucket, 'uploads', upload.uploadId), { recursive: true, force: true });
}

function checkParts(upload: Upload, options: CompleteOptions): StoredPart[] {
  if (options.parts.length === 0)
    throw awsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  const parts: StoredPart[] = [];
  let previous = 0;
  for (const listed of options.parts) {
    const number = listed.PartNumber ?? 0;
    if (number <= previous)
      throw awsError(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
      );
    previous = number;
    const part = upload.parts.get(number);
    if (
      !part ||
      (listed.ETag !== undefined && listed.ETag !== part.etag) ||
      (listed.checksum !== undefined && listed.checksum !== part.checksum)
    ) {
      throw awsError(
        'InvalidPart',
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
      );
    }
    parts.push(part);
  }
  parts.slice(0, -1).forEach((part) => {
    if (part.size < MIN_PART_SIZE)
      throw awsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
  });
  return parts;
}

/**
 * The object's file: the assembled file itself when the listed parts lie in it back to back from offset 0 (truncated to
 * their end), else a new file copied together from wherever each part is. A full-object CRC64NVME is computed on the way.
 */
async function concatenate(
  store: S3Store,
  upload: Upload,
  parts: readonly StoredPart[],
): Promise<{ path: string; full?: string }> {
  const needsRead = upload.algorithm === 'CRC64NVME';
  let end = 0;
  const inPlace = parts.every((part) => {
    const fits = part.file === upload.assembled && part.offset === end;
    end += part.size;
    return fits;
  });
  if (inPlace && !needsRead) {
    await truncate(upload.assembled, end);
    return { path: upload.assembled };
  }
  const dir = metaDir(store.root, upload.bucket, 'tmp');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, randomBytes(12).toString('hex'));
  const digest = needsRead ? newDigest('CRC64NVME') : undefined;
  const file = await open(path, 'w');
  try {
    for (const part of parts) {
      if (part.size === 0) continue;
      for await (const chunk of createReadStream(part.file, {
        start: part.offset,
        end: part.offset + part.size - 1,
        highWaterMark: 1024 * 1024,
      })) {
        digest?.update(chunk as Buffer);
        await file.write(chunk as Buffer);
      }
    }
  } finally {
    await file.close();
  }
  return { path, full: digest ? (await digest.digest()).toString('base64') : undefined };
}

async function objectChecksum(
  upload: Upload,
  parts: readonly PartMeta[],
  full: string | undefined,
): Promise<StoredChecksum | undefined> {
  if (!upload.algorithm) return undefined;
  if (full !== undefined) return { algorithm: upload.algorithm, value: full, type: 'FULL_OBJECT' };
  if (upload.checksumType === 'FULL_OBJECT') {
    // A full-object CRC32 follows from the part CRCs (crc32_combine), with no second read of the bytes.
    const crc = parts.reduce((acc, part, index) => {
      const partCrc = Buffer.from(part.checksum ?? '', 'base64').readUInt32BE(0);
      return index === 0 ? partCrc : crc32Combine(acc, partCrc, part.size);
    }, 0);
    return { algorithm: upload.algorithm, value: crc32Base64(crc), type: 'FULL_OBJECT' };
  }
  const value = await compositeChecksum(
    upload.algorithm,
    parts.map((part) => part.checksum ?? ''),
  );
  return { algorithm: upload.algorithm, value, type: 'COMPOSITE' };
}
