import { createHash } from 'node:crypto';
import { loadScenario } from '../../sandbox/scenario';
import type { Scenario } from '../../sandbox/scenario';
import type { Case, Mode } from '../../tasks/lib/case';
import { CaseSchema } from '../../tasks/lib/case';
import { CASE_TAG_KEY, preserveInstance, preserveInstanceTask } from '../../tasks/preserve-instance';
import { runTask } from '../../tasks/lib/handler';
import { makeTestContext } from '../helpers/deps';

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const WEB = 'i-0c0ffee1234567890';
const CASE_ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const METADATA = `${ACCOUNT}/${WEB}/metadata`;

function caseOf(mode: Mode, instanceId = WEB): Case {
  return CaseSchema.parse({
    caseId: CASE_ID,
    mode,
    trigger: 'manual',
    targets: [{ instanceId, accountId: ACCOUNT, region: REGION }],
    requestedBy: 'responder@example.com',
    reason: 'INC-1234',
    options: {},
    openedAt: '2026-11-27T22:45:00.000Z',
  });
}

function setup(change?: (scenario: Scenario) => void) {
  const scenario = loadScenario();
  // Launched by its Auto Scaling group to terminate on shutdown, so every protection has something to change.
  scenario.accounts[1].regions[REGION].instances[0].instanceInitiatedShutdownBehavior = 'terminate';
  change?.(scenario);
  const ctx = makeTestContext(scenario);
  const region = ctx.env.sandbox.regionState(ACCOUNT, REGION);
  const run = (mode: Mode, instanceId = WEB) =>
    preserveInstance(
      { case: caseOf(mode, instanceId), target: { instanceId, accountId: ACCOUNT, region: REGION } },
      ctx.deps,
    );
  return { ctx, region, web: region.instances[0], run };
}

const responderDenies =
  (...actions: string[]) =>
  (scenario: Scenario) => {
    scenario.accounts[1].roles[0].deny.push(...actions);
  };

const ec2Changes = (ctx: ReturnType<typeof setup>['ctx']) => [
  ...ctx.env.sandbox.callsOf('EC2', 'ModifyInstanceAttribute'),
  ...ctx.env.sandbox.callsOf('EC2', 'CreateTags'),
];

