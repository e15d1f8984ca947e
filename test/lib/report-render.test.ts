// The report's pure parts: the model built from custody entries, the renderers, and the streamed timeline summary.
import { Readable } from 'node:stream';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { buildEntry } from '../../tasks/lib/custody-log';
import { buildReportModel, renderReport } from '../../tasks/lib/report';
import type { ModelInput } from '../../tasks/lib/report';
import { TIMELINE_BUCKETS, summariseTimeline } from '../../tasks/lib/report/timeline';
import type { CustodyEvent } from '../../tasks/lib/task';
import { TARGET, logCase } from '../helpers/log-case';

const actor = { principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody', execution: 'test' };
const SHA = 'ab'.repeat(32);

function chain(events: CustodyEvent[], start = Date.parse('2026-11-27T22:45:00Z')): CustodyEntry[] {
  const entries: CustodyEntry[] = [];
  events.forEach((event, seq) =>
    entries.push(
      buildEntry(event, seq, seq === 0 ? '0'.repeat(64) : entries[seq - 1].hash, actor, new Date(start + seq * 1000)),
    ),
  );
  return entries;
}

const artifact = (key: string, bytes = 10) => ({
  key,
  bytes,
  sha256: SHA,
  source: 'test',
  tool: 'custody',
  toolVersion: '0.1.0',
});

function input(events: CustodyEvent[], extra: Partial<ModelInput> = {}): ModelInput {
  return {
    case: logCase(),
    region: 'eu-west-1',
    location: 's3://bucket/cases/x/',
    generatedAt: '2026-11-27T23:00:00.000Z',
    entries: chain(events),
    ...extra,
  };
}

describe('buildReportModel', () => {
  it('names evidence that the custody log recorded but the bucket no longer holds', () => {
    const model = buildReportModel(
      input(
        [
          { action: 'artifact.acquired', target: 'case', artifact: artifact('case.json') },
          {
            action: 'artifact.acquired',
            target: TARGET.instanceId,
            artifact: artifact(`222222222222/${TARGET.instanceId}/metadata/tags.json`),
          },
        ],
        { listing: [{ key: 'case.json', size: 10 }] },
      ),
    );
    expect(model.evidence.map((row) => [row.key, row.present])).toEqual([
      ['222222222222/i-0c0ffee1234567890/metadata/tags.json', false],
      ['case.json', true],
    ]);
    expect(model.gaps).toContainEqual({
      target: TARGET.instanceId,
      step: 'evidence',
      reason:
        '222222222222/i-0c0ffee1234567890/metadata/tags.json is recorded in the custody log but not in the evidence bucket',
      error: 'missing',
    });
    expect(model.status).toBe('partial');
  });

  it('derives failures and denials from the log when no summaries are given', () => {
    const model = buildReportModel(
      input([
        {
          action: 'step.failed',
          target: TARGET.instanceId,
          details: { step: 'CollectVolatile', error: 'InvocationDoesNotExist', reason: 'command lost' },
        },
        { action: 'dryrun.checked', target: TARGET.instanceId, details: { step: 'tag', verdict: 'denied' } },
      ]),
    );
    expect(model.targets[0].gaps).toEqual([
      { target: TARGET.instanceId, step: 'CollectVolatile', reason: 'command lost', error: 'InvocationDoesNotExist' },
      { target: TARGET.instanceId, step: 'tag', reason: 'dry run: tag would be denied' },
    ]);
    expect(model.targets[0].actions.map((a) => [a.phase, a.status])).toEqual([
      ['volatile', 'failed'],
      ['preserve', 'denied'],
    ]);
  });
});

describe('renderReport', () => {
  it('escapes text from the log so that it cannot become markup', () => {
    const hostile = '<script>alert(1)</script><img src="http://evil/x">';
    const { html, md } = renderReport(
      buildReportModel(
        input([
          { action: 'step.failed', target: TARGET.instanceId, details: { step: 'CaptureMemory', reason: hostile } },
        ]),
      ),
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src="http');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(md).toContain('alert(1)');
  });

  it('links evidence relative to where the report is written', () => {
    const model = buildReportModel(
      input([{ action: 'artifact.acquired', target: 'case', artifact: artifact('case.json') }]),
    );
    expect(renderReport(model).html).toContain('href="../case.json"');
    expect(renderReport(model, { linkBase: '../abc/' }).md).toContain('[case.json](../abc/case.json)');
  });
});

describe('summariseTimeline', () => {
  it('counts events per source over time and keeps only first, last and finding events', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 500; i += 1) {
      const source = i % 2 === 0 ? 'cloudtrail' : 'vpc-flow';
      lines.push(
        JSON.stringify({
          datetime: new Date(Date.parse('2026-11-27T20:00:00Z') + i * 60_000).toISOString(),
          source,
          message: `event ${i}`,
          evidence: `k/${source}`,
          evidence_line: i + 1,
        }),
      );
    }
    lines.push(
      JSON.stringify({
        datetime: '2026-11-27T21:58:02.000Z',
        source: 'finding',
        message: 'GuardDuty finding',
        evidence: 'k/finding.json',
        evidence_line: 1,
      }),
    );
    lines.push('not json');
    const summary = await summariseTimeline(
      'report/timeline.jsonl',
      Readable.from(lines.map((line) => `${line}\n`).join('')),
    );
    expect(summary.events).toBe(501);
    expect(summary.sources.map((s) => [s.source, s.events])).toEqual([
      ['cloudtrail', 250],
      ['finding', 1],
      ['vpc-flow', 250],
    ]);
    for (const series of summary.sources) {
      expect(series.buckets).toHaveLength(TIMELINE_BUCKETS);
      expect(series.buckets.reduce((a, b) => a + b, 0)).toBe(series.events);
    }
    expect(summary.highlights.map((h) => h.why)).toEqual([
      'first cloudtrail event',
      'first vpc-flow event',
      'finding',
      'last cloudtrail event',
      'last vpc-flow event',
    ]);
    expect(summary.highlights.find((h) => h.why === 'last vpc-flow event')).toMatchObject({
      message: 'event 499',
      evidence: 'k/vpc-flow',
      line: 500,
    });
  });
});
