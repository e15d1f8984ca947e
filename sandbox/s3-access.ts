// Who may use a sandbox bucket and how S3 request fields map onto the store's options (checksums, Object Lock, SSE-KMS).
import { awsError } from './errors';
import { canUseKey, resolveKey } from './kms-keys';
import type { ChecksumAlgorithm } from './s3-checksums';
import { CHECKSUM_ALGORITHMS, suppliedChecksum } from './s3-checksums';
import type { LockMode } from './s3-meta';
import type { PutObjectOptions, S3Store } from './s3-store';
import { s3Store } from './s3-store';
import type { CallContext } from './sandbox';
import type { BucketState } from './scenario';

/**
 * The bucket a call names, if the caller may use it: buckets of the caller's own account only (cross-account bucket
 * policies are not modelled). A bucket in another region answers PermanentRedirect, as S3 does for a request sent to the
 * wrong regional endpoint (Error responses: PermanentRedirect, 301).
 */
export function accessBucket(ctx: CallContext, name: unknown): { store: S3Store; bucket: BucketState } {
  const store = s3Store(ctx.sandbox);
  const ref = typeof name === 'string' ? store.findBucket(name) : undefined;
  if (!ref) throw awsError('NoSuchBucket', 'The specified bucket does not exist', { httpStatusCode: 404 });
  if (ref.owner.accountId !== ctx.caller.accountId)
    throw awsError('AccessDenied', 'Access Denied', { httpStatusCode: 403 });
  if (ref.bucket.region !== ctx.region) {
    throw awsError(
      'PermanentRedirect',
      `The bucket you are attempting to access must be addressed using the specified endpoint (region ${ref.bucket.region}).`,
      {
        httpStatusCode: 301,
      },
    );
  }
  return { store, bucket: ref.bucket };
}

export function requireKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0)
    throw awsError('InvalidArgument', 'Key is required', { httpStatusCode: 400 });
  return key;
}

export function checksumAlgorithm(value: unknown): ChecksumAlgorithm | undefined {
  if (value === undefined) return undefined;
  const upper = String(value).toUpperCase();
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(upper)) return upper as ChecksumAlgorithm;
  throw awsError('InvalidRequest', `the sandbox does not model checksum algorithm ${String(value)}`, {
    httpStatusCode: 400,
  });
}

/** Explicit Object Lock fields of a request: mode and date must come together (PutObject: x-amz-object-lock-*). */
export function explicitLock(input: Readonly<Record<string, unknown>>): PutObjectOptions['lock'] {
  const mode = input.ObjectLockMode as LockMode | undefined;
  const until = input.ObjectLockRetainUntilDate;
  if (mode === undefined && until === undefined) return undefined;
  if (mode === undefined || until === undefined) {
    throw awsError(
      'InvalidArgument',
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      { httpStatusCode: 400 },
    );
  }
  return { mode, retainUntil: until instanceof Date ? until : new Date(String(until)) };
}

/**
 * S3 requires Content-MD5 or an x-amz-checksum header on a write that gets an Object Lock retention, explicit or from the
 * bucket default (Object Lock: "Content-MD5 or x-amz-sdk-checksum-algorithm header is required"). The sandbox sees the
 * command before the SDK's checksum middleware runs, so callers must name ChecksumAlgorithm or a checksum value.
 */
export function requireIntegrityHeader(bucket: BucketState, request: object, lock: PutObjectOptions['lock']): void {
  if (!lock && !bucket.objectLock) return;
  const input = request as Readonly<Record<string, unknown>>;
  if (input.ContentMD5 || input.ChecksumAlgorithm || suppliedChecksum(input)) return;
  throw awsError(
    'InvalidRequest',
    'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
    {
      httpStatusCode: 400,
    },
  );
}

/** The SSE-KMS key of a write, as an ARN; the caller must be allowed to use it (kms:GenerateDataKey in AWS). */
export function kmsKeyFor(ctx: CallContext, input: Readonly<Record<string, unknown>>): string | undefined {
  const requested = input.SSEKMSKeyId;
  if (typeof requested !== 'string') return undefined;
  const resolved = resolveKey(ctx.sandbox, ctx.caller.accountId, ctx.region, requested);
  if (!resolved || !canUseKey(ctx.sandbox, ctx.caller.accountId, requested, ctx.region)) {
    throw awsError('KMS.NotFoundException', `Invalid keyId ${requested}`, { httpStatusCode: 400 });
  }
  return resolved.key.arn;
}

/** The store options a PutObject or UploadPart request carries. */
export function writeOptions(ctx: CallContext, input: object): PutObjectOptions {
  const fields = input as Readonly<Record<string, unknown>>;
  const lock = explicitLock(fields);
  const supplied = suppliedChecksum(fields);
  return {
    contentType: typeof fields.ContentType === 'string' ? fields.ContentType : undefined,
    checksum: supplied,
    checksumAlgorithm: checksumAlgorithm(fields.ChecksumAlgorithm),
    contentMD5: typeof fields.ContentMD5 === 'string' ? fields.ContentMD5 : undefined,
    lock,
    kmsKeyId: kmsKeyFor(ctx, fields),
    ifNoneMatch: fields.IfNoneMatch === '*',
    contentLength: typeof fields.ContentLength === 'number' ? fields.ContentLength : undefined,
  };
}

/** SSE fields of an S3 response. */
export function sseOutput(sse: { algorithm: string; kmsKeyId?: string } | undefined): Record<string, string> {
  if (!sse) return {};
  return sse.kmsKeyId
    ? { ServerSideEncryption: sse.algorithm, SSEKMSKeyId: sse.kmsKeyId }
    : { ServerSideEncryption: sse.algorithm };
}
