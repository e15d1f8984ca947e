import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCommand } from '../../cli/commands/start';
import { executionsSettled } from '../../sandbox/services/sfn';
import { caseIdForFinding } from '../../tasks/triage';
import { cliWorld } from './start-helpers';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:custody-collect-evidence';

describe('custody start against the deployed state machine', () => {
  describe('starting a case from the GuardDuty finding and following it', () => {
    const world = cliWorld();
    const finding = world.env.scenario.trigger as { detail: { arn: string } };
    const caseId = caseIdForFinding(finding.detail.arn);
    let code: number;
    let firstRunLines: string[];

    beforeAll(async () => {
      code = await startCommand(
        { event: world.eventFile, config: world.configFile, profile: 'incident', wait: true },
        world.io,
        world.commandEnv,
      );
      firstRunLines = [...world.stdout];
    });

    it('says which account it acts in before starting anything', () => {
      expect(firstRunLines[0]).toBe(
        'Acting in account 111111111111 as arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody (profile incident, region eu-west-1)',
      );
    });

    it('names the execution after the case and passes the finding unchanged as its input', () => {
      const [call] = world.env.sandbox.callsOf('SFN', 'StartExecution');
      expect(call.input).toEqual({
        stateMachineArn: STATE_MACHINE,
        name: caseId,
        input: JSON.stringify(world.env.scenario.trigger),
      });
      expect(firstRunLines).toContain(
        `Console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:111111111111:execution:custody-collect-evidence:${caseId}`,
      );
    });

    it('follows the execution phase by phase until it succeeds', () => {
      expect(code).toBe(0);
      const phases = firstRunLines.filter((line) => line.startsWith('== '));
      expect(phases).toEqual(['== triage', '== collect', '== examine', '== analyze', '== report']);
      // The targets run as the Map Run's child executions: their progress is counted, their states are in their own histories.
      expect(firstRunLines).toContain('   targets 1 of 1 done (0 failed, 0 running)');
      expect(firstRunLines).not.toContain('   ok      PreserveInstance');
      expect(firstRunLines).toContain(`Case ${caseId}: SUCCEEDED`);
      expect(firstRunLines.some((line) => /^Target: {2}i-0c0ffee1234567890 /.test(line))).toBe(true);
    });

    it('has really collected: the instance carries the case id tag in the member account', () => {
      const instance = world.env.sandbox
        .regionState('222222222222', 'eu-west-1')
        .instances.find((candidate) => candidate.instanceId === 'i-0c0ffee1234567890');
      expect(instance?.tags['custody:case-id']).toBe(caseId);
    });

    it('does not open the case twice when the same finding is started again', async () => {
      const evidenceCallsBefore = world.env.sandbox.calls.filter((call) => call.accountId !== '111111111111').length;
      world.stdout.length = 0;
      const again = await startCommand(
        { event: world.eventFile, config: world.configFile, profile: 'incident' },
        world.io,
        world.commandEnv,
      );
      await executionsSettled(world.env.sandbox);
      expect(again).toBe(0);
      expect(
        world.stdout.some(
          (line) =>
            line.startsWith(`Case ${caseId} was already started at `) &&
            line.endsWith('SUCCEEDED; nothing new was started'),
        ),
      ).toBe(true);
      expect(world.env.sandbox.account('111111111111')!.executions).toHaveLength(1);
      expect(world.env.sandbox.callsOf('SFN', 'StartExecution').map((call) => call.error)).toEqual([
        undefined,
        'ExecutionAlreadyExists',
      ]);
      expect(world.env.sandbox.calls.filter((call) => call.accountId !== '111111111111')).toHaveLength(
        evidenceCallsBefore,
      );
    });
  });

  it('starts a dry run for one instance under a case id it pins in the request, so the execution opens that same case', async () => {
    const world = cliWorld();
    const code = await startCommand(
      {
        instance: 'i-0c0ffee1234567890',
        account: '222222222222',
        dryRun: true,
        reason: 'INC-42',
        requestedBy: 'alice',
        config: world.configFile,
        yesUseDefaultCredentials: true,
      },
      world.io,
      world.commandEnv,
    );
    await executionsSettled(world.env.sandbox);
    expect(code).toBe(0);
    const [call] = world.env.sandbox.callsOf('SFN', 'StartExecution');
    const input = JSON.parse(call.input.input as string) as { caseId: string; mode: string; targets: unknown[] };
    expect(input).toMatchObject({
      mode: 'dry-run',
      requestedBy: 'alice',
      reason: 'INC-42',
      targets: [{ instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' }],
    });
    expect(call.input.name).toBe(input.caseId);
    const [execution] = world.env.sandbox.account('111111111111')!.executions!;
    expect((JSON.parse(execution.output!) as { case: { caseId: string } }).case.caseId).toBe(input.caseId);
    expect(
      world.env.sandbox.regionState('222222222222', 'eu-west-1').instances[0].tags['custody:case-id'],
    ).toBeUndefined();
  });

  it('rehearses a finding as a dry-run request of its own, recording the responder and their reason, not the tabletop', async () => {
    const world = cliWorld();
    const code = await startCommand(
      {
        event: world.eventFile,
        dryRun: true,
        reason: 'INC-43 rehearsal',
        requestedBy: 'bob',
        config: world.configFile,
        yesUseDefaultCredentials: true,
      },
      world.io,
      world.commandEnv,
    );
    await executionsSettled(world.env.sandbox);
    expect(code).toBe(0);
    const [call] = world.env.sandbox.callsOf('SFN', 'StartExecution');
    const input = JSON.parse(call.input.input as string) as { caseId: string; requestedBy: string; reason: string };
    const { arn, type } = (world.env.scenario.trigger as { detail: { arn: string; type: string } }).detail;
    expect(input).toMatchObject({ mode: 'dry-run', requestedBy: 'bob' });
    expect(input.reason).toBe(`INC-43 rehearsal; dry run of ${type} (${arn})`);
    expect(input.caseId).not.toBe(caseIdForFinding(arn));
  });

  describe('refusals, before any AWS call', () => {
    it.each([
      [
        'an instance id that is not one',
        { instance: 'i-nothex', account: '222222222222', reason: 'INC-1' },
        'InvalidInputError',
      ],
      ['a request without a reason', { instance: 'i-0c0ffee1234567890', account: '222222222222' }, 'InvalidInputError'],
      [
        'a target region with no forensics account',
        { instance: 'i-0c0ffee1234567890', account: '222222222222', region: 'us-east-1', reason: 'INC-1' },
        'RegionNotConfiguredError',
      ],
    ])('refuses %s', async (_why, options, name) => {
      const world = cliWorld();
      await expect(
        startCommand({ ...options, config: world.configFile, profile: 'incident' }, world.io, world.commandEnv),
      ).rejects.toMatchObject({ name });
      expect(world.env.sandbox.calls).toEqual([]);
    });

    it('refuses an event that is not a trigger Custody acts on', async () => {
      const world = cliWorld();
      const file = join(world.dir, 'iam-finding.json');
      writeFileSync(
        file,
        JSON.stringify({ source: 'aws.iam', 'detail-type': 'AWS API Call via CloudTrail', detail: {} }),
      );
      await expect(
        startCommand({ event: file, config: world.configFile, profile: 'incident' }, world.io, world.commandEnv),
      ).rejects.toMatchObject({ name: 'UnsupportedEventError' });
      expect(world.env.sandbox.callsOf('SFN', 'StartExecution')).toEqual([]);
    });

    it('refuses to act on ambient credentials without --profile or --yes-use-default-credentials', async () => {
      const world = cliWorld();
      await expect(
        startCommand({ event: world.eventFile, config: world.configFile }, world.io, world.commandEnv),
      ).rejects.toThrow(/--profile PROFILE/);
      expect(world.env.sandbox.calls).toEqual([]);
    });

    it('refuses to start without a state machine to start', async () => {
      const world = cliWorld();
      const config = join(world.dir, 'no-machine.json');
      const rest = { ...(world.env.scenario.config as Record<string, unknown>) };
      delete rest.stateMachineArn;
      writeFileSync(config, JSON.stringify(rest));
      await expect(
        startCommand({ event: world.eventFile, config, profile: 'incident' }, world.io, world.commandEnv),
      ).rejects.toThrow(/--state-machine-arn/);
      expect(world.env.sandbox.calls).toEqual([]);
    });
  });
});
