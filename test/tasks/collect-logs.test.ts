import { createHash } from 'node:crypto';
import { collectLogs, logWindow } from '../../tasks/collect-logs';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import { INSTANCE, NOW, TARGET, logCase } from '../helpers/log-case';

const PREFIX = '222222222222/i-0c0ffee1234567890/logs/';

function context(): TestContext {
  const ctx = makeTestContext();
  return { ...ctx, deps: { ...ctx.deps, now: () => NOW } };
}

function lines(ctx: TestContext, file: string): string[] {
  const artifact = ctx.artifacts.get(`${PREFIX}${file}`);
  if (!artifact) throw new Error(`no ${file}`);
  return artifact.bytes.toString('utf8').split('\n').filter(Boolean);
}

const eventIds = (ctx: TestContext) =>
  lines(ctx, 'cloudtrail.jsonl').map((line) => (JSON.parse(line) as { eventID: string }).eventID);

describe('CollectLogs', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = context();
    await collectLogs({ case: logCase(), target: TARGET, instance: INSTANCE }, ctx.deps);
  });

  it('keeps 24 hours before the finding was first seen, up to now', () => {
    const window = logWindow(logCase(), NOW);
    expect(window.start.toISOString()).toBe('2026-11-26T21:58:02.000Z');
    expect(window.end).toEqual(NOW);
  });

  it('collects every CloudTrail event about the instance exactly once, across pages and lookups', () => {
    const ids = eventIds(ctx);
    // 120 routine calls by the instance role, the 5 calls made with its stolen credentials, and ops-bob's CreateTags on the instance.
    expect(ids).toHaveLength(126);
    expect(new Set(ids).size).toBe(126);
    expect(ids).toEqual(
      expect.arrayContaining(['7a1e0000-0000-4000-8000-000000000001', '7a1e0000-0000-4000-8000-000000000004']),
    );
    expect(ids).not.toContain('0000000c-0000-4000-8000-000000000001');
    const lookups = ctx.env.sandbox.callsOf('CloudTrail', 'LookupEvents');
    expect(lookups.length).toBeGreaterThan(5);
    expect(
      lookups.every((call) => (call.input.LookupAttributes as unknown[]).length === 1 && call.input.MaxResults === 50),
    ).toBe(true);
  });

  it('keeps only the instance ENI flow records, raw, one per line in vpc-flow.log, and the attacker connection among them', () => {
    const records = lines(ctx, 'vpc-flow.log');
    expect(records.length).toBeGreaterThan(20_000);
    expect(records.every((record) => record.split(' ')[2] === 'eni-0a1b2c3d4e5f60001')).toBe(true);
    const start = Date.parse('2026-11-27T21:40:11Z') / 1000;
    const attacker = `2 222222222222 eni-0a1b2c3d4e5f60001 198.51.100.23 10.20.1.57 50122 22 6 42 8120 ${start} ${start + 60} ACCEPT OK`;
    expect(records).toContain(attacker);
    expect(ctx.env.sandbox.callsOf('CloudWatchLogs', 'FilterLogEvents').length).toBeGreaterThan(3);
  });

  it('writes DNS queries, Config history and the GuardDuty finding, each hashed as stored', () => {
    const dns = lines(ctx, 'dns.jsonl').map(
      (line) =>
        JSON.parse((JSON.parse(line) as { message: string }).message) as {
          srcids: { instance: string };
          query_name: string;
        },
    );
    expect(dns.every((query) => query.srcids.instance === 'i-0c0ffee1234567890')).toBe(true);
    expect(dns.filter((query) => query.query_name === 'pool.minexmr.example.')).toHaveLength(2);
    expect(
      lines(ctx, 'config-history.jsonl').map((line) => (JSON.parse(line) as { resourceId: string }).resourceId),
    ).toEqual(['i-0c0ffee1234567890', 'sg-0web00000000000001', 'sg-0web00000000000001']);
    expect((JSON.parse(lines(ctx, 'finding.json')[0]) as { Id: string }).Id).toBe('b2c9a1f03e4d5c6b7a8f9e0d1c2b3a4f');
    for (const { record, bytes } of ctx.artifacts.values())
      expect(record.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('records each query in the custody log with its API, filters and window', () => {
    const queried = ctx.events.filter((event) => event.action === 'logs.queried');
    expect(queried.map((event) => event.details?.source)).toEqual([
      'cloudtrail',
      'vpc-flow',
      'dns',
      'config',
      'finding',
    ]);
    expect(queried[1].details).toMatchObject({
      api: 'logs:FilterLogEvents',
      query: {
        logGroupName: '/custody/vpc-flow-logs',
        startTime: '2026-11-26T21:58:02.000Z',
        endTime: '2026-11-27T22:45:00.000Z',
      },
      key: `${PREFIX}vpc-flow.log`,
    });
  });

  it('still gets every CloudTrail event when the sandbox throttles LookupEvents', async () => {
    const throttled = context();
    const output = await collectLogs(
      { case: logCase({ options: { ...logCase().options } }), target: TARGET, instance: INSTANCE },
      throttled.deps,
      {
        lookup: { minIntervalMs: 0, maxAttempts: 20, backoffBaseMs: 100 },
      },
    );
    const errors = throttled.env.sandbox
      .callsOf('CloudTrail', 'LookupEvents')
      .filter((call) => call.error === 'ThrottlingException');
    expect(errors.length).toBeGreaterThan(0);
    expect(output.gaps).toEqual([]);
    expect(new Set(eventIds(throttled))).toEqual(new Set(eventIds(ctx)));
  });

  it('records a missing log group as a gap and collects the other sources', async () => {
    const missing = context();
    const deps = {
      ...missing.deps,
      config: {
        ...missing.deps.config,
        logSources: { 'eu-west-1': { flowLogGroup: '/custody/vpc-flow-logs', resolverLogGroup: '/gone' } },
      },
    };
    const output = await collectLogs({ case: logCase(), target: TARGET, instance: INSTANCE }, deps);
    expect(output.gaps).toEqual([
      expect.objectContaining({
        target: '222222222222/eu-west-1/i-0c0ffee1234567890',
        step: 'logs.dns',
        error: 'ResourceNotFoundException',
      }),
    ]);
    expect(output.logs.map((log) => log.source)).toEqual(['cloudtrail', 'vpc-flow', 'config', 'finding']);
    expect(missing.artifacts.has(`${PREFIX}dns.jsonl`)).toBe(false);
    expect(missing.events).toContainEqual(
      expect.objectContaining({
        action: 'logs.queried',
        details: expect.objectContaining({ source: 'dns', error: 'ResourceNotFoundException' }),
      }),
    );
  });

  it('in a dry run writes nothing and says which reads the responder role may make', async () => {
    const dry = context();
    dry.env.scenario.accounts[1].roles[0].deny = ['logs:FilterLogEvents'];
    const output = await collectLogs(
      { case: logCase({ mode: 'dry-run' }), target: TARGET, instance: INSTANCE },
      dry.deps,
    );
    expect(dry.artifacts.size).toBe(0);
    expect(output.dryRun).toEqual([
      { source: 'cloudtrail', api: 'cloudtrail:LookupEvents', verdict: 'would-do', allowed: true },
      expect.objectContaining({ source: 'vpc-flow', verdict: 'would-do', allowed: false }),
      expect.objectContaining({ source: 'dns', verdict: 'would-do', allowed: false }),
      { source: 'config', api: 'config:GetResourceConfigHistory', verdict: 'would-do', allowed: true },
      { source: 'finding', api: 'guardduty:GetFindings', verdict: 'would-do', allowed: true },
    ]);
  });
});
