// RenderReport: the case report (json, md, html) written as evidence before the seal, from what the real tasks recorded.
import { createHash } from 'node:crypto';
import type { Gap } from '../../tasks/lib/case';
import type { ReportModel } from '../../tasks/lib/report';
import type { RenderReportInput, RenderReportOutput } from '../../tasks/render-report';
import { RenderReportInputSchema, renderCaseReport } from '../../tasks/render-report';
import type { BuiltCase } from './render-report.helpers';
import { buildCase, caseObject, entriesOf, scenarioWith } from './render-report.helpers';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const inputOf = (built: BuiltCase, extra: Partial<RenderReportInput> = {}): RenderReportInput =>
  RenderReportInputSchema.parse({ case: built.kase, targets: [built.summary], ...extra });

describe('RenderReport on a collected case', () => {
  let built: BuiltCase;
  let output: RenderReportOutput;
  let model: ReportModel;
  let html: string;
  let md: string;

  beforeAll(async () => {
    built = await buildCase('collect', undefined, { logs: true });
    output = await renderCaseReport(inputOf(built), built.ctx.deps);
    model = JSON.parse(await caseObject(built, 'report/report.json')) as ReportModel;
    html = await caseObject(built, 'report/report.html');
    md = await caseObject(built, 'report/report.md');
  });

  it('lists every artifact of the custody log with its key, size and SHA-256', () => {
    const recorded = [...built.ctx.artifacts.values()]
      .map((a) => a.record)
      .filter((r) => !r.key.startsWith('report/report.'));
    expect(recorded.length).toBeGreaterThan(5);
    for (const record of recorded) {
      expect(model.evidence).toContainEqual(
        expect.objectContaining({ key: record.key, bytes: record.bytes, sha256: record.sha256, present: true }),
      );
    }
    expect(model.evidence).toHaveLength(recorded.length);
  });

  it('summarises the case: trigger, finding, requester, reason, mode and when it was opened', () => {
    expect(model.case).toEqual({
      caseId: built.kase.caseId,
      mode: 'collect',
      trigger: 'guardduty',
      requestedBy: 'guardduty',
      reason: 'GuardDuty finding',
      openedAt: built.kase.openedAt,
      finding: {
        type: 'CryptoCurrency:EC2/BitcoinTool.B',
        title: built.kase.finding!.title,
        severity: 8,
        severityLabel: 'HIGH',
        arn: built.kase.finding!.arn,
        source: 'guardduty',
      },
    });
    expect(html).toContain('CryptoCurrency:EC2/BitcoinTool.B');
    expect(md).toContain(built.kase.finding!.arn);
  });

  it('gives the target the status SummariseTarget gave it, step by step as its custody entry records them', async () => {
    const summarised = (await entriesOf(built)).find((entry) => entry.action === 'target.summarised');
    expect(built.summary).not.toHaveProperty('steps');
    expect(Object.keys(summarised?.details?.steps ?? {})).toEqual(
      expect.arrayContaining(['PreserveInstance', 'IsolateNetwork', 'SnapshotVolumes', 'CollectLogs']),
    );
    expect(model.targets).toHaveLength(1);
    expect(model.targets[0]).toMatchObject({
      instanceId: 'i-0c0ffee1234567890',
      status: built.summary.status,
      steps: summarised?.details?.steps,
    });
    expect(model.status).toBe(built.summary.status === 'complete' && model.gaps.length === 0 ? 'complete' : 'partial');
  });

  it('shows containment and preservation changes with the state before and after', () => {
    const protect = model.targets[0].actions.find((a) => a.action === 'instance.termination-protected');
    expect(protect).toMatchObject({
      phase: 'preserve',
      status: 'done',
      before: '{"disableApiTermination":false}',
      after: '{"disableApiTermination":true}',
    });
    const isolated = model.targets[0].actions.find((a) => a.action === 'instance.isolated');
    expect(isolated).toMatchObject({ phase: 'isolate', status: 'done' });
    const snapshots = model.targets[0].actions.filter((a) => a.action === 'snapshot.created');
    expect(snapshots.length).toBe(built.ctx.env.sandbox.regionState('222222222222', 'eu-west-1').snapshots.length);
  });

  it('states the chain of custody as it stood when the report was written', async () => {
    const entries = await entriesOf(built);
    expect(entries[model.custody.entries - 1].hash).toBe(model.custody.head);
    // After the head come exactly the report's own three artifact entries, which the seal will cover.
    expect(entries.slice(model.custody.entries).map((e) => e.artifact?.key)).toEqual([
      'report/report.json',
      'report/report.md',
      'report/report.html',
    ]);
    expect(model.custody.sealed).toBe(false);
    expect(md).toContain('npx custody verify');
    expect(md).toContain('openssl dgst -sha256 -verify manifest-key.pem -signature manifest.sig manifest.json');
  });

  it('records each report file as an artifact whose hash matches its bytes', async () => {
    const stored = { json: JSON.stringify(model, null, 2) + '\n', md, html };
    for (const kind of ['json', 'md', 'html'] as const) {
      expect(output.reports[0].sha256[kind]).toBe(sha256(stored[kind]));
      expect(built.ctx.artifacts.get(`report/report.${kind}`)?.record.sha256).toBe(sha256(stored[kind]));
    }
    expect(output.reports[0].location).toBe(
      `s3://custody-evidence-333333333333-eu-west-1/cases/${built.kase.caseId}/report/report.html`,
    );
  });

  it('writes a self-contained HTML page whose diagrams are inline SVG', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/url\(\s*['"]?http/i);
    expect(html).not.toMatch(/<img[^>]+src="http/i);
    expect(html).toContain('@media print');
    expect(html).toContain('aria-label="Case phases over time"');
    expect(html).toContain('aria-label="Incident events per source over time"');
    expect(html.match(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/g)).toHaveLength(2);
    for (const row of model.evidence) expect(html).toContain(row.sha256);
  });

  it('draws the phases in the order the case ran them, from the custody timestamps', () => {
    const phases = model.phases.map((p) => p.phase);
    expect(phases).toEqual(['case', 'preserve', 'isolate', 'snapshot', 'logs', 'analyze']);
    for (const phase of model.phases) expect(Date.parse(phase.end) - Date.parse(phase.start)).toBe(phase.durationMs);
  });

  it('keeps timeline highlights and correlations, linked to the evidence by relative path', () => {
    expect(model.timeline?.events).toBeGreaterThan(0);
    const keys = new Set(model.evidence.map((row) => row.key));
    // Highlights point at evidence objects or at the custody entry they came from (custody/<seq>.json), never elsewhere.
    for (const highlight of model.timeline!.highlights) {
      if (highlight.evidence)
        expect(keys.has(highlight.evidence) || /^custody\/\d{10}\.json$/.test(highlight.evidence)).toBe(true);
    }
    expect(model.timeline!.sources.reduce((sum, s) => sum + s.events, 0)).toBe(model.timeline!.events);
    expect(model.correlations.length).toBeGreaterThan(0);
    const ref = model.correlations[0].evidence[0];
    expect(html).toContain(`href="../${ref.key}"`);
  });
});

describe('RenderReport with gaps', () => {
  it('reports every gap with its reason, and a caught failure as a failed step', async () => {
    const scenario = scenarioWith((s) =>
      s.faults.push({
        service: 'EC2',
        operation: 'GetConsoleOutput',
        error: 'InternalError',
        message: 'console unavailable',
      }),
    );
    const built = await buildCase('collect', scenario, {
      logs: false,
      failures: { CaptureMemory: { Error: 'AgentOffline', Cause: 'the SSM agent is offline' } },
    });
    await renderCaseReport(
      inputOf(built, {
        examine: { gaps: [{ target: 'case', step: 'ExamineEvidence', reason: 'examined with a note' }] },
      }),
      built.ctx.deps,
    );
    const model = JSON.parse(await caseObject(built, 'report/report.json')) as ReportModel;
    const summarised = (await entriesOf(built)).find((entry) => entry.action === 'target.summarised');
    const recorded = summarised?.details?.gaps as Gap[];
    expect(built.summary.gapCount).toBe(recorded.length);
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    for (const gap of recorded) expect(model.gaps).toContainEqual(gap);
    expect(model.gaps).toContainEqual({ target: 'case', step: 'ExamineEvidence', reason: 'examined with a note' });
    expect(model.gaps.some((gap) => /console unavailable/.test(gap.reason))).toBe(true);
    expect(model.targets[0].status).toBe('partial');
    expect(model.targets[0].steps.CaptureMemory).toBe('failed');
    expect(model.targets[0].actions.find((a) => a.action === 'step.failed')).toMatchObject({
      status: 'failed',
      phase: 'memory',
    });
    const html = await caseObject(built, 'report/report.html');
    expect(html).toContain('the SSM agent is offline');
  });

  it('still reports a target whose child execution failed, from what its custody log recorded', async () => {
    const built = await buildCase('collect', undefined, { logs: false });
    // A Distributed Map child that failed leaves an element that is no SummariseTarget result.
    const failedChild = { Error: 'States.Timeout', Cause: 'the child execution timed out' };
    const input = RenderReportInputSchema.parse({ case: built.kase, targets: [failedChild] });
    expect(input.targets).toEqual([]);
    await renderCaseReport(input, built.ctx.deps);
    const model = JSON.parse(await caseObject(built, 'report/report.json')) as ReportModel;
    const summarised = (await entriesOf(built)).find((entry) => entry.action === 'target.summarised');
    expect(model.targets[0]).toMatchObject({
      instanceId: 'i-0c0ffee1234567890',
      status: summarised?.details?.status,
      steps: summarised?.details?.steps,
    });
  });

  it('keeps the first report when retried, because evidence is write-once', async () => {
    const built = await buildCase('collect', undefined, { logs: false });
    await renderCaseReport(inputOf(built), built.ctx.deps);
    const first = await caseObject(built, 'report/report.json');
    const again = await renderCaseReport(inputOf(built), built.ctx.deps);
    expect(await caseObject(built, 'report/report.json')).toBe(first);
    expect(again.gaps.map((gap) => gap.error)).toEqual(['ObjectExistsError', 'ObjectExistsError', 'ObjectExistsError']);
  });
});

describe('RenderReport for a dry run', () => {
  it('lists each permission allowed or denied and estimates the data and time, changing nothing', async () => {
    const scenario = scenarioWith((s) => {
      const role = s.accounts
        .find((a) => a.accountId === '222222222222')!
        .roles.find((r) => r.roleName === 'CustodyResponder')!;
      role.deny.push('ec2:CreateTags');
    });
    const built = await buildCase('dry-run', scenario, { logs: false });
    const before = JSON.stringify(built.ctx.env.sandbox.regionState('222222222222', 'eu-west-1').instances);
    await renderCaseReport(inputOf(built), built.ctx.deps);
    expect(JSON.stringify(built.ctx.env.sandbox.regionState('222222222222', 'eu-west-1').instances)).toBe(before);
    const model = JSON.parse(await caseObject(built, 'report/report.json')) as ReportModel;
    expect(model.status).toBe('planned');
    const checks = model.plan!.checks;
    expect(checks).toContainEqual(
      expect.objectContaining({ target: 'i-0c0ffee1234567890', step: 'tag', verdict: 'denied' }),
    );
    expect(checks).toContainEqual(expect.objectContaining({ step: 'termination-protection', verdict: 'allowed' }));
    expect(checks.some((c) => c.step === 'IsolateNetwork')).toBe(true);
    const state = built.ctx.env.sandbox.regionState('222222222222', 'eu-west-1');
    const instance = state.instances.find((i) => i.instanceId === 'i-0c0ffee1234567890')!;
    const attached = new Set(instance.blockDevices.map((device) => device.volumeId));
    const volumes = state.volumes.filter((v) => attached.has(v.volumeId));
    expect(volumes.length).toBeGreaterThan(0);
    expect(model.plan!.estimate.volumes.map((v) => v.sizeGiB).sort()).toEqual(volumes.map((v) => v.sizeGiB).sort());
    expect(model.plan!.estimate.memory).toEqual([{ target: instance.instanceId, memoryMiB: instance.memoryMiB }]);
    expect(model.plan!.estimate.totalBytes).toBe(
      volumes.reduce((s, v) => s + v.sizeGiB * 1024 ** 3, 0) + instance.memoryMiB * 1024 ** 2,
    );
    expect(model.plan!.estimate.seconds).toBeGreaterThan(0);
    const html = await caseObject(built, 'report/report.html');
    expect(html).toContain('Dry-run plan');
  });
});
