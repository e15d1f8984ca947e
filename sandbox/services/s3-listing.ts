// S3 listings in the sandbox: ListObjectsV2 (current versions, pages of at most 1000 keys) and ListObjectVersions.
import type * as S3 from '@aws-sdk/client-s3';
import { accessBucket } from '../s3-access';
import { currentVersion, listObjectMeta } from '../s3-meta';
import type { CallContext } from '../sandbox';

const PAGE_LIMIT = 1000;

/** Splits keys into listed keys and CommonPrefixes for a delimiter, as S3 rolls up "folders". */
function rollUp(
  keys: readonly string[],
  prefix: string,
  delimiter: string | undefined,
): Array<{ key: string; common: boolean }> {
  const out: Array<{ key: string; common: boolean }> = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut < 0) {
      out.push({ key, common: false });
      continue;
    }
    const common = key.slice(0, cut + (delimiter ?? '').length);
    if (!seen.has(common)) out.push({ key: common, common: true });
    seen.add(common);
  }
  return out;
}

export function listObjects(
  ctx: CallContext,
  input: S3.ListObjectsV2CommandInput,
): Partial<S3.ListObjectsV2CommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const prefix = input.Prefix ?? '';
  const max = Math.min(input.MaxKeys ?? PAGE_LIMIT, PAGE_LIMIT);
  const after = input.ContinuationToken
    ? Buffer.from(input.ContinuationToken, 'base64url').toString()
    : (input.StartAfter ?? '');
  const current = listObjectMeta(store.root, bucket.name, prefix)
    .filter((meta) => currentVersion(meta))
    .map((meta) => ({ key: meta.key, version: currentVersion(meta)! }));
  const entries = rollUp(
    current.map((item) => item.key),
    prefix,
    input.Delimiter,
  ).filter((entry) => entry.key > after);
  const page = entries.slice(0, max);
  const truncated = entries.length > page.length;
  const byKey = new Map(current.map((item) => [item.key, item.version]));
  return {
    Name: bucket.name,
    Prefix: prefix,
    MaxKeys: max,
    KeyCount: page.length,
    IsTruncated: truncated,
    ...(input.ContinuationToken ? { ContinuationToken: input.ContinuationToken } : {}),
    ...(truncated ? { NextContinuationToken: Buffer.from(page.at(-1)!.key).toString('base64url') } : {}),
    Contents: page
      .filter((entry) => !entry.common)
      .map((entry) => {
        const version = byKey.get(entry.key)!;
        return {
          Key: entry.key,
          Size: version.size,
          ETag: version.etag,
          LastModified: new Date(version.lastModified),
          StorageClass: 'STANDARD',
          ...(version.checksum
            ? { ChecksumAlgorithm: [version.checksum.algorithm], ChecksumType: version.checksum.type }
            : {}),
        };
      }),
    CommonPrefixes: page.filter((entry) => entry.common).map((entry) => ({ Prefix: entry.key })),
  } as Partial<S3.ListObjectsV2CommandOutput>;
}

export function listVersions(
  ctx: CallContext,
  input: S3.ListObjectVersionsCommandInput,
): Partial<S3.ListObjectVersionsCommandOutput> {
  const { store, bucket } = accessBucket(ctx, input.Bucket);
  const prefix = input.Prefix ?? '';
  const max = Math.min(input.MaxKeys ?? PAGE_LIMIT, PAGE_LIMIT);
  const all = listObjectMeta(store.root, bucket.name, prefix).flatMap((meta) =>
    meta.versions.map((version, index) => ({ key: meta.key, version, latest: index === 0 })),
  );
  let start = 0;
  if (input.KeyMarker) {
    const markerIndex = all.findIndex(
      (item) =>
        item.key === input.KeyMarker && (!input.VersionIdMarker || item.version.versionId === input.VersionIdMarker),
    );
    start = input.VersionIdMarker ? markerIndex + 1 : all.findIndex((item) => item.key > (input.KeyMarker ?? ''));
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + max);
  const truncated = start + page.length < all.length;
  const last = page.at(-1);
  return {
    Name: bucket.name,
    Prefix: prefix,
    MaxKeys: max,
    IsTruncated: truncated,
    ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.version.versionId } : {}),
    Versions: page
      .filter((item) => !item.version.deleteMarker)
      .map((item) => ({
        Key: item.key,
        VersionId: item.version.versionId,
        IsLatest: item.latest,
        Size: item.version.size,
        ETag: item.version.etag,
        LastModified: new Date(item.version.lastModified),
        StorageClass: 'STANDARD',
        ...(item.version.checksum
          ? { ChecksumAlgorithm: [item.version.checksum.algorithm], ChecksumType: item.version.checksum.type }
          : {}),
      })),
    DeleteMarkers: page
      .filter((item) => item.version.deleteMarker)
      .map((item) => ({
        Key: item.key,
        VersionId: item.version.versionId,
        IsLatest: item.latest,
        LastModified: new Date(item.version.lastModified),
      })),
  } as Partial<S3.ListObjectVersionsCommandOutput>;
}
