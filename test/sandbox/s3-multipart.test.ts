import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createSandboxEnvironment } from '../../sandbox';
import { metaDir, objectPath } from '../../sandbox/s3-meta';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const MiB = 1024 * 1024;

function setup() {
  const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-s3mp-')) });
  return { env, s3: env.clients('custody-s3-test').forensics('eu-west-1').s3() as S3Client, root: env.sandbox.root };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
const crcB64 = (bytes: Uint8Array) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes) >>> 0);
  return out.toString('base64');
};

async function start(s3: S3Client, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'SHA256', ...extra }),
  );
  return created.UploadId!;
}

async function part(
  s3: S3Client,
  key: string,
  uploadId: string,
  partNumber: number,
  body: Buffer,
  extra: Record<string, unknown> = {},
) {
  const response = await s3.send(
    new UploadPartCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: body,
      ChecksumSHA256: sha(body).toString('base64'),
      ...extra,
    }),
  );
  return {
    PartNumber: partNumber,
    ETag: response.ETag,
    ChecksumSHA256: response.ChecksumSHA256,
    ChecksumCRC32: response.ChecksumCRC32,
  };
}

describe('sandbox S3 multipart uploads', () => {
  it("joins the parts in order and gives the object S3's composite SHA-256 (checksum of part checksums, -N)", async () => {
    const { s3, root } = setup();
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
    const uploadId = await start(s3, 'big');
    const parts = [];
    for (const [index, body] of bodies.entries()) parts.push(await part(s3, 'big', uploadId, index + 1, body));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'big',
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(readFileSync(objectPath(root, BUCKET, 'big')).equals(Buffer.concat(bodies))).toBe(true);
    const composite = `${sha(Buffer.concat(bodies.map(sha))).toString('base64')}-3`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big', ChecksumMode: 'ENABLED' }));
    expect(head).toMatchObject({
      ChecksumSHA256: composite,
      ChecksumType: 'COMPOSITE',
      ContentLength: 10 * MiB + 1234,
      PartsCount: 3,
      ObjectLockMode: 'COMPLIANCE',
    });
    const attributes = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: BUCKET,
        Key: 'big',
        ObjectAttributes: ['Checksum', 'ObjectParts', 'ObjectSize'],
      }),
    );
    expect(attributes.ObjectSize).toBe(10 * MiB + 1234);
    expect(attributes.Checksum).toEqual({ ChecksumSHA256: composite, ChecksumType: 'COMPOSITE' });
    expect(attributes.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256])).toEqual(
      bodies.map((body, index) => [index + 1, body.length, sha(body).toString('base64')]),
    );
    expect(existsSync(metaDir(root, BUCKET, 'uploads', uploadId))).toBe(false);
  });

  it('verifies a FULL_OBJECT CRC32 stated on completion against all the bytes', async () => {
    const { s3 } = setup();
    const bodies = [randomBytes(5 * MiB), randomBytes(100)];
    const whole = Buffer.concat(bodies);
    const create = { ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' };
    const good = await start(s3, 'crc', create);
    const parts = [];
    for (const [index, body] of bodies.entries())
      parts.push(
        await part(s3, 'crc', good, index + 1, body, { ChecksumSHA256: undefined, ChecksumCRC32: crcB64(body) }),
      );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'crc',
        UploadId: good,
        MultipartUpload: { Parts: parts },
        ChecksumCRC32: crcB64(whole),
        ChecksumType: 'FULL_OBJECT',
        MpuObjectSize: whole.length,
      }),
    );
    expect(done.ChecksumCRC32).toBe(crcB64(whole));
    const bad = await start(s3, 'crc2', create);
    const badParts = [];
    for (const [index, body] of bodies.entries())
      badParts.push(
        await part(s3, 'crc2', bad, index + 1, body, { ChecksumSHA256: undefined, ChecksumCRC32: crcB64(body) }),
      );
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'crc2',
          UploadId: bad,
          MultipartUpload: { Parts: badParts },
          ChecksumCRC32: crcB64(Buffer.from('other')),
          ChecksumType: 'FULL_OBJECT',
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
  });

  it('refuses a part that does not match its stated checksum', async () => {
    const { s3 } = setup();
    const uploadId = await start(s3, 'k');
    await expect(
      part(s3, 'k', uploadId, 1, randomBytes(10), { ChecksumSHA256: sha(Buffer.from('x')).toString('base64') }),
    ).rejects.toMatchObject({ name: 'BadDigest' });
  });

  it('refuses to complete when a part other than the last is under 5 MiB, as S3 does', async () => {
    const { s3 } = setup();
    const uploadId = await start(s3, 'k');
    const parts = [
      await part(s3, 'k', uploadId, 1, randomBytes(5 * MiB - 1)),
      await part(s3, 'k', uploadId, 2, randomBytes(10)),
    ];
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'EntityTooSmall',
    });
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: [parts[1], parts[0]] },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidPartOrder',
    });
  });

  it('lists uploaded parts and forgets them all when the upload is aborted', async () => {
    const { s3, root } = setup();
    const uploadId = await start(s3, 'k');
    await part(s3, 'k', uploadId, 1, randomBytes(100));
    await part(s3, 'k', uploadId, 2, randomBytes(200));
    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'k', UploadId: uploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 100],
      [2, 200],
    ]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'k', UploadId: uploadId }));
    expect(readdirSync(metaDir(root, BUCKET, 'uploads'))).toEqual([]);
    await expect(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'k', UploadId: uploadId }))).rejects.toMatchObject(
      { name: 'NoSuchUpload' },
    );
  });

  it('completes with If-None-Match: * only when the key does not exist yet', async () => {
    const { s3 } = setup();
    for (const expected of ['ok', 'PreconditionFailed']) {
      const uploadId = await start(s3, 'once');
      const parts = [await part(s3, 'once', uploadId, 1, randomBytes(10))];
      const completing = s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'once',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: '*',
        }),
      );
      if (expected === 'ok') await expect(completing).resolves.toBeDefined();
      else await expect(completing).rejects.toMatchObject({ name: expected });
    }
  });

  it('assembles the object correctly when parts arrive out of order or are sent again', async () => {
    const { s3, root } = setup();
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)];
    const uploadId = await start(s3, 'shuffled');
    const withLength = (body: Buffer) => ({ ContentLength: body.length });
    const third = await part(s3, 'shuffled', uploadId, 3, bodies[2], withLength(bodies[2]));
    const first = await part(s3, 'shuffled', uploadId, 1, randomBytes(5 * MiB), withLength(bodies[0]));
    const second = await part(s3, 'shuffled', uploadId, 2, bodies[1], withLength(bodies[1]));
    const firstAgain = await part(s3, 'shuffled', uploadId, 1, bodies[0], withLength(bodies[0]));
    expect(firstAgain.ETag).not.toBe(first.ETag);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'shuffled',
        UploadId: uploadId,
        MultipartUpload: { Parts: [firstAgain, second, third] },
      }),
    );
    expect(readFileSync(objectPath(root, BUCKET, 'shuffled')).equals(Buffer.concat(bodies))).toBe(true);
  });
});
