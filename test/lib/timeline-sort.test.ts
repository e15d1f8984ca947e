import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { TimelineSorter } from '../../tasks/lib/logs/external-sort';
import { parseFlowRecord } from '../../tasks/lib/logs/flow-log';
import { LineSplitter, readLineBatches } from '../../tasks/lib/logs/jsonl';
import { eventLine } from '../../tasks/lib/logs/serialize';
import { normaliseLine } from '../../tasks/lib/logs/timeline';

async function drained(sorter: TimelineSorter): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of sorter.drain()) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
}

describe('timeline sorter', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'custody-sort-test-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('puts events in time order and keeps equal times in the order they were read, across more runs than one merge takes', async () => {
    // 1,000 lines in runs of 7: 143 runs, more than the 64 merged at once, so runs are first merged into longer ones.
    const sorter = new TimelineSorter({ runSize: 7, tmpDir: tmp });
    const added: Array<{ key: number; line: string }> = [];
    for (let index = 0; index < 1_000; index += 1) {
      const key = ((index * 7919) % 37) * 1_000_000;
      const line = JSON.stringify({ n: index, note: index % 3 === 0 ? 'ünïcødé ✓' : 'ascii' });
      added.push({ key, line });
      await sorter.add(key, line);
    }
    const expected = [...added].sort((a, b) => a.key - b.key).map((entry) => entry.line);
    expect(await drained(sorter)).toEqual(expected);
    expect(sorter.count).toBe(1_000);
  });

  it('spills a run when its bytes reach the bound, whatever the line count, and removes its files once drained', async () => {
    const sorter = new TimelineSorter({ runSize: 1_000_000, runBytes: 4_096, tmpDir: tmp });
    const line = JSON.stringify({ message: 'x'.repeat(500) });
    let spills = 0;
    for (let index = 0; index < 40; index += 1) {
      const spilling = sorter.add(40 - index, line);
      if (spilling) {
        spills += 1;
        await spilling;
      }
    }
    expect(spills).toBeGreaterThanOrEqual(4);
    const [dir] = readdirSync(tmp);
    expect(readdirSync(join(tmp, dir)).length).toBeGreaterThanOrEqual(4);
    expect(await drained(sorter)).toHaveLength(40);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('keeps a line longer than a whole run intact', async () => {
    const sorter = new TimelineSorter({ runSize: 10, runBytes: 1_024, tmpDir: tmp });
    const long = JSON.stringify({ configuration: 'c'.repeat(10_000) });
    await sorter.add(2, '{"short":1}');
    await sorter.add(1, long);
    await sorter.add(3, '{"short":2}');
    expect(await drained(sorter)).toEqual([long, '{"short":1}', '{"short":2}']);
  });
});

describe('line splitting', () => {
  it('drops the carriage return of CRLF lines and decodes characters split across chunks', () => {
    const bytes = Buffer.from('{"a":"é"}\r\n{"b":"✓"}\n', 'utf8');
    const splitter = new LineSplitter();
    const lines = [
      ...splitter.push(bytes.subarray(0, 7)),
      ...splitter.push(bytes.subarray(7, 17)),
      ...splitter.push(bytes.subarray(17)),
    ];
    expect([...lines, ...splitter.end()]).toEqual(['{"a":"é"}', '{"b":"✓"}']);
  });

  it('hands over a chunk of lines at a time and the unterminated last line at the end', async () => {
    const batches: string[][] = [];
    for await (const batch of readLineBatches(Readable.from([Buffer.from('1\n2\n\n3'), Buffer.from('4\n5')])))
      batches.push(batch);
    expect(batches).toEqual([['1', '2'], ['34'], ['5']]);
  });
});

describe('flow records with irregular spacing', () => {
  it('reads double spaces and tabs between fields as one separator, as before the fast path', () => {
    const regular = parseFlowRecord('2 222222222222 eni-1 1.2.3.4 10.0.0.1 1 22 6 1 44 100 160 ACCEPT OK');
    expect(parseFlowRecord(' 2  222222222222\teni-1 1.2.3.4 10.0.0.1 1 22 6 1 44 100 160 ACCEPT OK ')).toEqual(regular);
    // Fourteen space-separated fields, one holding a tab: fifteen fields, so not a default-format record.
    expect(parseFlowRecord('2 222222222222 eni-1\tx 1.2.3.4 10.0.0.1 1 22 6 1 44 100 160 ACCEPT OK')).toBeUndefined();
  });
});

describe('timeline line serialization', () => {
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  const field = fc.oneof(text, fc.constant('-'), fc.constantFrom('10.0.0.1', 'eni-1', '"quoted"', 'back\\slash'));
  const count = fc.oneof(fc.constant('-'), fc.nat().map(String), fc.constantFrom('1e400', 'NaN', 'x'));

  it('writes flow events byte for byte as JSON.stringify does', () => {
    fc.assert(
      fc.property(field, field, field, count, count, count, (eni, src, dst, port, packets, bytes) => {
        const message = [
          '2',
          '222222222222',
          eni,
          src,
          dst,
          port,
          '22',
          '6',
          packets,
          bytes,
          '100',
          '160',
          'REJECT',
          'OK',
        ]
          .map((part) => part.replace(/\s/g, '_') || '_')
          .join(' ');
        for (const event of normaliseLine('vpc-flow', 'k\u2028"/logs', 3, JSON.stringify({ message })))
          expect(eventLine(event)).toBe(JSON.stringify(event));
      }),
    );
  });

  it('writes DNS events byte for byte as JSON.stringify does', () => {
    fc.assert(
      fc.property(
        text,
        text,
        fc.array(text, { maxLength: 3 }),
        fc.option(text, { nil: undefined }),
        (name, type, answers, src) => {
          const record = {
            query_timestamp: '2026-11-27T10:00:00Z',
            query_name: name,
            query_type: type,
            rcode: 'NOERROR',
            answers: answers.map((Rdata) => ({ Rdata })),
            srcaddr: src,
          };
          for (const event of normaliseLine('dns', 'k', 1, JSON.stringify({ message: JSON.stringify(record) })))
            expect(eventLine(event)).toBe(JSON.stringify(event));
        },
      ),
    );
  });
});
