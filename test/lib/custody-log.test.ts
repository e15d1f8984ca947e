import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import {
  GENESIS_PREV,
  buildEntry,
  custodyEntryKey,
  entryHash,
  parseJsonl,
  seqOfKey,
  toJsonl,
  verifyChain,
} from '../../tasks/lib/custody-log';
import type { CustodyEvent } from '../../tasks/lib/task';

const actor = { principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody', execution: 'exec-1' };
const at = new Date('2026-11-27T22:45:00.000Z');

function chain(events: readonly CustodyEvent[]): CustodyEntry[] {
  const entries: CustodyEntry[] = [];
  for (const event of events) {
    const prev = entries.length === 0 ? GENESIS_PREV : entries[entries.length - 1].hash;
    entries.push(buildEntry(event, entries.length, prev, actor, at));
  }
  return entries;
}

const events: CustodyEvent[] = [
  { action: 'case.opened', target: 'case' },
  { action: 'instance.tagged', target: 'i-0c0ffee1234567890', details: { tags: { 'custody:case': 'x' } } },
  {
    action: 'artifact.acquired',
    target: 'i-0c0ffee1234567890',
    artifact: {
      key: '222222222222/i-0c0ffee1234567890/metadata/describe-instance.json',
      bytes: 3,
      sha256: 'a'.repeat(64),
      source: 'ec2:DescribeInstances',
      tool: 'custody',
      toolVersion: '0.1.0',
    },
  },
  {
    action: 'instance.isolated',
    target: 'i-0c0ffee1234567890',
    details: { prior: { groups: ['sg-0web00000000000001'] } },
  },
  { action: 'case.sealed', target: 'case' },
];

describe('custody log entries', () => {
  it('starts the chain from 64 zeros and links every entry to the hash of the one before', () => {
    const entries = chain(events);
    expect(entries[0].prev).toBe(GENESIS_PREV);
    expect(GENESIS_PREV).toBe('0000000000000000000000000000000000000000000000000000000000000000');
    for (let i = 1; i < entries.length; i += 1) expect(entries[i].prev).toBe(entries[i - 1].hash);
    expect(verifyChain(entries)).toEqual([]);
  });

  it('hashes the RFC 8785 canonical JSON of the entry without its hash field', () => {
    const [entry] = chain([{ action: 'case.opened', target: 'case' }]);
    const canonical =
      `{"action":"case.opened","actor":{"execution":"exec-1","principal":"${actor.principal}"},` +
      `"at":"2026-11-27T22:45:00.000Z","prev":"${GENESIS_PREV}","seq":0,"target":"case"}`;
    expect(entry.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(entryHash(entry)).toBe(entry.hash);
  });

  it('writes one canonical entry per line in custody.jsonl and reads it back unchanged', () => {
    const entries = chain(events);
    const text = toJsonl(entries);
    expect(text.split('\n')).toHaveLength(entries.length + 1);
    expect(parseJsonl(text)).toEqual({ entries, issues: [] });
  });

  it('names per-entry objects by zero-padded seq so S3 lists them in order', () => {
    expect(custodyEntryKey('c', 7)).toBe('cases/c/custody/0000000007.json');
    expect(seqOfKey(custodyEntryKey('c', 1234))).toBe(1234);
    expect(custodyEntryKey('c', 10) > custodyEntryKey('c', 9)).toBe(true);
  });
});

describe('verifyChain names every tampering', () => {
  it('names an entry edited in place as bad-hash at its seq', () => {
    const entries = chain(events);
    entries[2] = { ...entries[2], target: 'i-0000000000000000f' };
    expect(verifyChain(entries)).toEqual([expect.objectContaining({ kind: 'bad-hash', seq: 2 })]);
  });

  it('names an entry edited and re-hashed as a broken link at the next seq', () => {
    const entries = chain(events);
    const forged = { ...entries[1], target: 'i-0000000000000000f' };
    entries[1] = { ...forged, hash: entryHash(forged) };
    expect(verifyChain(entries)).toEqual([expect.objectContaining({ kind: 'broken-link', seq: 2 })]);
  });

  it('names a dropped entry by its seq', () => {
    const entries = chain(events);
    entries.splice(2, 1);
    expect(verifyChain(entries)).toEqual([expect.objectContaining({ kind: 'dropped', seq: 2 })]);
  });

  it('names two swapped entries as reordered', () => {
    const entries = chain(events);
    [entries[1], entries[2]] = [entries[2], entries[1]];
    expect(verifyChain(entries)).toEqual([expect.objectContaining({ kind: 'reordered', seq: 1 })]);
  });

  it('names a second entry claiming an existing seq as inserted', () => {
    const entries = chain(events);
    const forged = buildEntry({ action: 'artifact.acquired', target: 'x' }, 2, entries[1].hash, actor, at);
    entries.splice(3, 0, forged);
    expect(verifyChain(entries)).toEqual([expect.objectContaining({ kind: 'inserted', seq: 2 })]);
  });

  it('reports a line that is not an entry as malformed', () => {
    const text = toJsonl(chain(events)).replace(/^.*\n/, '{"seq":0}\n');
    expect(parseJsonl(text).issues).toEqual([
      expect.objectContaining({ kind: 'malformed', message: expect.stringContaining('line 1') }),
    ]);
  });
});

describe('custody log properties', () => {
  const event = fc.record({
    action: fc.constantFrom('case.opened', 'artifact.acquired', 'instance.isolated', 'snapshot.created'),
    target: fc.string({ maxLength: 20 }),
    details: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())), {
      nil: undefined,
    }),
  });

  it('verifies any sequence of appends', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 30 }), (list) => {
        const entries = chain(list.map((e) => (e.details ? e : { action: e.action, target: e.target })));
        return verifyChain(parseJsonl(toJsonl(entries)).entries).length === 0;
      }),
      { numRuns: 100 },
    );
  });

  it('detects any single changed field, dropped entry or swap', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 2, maxLength: 20 }),
        fc.nat(),
        fc.constantFrom('target', 'action', 'at', 'drop', 'swap'),
        (list, pick, how) => {
          const entries = chain(list.map((e) => ({ action: e.action, target: e.target })));
          const i = pick % (entries.length - 1);
          if (how === 'drop') entries.splice(i, 1);
          else if (how === 'swap') [entries[i], entries[i + 1]] = [entries[i + 1], entries[i]];
          else if (how === 'at') entries[i] = { ...entries[i], at: '2020-01-01T00:00:00.000Z' };
          else entries[i] = { ...entries[i], [how]: `${entries[i][how]}x` };
          return verifyChain(entries).length > 0;
        },
      ),
      { numRuns: 200 },
    );
  });
});
