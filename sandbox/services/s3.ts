// S3 in the sandbox: objects on disk under <root>/buckets/, versioning, Object Lock, checksums, conditional and multipart writes.
import { createReadStream, openSync } from 'node:fs';
import type * as S3 from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { awsError } from '../errors';
import {
  accessBucket,
  checksumAlgorithm,
  explicitLock,
  requireIntegrityHeader,
  requireKey,
  sseOutput,
  writeOptions,
} from '../s3-access';
import { checksumOutput } from '../s3-checksums';
import type { VersionMeta } from '../s3-meta';
import { abortUpload, completeUpload, createUpload, findUpload, uploadPart } from '../s3-multipart';
import type { BodyInput } from '../s3-store';
import type { CallContext } from '../sandbox';
import { listObjects, listVersions } from './s3-listing';

function lockOutput(version: VersionMeta): Record<string, unknown> {
  return version.lock
    ? { ObjectLockMode: version.lock.mode, ObjectLockRetainUntilDate: new Date(version.lock.retainUntil) }
    : {};
}

async function putObject(
  ctx: CallContext,
  input: S3.PutObjectCommandInput,
): Promise<Partial<S3.PutObjectCommandOutput>> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const key = requireKey(input.Key);
  const options = writeOptions(ctx, input);
  requireIntegrityHeader(bucket, input, options.lock);
  const version = await store.putObject(bucket.name, key, (input.Body ?? '') as BodyInput, options);
  return {
    ETag: version.etag,
    VersionId: bucket.versioning ? version.versionId : undefined,
    Size: version.size,
    ...checksumOutput(version.checksum),
    ...sseOutput(version.sse),
  };
}

/** Parses `Range: bytes=a-b | a- | -n` (RFC 9110); anything else reads the whole object, as S3 ignores it. */
function byteRange(range: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(range ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const start = match[1] === '' ? Math.max(0, size - Number(match[2])) : Number(match[1]);
  const end = match[1] === '' || match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end)
    throw awsError('InvalidRange', 'The requested range is not satisfiable', { httpStatusCode: 416 });
  return { start, end };
}

function headFields(version: VersionMeta, checksumMode: unknown, versioned: boolean): Record<string, unknown> {
  return {
    ContentLength: version.size,
    ETag: version.etag,
    LastModified: new Date(version.lastModified),
    ContentType: version.contentType ?? 'binary/octet-stream',
    VersionId: versioned ? version.versionId : undefined,
    ...lockOutput(version),
    ...sseOutput(version.sse),
    ...(checksumMode === 'ENABLED' ? checksumOutput(version.checksum) : {}),
    ...(version.parts ? { PartsCount: version.parts.length } : {}),
  };
}

function getObject(ctx: CallContext, input: S3.GetObjectCommandInput): Partial<S3.GetObjectCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const { version, path } = store.version(bucket.name, requireKey(input.Key), input.VersionId);
  const range = byteRange(input.Range, version.size);
  // Opened now, so a later overwrite (which renames the file into the version store) cannot change what this read returns.
  const fd = openSync(path, 'r');
  const stream =
    version.size === 0
      ? createReadStream('', { fd, start: 0 })
      : createReadStream('', { fd, start: range?.start ?? 0, end: range?.end ?? version.size - 1 });
  const fields = headFields(version, range ? undefined : input.ChecksumMode, bucket.versioning);
  return {
    ...fields,
    ...(range
      ? {
          ContentLength: range.end - range.start + 1,
          ContentRange: `bytes ${range.start}-${range.end}/${version.size}`,
        }
      : {}),
    Body: sdkStreamMixin(stream),
  } as Partial<S3.GetObjectCommandOutput>;
}

function headObject(ctx: CallContext, input: S3.HeadObjectCommandInput): Partial<S3.HeadObjectCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const { version } = store.version(bucket.name, requireKey(input.Key), input.VersionId);
  return headFields(version, input.ChecksumMode, bucket.versioning) as Partial<S3.HeadObjectCommandOutput>;
}

