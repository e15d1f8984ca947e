import { casesCommand } from '../../cli/commands/cases';
import { startCommand } from '../../cli/commands/start';
import { describeOutput, statusCommand } from '../../cli/commands/status';
import { caseIdForFinding } from '../../tasks/triage';
import { cliWorld } from './start-helpers';

describe('custody status and custody cases', () => {
  const world = cliWorld();
  const caseId = caseIdForFinding((world.env.scenario.trigger as { detail: { arn: string } }).detail.arn);
  const executionArn = `arn:aws:states:eu-west-1:111111111111:execution:custody-collect-evidence:${caseId}`;

  beforeAll(async () => {
    await startCommand(
      { event: world.eventFile, config: world.configFile, profile: 'incident', wait: true },
      world.io,
      world.commandEnv,
    );
  });

  beforeEach(() => {
    world.stdout.length = 0;
  });

  it('summarises a finished case by its id: status, phase reached, each target and the console link', async () => {
    const code = await statusCommand(caseId, { config: world.configFile }, world.io, world.commandEnv);
    expect(code).toBe(0);
    expect(world.stdout).toEqual(
      expect.arrayContaining([
        `Case:    ${caseId}`,
        expect.stringMatching(/^Status: {2}SUCCEEDED \(ended \d{4}-\d\d-\d\dT/),
        'Phase:   report',
        'Targets: 1 of 1 done (0 failed, 0 running)',
        expect.stringMatching(/^Target: {2}i-0c0ffee1234567890 .* \(\d+ gap\(s\)\)$/),
        `Console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`,
      ]),
    );
    expect(world.stdout.some((line) => line.startsWith('Failed:'))).toBe(false);
  });

  it('accepts the execution ARN as well as the case id', async () => {
    await statusCommand(executionArn, { config: world.configFile }, world.io, world.commandEnv);
    expect(world.stdout[0]).toBe(`Case:    ${caseId}`);
  });

  it('reads the history page by page and describes the execution and its Map Run, changing nothing', async () => {
    const before = world.env.sandbox.calls.length;
    await statusCommand(caseId, { config: world.configFile }, world.io, world.commandEnv);
    const made = world.env.sandbox.calls.slice(before).map((call) => `${call.service}:${call.operation}`);
    expect(new Set(made)).toEqual(new Set(['SFN:DescribeExecution', 'SFN:GetExecutionHistory', 'SFN:DescribeMapRun']));
  });

  it('reports a rejected case as failed (exit 1) with the error Step Functions recorded', async () => {
    const rejected = cliWorld();
    const sfn = rejected.env.clients().orchestrator('eu-west-1').sfn();
    const { StartExecutionCommand } = await import('@aws-sdk/client-sfn');
    const { executionsSettled } = await import('../../sandbox/services/sfn');
    const id = '5d6c7b8a-1234-4abc-8def-0123456789ab';
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: world.env.config.stateMachineArn,
        name: id,
        input: '{"mode":"collect"}',
      }),
    );
    await executionsSettled(rejected.env.sandbox);
    const code = await statusCommand(id, { config: rejected.configFile }, rejected.io, rejected.commandEnv);
    expect(code).toBe(1);
    expect(rejected.stdout).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Status: {2}FAILED \(ended /), 'Phase:   triage']),
    );
    expect(rejected.stdout.some((line) => line.startsWith('Error:   CaseRejected: '))).toBe(true);
  });

  it('says plainly when there is no such case (bad input)', async () => {
    await expect(
      statusCommand('00000000-0000-4000-8000-000000000000', { config: world.configFile }, world.io, world.commandEnv),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });

  it('lists recent cases with their status and start time', async () => {
    const code = await casesCommand({ config: world.configFile }, world.io, world.commandEnv);
    expect(code).toBe(0);
    expect(world.stdout[0]).toMatch(/^CASE\s+STATUS\s+STARTED$/);
    expect(world.stdout[1]).toMatch(new RegExp(`^${caseId}  SUCCEEDED  \\d{4}-\\d\\d-\\d\\dT`));
    expect(world.stdout).toHaveLength(2);
  });

  it('lists cases as JSON for scripts, filtered by status', async () => {
    await casesCommand({ config: world.configFile, json: true, status: 'failed' }, world.io, world.commandEnv);
    expect(JSON.parse(world.stdout[0])).toEqual([]);
    const [call] = world.env.sandbox.callsOf('SFN', 'ListExecutions').slice(-1);
    expect(call.input).toMatchObject({ statusFilter: 'FAILED', maxResults: 20 });
  });
});

describe('the targets line of custody status', () => {
  it("counts each target's gaps from its summary, as CollectTargets leaves it", () => {
    const lines: string[] = [];
    const output = {
      targets: [
        { target: { instanceId: 'i-0c0ffee1234567890' }, status: 'partial', gapCount: 3 },
        { target: { instanceId: 'i-0c0ffee1234567891' }, status: 'failed', gaps: [{ step: 'SummariseTarget' }] },
      ],
    };
    describeOutput(JSON.stringify(output), { out: (line) => lines.push(line), err: () => undefined });
    expect(lines).toEqual([
      'Target:  i-0c0ffee1234567890 partial (3 gap(s))',
      'Target:  i-0c0ffee1234567891 failed (1 gap(s))',
    ]);
  });
});
