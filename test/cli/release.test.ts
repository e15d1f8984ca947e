import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandEnv } from '../../cli/aws-context';
import { releaseCommand } from '../../cli/commands/release';
import type { CliIo } from '../../cli/io';
import type { RegionState } from '../../sandbox/scenario';
import { containCredentials } from '../../tasks/contain-credentials';
import { detachFromFleet } from '../../tasks/detach-from-fleet';
import { isolateNetwork } from '../../tasks/isolate-network';
import { readCustodyEntries } from '../../tasks/lib/case-store';
import { custodyEntryKey, serializeEntry, verifyChain } from '../../tasks/lib/custody-log';
import { openCase } from '../../tasks/open-case';
import { ACCOUNT, REGION, WEB, makeCase, stepInput } from '../helpers/containment';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';

const CASE_ID = makeCase([WEB]).caseId;
const BUCKET = 'custody-evidence-333333333333-eu-west-1';

interface World {
  readonly ctx: TestContext;
  readonly configFile: string;
  readonly env: CommandEnv;
  readonly out: string[];
  readonly err: string[];
  readonly io: CliIo;
}

/** The default organisation after OpenCase and the three containment tasks ran on the web server, as the flow runs them. */
async function containedWorld(): Promise<World> {
  const ctx = makeTestContext();
  const configFile = join(mkdtempSync(join(tmpdir(), 'custody-release-')), 'custody.config.json');
  writeFileSync(configFile, JSON.stringify(ctx.env.scenario.config));
  await openCase({ case: makeCase([WEB]) }, ctx.deps);
  const input = stepInput(ctx, WEB);
  await detachFromFleet(input, ctx.deps);
  await isolateNetwork(input, ctx.deps);
  await containCredentials({ ...input, disassociateProfile: false }, ctx.deps);
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx,
    configFile,
    env: { interceptor: ctx.env.sandbox },
    out,
    err,
    io: { out: (line) => out.push(line), err: (line) => err.push(line) },
  };
}

/** What containment touches, order-free lists sorted; the same view test/tasks/release-isolation.test.ts compares. */
function relevant(ctx: TestContext) {
  const state: RegionState = structuredClone(ctx.env.sandbox.regionState(ACCOUNT, REGION));
  return {
    enis: state.instances.map((instance) => [instance.instanceId, instance.networkInterfaces.map((eni) => eni.groups)]),
    groups: state.autoScalingGroups.map((group) => ({
      ...group,
      instances: [...group.instances].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    })),
    targets: state.targetGroups.map((group) => ({
      ...group,
      targets: [...group.targets].sort((a, b) => a.id.localeCompare(b.id)),
    })),
    roles: ctx.env.scenario.accounts[1].roles,
  };
}

const custodyLog = (ctx: TestContext) => readCustodyEntries(ctx.deps.clients.forensics(REGION).s3(), BUCKET, CASE_ID);
const mutatingCalls = (ctx: TestContext) =>
  ctx.env.sandbox.calls
    .filter((call) => /^(Modify|Attach|Register|Delete|Put|Create)/.test(call.operation))
    .map((call) => `${call.service}:${call.operation}`);

