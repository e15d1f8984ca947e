import { EvidenceWriteError } from '../../tasks/lib/errors';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createSandboxEnvironment } from '../../sandbox';
import { metaDir, objectPath, readObjectMeta } from '../../sandbox/s3-meta';
import type { Scenario } from '../../sandbox/scenario';
import { loadScenario } from '../../sandbox/scenario';
import { writeEvidence } from '../../tasks/lib/evidence-writer';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const KMS_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/0b7e4c1a-5d2f-4c3e-9a8b-1f2e3d4c5b6a';
const PART = 5 * 1024 * 1024;
const RETAIN_UNTIL = new Date(Date.now() + 30 * 86_400_000);

function setup(scenario: Scenario = loadScenario()) {
  const env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-writer-')) });
  return {
    env,
    sandbox: env.sandbox,
    root: env.sandbox.root,
    s3: env.clients('custody-writer-test').forensics('eu-west-1').s3() as S3Client,
  };
}

/** The reference hash: coreutils' sha256sum over the same bytes. */
function sha256sum(bytes: Buffer): string {
  const result = spawnSync('sha256sum', ['-b', '-'], { input: bytes });
  return result.stdout.toString().split(' ')[0];
}

/** A stream that hands the bytes over in uneven chunks, as a pipe would. */
function unevenStream(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0, step = 1; offset < bytes.length; offset += step, step = (step * 7 + 13) % 900_001)
    chunks.push(bytes.subarray(offset, offset + step));
  return Readable.from(chunks);
}

const request = (key: string, body: Buffer | Readable | string) => ({
  bucket: BUCKET,
  key,
  body,
  kmsKeyId: KMS_KEY,
  retainUntil: RETAIN_UNTIL,
  partSize: PART,
  concurrency: 3,
});