function getObjectAttributes(
  ctx: CallContext,
  input: S3.GetObjectAttributesCommandInput,
): Partial<S3.GetObjectAttributesCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const { version } = store.version(bucket.name, requireKey(input.Key), input.VersionId);
  const wanted = new Set(input.ObjectAttributes ?? []);
  const out: Record<string, unknown> = {
    LastModified: new Date(version.lastModified),
    VersionId: bucket.versioning ? version.versionId : undefined,
  };
  if (wanted.has('ETag')) out.ETag = version.etag.replace(/"/g, '');
  if (wanted.has('ObjectSize')) out.ObjectSize = version.size;
  if (wanted.has('StorageClass')) out.StorageClass = 'STANDARD';
  if (wanted.has('Checksum') && version.checksum) out.Checksum = checksumOutput(version.checksum);
  if (wanted.has('ObjectParts') && version.parts) {
    const marker = Number(input.PartNumberMarker ?? 0);
    const max = input.MaxParts ?? 1000;
    const after = version.parts.filter((part) => part.partNumber > marker);
    const page = after.slice(0, max);
    const field = version.checksum ? `Checksum${version.checksum.algorithm}` : undefined;
    out.ObjectParts = {
      TotalPartsCount: version.parts.length,
      PartNumberMarker: String(marker),
      NextPartNumberMarker: String(page.at(-1)?.partNumber ?? marker),
      MaxParts: max,
      IsTruncated: after.length > page.length,
      Parts: page.map((part) => ({
        PartNumber: part.partNumber,
        Size: part.size,
        ...(field && part.checksum ? { [field]: part.checksum } : {}),
      })),
    };
  }
  return out as Partial<S3.GetObjectAttributesCommandOutput>;
}

function deleteObject(ctx: CallContext, input: S3.DeleteObjectCommandInput): Partial<S3.DeleteObjectCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const result = store.deleteObject(
    bucket.name,
    requireKey(input.Key),
    input.VersionId,
    input.BypassGovernanceRetention === true,
  );
  return {
    VersionId: bucket.versioning ? result.versionId : undefined,
    ...(result.deleteMarker ? { DeleteMarker: true } : {}),
  };
}

function getObjectRetention(
  ctx: CallContext,
  input: S3.GetObjectRetentionCommandInput,
): Partial<S3.GetObjectRetentionCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const { version } = store.version(bucket.name, requireKey(input.Key), input.VersionId);
  if (!version.lock)
    throw awsError('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', {
      httpStatusCode: 404,
    });
  return { Retention: { Mode: version.lock.mode, RetainUntilDate: new Date(version.lock.retainUntil) } };
}

function putObjectRetention(
  ctx: CallContext,
  input: S3.PutObjectRetentionCommandInput,
): Partial<S3.PutObjectRetentionCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const lock = explicitLock({
    ObjectLockMode: input.Retention?.Mode,
    ObjectLockRetainUntilDate: input.Retention?.RetainUntilDate,
  });
  if (!lock)
    throw awsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  store.putRetention(
    bucket.name,
    requireKey(input.Key),
    input.VersionId,
    { mode: lock.mode, retainUntil: lock.retainUntil.toISOString() },
    input.BypassGovernanceRetention === true,
  );
  return {};
}

function getObjectLockConfiguration(
  ctx: CallContext,
  input: S3.GetObjectLockConfigurationCommandInput,
): Partial<S3.GetObjectLockConfigurationCommandOutput> {
  const { bucket } = accessBucket(ctx, input.Bucket);
  if (!bucket.objectLock) {
    throw awsError('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', {
      httpStatusCode: 404,
    });
  }
  return {
    ObjectLockConfiguration: {
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: bucket.objectLock.mode, Days: bucket.objectLock.days } },
    },
  };
}

function createMultipartUpload(
  ctx: CallContext,
  input: S3.CreateMultipartUploadCommandInput,
): Partial<S3.CreateMultipartUploadCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const options = writeOptions(ctx, input);
  const upload = createUpload(store, bucket.name, requireKey(input.Key), {
    algorithm: checksumAlgorithm(input.ChecksumAlgorithm),
    checksumType: input.ChecksumType,
    lock: options.lock,
    kmsKeyId: options.kmsKeyId,
    contentType: options.contentType,
  });
  return {
    Bucket: bucket.name,
    Key: upload.key,
    UploadId: upload.uploadId,
    ChecksumAlgorithm: upload.algorithm,
    ChecksumType: upload.checksumType,
    ...sseOutput(upload.sse),
  };
}