describe('PreserveInstance in collect mode', () => {
  it('protects the instance and both volumes from termination and tags them with the case', async () => {
    const { region, web, run } = setup();
    const output = await run('collect');
    expect(web.disableApiTermination).toBe(true);
    expect(web.instanceInitiatedShutdownBehavior).toBe('stop');
    expect(web.blockDevices.map((device) => device.deleteOnTermination)).toEqual([false, false]);
    expect(web.tags[CASE_TAG_KEY]).toBe(CASE_ID);
    expect(region.volumes.map((volume) => volume.tags[CASE_TAG_KEY])).toEqual([CASE_ID, CASE_ID]);
    expect(output.gaps).toEqual([]);
    expect(output.instance.volumes.map((volume) => volume.deleteOnTermination)).toEqual([false, false]);
  });

  it('keeps the description, volumes, tags and console output as evidence, byte for byte', async () => {
    const { ctx, web, run } = setup();
    await run('collect');
    const described = JSON.parse(
      ctx.artifacts.get(`${METADATA}/describe-instance.json`)?.bytes.toString('utf8') ?? '{}',
    );
    expect(described.Reservations[0].Instances[0].InstanceId).toBe(WEB);
    expect(described.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.DeleteOnTermination).toBe(true);
    const volumes = JSON.parse(ctx.artifacts.get(`${METADATA}/describe-volumes.json`)?.bytes.toString('utf8') ?? '{}');
    expect(volumes.Volumes.map((volume: { VolumeId: string }) => volume.VolumeId)).toEqual([
      'vol-0a1b2c3d4e5f60001',
      'vol-0a1b2c3d4e5f60002',
    ]);
    const console = ctx.artifacts.get(`${METADATA}/console-output.txt`);
    expect(console?.bytes.toString('utf8')).toBe(loadScenario().accounts[1].regions[REGION].instances[0].consoleOutput);
    expect(console?.record.sha256).toBe(createHash('sha256').update(web.consoleOutput).digest('hex'));
    const tags = JSON.parse(ctx.artifacts.get(`${METADATA}/tags.json`)?.bytes.toString('utf8') ?? '{}');
    expect(tags.tags).toContainEqual({ Key: 'Name', Value: 'web-prod-3' });
    expect(tags.tags.map((tag: { Key: string }) => tag.Key)).not.toContain(CASE_TAG_KEY);
    expect(ctx.artifacts.get(`${METADATA}/screenshot.jpg`)?.bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('records every change with the prior state, so it can be undone', async () => {
    const { ctx, run } = setup();
    await run('collect');
    const changes = ctx.events.filter((event) => event.action !== 'artifact.acquired');
    expect(changes).toContainEqual({
      action: 'instance.termination-protected',
      target: WEB,
      details: { prior: { disableApiTermination: false }, now: { disableApiTermination: true } },
    });
    expect(changes).toContainEqual({
      action: 'instance.shutdown-behavior-set',
      target: WEB,
      details: {
        prior: { instanceInitiatedShutdownBehavior: 'terminate' },
        now: { instanceInitiatedShutdownBehavior: 'stop' },
      },
    });
    expect(changes).toContainEqual({
      action: 'volume.delete-on-termination-disabled',
      target: 'vol-0a1b2c3d4e5f60002',
      details: {
        instanceId: WEB,
        deviceName: '/dev/sdf',
        prior: { deleteOnTermination: true },
        now: { deleteOnTermination: false },
      },
    });
    expect(changes).toContainEqual({
      action: 'instance.tagged',
      target: WEB,
      details: { key: CASE_TAG_KEY, prior: { value: null }, now: { value: CASE_ID } },
    });
    expect(changes.filter((event) => event.action === 'volume.tagged').map((event) => event.target)).toEqual([
      'vol-0a1b2c3d4e5f60001',
      'vol-0a1b2c3d4e5f60002',
    ]);
  });

  it('makes no change twice: a second run finds everything already in place and says so', async () => {
    const { ctx, run } = setup();
    await run('collect');
    const before = ec2Changes(ctx).length;
    const second = await run('collect');
    expect(ec2Changes(ctx)).toHaveLength(before);
    const protections = second.actions.filter((action) =>
      ['termination-protection', 'shutdown-behavior', 'delete-on-termination', 'tag'].includes(action.step),
    );
    expect(protections.map((action) => action.status)).toEqual([
      'already',
      'already',
      'already',
      'already',
      'already',
      'already',
      'already',
    ]);
    expect(ctx.events.filter((event) => event.details?.alreadyInPlace === true)).toHaveLength(7);
  });

  it('turns a denied ModifyInstanceAttribute into gaps and still tags the instance', async () => {
    const { web, run } = setup(responderDenies('ec2:ModifyInstanceAttribute'));
    const output = await run('collect');
    expect(web.disableApiTermination).toBe(false);
    expect(web.tags[CASE_TAG_KEY]).toBe(CASE_ID);
    expect(output.gaps.map((gap) => [gap.step, gap.error])).toEqual([
      ['termination-protection', 'UnauthorizedOperation'],
      ['shutdown-behavior', 'UnauthorizedOperation'],
      ['delete-on-termination', 'UnauthorizedOperation'],
      ['delete-on-termination', 'UnauthorizedOperation'],
    ]);
    expect(output.actions.find((action) => action.step === 'termination-protection')?.status).toBe('denied');
  });

  it('keeps the other evidence when reading the console output is denied, and names the gap', async () => {
    const { ctx, run } = setup(responderDenies('ec2:GetConsoleOutput'));
    const output = await run('collect');
    expect(output.gaps).toEqual([expect.objectContaining({ step: 'console-output', error: 'UnauthorizedOperation' })]);
    expect(ctx.artifacts.has(`${METADATA}/console-output.txt`)).toBe(false);
    expect(ctx.artifacts.has(`${METADATA}/describe-instance.json`)).toBe(true);
  });

  it('lets a throttled DescribeInstances fail the task so the state machine retries it', async () => {
    const { ctx, run } = setup((scenario) => {
      scenario.faults.push({
        service: 'EC2',
        operation: 'DescribeInstances',
        error: 'RequestLimitExceeded',
        message: 'Request limit exceeded.',
      });
    });
    await expect(run('collect')).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(ec2Changes(ctx)).toEqual([]);
  });

  it('preserves a stopped instance the same way, without a screenshot', async () => {
    const { web, run } = setup((scenario) => {
      scenario.accounts[1].regions[REGION].instances[0].state = 'stopped';
    });
    const output = await run('collect');
    expect(web.disableApiTermination).toBe(true);
    expect(web.blockDevices.every((device) => !device.deleteOnTermination)).toBe(true);
    expect(output.actions.find((action) => action.step === 'screenshot')).toMatchObject({ status: 'skipped' });
    expect(output.instance.state).toBe('stopped');
  });

  it('records a terminated instance and reports the gap instead of protecting it', async () => {
    const { ctx, run } = setup((scenario) => {
      scenario.accounts[1].regions[REGION].instances[0].state = 'terminated';
    });
    const output = await run('collect');
    expect(ec2Changes(ctx)).toEqual([]);
    expect(output.gaps).toContainEqual(
      expect.objectContaining({ step: 'protect', target: `${ACCOUNT}/${REGION}/${WEB}` }),
    );
    expect(ctx.events).toContainEqual({ action: 'instance.terminated', target: WEB, details: { state: 'terminated' } });
    expect(ctx.artifacts.has(`${METADATA}/describe-instance.json`)).toBe(true);
  });

  it('refuses an instance that does not exist with TargetNotFoundError and writes nothing', async () => {
    const { ctx, run } = setup();
    await expect(run('collect', 'i-0deadbeefdeadbeef')).rejects.toMatchObject({
      name: 'TargetNotFoundError',
      message: 'instance i-0deadbeefdeadbeef does not exist in account 222222222222, region eu-west-1',
    });
    expect(ctx.artifacts.size).toBe(0);
  });

  it('reports the memory size and the instance-store disks that cannot be snapshotted', async () => {
    const { run } = setup((scenario) => {
      scenario.accounts[1].regions[REGION].instances[0].instanceStore = [
        { deviceName: '/dev/sdb', virtualName: 'ephemeral0' },
      ];
    });
    const output = await run('collect');
    expect(output.instance).toMatchObject({
      memoryMiB: 64,
      instanceStore: ['ephemeral0'],
      autoScalingGroupName: 'web-asg',
      platform: 'linux',
    });
  });
});

describe('PreserveInstance in dry-run mode', () => {
  it('changes nothing and writes no evidence', async () => {
    const { ctx, run } = setup();
    const before = structuredClone(ctx.env.sandbox.account(ACCOUNT));
    await run('dry-run');
    expect(ctx.env.sandbox.account(ACCOUNT)).toEqual(before);
    expect(ctx.artifacts.size).toBe(0);
  });

  it('asks EC2 with DryRun for every change and records each verdict', async () => {
    const { ctx, run } = setup();
    const output = await run('dry-run');
    const changes = ec2Changes(ctx);
    expect(changes).toHaveLength(7);
    expect(changes.every((call) => call.input.DryRun === true && call.error === 'DryRunOperation')).toBe(true);
    expect(output.actions.filter((action) => action.status === 'allowed')).toHaveLength(9);
    expect(output.actions.filter((action) => action.status === 'would-do').map((action) => action.step)).toEqual([
      'describe-instance',
      'describe-volumes',
      'tags',
    ]);
    expect(ctx.events.filter((event) => event.action === 'dryrun.checked')).toHaveLength(9);
    expect(output.gaps).toEqual([]);
  });

  it('reports a denied permission as a gap and still checks the other steps', async () => {
    const { ctx, run } = setup(responderDenies('ec2:ModifyInstanceAttribute'));
    const output = await run('dry-run');
    const verdicts = Object.fromEntries(
      output.actions.map((action) => [`${action.step}:${action.resource}`, action.status]),
    );
    expect(verdicts).toMatchObject({
      [`termination-protection:${WEB}`]: 'denied',
      [`tag:${WEB}`]: 'allowed',
      'tag:vol-0a1b2c3d4e5f60002': 'allowed',
    });
    expect(output.gaps.filter((gap) => gap.error === 'UnauthorizedOperation')).toHaveLength(4);
    expect(ctx.events).toContainEqual({
      action: 'dryrun.checked',
      target: WEB,
      details: { step: 'termination-protection', verdict: 'denied' },
    });
  });
});

describe('PreserveInstance as a state', () => {
  it('rejects an input without a target before touching anything', async () => {
    const { ctx } = setup();
    await expect(
      runTask(preserveInstanceTask.schema, preserveInstanceTask.core, { case: caseOf('collect') }, ctx.deps),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    expect(ctx.env.sandbox.calls).toEqual([]);
  });
});
