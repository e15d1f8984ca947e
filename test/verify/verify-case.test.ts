import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseManifest, serializeManifest } from '../../tasks/lib/manifest';
import { formatVerifyReport, verifyCase } from '../../tasks/lib/verify';
import type { VerifyReport } from '../../tasks/lib/verify';
import type { SealedCase } from './sealed-case';
import { BASE, TARGET, buildCase } from './sealed-case';

let sealed: SealedCase;
beforeAll(async () => {
  sealed = await buildCase();
});

/** A copy of the sealed case folder to tamper with (the sandbox bucket itself stays intact). */
function copy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'custody-tamper-')), sealed.custodyCase.caseId);
  cpSync(sealed.caseDir, dir, { recursive: true });
  return dir;
}

function issues(report: VerifyReport): Array<{ check: string; kind: string; subject: string; seq?: number }> {
  return report.checks.flatMap((check) =>
    check.issues.map(({ check: name, kind, subject, seq }) => ({
      check: name,
      kind,
      subject,
      ...(seq !== undefined ? { seq } : {}),
    })),
  );
}

const lines = (dir: string): string[] => readFileSync(join(dir, 'custody.jsonl'), 'utf8').split('\n').slice(0, -1);
const writeLines = (dir: string, list: string[]): void =>
  writeFileSync(join(dir, 'custody.jsonl'), list.map((line) => `${line}\n`).join(''));

describe('verifyCase on an intact case', () => {
  it('verifies a sealed case in its sandbox bucket folder, retention included', async () => {
    const report = await verifyCase(sealed.caseDir);
    expect(issues(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts).toEqual({ ok: 4, altered: 0, missing: 0, unlisted: 0 });
    expect(report.checks.map((check) => [check.check, check.status])).toEqual([
      ['signature', 'compliant'],
      ['chain', 'compliant'],
      ['hashes', 'compliant'],
      ['completeness', 'compliant'],
      ['retention', 'compliant'],
    ]);
    expect(formatVerifyReport(report).at(-1)).toMatch(/^RESULT: OK/);
  });

  it('verifies the same case through S3 with the signing key pinned by KMS', async () => {
    const forensics = sealed.ctx.deps.clients.forensics(TARGET.region);
    const report = await verifyCase(`s3://${sealed.bucket}/cases/${sealed.custodyCase.caseId}/`, {
      s3: forensics.s3(),
      kms: forensics.kms(),
    });
    expect(issues(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, keyPinned: true, entries: 7, caseId: sealed.custodyCase.caseId });
  });

  it('says retention is not checkable for a folder copied out of the bucket, and still passes', async () => {
    const report = await verifyCase(copy());
    expect(report.ok).toBe(true);
    expect(report.checks.find((check) => check.check === 'retention')).toMatchObject({ status: 'not-applicable' });
  });
});

describe('verifyCase names every kind of tampering', () => {
  it('names an artifact with one byte changed as altered', async () => {
    const dir = copy();
    const file = join(dir, BASE, 'memory', 'memory.lime');
    const bytes = readFileSync(file);
    bytes[1000] ^= 0x01;
    writeFileSync(file, bytes);
    const report = await verifyCase(dir);
    expect(report.ok).toBe(false);
    expect(issues(report)).toEqual([{ check: 'hashes', kind: 'altered', subject: `${BASE}/memory/memory.lime` }]);
    expect(report.artifacts.find((artifact) => artifact.key.endsWith('memory.lime'))).toMatchObject({
      status: 'altered',
      actual: { bytes: bytes.length },
    });
  });

  it('names a truncated artifact as altered, saying it was truncated', async () => {
    const dir = copy();
    truncateSync(join(dir, BASE, 'memory', 'memory.lime'), 1024);
    const report = await verifyCase(dir);
    const hashes = report.checks.find((check) => check.check === 'hashes')!;
    expect(hashes.issues).toEqual([
      expect.objectContaining({
        kind: 'altered',
        message: expect.stringContaining('truncated to 1024 of 262144 bytes'),
      }),
    ]);
  });

  it('names a deleted artifact as missing', async () => {
    const dir = copy();
    rmSync(join(dir, BASE, 'logs', 'cloudtrail.jsonl'));
    const report = await verifyCase(dir);
    expect(issues(report)).toEqual([{ check: 'hashes', kind: 'missing', subject: `${BASE}/logs/cloudtrail.jsonl` }]);
    expect(report.counts.missing).toBe(1);
  });

  it('names an object nobody recorded as unlisted', async () => {
    const dir = copy();
    mkdirSync(join(dir, BASE, 'volatile'), { recursive: true });
    writeFileSync(join(dir, BASE, 'volatile', 'planted.txt'), 'not evidence');
    const report = await verifyCase(dir);
    expect(issues(report)).toEqual([
      { check: 'completeness', kind: 'unlisted', subject: `${BASE}/volatile/planted.txt` },
    ]);
  });

  it('names an edited custody.jsonl entry by its seq', async () => {
    const dir = copy();
    const list = lines(dir);
    list[3] = list[3].replace('sg-0web00000000000001', 'sg-0000000000000000f');
    writeLines(dir, list);
    const found = issues(await verifyCase(dir));
    expect(found).toContainEqual({ check: 'chain', kind: 'bad-hash', subject: 'custody.jsonl', seq: 3 });
    expect(found).toContainEqual({ check: 'chain', kind: 'altered', subject: 'custody.jsonl' });
  });

  it.each([
    ['dropped', (list: string[]) => list.splice(2, 1), 2],
    ['reordered', (list: string[]) => ([list[2], list[3]] = [list[3], list[2]]), 2],
    ['inserted', (list: string[]) => list.splice(4, 0, list[3]), 3],
  ])('names an entry %s in custody.jsonl by its seq', async (kind, mutate, seq) => {
    const dir = copy();
    const list = lines(dir);
    mutate(list);
    writeLines(dir, list);
    expect(issues(await verifyCase(dir))).toContainEqual({ check: 'chain', kind, subject: 'custody.jsonl', seq });
  });

  it('names an edited per-entry object, a deleted one, and one added after sealing', async () => {
    const dir = copy();
    const entryFile = (seq: number): string => join(dir, 'custody', `${String(seq).padStart(10, '0')}.json`);
    writeFileSync(entryFile(1), readFileSync(entryFile(1), 'utf8').replace('"collect"', '"dry-run"'));
    rmSync(entryFile(4));
    writeFileSync(entryFile(7), readFileSync(entryFile(6)));
    const found = issues(await verifyCase(dir));
    expect(found).toContainEqual({ check: 'chain', kind: 'altered', subject: 'custody/0000000001.json', seq: 1 });
    expect(found).toContainEqual({ check: 'chain', kind: 'dropped', subject: 'custody/ seq 4', seq: 4 });
    expect(found).toContainEqual({ check: 'chain', kind: 'inserted', subject: 'custody/0000000007.json', seq: 7 });
  });

  it('names an edited manifest through its signature', async () => {
    const dir = copy();
    const manifest = parseManifest(readFileSync(join(dir, 'manifest.json')))!;
    manifest.artifacts[0] = { ...manifest.artifacts[0], sha256: 'f'.repeat(64) };
    writeFileSync(join(dir, 'manifest.json'), serializeManifest(manifest));
    const found = issues(await verifyCase(dir));
    expect(found).toContainEqual({ check: 'signature', kind: 'bad-signature', subject: 'manifest.sig' });
    expect(found).toContainEqual({ check: 'hashes', kind: 'altered', subject: manifest.artifacts[0].key });
  });

  it('names a replaced signature', async () => {
    const dir = copy();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'manifest.sig'), sign('sha256', Buffer.from('another manifest'), privateKey));
    expect(issues(await verifyCase(dir))).toEqual([
      { check: 'signature', kind: 'bad-signature', subject: 'manifest.sig' },
    ]);
  });

  it('names a manifest re-signed with another key when the key is pinned', async () => {
    const dir = copy();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const manifest = parseManifest(readFileSync(join(dir, 'manifest.json')))!;
    const forged = serializeManifest({
      ...manifest,
      signing: { ...manifest.signing, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    });
    writeFileSync(join(dir, 'manifest.json'), forged);
    writeFileSync(join(dir, 'manifest.sig'), sign('sha256', forged, privateKey));
    const kms = sealed.ctx.deps.clients.forensics(TARGET.region).kms();
    const pinned = await verifyCase(dir, { kms });
    expect(issues(pinned)).toEqual([{ check: 'signature', kind: 'wrong-key', subject: 'manifest.sig' }]);
    const unpinned = await verifyCase(dir);
    expect(unpinned).toMatchObject({ ok: true, keyPinned: false });
    expect(formatVerifyReport(unpinned).join('\n')).toContain('not pinned');
  });
});

