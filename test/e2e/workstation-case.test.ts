// The workstation scenario through the real state machine: the Examine phase's workstation gets this execution's client token.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxEnvironment } from '../../sandbox';
import type { SandboxEnvironment } from '../../sandbox';
import { sandboxDeps } from '../../sandbox/deps';
import { loadScenario } from '../../sandbox/scenario';
import { stageCaptureTools } from '../../sandbox/ssm-agent';
import { clientToken } from '../../tasks/start-workstation';
import type { Case } from '../../tasks/lib/case';
import type { TaskDeps } from '../../tasks/lib/task';
import { runCollectEvidence } from '../../statemachines/runner';
import type { ProgressEvent, RunResult } from '../../statemachines/runner';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';

describe('a workstation case through the state machine', () => {
  let env: SandboxEnvironment;
  let deps: TaskDeps;
  let run: RunResult;

  beforeAll(async () => {
    const scenario = loadScenario('workstation');
    for (const account of scenario.accounts)
      for (const region of Object.values(account.regions)) {
        delete region.generatedLogs;
        for (const instance of region.instances) instance.memoryMiB = Math.min(instance.memoryMiB, 8);
      }
    env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-workstation-case-')) });
    await stageCaptureTools(env.sandbox, BUCKET);
    deps = sandboxDeps(env, 'workstation-case');
    run = await runCollectEvidence(scenario.trigger, { deps });
  }, 60_000);

  it('finishes the case and launches one workstation in the forensics account', () => {
    expect(run.status).toBe('SUCCEEDED');
    const launches = env.sandbox.callsOf('EC2', 'RunInstances').filter((call) => !call.error);
    expect(launches).toHaveLength(1);
    expect(launches[0].accountId).toBe('333333333333');
  });

  it('launches it with a client token of this execution, taken from the context object', () => {
    const output = run.output as { case: Case };
    const target = output.case.targets[0];
    const [launch] = env.sandbox.callsOf('EC2', 'RunInstances');
    expect(launch.input.ClientToken).toBe(
      clientToken({ case: output.case, target, execution: deps.actor.execution }, 'workstation'),
    );
  });
});

describe('a case that does not ask for a workstation', () => {
  it('skips the workstation Map: no workstation state runs and the forensics account is not asked about one', async () => {
    const scenario = loadScenario('compromised-web-server');
    for (const account of scenario.accounts)
      for (const region of Object.values(account.regions)) delete region.generatedLogs;
    const env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-no-workstation-')) });
    await stageCaptureTools(env.sandbox, BUCKET);
    const entered: string[] = [];
    const run = await runCollectEvidence(scenario.trigger, {
      deps: sandboxDeps(env, 'no-workstation'),
      onProgress: (event: ProgressEvent) => {
        if (event.kind === 'started' && event.state) entered.push(event.state);
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(entered).toEqual(expect.arrayContaining(['WorkstationWanted', 'NoWorkstation', 'ExamineEvidence']));
    expect(entered.filter((state) => /Workstation$/.test(state) && state !== 'NoWorkstation')).toEqual([]);
    expect((run.output as { workstations: unknown[] }).workstations).toEqual([]);
    const workstationCalls = env.sandbox.calls.filter(
      (call) => call.accountId === '333333333333' && /Instances|Volume/.test(call.operation),
    );
    expect(workstationCalls).toEqual([]);
  }, 60_000);
});
