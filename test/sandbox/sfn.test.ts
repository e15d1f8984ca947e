import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { createSandboxEnvironment } from '../../sandbox';
import type { SandboxEnvironment } from '../../sandbox';
import { configureExecutions, executionsSettled } from '../../sandbox/services/sfn';
import { TASKS } from '../../statemachines/tasks';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:custody-collect-evidence';
const CASE_ID = '0f3c9d4e-8b1a-4c2d-9e7f-1a2b3c4d5e6f';

function setup(): { env: SandboxEnvironment; sfn: SFNClient } {
  const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-sfn-')) });
  // Until the runner's task table names SealCase, the real task module answers it here.
  configureExecutions(env.sandbox, { tasks: TASKS });
  return { env, sfn: env.clients('custody-test').orchestrator('eu-west-1').sfn() };
}

function dryRunRequest(caseId: string): string {
  return JSON.stringify({
    mode: 'dry-run',
    caseId,
    targets: [{ instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' }],
    requestedBy: 'sfn test',
    reason: 'INC-1',
  });
}

async function history(sfn: SFNClient, executionArn: string, maxResults?: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('sandbox Step Functions', () => {
  describe('an execution of the collect-evidence machine', () => {
    const { env, sfn } = setup();
    let executionArn: string;
    let statusRightAfterStart: string | undefined;

    beforeAll(async () => {
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: CASE_ID, input: dryRunRequest(CASE_ID) }),
      );
      executionArn = started.executionArn!;
      statusRightAfterStart = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
      await executionsSettled(env.sandbox);
    });

    it('is named after the case and answers RUNNING until the local runner finishes, then SUCCEEDED with the case as output', async () => {
      expect(executionArn).toBe(`arn:aws:states:eu-west-1:111111111111:execution:custody-collect-evidence:${CASE_ID}`);
      expect(statusRightAfterStart).toBe('RUNNING');
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(described.status).toBe('SUCCEEDED');
      expect(described.stopDate).toBeInstanceOf(Date);
      const output = JSON.parse(described.output!) as { case: { caseId: string; mode: string } };
      expect(output.case).toMatchObject({ caseId: CASE_ID, mode: 'dry-run' });
    });

    it('records a history shaped like AWS: ExecutionStarted, state entered/exited events with names, ExecutionSucceeded last', async () => {
      const events = await history(sfn, executionArn);
      expect(events[0]).toMatchObject({
        id: 1,
        type: 'ExecutionStarted',
        executionStartedEventDetails: { input: dryRunRequest(CASE_ID) },
      });
      expect(events[events.length - 1].type).toBe('ExecutionSucceeded');
      expect(events.map((event) => event.id)).toEqual(events.map((_event, index) => index + 1));
      expect(events.every((event) => event.timestamp instanceof Date)).toBe(true);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Triage' } }),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'MapStateEntered', stateEnteredEventDetails: { name: 'CollectTargets' } }),
      );
    });

    it("keeps the targets' states out of the parent history: CollectTargets is a Map Run whose items DescribeMapRun counts", async () => {
      const events = await history(sfn, executionArn);
      const types = events.map((event) => event.type);
      const entered = types.indexOf('MapStateEntered');
      expect(types.slice(entered, entered + 2)).toEqual(['MapStateEntered', 'MapRunStarted']);
      expect(types.indexOf('MapRunSucceeded')).toBe(types.indexOf('MapStateExited') - 1);
      const names = events.map((event) => event.stateEnteredEventDetails?.name).filter(Boolean);
      expect(names).not.toContain('PreserveInstance');
      const mapRunArn = events.find((event) => event.type === 'MapRunStarted')!.mapRunStartedEventDetails!.mapRunArn!;
      expect(mapRunArn).toMatch(
        /^arn:aws:states:eu-west-1:111111111111:mapRun:custody-collect-evidence\/CollectTarget:[0-9a-f-]{36}$/,
      );
      const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      expect(run).toMatchObject({ status: 'SUCCEEDED', executionArn });
      expect(run.itemCounts).toMatchObject({ total: 1, succeeded: 1, failed: 0, running: 0, pending: 0 });
    });

    it('pages the history with nextToken without losing or repeating an event', async () => {
      const whole = await history(sfn, executionArn);
      const paged = await history(sfn, executionArn, 7);
      expect(paged.map((event) => event.id)).toEqual(whole.map((event) => event.id));
      const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 7 }));
      expect(first.events).toHaveLength(7);
      expect(first.nextToken).toBeDefined();
    });

    it('refuses a second execution with the same name once the first has ended', async () => {
      await expect(
        sfn.send(
          new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: CASE_ID, input: dryRunRequest(CASE_ID) }),
        ),
      ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
      expect(env.sandbox.account('111111111111')!.executions).toHaveLength(1);
    });
  });

  it('answers the same name and input while the first is still running with that same execution (idempotent start)', async () => {
    const { env, sfn } = setup();
    const input = dryRunRequest(CASE_ID);
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: CASE_ID, input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: CASE_ID, input }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: STATE_MACHINE,
          name: CASE_ID,
          input: dryRunRequest('1f3c9d4e-8b1a-4c2d-9e7f-1a2b3c4d5e6f'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await executionsSettled(env.sandbox);
    expect(env.sandbox.account('111111111111')!.executions).toHaveLength(1);
  });

  it('refuses a state machine that is not deployed, and starts nothing', async () => {
    const { env, sfn } = setup();
    const missing = STATE_MACHINE.replace('custody-collect-evidence', 'not-deployed');
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: missing, input: '{}' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:eu-west-1:1:nonsense', input: '{}' })),
    ).rejects.toMatchObject({ name: 'InvalidArn' });
    expect(env.sandbox.account('111111111111')!.executions ?? []).toHaveLength(0);
  });

  it('records a rejected trigger as a FAILED execution with the error the Fail state names', async () => {
    const { env, sfn } = setup();
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'bad-input', input: '{"mode":"collect"}' }),
    );
    await executionsSettled(env.sandbox);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('CaseRejected');
    const events = await history(sfn, started.executionArn!);
    expect(events[events.length - 1]).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: described.error },
    });
  });

  it('lists executions most recent first, filtered by status', async () => {
    const { env, sfn } = setup();
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'rejected-one', input: '{"mode":"collect"}' }),
    );
    await executionsSettled(env.sandbox);
    await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'rejected-two', input: '{}' }));
    await executionsSettled(env.sandbox);
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE }));
    expect(all.executions?.map((execution) => execution.name)).toEqual(['rejected-two', 'rejected-one']);
    const running = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING' }),
    );
    expect(running.executions).toEqual([]);
  });
});
