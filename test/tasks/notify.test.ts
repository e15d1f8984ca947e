// Notify: the SNS message about a case and the Security Hub note on its finding, asserted in the sandbox.
import { loadScenario } from '../../sandbox/scenario';
import { NotifyInputSchema, notify } from '../../tasks/notify';
import type { Case } from '../../tasks/lib/case';
import { makeTestContext } from '../helpers/deps';
import { logCase } from '../helpers/log-case';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:custody-notifications';
const REPORT =
  's3://custody-evidence-333333333333-eu-west-1/cases/0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11/report/report.html';
const input = (kase: Case, event: 'started' | 'contained' | 'finished' = 'finished', summary?: unknown) =>
  NotifyInputSchema.parse({ case: kase, event, ...(summary ? { summary } : {}) });

describe('Notify', () => {
  it('publishes a concise message with the case id, status and report location to the configured topic', async () => {
    const ctx = makeTestContext();
    const output = await notify(
      input(logCase(), 'finished', {
        status: 'partial',
        gaps: [{ target: 'i-0c0ffee1234567890', step: 'CaptureMemory', reason: 'agent offline' }],
      }),
      ctx.deps,
    );
    const calls = ctx.env.sandbox.callsOf('SNS', 'Publish');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      accountId: '111111111111',
      region: 'eu-west-1',
      input: { TopicArn: TOPIC, Subject: 'Custody case 0f8f8d3e finished: partial' },
    });
    const topic = ctx.env.sandbox.account('111111111111')!.snsTopics!.find((t) => t.topicArn === TOPIC)!;
    expect(topic.messages).toHaveLength(1);
    const message = topic.messages[0];
    expect(message.messageId).toBe(output.messageId);
    expect(message.attributes).toEqual({ caseId: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11', event: 'finished' });
    expect(message.message).toContain('Custody case 0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11 finished.');
    expect(message.message).toContain('Status: partial');
    expect(message.message).toContain(`Report: ${REPORT}`);
    expect(message.message).toContain('Gaps: 1; first: i-0c0ffee1234567890 CaptureMemory: agent offline');
    expect(output.gaps).toEqual([]);
  });

  it("points a resumed run's message at the report that run wrote, not the first run's", async () => {
    const ctx = makeTestContext();
    const resumed = REPORT.replace('/report/report.html', '/report/resume-1/report.html');
    const parsed = NotifyInputSchema.parse({
      case: logCase(),
      event: 'finished',
      report: { caseId: logCase().caseId, reports: [{ region: 'eu-west-1', location: resumed }], gaps: [] },
    });
    await notify(parsed, ctx.deps);
    const topic = ctx.env.sandbox.account('111111111111')!.snsTopics!.find((t) => t.topicArn === TOPIC)!;
    expect(topic.messages[0].message).toContain(`Report: ${resumed}`);
    expect(topic.messages[0].message).not.toContain(`Report: ${REPORT}`);
  });

  it('falls back to where a first run puts the report when RenderReport failed', async () => {
    const ctx = makeTestContext();
    const failed = { Error: 'EvidenceWriteError', Cause: 'denied' };
    await notify(NotifyInputSchema.parse({ case: logCase(), event: 'finished', report: failed }), ctx.deps);
    const topic = ctx.env.sandbox.account('111111111111')!.snsTopics!.find((t) => t.topicArn === TOPIC)!;
    expect(topic.messages[0].message).toContain(`Report: ${REPORT}`);
  });

  it('marks the GuardDuty finding NOTIFIED in Security Hub with a note naming the case', async () => {
    const ctx = makeTestContext();
    const kase = logCase();
    const output = await notify(input(kase, 'started'), ctx.deps);
    const calls = ctx.env.sandbox.callsOf('SecurityHub', 'BatchUpdateFindings');
    expect(calls).toHaveLength(1);
    expect(calls[0].input).toEqual({
      FindingIdentifiers: [
        { Id: kase.finding!.arn, ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty' },
      ],
      Note: { Text: `Custody case ${kase.caseId}: started (collecting). ${REPORT}`, UpdatedBy: 'custody' },
      Workflow: { Status: 'NOTIFIED' },
    });
    expect(output.securityHub).toEqual({ processed: 1, unprocessed: [] });
    const updates = ctx.env.sandbox.regionState('111111111111', 'eu-west-1').findingUpdates!;
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ workflow: { Status: 'NOTIFIED' }, findings: [{ Id: kase.finding!.arn }] });
  });

  it('updates a Security Hub finding by its own Id and ProductArn', async () => {
    const ctx = makeTestContext();
    const kase = logCase({
      trigger: 'securityhub',
      finding: {
        ...logCase().finding!,
        source: 'securityhub',
        id: 'arn:aws:securityhub:eu-west-1:222222222222:finding/x',
        productArn: 'arn:aws:securityhub:eu-west-1::product/aws/inspector',
      },
    });
    const output = await notify(input(kase), ctx.deps);
    expect(ctx.env.sandbox.callsOf('SecurityHub', 'BatchUpdateFindings')[0].input.FindingIdentifiers).toEqual([
      {
        Id: 'arn:aws:securityhub:eu-west-1:222222222222:finding/x',
        ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/inspector',
      },
    ]);
    // The sandbox holds no such finding: Security Hub answers FindingNotFound, which is a gap, not a failed case.
    expect(output.securityHub).toEqual({
      processed: 0,
      unprocessed: ['arn:aws:securityhub:eu-west-1:222222222222:finding/x: FindingNotFound Finding Not Found'],
    });
    expect(output.gaps).toHaveLength(1);
    expect(output.messageId).toBeDefined();
  });

  it('skips cleanly when no topic is configured', async () => {
    const scenario = loadScenario();
    delete (scenario.config as Record<string, unknown>).snsTopicArn;
    const ctx = makeTestContext(scenario);
    const output = await notify(input(logCase({ trigger: 'manual', finding: undefined })), ctx.deps);
    expect(output).toEqual({
      caseId: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11',
      event: 'finished',
      skipped: 'no topic configured',
      securityHub: { skipped: 'the case did not come from a finding' },
      gaps: [],
    });
    expect(ctx.env.sandbox.callsOf('SNS', 'Publish')).toHaveLength(0);
    expect(ctx.env.sandbox.callsOf('SecurityHub', 'BatchUpdateFindings')).toHaveLength(0);
  });

  it('leaves the finding unchanged in a dry run and says so in the message', async () => {
    const ctx = makeTestContext();
    const output = await notify(input(logCase({ mode: 'dry-run' }), 'started'), ctx.deps);
    expect(ctx.env.sandbox.callsOf('SecurityHub', 'BatchUpdateFindings')).toHaveLength(0);
    expect(output.securityHub).toEqual({
      skipped: 'dry run: the finding is left unchanged (would set Workflow.Status NOTIFIED)',
    });
    expect(ctx.env.sandbox.callsOf('SNS', 'Publish')[0].input.Subject).toBe(
      'Custody case 0f8f8d3e started: collecting [dry run]',
    );
  });

  it('records a topic that does not exist as a gap instead of failing the case', async () => {
    const scenario = loadScenario();
    (scenario.config as Record<string, unknown>).snsTopicArn = 'arn:aws:sns:eu-west-1:111111111111:nobody-listens';
    const ctx = makeTestContext(scenario);
    const output = await notify(input(logCase()), ctx.deps);
    expect(output.messageId).toBeUndefined();
    expect(output.gaps).toEqual([
      {
        target: 'case',
        step: 'Notify',
        reason: 'notification not sent: NotFoundException: Topic does not exist',
        error: 'NotFoundException',
      },
    ]);
    expect(ctx.env.sandbox.callsOf('SNS', 'Publish')[0].error).toBe('NotFoundException');
  });
});

describe('sandbox SNS Publish', () => {
  it('refuses a subject longer than 100 characters, as SNS does', async () => {
    const ctx = makeTestContext();
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    const sns = ctx.deps.clients.orchestrator('eu-west-1').sns();
    await expect(
      sns.send(new PublishCommand({ TopicArn: TOPIC, Subject: 'x'.repeat(101), Message: 'hello' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(ctx.env.sandbox.account('111111111111')!.snsTopics![0].messages).toHaveLength(0);
  });
});
