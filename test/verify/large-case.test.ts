import { generateKeyPairSync, createHash, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { GENESIS_PREV, buildEntry, custodyEntryKey, serializeEntry, toJsonl } from '../../tasks/lib/custody-log';
import { buildManifest, serializeManifest } from '../../tasks/lib/manifest';
import { verifySource } from '../../tasks/lib/verify';
import { localSource } from '../../tasks/lib/verify/source-local';

const CASE_ID = '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70';
const COUNT = 10_000;

/** A sealed case folder with COUNT small artifacts, built with the same ledger code SealCase uses. */
function largeCase(): { dir: string; pem: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'custody-large-')), CASE_ID);
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const actor = { principal: 'p', execution: 'e' };
  const entries: CustodyEntry[] = [];
  const at = new Date();
  for (let i = 0; i < COUNT; i += 1) {
    const key = `222222222222/i-0c0ffee1234567890/volatile/${String(i).padStart(5, '0')}.txt`;
    const body = `object ${i}\n`;
    mkdirSync(join(dir, '222222222222/i-0c0ffee1234567890/volatile'), { recursive: true });
    writeFileSync(join(dir, key), body);
    const artifact = {
      key,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      source: 'test',
      tool: 'test',
      toolVersion: '1',
    };
    entries.push(
      buildEntry(
        { action: 'artifact.acquired', target: 'i-0c0ffee1234567890', artifact },
        i,
        entries.at(-1)?.hash ?? GENESIS_PREV,
        actor,
        at,
      ),
    );
  }
  mkdirSync(join(dir, 'custody'));
  for (const entry of entries)
    writeFileSync(
      join(dir, custodyEntryKey(CASE_ID, entry.seq).slice(`cases/${CASE_ID}/`.length)),
      serializeEntry(entry),
    );
  const jsonl = toJsonl(entries);
  writeFileSync(join(dir, 'custody.jsonl'), jsonl);
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const manifest = serializeManifest(
    buildManifest({
      caseDocument: { caseId: CASE_ID },
      caseId: CASE_ID,
      region: 'eu-west-1',
      bucket: 'b',
      sealedAt: at.toISOString(),
      retentionDays: 1,
      entries,
      jsonl,
      keyId: 'k',
      publicKeyPem: pem,
    }),
  );
  writeFileSync(join(dir, 'manifest.json'), manifest);
  writeFileSync(join(dir, 'manifest.sig'), sign('sha256', manifest, keys.privateKey));
  return { dir, pem };
}

describe('verifying a case with 10,000 artifacts', () => {
  it('checks them all with at most the configured number of objects open at once', async () => {
    const { dir, pem } = largeCase();
    const source = localSource(dir);
    let open = 0;
    let peak = 0;
    const counted = {
      ...source,
      open: async (key: string) => {
        const stream = await source.open(key);
        open += 1;
        peak = Math.max(peak, open);
        stream?.once('end', () => (open -= 1));
        return stream;
      },
    };
    const started = Date.now();
    const report = await verifySource(counted, { publicKeyPem: pem, concurrency: 8 });
    expect(report.checks.flatMap((check) => check.issues)).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      entries: COUNT,
      keyPinned: true,
      counts: { ok: COUNT, altered: 0, missing: 0, unlisted: 0 },
    });
    expect(peak).toBeLessThanOrEqual(8);
    expect(Date.now() - started).toBeLessThan(40_000);
  });
});