async function uploadPartHandler(
  ctx: CallContext,
  input: S3.UploadPartCommandInput,
): Promise<Partial<S3.UploadPartCommandOutput>> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const upload = findUpload(store, bucket.name, requireKey(input.Key), input.UploadId);
  const options = writeOptions(ctx, input);
  if (upload.lock)
    requireIntegrityHeader(
      bucket,
      { ...input, ChecksumAlgorithm: input.ChecksumAlgorithm ?? upload.algorithm },
      undefined,
    );
  const part = await uploadPart(store, upload, input.PartNumber ?? 0, (input.Body ?? '') as BodyInput, options);
  const field = upload.algorithm ? { [`Checksum${upload.algorithm}`]: part.checksum } : {};
  return { ETag: part.etag, ...field, ...sseOutput(upload.sse) };
}

async function completeMultipartUpload(
  ctx: CallContext,
  input: S3.CompleteMultipartUploadCommandInput,
): Promise<Partial<S3.CompleteMultipartUploadCommandOutput>> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const upload = findUpload(store, bucket.name, requireKey(input.Key), input.UploadId);
  if (input.ChecksumType && input.ChecksumType !== upload.checksumType) {
    throw awsError(
      'InvalidRequest',
      `The upload was created using the ${upload.checksumType} checksum mode. The complete request must use the same checksum mode.`,
    );
  }
  const field = upload.algorithm ? (`Checksum${upload.algorithm}` as const) : undefined;
  const version = await completeUpload(store, upload, {
    parts: (input.MultipartUpload?.Parts ?? []).map((part) => ({
      PartNumber: part.PartNumber,
      ETag: part.ETag,
      checksum: field ? (part as Record<string, string | undefined>)[field] : undefined,
    })),
    checksum: field ? (input as unknown as Record<string, string | undefined>)[field] : undefined,
    mpuObjectSize: input.MpuObjectSize,
    ifNoneMatch: input.IfNoneMatch === '*',
  });
  return {
    Bucket: bucket.name,
    Key: upload.key,
    ETag: version.etag,
    VersionId: bucket.versioning ? version.versionId : undefined,
    ...checksumOutput(version.checksum),
    ...sseOutput(version.sse),
  };
}

function abortMultipartUpload(
  ctx: CallContext,
  input: S3.AbortMultipartUploadCommandInput,
): Partial<S3.AbortMultipartUploadCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  abortUpload(store, findUpload(store, bucket.name, requireKey(input.Key), input.UploadId));
  return {};
}

function listParts(ctx: CallContext, input: S3.ListPartsCommandInput): Partial<S3.ListPartsCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const upload = findUpload(store, bucket.name, requireKey(input.Key), input.UploadId);
  const marker = Number(input.PartNumberMarker ?? 0);
  const max = input.MaxParts ?? 1000;
  const after = [...upload.parts.values()]
    .filter((part) => part.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, max);
  const field = upload.algorithm ? `Checksum${upload.algorithm}` : undefined;
  return {
    Bucket: bucket.name,
    Key: upload.key,
    UploadId: upload.uploadId,
    ChecksumAlgorithm: upload.algorithm,
    ChecksumType: upload.checksumType,
    IsTruncated: after.length > page.length,
    NextPartNumberMarker: page.at(-1) ? String(page.at(-1)?.partNumber) : undefined,
    Parts: page.map((part) => ({
      PartNumber: part.partNumber,
      Size: part.size,
      ETag: part.etag,
      ...(field ? { [field]: part.checksum } : {}),
    })),
  };
}

export const s3 = {
  PutObject: putObject,
  GetObject: getObject,
  HeadObject: headObject,
  GetObjectAttributes: getObjectAttributes,
  ListObjectsV2: listObjects,
  ListObjectVersions: listVersions,
  DeleteObject: deleteObject,
  GetObjectRetention: getObjectRetention,
  PutObjectRetention: putObjectRetention,
  GetObjectLockConfiguration: getObjectLockConfiguration,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPartHandler,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};
