// The AWS limits the local runner models: a state over the payload quota fails the case, and each execution's history is counted.
import { runScaleCase } from '../../bench/scale';
import { HISTORY_QUOTA_EVENTS, PAYLOAD_QUOTA_BYTES } from '../../statemachines/limits';
import { runCollectEvidence } from '../../statemachines/runner';
import type { AnyTask } from '../../statemachines/tasks';
import { TASKS } from '../../statemachines/tasks';
import { makeTestContext } from '../helpers/deps';

describe('the payload quota in the local runner', () => {
  it('fails the execution with States.DataLimitExceeded when a state leaves with more than 256 KiB, Catch or not', async () => {
    const ctx = makeTestContext();
    const oversized: AnyTask = { ...TASKS.Triage, core: async () => ({ padding: 'x'.repeat(PAYLOAD_QUOTA_BYTES) }) };
    const result = await runCollectEvidence(
      {
        mode: 'dry-run',
        targets: [{ instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' }],
      },
      { deps: ctx.deps, tasks: { ...TASKS, Triage: oversized } },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('States.DataLimitExceeded');
    expect(result.error?.cause).toMatch(/output of state Triage is 26\d{4} bytes/);
    expect(result.largestPayload).toMatchObject({ state: 'Triage', direction: 'output' });
    expect(result.largestPayload.bytes).toBeGreaterThan(PAYLOAD_QUOTA_BYTES);
  });
});

describe('execution history per execution', () => {
  it('keeps a 500-target case under 25,000 events in the parent and in every Distributed Map child', async () => {
    // Without the logs step: CloudTrail's 2-per-second quota would make this slow; CollectLogs still runs (and counts).
    const one = await runScaleCase(1, { logs: false });
    const two = await runScaleCase(2, { logs: false });
    const parent = (result: typeof one) => result.histories.find((history) => history.execution === 'execution')!;
    const children = (result: typeof one) => result.histories.filter((history) => history.execution !== 'execution');
    expect(children(two).map((history) => history.execution)).toEqual(['CollectTargets#0', 'CollectTargets#1']);
    // Each child's history is its own target's: the same for every target, whatever the case size.
    const child = Math.max(...children(two).map((history) => history.events));
    expect(child).toBeGreaterThanOrEqual(children(one)[0].events - 10);
    // Without a workstation the parent's history does not grow with the targets: their states run in the children.
    expect(parent(two).events).toBe(parent(one).events);
    expect(parent(one).events).toBeLessThan(HISTORY_QUOTA_EVENTS / 100);
    expect(child).toBeLessThan(HISTORY_QUOTA_EVENTS / 10);
    expect(two.largestHistory.events).toBe(Math.max(parent(two).events, child));
  }, 60_000);
});
