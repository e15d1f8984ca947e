import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createSandboxEnvironment } from '../../sandbox';
import { objectPath, readObjectMeta } from '../../sandbox/s3-meta';
import { s3Store } from '../../sandbox/s3-store';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const EVIDENCE_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/0b7e4c1a-5d2f-4c3e-9a8b-1f2e3d4c5b6a';
const DAY = 86_400_000;

function setup() {
  const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-s3-')) });
  const s3: S3Client = env.clients('custody-s3-test').forensics('eu-west-1').s3();
  return { env, s3, root: env.sandbox.root };
}

const sha256b64 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('base64');

function put(s3: S3Client, key: string, body: string, extra: Record<string, unknown> = {}) {
  return s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ChecksumSHA256: sha256b64(body), ...extra }),
  );
}

async function text(s3: S3Client, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ...extra }));
  return response.Body!.transformToString();
}

describe('sandbox S3 objects', () => {
  it('keeps the current version as a plain file in the case folder and serves it back with its checksum, lock and key', async () => {
    const { s3, root } = setup();
    const put1 = await put(s3, 'cases/c1/case.json', '{"caseId":"c1"}');
    expect(readFileSync(objectPath(root, BUCKET, 'cases/c1/case.json'), 'utf8')).toBe('{"caseId":"c1"}');
    expect(await text(s3, 'cases/c1/case.json')).toBe('{"caseId":"c1"}');
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'cases/c1/case.json', ChecksumMode: 'ENABLED' }),
    );
    expect(head).toMatchObject({
      ContentLength: 15,
      VersionId: put1.VersionId,
      ChecksumSHA256: sha256b64('{"caseId":"c1"}'),
      ObjectLockMode: 'COMPLIANCE',
    });
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: EVIDENCE_KEY });
    // The bucket's default retention (365 days) applies when the write names none.
    expect(Math.abs(head.ObjectLockRetainUntilDate!.getTime() - (Date.now() + 365 * DAY))).toBeLessThan(60_000);
    expect(readObjectMeta(root, BUCKET, 'cases/c1/case.json')?.versions[0].checksum).toEqual({
      algorithm: 'SHA256',
      value: sha256b64('{"caseId":"c1"}'),
      type: 'FULL_OBJECT',
    });
  });

  it('refuses bytes that do not match the stated SHA-256 with BadDigest and stores nothing', async () => {
    const { s3, root } = setup();
    await expect(
      s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'altered', ChecksumSHA256: sha256b64('original') }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
    expect(existsSync(objectPath(root, BUCKET, 'k'))).toBe(false);
    expect(readObjectMeta(root, BUCKET, 'k')).toBeUndefined();
  });

  it('requires Content-MD5 or a checksum on a write that gets Object Lock retention, as S3 does', async () => {
    const { s3 } = setup();
    await expect(
      s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'k',
          Body: 'x',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() + DAY),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
    await expect(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'x', ChecksumAlgorithm: 'CRC32' })),
    ).resolves.toBeDefined();
  });

  it('records an explicit COMPLIANCE retain-until date and refuses to shorten it, but lets it be extended', async () => {
    const { s3 } = setup();
    const until = new Date(Date.now() + 10 * DAY);
    await put(s3, 'k', 'evidence', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until });
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: BUCKET, Key: 'k' }));
    expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: new Date(until.toISOString()) });
    const shorter = new PutObjectRetentionCommand({
      Bucket: BUCKET,
      Key: 'k',
      Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + DAY) },
    });
    await expect(s3.send(shorter)).rejects.toMatchObject({ name: 'AccessDenied' });
    const weaker = new PutObjectRetentionCommand({
      Bucket: BUCKET,
      Key: 'k',
      Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 20 * DAY) },
    });
    await expect(s3.send(weaker)).rejects.toMatchObject({ name: 'AccessDenied' });
    const longer = new Date(Date.now() + 20 * DAY);
    await s3.send(
      new PutObjectRetentionCommand({
        Bucket: BUCKET,
        Key: 'k',
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: longer },
      }),
    );
    expect(
      (await s3.send(new GetObjectRetentionCommand({ Bucket: BUCKET, Key: 'k' }))).Retention?.RetainUntilDate,
    ).toEqual(new Date(longer.toISOString()));
  });

  it('answers If-None-Match: * on an existing key with PreconditionFailed and keeps the first bytes', async () => {
    const { s3 } = setup();
    await put(s3, 'k', 'first', { IfNoneMatch: '*' });
    await expect(put(s3, 'k', 'second', { IfNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    expect(await text(s3, 'k')).toBe('first');
  });

  it('lets exactly one of several racing If-None-Match: * writes to one key win', async () => {
    const { s3, root } = setup();
    const bodies = ['a', 'b', 'c', 'd', 'e'].map((letter) => letter.repeat(1000));
    const results = await Promise.allSettled(bodies.map((body) => put(s3, 'race', body, { IfNoneMatch: '*' })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(
      results
        .filter((result) => result.status === 'rejected')
        .map((result) => (result as PromiseRejectedResult).reason.name),
    ).toEqual(Array(4).fill('PreconditionFailed'));
    const winner = bodies[results.findIndex((result) => result.status === 'fulfilled')];
    expect(readFileSync(objectPath(root, BUCKET, 'race'), 'utf8')).toBe(winner);
    expect(readObjectMeta(root, BUCKET, 'race')?.versions).toHaveLength(1);
  });

  it('keeps a locked version when its key is written again: the new bytes become a new version', async () => {
    const { s3 } = setup();
    const first = await put(s3, 'k', 'original evidence');
    const second = await put(s3, 'k', 'replacement');
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(await text(s3, 'k')).toBe('replacement');
    expect(await text(s3, 'k', { VersionId: first.VersionId })).toBe('original evidence');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'k' }));
    expect(versions.Versions?.map((version) => [version.VersionId, version.IsLatest])).toEqual([
      [second.VersionId, true],
      [first.VersionId, false],
    ]);
  });

  it('refuses to delete a version under COMPLIANCE retention and leaves its bytes in place', async () => {
    const { s3, root } = setup();
    const written = await put(s3, 'cases/c1/memory.lime', 'memory image');
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'cases/c1/memory.lime', VersionId: written.VersionId })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(readFileSync(objectPath(root, BUCKET, 'cases/c1/memory.lime'), 'utf8')).toBe('memory image');
  });

  it('answers a delete without a version id with a delete marker, hiding the object but keeping the locked version', async () => {
    const { s3 } = setup();
    const written = await put(s3, 'k', 'still here');
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k' }));
    expect(deleted.DeleteMarker).toBe(true);
    await expect(text(s3, 'k')).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(await text(s3, 'k', { VersionId: written.VersionId })).toBe('still here');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
    expect(versions.DeleteMarkers?.map((marker) => marker.VersionId)).toEqual([deleted.VersionId]);
    // Removing the delete marker (never locked) makes the retained version current again.
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k', VersionId: deleted.VersionId }));
    expect(await text(s3, 'k')).toBe('still here');
  });

  it('serves a byte range of an object', async () => {
    const { s3 } = setup();
    await put(s3, 'k', '0123456789');
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k', Range: 'bytes=2-5' }));
    expect(await response.Body!.transformToString()).toBe('2345');
    expect(response).toMatchObject({ ContentLength: 4, ContentRange: 'bytes 2-5/10' });
    expect(await text(s3, 'k', { Range: 'bytes=-3' })).toBe('789');
    await expect(text(s3, 'k', { Range: 'bytes=10-' })).rejects.toMatchObject({ name: 'InvalidRange' });
  });

  it('lists a case folder in pages of MaxKeys with continuation tokens', async () => {
    const { s3 } = setup();
    const keys = Array.from({ length: 7 }, (_, index) => `cases/c1/file-${index}.txt`);
    for (const key of keys) await put(s3, key, key);
    await put(s3, 'cases/c2/other.txt', 'x');
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'cases/c1/', MaxKeys: 3, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((item) => item.Key!));
      token = page.NextContinuationToken;
      pages += 1;
    } while (token);
    expect(seen).toEqual(keys);
    expect(pages).toBe(3);
    const folders = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'cases/', Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['cases/c1/', 'cases/c2/']);
  });

  it('lists keys under a prefix in UTF-8 byte order, including keys written after the first listing', async () => {
    const { s3 } = setup();
    for (const key of ['cases/c1/b', 'cases/c1/a', 'cases/c10/x', 'cases/c1/\u00e9', 'cases/c0/z'])
      await put(s3, key, key);
    const list = async (prefix: string) =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((c) => c.Key);
    expect(await list('cases/c1/')).toEqual(['cases/c1/a', 'cases/c1/b', 'cases/c1/\u00e9']);
    await put(s3, 'cases/c1/aa', 'later');
    expect(await list('cases/c1/')).toEqual(['cases/c1/a', 'cases/c1/aa', 'cases/c1/b', 'cases/c1/\u00e9']);
    expect(await list('cases/c1')).toEqual([
      'cases/c1/a',
      'cases/c1/aa',
      'cases/c1/b',
      'cases/c1/\u00e9',
      'cases/c10/x',
    ]);
  });

  it('lists what another process wrote into the bucket folder since this one last listed it', async () => {
    const { s3, root } = setup();
    await put(s3, 'cases/c1/a', 'a');
    const list = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'cases/' }))).Contents ?? []).map(
        (c) => c.Key,
      );
    expect(await list()).toEqual(['cases/c1/a']);
    // Another process's write: a metadata file appears in the folder without this process's store knowing.
    const meta = readObjectMeta(root, BUCKET, 'cases/c1/a')!;
    const other = join(root, '.s3meta', BUCKET, 'objects', `${encodeURIComponent('cases/c2/b')}.json`);
    writeFileSync(other, JSON.stringify({ ...meta, key: 'cases/c2/b' }));
    expect(await list()).toEqual(['cases/c1/a', 'cases/c2/b']);
  });

  it('reports the bucket default retention and refuses other accounts, wrong regions and unknown buckets', async () => {
    const { env, s3 } = setup();
    const config = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: BUCKET }));
    expect(config.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
    });
    const member = env.clients().member('222222222222', 'eu-west-1').s3();
    await expect(member.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    const credentials = env.sandbox.issueCredentials({
      accountId: '333333333333',
      arn: 'arn:aws:sts::333333333333:assumed-role/CustodyEvidenceWriter/t',
      roleName: 'CustodyEvidenceWriter',
    });
    const wrongRegion = env.sandbox.attach(new S3Client({ region: 'us-east-1', credentials }));
    await expect(wrongRegion.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k' }))).rejects.toMatchObject({
      name: 'PermanentRedirect',
    });
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  it('lets sandbox code store an object without the SDK, with the same checks', async () => {
    const { env, root } = setup();
    const store = s3Store(env.sandbox);
    const version = await store.putObject(BUCKET, 'tools/avml', Buffer.from('binary'), {
      checksum: { algorithm: 'SHA256', value: sha256b64('binary') },
    });
    expect(version.lock?.mode).toBe('COMPLIANCE');
    expect(readFileSync(objectPath(root, BUCKET, 'tools/avml'), 'utf8')).toBe('binary');
    await expect(store.putObject(BUCKET, 'tools/avml', 'x', { ifNoneMatch: true })).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
  });
});
