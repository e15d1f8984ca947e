// The one streaming path every artifact takes into the evidence bucket: hashed while read, checksummed for S3 to verify,
// written once under Object Lock COMPLIANCE with SSE-KMS, never overwriting an existing key.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { errorMessage, EvidenceWriteError, InvalidInputError, ObjectExistsError } from './errors';
import { crc32Base64, crc32Combine, crc32Of } from './evidence-checksums';
import { chunksOf, PartBuffer, PartPool } from './part-buffer';
import { BackgroundSha256 } from './sha256-worker';

/** S3 multipart limits (Amazon S3 multipart upload limits): 5 MiB minimum part except the last, 10,000 parts. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 4;

export interface EvidenceWriteRequest {
  readonly bucket: string;
  /** The full object key (`cases/<caseId>/…`). */
  readonly key: string;
  readonly body: Readable | Uint8Array | string;
  readonly contentType?: string;
  /** SSE-KMS key of the evidence bucket. */
  readonly kmsKeyId: string;
  /** Object Lock COMPLIANCE retention: nobody, root included, can delete the version before this date. */
  readonly retainUntil: Date;
  /** Bytes per part (≥ 5 MiB); a body no larger than this is sent with one PutObject. */
  readonly partSize?: number;
  /** Parts hashed or uploaded at once; also bounds the part buffers in memory (concurrency × partSize, plus one part gathering). */
  readonly concurrency?: number;
  /** Expected size, when known, so the part size grows to stay within 10,000 parts. */
  readonly sizeHint?: number;
}

export interface EvidenceWriteResult {
  readonly key: string;
  readonly bytes: number;
  /** Lower-case hex SHA-256 of the bytes written, computed while streaming. */
  readonly sha256: string;
  readonly versionId?: string;
  /** The checksum S3 verified and stores, as S3 reports it (base64; composite values end in `-N`). */
  readonly checksum?: string;
  readonly checksumAlgorithm: 'SHA256' | 'CRC32';
  readonly checksumType: 'FULL_OBJECT' | 'COMPOSITE';
}

/**
 * Streams `body` into `s3://bucket/key`. A body that fits in one part goes up with PutObject carrying its SHA-256 as
 * ChecksumSHA256, so S3 verifies exactly the hash the custody log records. A larger body becomes a multipart upload with a
 * CRC32 per part and a FULL_OBJECT CRC32 on completion (Checking object integrity in Amazon S3: full-object checksums for
 * multipart uploads): S3 verifies every byte while the whole-object SHA-256 is computed once, on a worker thread beside
 * the uploads, instead of a second SHA-256 pass per part. Every write says `If-None-Match: *` (S3 conditional writes), so
 * an existing key is never replaced, and a failed multipart upload is aborted so no parts are left behind. Nothing here
 * deletes or re-locks objects.
 */
export async function writeEvidence(s3: S3Client, request: EvidenceWriteRequest): Promise<EvidenceWriteResult> {
  const partSize = partSizeFor(request);
  const concurrency = Math.max(1, Math.floor(request.concurrency ?? DEFAULT_CONCURRENCY));
  const pending = new PartBuffer();
  const pool = new PartPool(partSize);
  let upload: MultipartWriter | undefined;
  let hasher: BackgroundSha256 | undefined;
  let bytes = 0;
  try {
    for await (const chunk of chunksOf(request.body)) {
      bytes += chunk.length;
      pending.push(chunk);
      // Only more than one part's worth of bytes makes a multipart upload, so a body of exactly partSize is one PutObject.
      while (pending.size > partSize) {
        hasher ??= new BackgroundSha256();
        upload ??= await MultipartWriter.start(s3, request, concurrency, pool);
        // Waiting for a free slot (a part hashed and uploaded) is the back-pressure that keeps part buffers bounded.
        await upload.slot();
        upload.add(hasher, pending.takeInto(pool.acquire(), partSize));
      }
    }
    if (!upload || !hasher) {
      const body = pending.take(pending.size);
      return await putSingle(s3, request, body, createHash('sha256').update(body).digest());
    }
    await upload.slot();
    upload.add(hasher, pending.takeInto(pool.acquire(), pending.size));
    // The hash is settled before the object is completed: an object never exists without the hash the custody log needs.
    const digest = await hasher.digest();
    const done = await upload.complete(bytes);
    return {
      key: request.key,
      bytes,
      sha256: digest.toString('hex'),
      ...done,
      checksumAlgorithm: 'CRC32',
      checksumType: 'FULL_OBJECT',
    };
  } catch (error) {
    if (upload) await upload.abort(error);
    throw mapError(error, request);
  } finally {
    await hasher?.close();
  }
}

function partSizeFor(request: EvidenceWriteRequest): number {
  const asked = request.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(asked) || asked < MIN_PART_SIZE) {
    throw new InvalidInputError(
      `partSize must be an integer of at least ${MIN_PART_SIZE} bytes (S3's minimum part size)`,
      { partSize: asked },
    );
  }
  const needed = request.sizeHint ? Math.ceil(request.sizeHint / MAX_PARTS / (1024 * 1024)) * 1024 * 1024 : 0;
  return Math.max(asked, needed);
}

async function putSingle(
  s3: S3Client,
  request: EvidenceWriteRequest,
  body: Buffer,
  digest: Buffer,
): Promise<EvidenceWriteResult> {
  const checksum = digest.toString('base64');
  const response = await s3.send(
    new PutObjectCommand({
      ...common(request),
      Body: body,
      ContentLength: body.length,
      ChecksumSHA256: checksum,
      IfNoneMatch: '*',
    }),
  );
  return {
    key: request.key,
    bytes: body.length,
    sha256: digest.toString('hex'),
    versionId: response.VersionId,
    checksum: response.ChecksumSHA256 ?? checksum,
    checksumAlgorithm: 'SHA256',
    checksumType: 'FULL_OBJECT',
  };
}

