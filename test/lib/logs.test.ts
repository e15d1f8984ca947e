import { Readable } from 'node:stream';
import { parseResolverQuery, domainInvolves } from '../../tasks/lib/logs/dns-log';
import { sortTimeline } from '../../tasks/lib/logs/external-sort';
import { flowFilterPattern, parseFlowRecord } from '../../tasks/lib/logs/flow-log';
import { readLines } from '../../tasks/lib/logs/jsonl';
import { pacer } from '../../tasks/lib/logs/paging';
import type { TimelineEvent } from '../../tasks/lib/logs/timeline';
import { normaliseLine } from '../../tasks/lib/logs/timeline';
import { prng } from '../../sandbox/log-generator';

describe('flow-log records (default format, version 2)', () => {
  it('reads the fourteen default fields of an accepted connection', () => {
    expect(
      parseFlowRecord(
        '2 222222222222 eni-0a1b2c3d4e5f60001 198.51.100.23 10.20.1.57 50122 22 6 42 8120 1764279611 1764279671 ACCEPT OK',
      ),
    ).toEqual({
      version: 2,
      accountId: '222222222222',
      interfaceId: 'eni-0a1b2c3d4e5f60001',
      srcaddr: '198.51.100.23',
      dstaddr: '10.20.1.57',
      srcport: 50122,
      dstport: 22,
      protocol: 6,
      packets: 42,
      bytes: 8120,
      start: 1764279611,
      end: 1764279671,
      action: 'ACCEPT',
      logStatus: 'OK',
    });
  });

  it('keeps NODATA records, whose fields are dashes', () => {
    expect(parseFlowRecord('2 222222222222 eni-1 - - - - - - - 1764279611 1764279671 - NODATA')).toMatchObject({
      logStatus: 'NODATA',
      srcaddr: undefined,
      action: undefined,
    });
  });

  it('does not guess at custom formats or other versions', () => {
    expect(parseFlowRecord('3 222222222222 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 40 1 2 ACCEPT OK')).toBeUndefined();
    expect(parseFlowRecord('2 222222222222 eni-1 1.2.3.4')).toBeUndefined();
  });

  it('builds a space-delimited filter pattern naming the interface-id field', () => {
    expect(flowFilterPattern('eni-9')).toBe(
      '[version, account_id, interface_id="eni-9", srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]',
    );
  });
});

describe('Resolver query logs', () => {
  it('reads the query, its answers and the querying instance', () => {
    const line =
      '{"version":"1.100000","query_timestamp":"2026-11-27T21:52:30Z","query_name":"pool.minexmr.example.","query_type":"A","rcode":"NOERROR","answers":[{"Rdata":"192.0.2.77","Type":"A","Class":"IN"}],"srcaddr":"10.20.1.57","srcids":{"instance":"i-0c0ffee1234567890"}}';
    expect(parseResolverQuery(line)).toMatchObject({
      queryName: 'pool.minexmr.example.',
      answers: ['192.0.2.77'],
      instanceId: 'i-0c0ffee1234567890',
    });
  });

  it('treats subdomains and the trailing dot as the same domain', () => {
    expect(domainInvolves('eu.POOL.minexmr.example.', 'pool.minexmr.example')).toBe(true);
    expect(domainInvolves('notpool.minexmr.example.', 'pool.minexmr.example')).toBe(false);
  });
});

describe('flow-log lines of the evidence', () => {
  const record = '2 222222222222 eni-1 198.51.100.23 10.0.0.1 50122 22 6 42 8120 1795815611 1795815671 ACCEPT OK';

  it('reads a raw record of vpc-flow.log and one wrapped in its CloudWatch event (vpc-flow.jsonl of earlier cases) alike', () => {
    const raw = normaliseLine('vpc-flow', 'a/i/logs/vpc-flow.log', 7, record);
    const wrapped = normaliseLine('vpc-flow', 'a/i/logs/vpc-flow.jsonl', 7, JSON.stringify({ message: record }));
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ evidence: 'a/i/logs/vpc-flow.log', evidence_line: 7, timestamp: 1795815611 * 1e6 });
    expect(wrapped.map(({ evidence: _evidence, ...rest }) => rest)).toEqual(
      raw.map(({ evidence: _evidence, ...rest }) => rest),
    );
  });
});

describe('timeline sort', () => {
  function events(count: number, seed: number): TimelineEvent[] {
    const random = prng(seed);
    return Array.from({ length: count }, (_, index) => {
      const seconds = 1764200000 + Math.floor(random() * 100000);
      const line = JSON.stringify({
        message: `2 222222222222 eni-1 1.2.3.4 10.0.0.1 1 22 6 1 44 ${seconds} ${seconds + 60} ACCEPT OK`,
      });
      return normaliseLine('vpc-flow', 'a/i/logs/vpc-flow.jsonl', index + 1, line)[0];
    });
  }

  it('spills runs and merges them into the same order as an in-memory stable sort', async () => {
    const input = events(2_345, 3);
    const expected = [...input].sort((a, b) => a.timestamp - b.timestamp).map((event) => event.evidence_line);
    const lines: string[] = [];
    for await (const line of sortTimeline(Readable.from(input), { runSize: 100 })) lines.push(line);
    expect(lines.map((line) => (JSON.parse(line) as TimelineEvent).evidence_line)).toEqual(expected);
  });

  it('reads lines across chunk boundaries without inventing empty ones', async () => {
    const lines: string[] = [];
    for await (const line of readLines(Readable.from(['{"a":', '1}\n{"b"', ':2}\n']))) lines.push(line);
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });
});

describe('polite paging', () => {
  it('retries a throttled call with back-off and gives up with TransientError after its tries', async () => {
    const waits: number[] = [];
    const paced = pacer({
      minIntervalMs: 0,
      maxAttempts: 3,
      backoffBaseMs: 10,
      sleep: async (ms) => void waits.push(ms),
    });
    let calls = 0;
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    await expect(
      paced(async () => {
        calls += 1;
        if (calls < 3) throw throttled;
        return 'ok';
      }),
    ).resolves.toBe('ok');
    calls = -10;
    await expect(
      paced(async () => {
        calls += 1;
        throw throttled;
      }),
    ).rejects.toMatchObject({ name: 'TransientError' });
    expect(waits.length).toBeGreaterThanOrEqual(4);
  });

  it('passes a denied call through at once', async () => {
    const paced = pacer({ minIntervalMs: 0, maxAttempts: 5, backoffBaseMs: 10 });
    await expect(
      paced(async () => {
        throw Object.assign(new Error('no'), { name: 'AccessDeniedException' });
      }),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
