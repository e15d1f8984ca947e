import type { AnalyzeCaseOutput } from '../../tasks/analyze-case';
import { analyzeCase, s3EvidenceReader } from '../../tasks/analyze-case';
import { collectLogs } from '../../tasks/collect-logs';
import type { EvidenceReader } from '../../tasks/lib/logs/analysis';
import { analyzeRegion } from '../../tasks/lib/logs/analysis';
import type { Correlation } from '../../tasks/lib/logs/correlate';
import type { TimelineEvent } from '../../tasks/lib/logs/timeline';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import { INSTANCE, NOW, TARGET, logCase } from '../helpers/log-case';

/** Containment as the custody log records it (the store stamps each entry with the time it is recorded, after the logs). */
const CONTAINMENT = [
  { action: 'instance.detached-from-asg', target: 'i-0c0ffee1234567890' },
  { action: 'instance.isolated', target: 'i-0c0ffee1234567890' },
  { action: 'role.sessions-revoked', target: 'web-server-role' },
];

/** The S3 reader with one source hidden, to show what a missing source does. */
function without(reader: EvidenceReader, file: string): EvidenceReader {
  return { ...reader, open: (key) => (key.endsWith(file) ? Promise.resolve(undefined) : reader.open(key)) };
}

describe('AnalyzeCase', () => {
  let ctx: TestContext;
  let timeline: TimelineEvent[];
  let correlations: Correlation[];
  let analysis: AnalyzeCaseOutput['regions'][number];

  beforeAll(async () => {
    const made = makeTestContext();
    ctx = { ...made, deps: { ...made.deps, now: () => NOW } };
    await collectLogs({ case: logCase(), target: TARGET, instance: INSTANCE }, ctx.deps);
    const store = ctx.deps.store(logCase().caseId, 'eu-west-1');
    for (const event of CONTAINMENT) await store.record(event);
    // A small run size forces the sort through spilled runs and the k-way merge.
    const output = await analyzeCase({ case: logCase() }, ctx.deps, { runSize: 4_000 });
    expect(output.gaps).toEqual([]);
    analysis = output.regions[0];
    timeline = ctx.artifacts
      .get('report/timeline.jsonl')!
      .bytes.toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TimelineEvent);
    correlations = (
      JSON.parse(ctx.artifacts.get('report/findings.json')!.bytes.toString('utf8')) as { correlations: Correlation[] }
    ).correlations;
  });

  const find = (predicate: (event: TimelineEvent) => boolean): TimelineEvent => {
    const event = timeline.find(predicate);
    if (!event) throw new Error('event not on the timeline');
    return event;
  };

  it('writes one Timesketch line per event, sorted by datetime, from every source', () => {
    expect(timeline.length).toBe(analysis.timeline.events);
    expect(analysis.linesUnparsed).toBe(0);
    for (const event of timeline) {
      expect(event).toEqual(
        expect.objectContaining({
          message: expect.any(String),
          timestamp_desc: expect.any(String),
          evidence: expect.any(String),
        }),
      );
      expect(event.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const times = timeline.map((event) => event.datetime);
    expect([...times].sort()).toEqual(times);
    expect(new Set(timeline.map((event) => event.source))).toEqual(
      new Set(['cloudtrail', 'vpc-flow', 'dns', 'config', 'finding', 'custody']),
    );
  });

  it('tells the story in order: SSH opened, attacker connects, miner resolves its pool, stolen credentials used, then containment', () => {
    const order = [
      find(
        (event) =>
          event.source === 'config' &&
          event.resource_id === 'sg-0web00000000000001' &&
          event.configuration_status === 'OK',
      ),
      find(
        (event) =>
          event.source === 'vpc-flow' &&
          event.src_ip === '198.51.100.23' &&
          event.dst_port === 22 &&
          event.action === 'ACCEPT',
      ),
      find((event) => event.source === 'dns' && event.query_name === 'pool.minexmr.example.'),
      find((event) => event.source === 'finding' && event.timestamp_desc === 'Finding activity first seen'),
      find((event) => event.source === 'cloudtrail' && event.event_name === 'CreateAccessKey'),
      find((event) => event.source === 'custody' && event.action === 'instance.isolated'),
      find((event) => event.source === 'custody' && event.action === 'role.sessions-revoked'),
    ].map((event) => timeline.indexOf(event));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(find((event) => event.event_name === 'CreateAccessKey').message).toBe(
      'iam:CreateAccessKey by arn:aws:sts::222222222222:assumed-role/web-server-role/i-0c0ffee1234567890 from 198.51.100.23 failed with AccessDenied',
    );
  });

  it('names the instance credentials used from outside the instance, with their CloudTrail lines', () => {
    const outside = correlations.find((correlation) => correlation.id === 'credentials-outside:i-0c0ffee1234567890')!;
    expect(outside.severity).toBe('critical');
    expect(outside.count).toBe(5);
    const cloudTrail = ctx.artifacts
      .get('222222222222/i-0c0ffee1234567890/logs/cloudtrail.jsonl')!
      .bytes.toString('utf8')
      .split('\n');
    for (const ref of outside.evidence)
      expect(JSON.parse(cloudTrail[ref.line - 1]).sourceIPAddress).toBe('198.51.100.23');
  });

  it.each([
    ['denied-calls:i-0c0ffee1234567890', ['CreateAccessKey', 'DescribeInstances']],
    ['legacy-tls:i-0c0ffee1234567890', ['GetCallerIdentity']],
    [
      'after-first-seen:i-0c0ffee1234567890',
      ['GetCallerIdentity', 'ListBuckets', 'CreateAccessKey', 'PutBucketPolicy'],
    ],
  ])('answers %s with the calls %j', (id, calls) => {
    const correlation = correlations.find((candidate) => candidate.id === id)!;
    expect(correlation.evidence.map((ref) => ref.message.split(' ')[0].split(':')[1])).toEqual(calls);
    expect(correlation.question).toMatch(/\?$/);
  });

  it('lists every flow and DNS query with the IP and domain named in the finding', () => {
    const ip = correlations.find((correlation) => correlation.id === 'finding-ip:192.0.2.77')!;
    expect(ip.evidence.map((ref) => ref.datetime)).toEqual(['2026-11-27T21:58:02.000Z', '2026-11-27T22:20:00.000Z']);
    expect(ip.evidence.every((ref) => ref.key.endsWith('/logs/vpc-flow.log'))).toBe(true);
    const domain = correlations.find((correlation) => correlation.id === 'finding-domain:pool.minexmr.example')!;
    expect(domain.count).toBe(2);
  });

  it('counts rejected TCP connections, the attacker scan first among them', () => {
    const rejected = correlations.find((correlation) => correlation.id === 'rejected-tcp')!;
    expect(rejected.count).toBeGreaterThan(1000);
    expect(rejected.evidence.length).toBeLessThanOrEqual(200);
    expect(
      timeline
        .filter((event) => event.action === 'REJECT' && event.src_ip === '198.51.100.23')
        .map((event) => event.dst_port),
    ).toEqual([3389, 23]);
  });

  it('records a missing source as a gap instead of a silent hole', async () => {
    const reader = s3EvidenceReader(
      ctx.deps.clients.forensics('eu-west-1').s3(),
      ctx.env.config.regions['eu-west-1'].evidenceBucket,
      logCase().caseId,
    );
    // Reports are write-once evidence, so this second analysis writes into another case.
    const other = logCase({ caseId: '5b0c2a4e-9d1f-4c6b-8e7a-3f2d1c0b9a88' });
    const result = await analyzeRegion(
      other,
      'eu-west-1',
      without(reader, 'dns.jsonl'),
      ctx.deps.store(other.caseId, 'eu-west-1'),
    );
    expect(result.gaps).toEqual([expect.objectContaining({ step: 'analyze.dns' })]);
  });

  it.each([
    [
      'in a dry run, which collects no logs',
      '6c1d3b5f-0e2a-4d7c-9f8b-4a3e2d1c0b91',
      { mode: 'dry-run' as const },
      'dns.jsonl',
    ],
    [
      'in a case that asked for no logs',
      '6c1d3b5f-0e2a-4d7c-9f8b-4a3e2d1c0b92',
      { options: { ...logCase().options, logs: false } },
      'dns.jsonl',
    ],
    [
      'of the finding in a case opened by request',
      '6c1d3b5f-0e2a-4d7c-9f8b-4a3e2d1c0b93',
      { finding: undefined, trigger: 'manual' as const },
      'finding.json',
    ],
  ])('records no gap for a source never collected: %s', async (_name, caseId, change, file) => {
    const reader = s3EvidenceReader(
      ctx.deps.clients.forensics('eu-west-1').s3(),
      ctx.env.config.regions['eu-west-1'].evidenceBucket,
      logCase().caseId,
    );
    const other = { ...logCase({ caseId }), ...change };
    const result = await analyzeRegion(other, 'eu-west-1', without(reader, file), ctx.deps.store(caseId, 'eu-west-1'));
    expect(result.gaps).toEqual([]);
  });
});