/** Fields every write carries: Object Lock COMPLIANCE until the given date and SSE-KMS with the evidence key. */
function common(request: EvidenceWriteRequest) {
  return {
    Bucket: request.bucket,
    Key: request.key,
    ContentType: request.contentType ?? 'application/octet-stream',
    ObjectLockMode: 'COMPLIANCE' as const,
    ObjectLockRetainUntilDate: request.retainUntil,
    ServerSideEncryption: 'aws:kms' as const,
    SSEKMSKeyId: request.kmsKeyId,
  };
}

/** A multipart upload with at most `concurrency` parts in flight; `add` waits for a free slot (back-pressure on the reader). */
class MultipartWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts: CompletedPart[] = [];
  /** CRC32 and length of each part, in part order, for the full-object CRC32. */
  private readonly crcs: Array<[number, number]> = [];
  private nextPart = 1;
  private failure: unknown;

  private constructor(
    private readonly s3: S3Client,
    private readonly request: EvidenceWriteRequest,
    private readonly uploadId: string,
    private readonly concurrency: number,
    private readonly pool: PartPool,
  ) {}

  public static async start(
    s3: S3Client,
    request: EvidenceWriteRequest,
    concurrency: number,
    pool: PartPool,
  ): Promise<MultipartWriter> {
    const created = await s3.send(
      new CreateMultipartUploadCommand({ ...common(request), ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }),
    );
    if (!created.UploadId)
      throw new EvidenceWriteError(`S3 returned no UploadId for ${request.key}`, { key: request.key });
    return new MultipartWriter(s3, request, created.UploadId, concurrency, pool);
  }

  /** Resolves when another part may be started; throws the first failure of a part already under way. */
  public async slot(): Promise<void> {
    while (this.inFlight.size >= this.concurrency && this.failure === undefined) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Uploads the next part: its CRC32 is computed and the part sent while the worker hashes the same bytes in place; the
   * buffer goes back to the pool only when both are done with it. Call `slot()` first.
   */
  public add(hasher: BackgroundSha256, body: Buffer): void {
    const partNumber = this.nextPart++;
    if (partNumber > MAX_PARTS)
      throw new EvidenceWriteError(
        `${this.request.key} needs more than ${MAX_PARTS} parts; pass a sizeHint or a larger partSize`,
      );
    const hashed = hasher.hash(body);
    // Awaited below once the upload is done; a hashing failure meanwhile must not count as unhandled.
    hashed.catch(() => undefined);
    const sent: Promise<void> = Promise.resolve()
      .then(async () => {
        const partCrc = crc32Of(body);
        this.crcs[partNumber - 1] = [partCrc, body.length];
        const response = await this.s3.send(
          new UploadPartCommand({
            Bucket: this.request.bucket,
            Key: this.request.key,
            UploadId: this.uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
            ChecksumCRC32: crc32Base64(partCrc),
          }),
        );
        this.parts[partNumber - 1] = {
          PartNumber: partNumber,
          ETag: response.ETag,
          ChecksumCRC32: response.ChecksumCRC32 ?? crc32Base64(partCrc),
        };
      })
      .then(() => hashed)
      .then(() => this.pool.release(body))
      .catch((error: unknown) => {
        this.failure ??= error;
        // The worker may still read a buffer whose upload failed: it is not reused, the write is failing anyway.
      })
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  public async complete(bytes: number): Promise<{ versionId?: string; checksum?: string }> {
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    const crc = this.crcs.reduce(
      (acc, [partCrc, length], index) => (index === 0 ? partCrc : crc32Combine(acc, partCrc, length)),
      0,
    );
    const checksum = crc32Base64(crc);
    const response = await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.request.bucket,
        Key: this.request.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
        ChecksumCRC32: checksum,
        ChecksumType: 'FULL_OBJECT',
        MpuObjectSize: bytes,
        IfNoneMatch: '*',
      }),
    );
    return { versionId: response.VersionId, checksum: response.ChecksumCRC32 ?? checksum };
  }

  /** Waits for parts still in flight, then aborts so S3 keeps no orphan parts; an abort failure is attached, not thrown. */
  public async abort(cause: unknown): Promise<void> {
    this.failure ??= cause;
    await Promise.allSettled(this.inFlight);
    try {
      await this.s3.send(
        new AbortMultipartUploadCommand({
          Bucket: this.request.bucket,
          Key: this.request.key,
          UploadId: this.uploadId,
        }),
      );
    } catch (error) {
      if (cause instanceof Error) Object.assign(cause, { abortError: errorMessage(error) });
    }
  }
}

/** Names what went wrong in Custody's terms; AWS errors worth retrying keep their own names for the ASL. */
function mapError(error: unknown, request: EvidenceWriteRequest): unknown {
  const name = error instanceof Error ? error.name : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const where = { bucket: request.bucket, key: request.key };
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412) {
    return new ObjectExistsError(
      `evidence object already exists: s3://${request.bucket}/${request.key}; it is never overwritten`,
      where,
      { cause: error },
    );
  }
  if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentChecksumMismatch') {
    return new EvidenceWriteError(
      `S3 rejected s3://${request.bucket}/${request.key}: the bytes received do not match their checksum`,
      where,
      { cause: error },
    );
  }
  return error;
}