describe('writeEvidence', () => {
  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['one byte short of a part', PART - 1],
    ['exactly one part', PART],
    ['one byte over a part', PART + 1],
    ['exactly three parts', 3 * PART],
    ['several parts and a tail', 3 * PART + 7],
  ])('stores %s byte-for-byte under COMPLIANCE retention with the SHA-256 sha256sum computes', async (_label, size) => {
    const { s3, sandbox, root } = setup();
    const input = randomBytes(size);
    const key = `cases/c1/222222222222/i-0c0ffee1234567890/memory/memory-${size}.lime`;
    const written = await writeEvidence(s3, request(key, unevenStream(input)));
    expect(written).toMatchObject({ key, bytes: size, sha256: sha256sum(input) });
    expect(readFileSync(objectPath(root, BUCKET, key)).equals(input)).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect(head).toMatchObject({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date(RETAIN_UNTIL.toISOString()),
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
    });
    expect(head.VersionId).toBe(written.versionId);
    const multipart = size > PART;
    expect(sandbox.callsOf('S3', 'PutObject')).toHaveLength(multipart ? 0 : 1);
    expect(sandbox.callsOf('S3', 'UploadPart')).toHaveLength(multipart ? Math.ceil(size / PART) : 0);
    // Small objects carry the very SHA-256 the custody log records; large ones a full-object CRC32 S3 checked on every byte.
    if (multipart) expect(head).toMatchObject({ ChecksumCRC32: written.checksum, ChecksumType: 'FULL_OBJECT' });
    else expect(head.ChecksumSHA256).toBe(Buffer.from(written.sha256, 'hex').toString('base64'));
  });

  it('sends every part but the last at the full part size and states the checksum S3 must verify', async () => {
    const { s3, sandbox } = setup();
    await writeEvidence(s3, request('cases/c1/big.raw', randomBytes(2 * PART + 10)));
    const parts = sandbox.callsOf('S3', 'UploadPart').map((call) => call.input);
    expect(parts.map((input) => [input.PartNumber, input.ContentLength])).toEqual(
      expect.arrayContaining([
        [1, PART],
        [2, PART],
        [3, 10],
      ]),
    );
    expect(parts.every((input) => typeof input.ChecksumCRC32 === 'string')).toBe(true);
    const complete = sandbox.callsOf('S3', 'CompleteMultipartUpload')[0].input;
    expect(complete).toMatchObject({ ChecksumType: 'FULL_OBJECT', MpuObjectSize: 2 * PART + 10, IfNoneMatch: '*' });
    expect(sandbox.callsOf('S3', 'CreateMultipartUpload')[0].input).toMatchObject({
      ObjectLockMode: 'COMPLIANCE',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
    });
  });

  it('accepts bytes and text as well as streams', async () => {
    const { s3, root } = setup();
    const fromText = await writeEvidence(s3, request('cases/c1/case.json', '{"caseId":"c1"}'));
    expect(fromText.sha256).toBe(sha256sum(Buffer.from('{"caseId":"c1"}')));
    const bytes = randomBytes(PART + 3);
    const fromBytes = await writeEvidence(s3, request('cases/c1/bytes.bin', bytes));
    expect(fromBytes.sha256).toBe(sha256sum(bytes));
    expect(readFileSync(objectPath(root, BUCKET, 'cases/c1/bytes.bin')).equals(bytes)).toBe(true);
  });

  it.each([
    ['a small object', 100],
    ['a multipart object', PART + 100],
  ])(
    'never overwrites %s: the second write fails as "already exists" and the first stays intact',
    async (_label, size) => {
      const { s3, sandbox, root } = setup();
      const first = randomBytes(size);
      const key = 'cases/c1/222222222222/i-0c0ffee1234567890/volatile/processes.txt';
      await writeEvidence(s3, request(key, first));
      const second = writeEvidence(s3, request(key, randomBytes(size)));
      await expect(second).rejects.toBeInstanceOf(EvidenceWriteError);
      await expect(second).rejects.toMatchObject({
        name: 'ObjectExistsError',
        message: expect.stringContaining('already exists'),
      });
      expect(readFileSync(objectPath(root, BUCKET, key)).equals(first)).toBe(true);
      expect(readObjectMeta(root, BUCKET, key)?.versions).toHaveLength(1);
      if (size > PART) expect(sandbox.callsOf('S3', 'AbortMultipartUpload')).toHaveLength(1);
    },
  );

  it('lets exactly one of several concurrent writes of one key win', async () => {
    const { s3, root } = setup();
    const bodies = [randomBytes(1000), randomBytes(2000), randomBytes(PART + 5)];
    const results = await Promise.allSettled(
      bodies.map((body) => writeEvidence(s3, request('cases/c1/race.bin', body))),
    );
    const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
    expect(winners).toHaveLength(1);
    expect(readFileSync(objectPath(root, BUCKET, 'cases/c1/race.bin')).equals(bodies[winners[0]])).toBe(true);
    for (const result of results)
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(EvidenceWriteError);
        expect(result.reason.name).toBe('ObjectExistsError');
      }
  });

  it('aborts the multipart upload when a part fails, leaving no object and no parts behind', async () => {
    const scenario = loadScenario();
    scenario.faults.push({
      service: 'S3',
      operation: 'UploadPart',
      error: 'InternalError',
      message: 'injected',
      times: 1,
    });
    const { s3, sandbox, root } = setup(scenario);
    await expect(writeEvidence(s3, request('cases/c1/failed.bin', randomBytes(3 * PART)))).rejects.toMatchObject({
      name: 'InternalError',
    });
    expect(sandbox.callsOf('S3', 'AbortMultipartUpload')).toHaveLength(1);
    expect(sandbox.callsOf('S3', 'CompleteMultipartUpload')).toHaveLength(0);
    expect(existsSync(objectPath(root, BUCKET, 'cases/c1/failed.bin'))).toBe(false);
    expect(readdirSync(metaDir(root, BUCKET, 'uploads'))).toEqual([]);
  });

  it('never deletes an object or changes a retention, whatever happens', async () => {
    const { s3, sandbox } = setup();
    await writeEvidence(s3, request('cases/c1/a', 'a'));
    await writeEvidence(s3, request('cases/c1/b', randomBytes(PART + 1)));
    await expect(writeEvidence(s3, request('cases/c1/a', 'again'))).rejects.toThrow();
    await expect(writeEvidence(s3, request('cases/c1/b', randomBytes(PART + 1)))).rejects.toThrow();
    const forbidden = [
      'DeleteObject',
      'DeleteObjects',
      'PutObjectRetention',
      'PutObjectLegalHold',
      'PutObjectLockConfiguration',
    ];
    expect(sandbox.calls.filter((call) => call.service === 'S3' && forbidden.includes(call.operation))).toEqual([]);
  });

  it("refuses a part size below S3's 5 MiB minimum before touching the bucket", async () => {
    const { s3, sandbox } = setup();
    await expect(writeEvidence(s3, { ...request('k', 'x'), partSize: PART - 1 })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    expect(sandbox.calls.filter((call) => call.service === 'S3')).toEqual([]);
  });

  it('grows the part size from a size hint so a large memory image stays within 10,000 parts', async () => {
    const { s3, sandbox } = setup();
    const hint = 10_000 * 6 * 1024 * 1024;
    const input = randomBytes(13 * 1024 * 1024);
    const written = await writeEvidence(s3, { ...request('cases/c1/hinted.lime', input), sizeHint: hint });
    expect(written.sha256).toBe(sha256sum(input));
    expect(sandbox.callsOf('S3', 'UploadPart').map((call) => call.input.ContentLength)).toEqual(
      expect.arrayContaining([6 * 1024 * 1024, 6 * 1024 * 1024, 1024 * 1024]),
    );
  });
});
