// `custody start --resume`: a responder resumes a stopped case on purpose; what must not be resumed is refused, starting nothing.
import { startCommand } from '../../cli/commands/start';
import { caseIdForFinding } from '../../tasks/triage';
import { cliWorld } from './start-helpers';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:custody-collect-evidence';

describe('custody start --resume refusals', () => {
  it('refuses a case whose execution is still running', async () => {
    const world = cliWorld();
    const caseId = caseIdForFinding((world.env.scenario.trigger as { detail: { arn: string } }).detail.arn);
    const account = world.env.sandbox.account('111111111111')!;
    (account.executions ??= []).push({
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${caseId}`,
      stateMachineArn: STATE_MACHINE,
      name: caseId,
      status: 'RUNNING',
      input: JSON.stringify(world.env.scenario.trigger),
      startDate: new Date().toISOString(),
      history: [],
    });
    await expect(
      startCommand({ resume: caseId, config: world.configFile, profile: 'incident' }, world.io, world.commandEnv),
    ).rejects.toMatchObject({ name: 'ResumeRefusedError', message: expect.stringContaining('still RUNNING') });
    expect(world.env.sandbox.callsOf('SFN', 'StartExecution')).toEqual([]);
  });

  it('refuses a case that has no execution to resume', async () => {
    const world = cliWorld();
    await expect(
      startCommand(
        { resume: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11', config: world.configFile, profile: 'incident' },
        world.io,
        world.commandEnv,
      ),
    ).rejects.toMatchObject({ name: 'ResumeRefusedError', message: expect.stringContaining('nothing to resume') });
    expect(world.env.sandbox.callsOf('SFN', 'StartExecution')).toEqual([]);
  });

  it.each([
    ['a case id that is not a UUID', { resume: 'INC-4711' }],
    ['--resume with --event', { resume: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11', event: 'finding.json' }],
    ['--resume with --dry-run', { resume: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11', dryRun: true }],
  ])('refuses %s before any AWS call', async (_why, options) => {
    const world = cliWorld();
    await expect(
      startCommand({ ...options, config: world.configFile, profile: 'incident' }, world.io, world.commandEnv),
    ).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(world.env.sandbox.calls).toEqual([]);
  });
});