describe('custody release', () => {
  it('puts the web server back in its security groups, Auto Scaling group and target group, and logs each restoration', async () => {
    const world = await containedWorld();
    const contained = relevant(world.ctx);
    const before = relevant(makeTestContext());
    expect(contained).not.toEqual(before);

    const code = await releaseCommand(
      CASE_ID,
      { config: world.configFile, profile: 'ir-responder' },
      world.io,
      world.env,
    );

    expect(code).toBe(0);
    expect(relevant(world.ctx)).toEqual(before);
    const entries = await custodyLog(world.ctx);
    expect(
      entries
        .filter((entry) => entry.action === 'instance.released')
        .map((entry) => [entry.target, entry.details?.step]),
    ).toEqual([
      [WEB, 'network'],
      [WEB, 'auto-scaling-group'],
      [WEB, 'target-groups'],
      [WEB, 'credentials:web-server-role'],
    ]);
    expect(verifyChain(entries)).toEqual([]);
    expect(world.out).toContain(`${WEB} (${REGION}): released`);
    expect(
      world.out.some((line) => /restored security groups: eni-0a1b2c3d4e5f60001 → sg-0web00000000000001/.test(line)),
    ).toBe(true);
  });

  it('refuses to act on ambient credentials without --profile or --yes-use-default-credentials, and changes nothing', async () => {
    const world = await containedWorld();
    const contained = JSON.stringify(world.ctx.env.scenario.accounts);
    await expect(releaseCommand(CASE_ID, { config: world.configFile }, world.io, world.env)).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    expect(JSON.stringify(world.ctx.env.scenario.accounts)).toBe(contained);
  });

  it('exits 2 for a case that is not in any evidence bucket', async () => {
    const world = await containedWorld();
    const code = await releaseCommand(
      '0b7a4c1e-1111-4222-8333-944455556666',
      { config: world.configFile, yesUseDefaultCredentials: true },
      world.io,
      world.env,
    );
    expect(code).toBe(2);
    expect(world.err.join('\n')).toMatch(
      /no case 0b7a4c1e-1111-4222-8333-944455556666 in the evidence bucket of eu-west-1$/,
    );
  });

  it('exits 1 and names the step when a restoration is denied, restoring the rest', async () => {
    const world = await containedWorld();
    world.ctx.env.scenario.accounts[1].roles[0].deny = ['autoscaling:AttachInstances'];
    const code = await releaseCommand(
      CASE_ID,
      { config: world.configFile, profile: 'ir-responder' },
      world.io,
      world.env,
    );
    expect(code).toBe(1);
    expect(world.err.join('\n')).toMatch(/auto-scaling-group not restored/);
    const state = world.ctx.env.sandbox.regionState(ACCOUNT, REGION);
    expect(state.autoScalingGroups[0].instances.map((instance) => instance.instanceId)).not.toContain(WEB);
    expect(state.targetGroups[0].targets.map((target) => target.id)).toContain(WEB);
    const steps = (await custodyLog(world.ctx))
      .filter((entry) => entry.action === 'instance.released')
      .map((entry) => entry.details?.step);
    expect(steps).toEqual(['network', 'target-groups', 'credentials:web-server-role']);
  });

  it('with --plan prints what it would restore and makes no change', async () => {
    const world = await containedWorld();
    const contained = JSON.stringify(world.ctx.env.scenario.accounts);
    const changesBefore = mutatingCalls(world.ctx).length;
    const code = await releaseCommand(CASE_ID, { config: world.configFile, plan: true }, world.io, world.env);
    expect(code).toBe(0);
    expect(JSON.stringify(world.ctx.env.scenario.accounts)).toBe(contained);
    expect(mutatingCalls(world.ctx).slice(changesBefore)).toEqual([]);
    expect(world.out).toContain(`${WEB}: would restore`);
    expect(world.out.some((line) => /Auto Scaling group: /.test(line))).toBe(true);
  });

  it('reads a local copy of the case only to plan, never to release', async () => {
    const world = await containedWorld();
    const folder = mkdtempSync(join(tmpdir(), 'custody-case-'));
    writeFileSync(join(folder, 'case.json'), JSON.stringify(makeCase([WEB])));
    mkdirSync(join(folder, 'custody'));
    for (const entry of await custodyLog(world.ctx)) {
      writeFileSync(
        join(folder, custodyEntryKey(CASE_ID, entry.seq).replace(`cases/${CASE_ID}/`, '')),
        serializeEntry(entry),
      );
    }
    await expect(
      releaseCommand(folder, { config: world.configFile, profile: 'ir-responder' }, world.io, world.env),
    ).rejects.toMatchObject({ name: 'InvalidInputError' });
    const code = await releaseCommand(folder, { plan: true }, world.io, {});
    expect(code).toBe(0);
    expect(world.out).toContain(`${WEB}: would restore`);
    expect(world.out.some((line) => /target groups: arn:aws:elasticloadbalancing:.* port 80/.test(line))).toBe(true);
  });
});
