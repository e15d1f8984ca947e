import { generateKeyPairSync, sign } from 'node:crypto';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { GENESIS_PREV, buildEntry, toJsonl } from '../../tasks/lib/custody-log';
import {
  artifactsOf,
  buildManifest,
  manifestSignatureValid,
  parseManifest,
  sameKey,
  serializeManifest,
} from '../../tasks/lib/manifest';
import type { CustodyEvent } from '../../tasks/lib/task';

const actor = { principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody', execution: 'exec' };
const artifact = (key: string, sha: string) => ({
  key,
  bytes: 1,
  sha256: sha.repeat(64),
  source: 's',
  tool: 't',
  toolVersion: '1',
});

function chain(events: CustodyEvent[]): CustodyEntry[] {
  const entries: CustodyEntry[] = [];
  for (const event of events)
    entries.push(
      buildEntry(event, entries.length, entries.at(-1)?.hash ?? GENESIS_PREV, actor, new Date('2026-11-28T00:00:00Z')),
    );
  return entries;
}

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const entries = chain([
  { action: 'case.opened', target: 'case' },
  { action: 'artifact.acquired', target: 'i-1', artifact: artifact('b/memory.lime', 'b') },
  { action: 'artifact.acquired', target: 'i-1', artifact: artifact('a/describe.json', 'a') },
  { action: 'case.sealed', target: 'case' },
]);
const jsonl = toJsonl(entries);
const manifest = buildManifest({
  caseDocument: { caseId: 'c', openedAt: '2026-11-28T00:00:00.000Z' },
  caseId: 'c',
  region: 'eu-west-1',
  bucket: 'bucket',
  sealedAt: entries[3].at,
  retentionDays: 365,
  entries,
  jsonl,
  keyId: 'arn:aws:kms:eu-west-1:333333333333:key/k',
  publicKeyPem: pem,
});

describe('manifest', () => {
  it('lists the logged artifacts sorted by key, with the chain head, entry count and counts per action', () => {
    expect(manifest.artifacts).toEqual([
      { key: 'a/describe.json', bytes: 1, sha256: 'a'.repeat(64) },
      { key: 'b/memory.lime', bytes: 1, sha256: 'b'.repeat(64) },
    ]);
    expect(manifest.custody).toMatchObject({
      entries: 4,
      head: entries[3].hash,
      bytes: Buffer.byteLength(jsonl),
      actions: { 'case.opened': 1, 'artifact.acquired': 2, 'case.sealed': 1 },
    });
    expect(manifest.prefix).toBe('cases/c/');
  });

  it('keeps one record per key when an acquisition was logged twice', () => {
    const twice = chain([
      { action: 'artifact.acquired', target: 'i', artifact: artifact('k', 'c') },
      { action: 'artifact.acquired', target: 'i', artifact: artifact('k', 'd') },
    ]);
    expect(artifactsOf(twice)).toEqual([{ key: 'k', bytes: 1, sha256: 'd'.repeat(64) }]);
  });

  it('serialises to canonical bytes that parse back and re-serialise identically', () => {
    const bytes = serializeManifest(manifest);
    expect(bytes.toString()).not.toMatch(/\n|": /);
    expect(serializeManifest(parseManifest(bytes)!).equals(bytes)).toBe(true);
  });

  it('accepts a DER ECDSA signature over the exact bytes and rejects one over other bytes', () => {
    const bytes = serializeManifest(manifest);
    const signature = sign('sha256', bytes, keys.privateKey);
    expect(manifestSignatureValid(bytes, signature, pem)).toBe(true);
    expect(manifestSignatureValid(Buffer.concat([bytes, Buffer.from(' ')]), signature, pem)).toBe(false);
    expect(manifestSignatureValid(bytes, Buffer.from('garbage'), pem)).toBe(false);
  });

  it('tells the same key from another one whatever its PEM line layout', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(sameKey(pem, `${pem}\n`)).toBe(true);
    expect(sameKey(pem, other)).toBe(false);
  });

  it('rejects a manifest of another format', () => {
    expect(parseManifest(Buffer.from(JSON.stringify({ ...manifest, format: 'other/1' })))).toBeUndefined();
  });
});