describe('verifyCase checks Object Lock retention', () => {
  it('names an object whose lock is missing, in GOVERNANCE mode, or too short', async () => {
    const local = await buildCase();
    const root = local.ctx.env.sandbox.root;
    const metaOf = (key: string): string =>
      join(
        root,
        '.s3meta',
        local.bucket,
        'objects',
        `${encodeURIComponent(`cases/${local.custodyCase.caseId}/${key}`)}.json`,
      );
    const edit = (key: string, lock: unknown): void => {
      const meta = JSON.parse(readFileSync(metaOf(key), 'utf8'));
      meta.versions[0].lock = lock;
      writeFileSync(metaOf(key), JSON.stringify(meta));
    };
    edit('case.json', undefined);
    edit(`${BASE}/logs/cloudtrail.jsonl`, { mode: 'GOVERNANCE', retainUntil: '2099-01-01T00:00:00.000Z' });
    edit('manifest.sig', { mode: 'COMPLIANCE', retainUntil: new Date(Date.now() + 86_400_000).toISOString() });
    const found = issues(await verifyCase(local.caseDir));
    expect(found).toEqual([
      { check: 'retention', kind: 'not-compliance', subject: `${BASE}/logs/cloudtrail.jsonl` },
      { check: 'retention', kind: 'retention-missing', subject: 'case.json' },
      { check: 'retention', kind: 'retention-short', subject: 'manifest.sig' },
    ]);
  });

  it('names an object planted in the bucket after sealing, read through S3', async () => {
    const local = await buildCase();
    const s3 = local.ctx.deps.clients.forensics(TARGET.region).s3();
    const key = `cases/${local.custodyCase.caseId}/${BASE}/memory/extra.bin`;
    await s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: 'x', ChecksumAlgorithm: 'SHA256' }));
    const report = await verifyCase(`s3://${local.bucket}/cases/${local.custodyCase.caseId}`, { s3 });
    expect(issues(report)).toContainEqual({
      check: 'completeness',
      kind: 'unlisted',
      subject: `${BASE}/memory/extra.bin`,
    });
    expect(report.ok).toBe(false);
  });
});

describe('verifyCase before sealing', () => {
  it('checks an unsealed case from its per-entry objects and says the manifest is missing', async () => {
    const open = await buildCase(false);
    const report = await verifyCase(open.caseDir);
    expect(report.sealed).toBe(false);
    expect(issues(report)).toEqual([{ check: 'signature', kind: 'missing', subject: 'manifest.json' }]);
    expect(report.counts.ok).toBe(4);
  });
});
