import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { containCredentials } from '../../tasks/contain-credentials';
import { detachFromFleet } from '../../tasks/detach-from-fleet';
import { isolateNetwork } from '../../tasks/isolate-network';
import { releaseIsolation } from '../../tasks/release-isolation';
import type { RegionState } from '../../sandbox/scenario';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, MULTI, REGION, WEB, makeCase, multiEniScenario, stepInput } from '../helpers/containment';

type Ctx = ReturnType<typeof makeTestContext>;

async function containAll(ctx: Ctx, instanceId: string, mode: 'collect' | 'dry-run' = 'collect') {
  const input = stepInput(ctx, instanceId, mode);
  return {
    fleet: await detachFromFleet(input, ctx.deps),
    network: await isolateNetwork(input, ctx.deps),
    credentials: await containCredentials({ ...input, disassociateProfile: false }, ctx.deps),
  };
}

/** What containment touches, with order-free lists sorted (AWS does not promise an order for these). */
function relevant(ctx: Ctx) {
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

const entries = (ctx: Ctx) =>
  ctx.events.map((event, seq) => ({ seq, ...event, details: event.details ? { ...event.details } : undefined }));

describe('containment of the compromised web server, end to end', () => {
  it('ends with no open flow, out of its Auto Scaling group (not replaced, not terminated) and out of its target group', async () => {
    const ctx = makeTestContext();
    await containAll(ctx, WEB);
    const state = ctx.env.sandbox.regionState(ACCOUNT, REGION);
    expect(state.flows.filter((flow) => flow.open)).toEqual([]);
    expect(state.autoScalingGroups[0].instances.map((instance) => instance.instanceId)).not.toContain(WEB);
    expect(state.autoScalingGroups[0].instances.filter((instance) => instance.lifecycleState === 'Pending')).toEqual(
      [],
    );
    expect(state.instances[0].state).toBe('running');
    expect(state.targetGroups[0].targets.map((target) => target.id)).not.toContain(WEB);
  });

  it('changes nothing when containment runs again, and records that it found the instance contained', async () => {
    const ctx = makeTestContext();
    await containAll(ctx, WEB);
    const before = JSON.stringify(ctx.env.scenario.accounts);
    const again = await containAll(ctx, WEB);
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(before);
    expect([again.fleet.status, again.network.status, again.credentials.status]).toEqual([
      'already-contained',
      'already-contained',
      'already-contained',
    ]);
    expect(ctx.events.slice(-3).map((event) => event.action)).toEqual([
      'instance.found-contained',
      'instance.found-contained',
      'instance.found-contained',
    ]);
  });

  it('leaves the whole organisation byte-identical in a dry run and reports each call allowed or denied', async () => {
    const ctx = makeTestContext();
    ctx.env.scenario.accounts[1].roles[0].deny = ['autoscaling:DetachInstances', 'ec2:ModifyNetworkInterfaceAttribute'];
    // The sandbox materialises an empty region for the orchestrator on its first call (AssumeRole); that is not a change.
    ctx.env.sandbox.regionState('111111111111', REGION);
    const before = JSON.stringify(ctx.env.scenario.accounts);
    const result = await containAll(ctx, WEB, 'dry-run');
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(before);
    expect([result.fleet.status, result.network.status, result.credentials.status]).toEqual([
      'would-do',
      'would-do',
      'would-do',
    ]);
    expect(result.fleet.checks).toEqual([
      { call: 'autoscaling:DetachInstances', verdict: 'denied', reason: 'implicitDeny' },
      { call: 'elasticloadbalancing:DeregisterTargets', verdict: 'allowed' },
    ]);
    expect(result.network.checks).toContainEqual(
      expect.objectContaining({ call: 'ec2:ModifyNetworkInterfaceAttribute eni-0a1b2c3d4e5f60001', verdict: 'denied' }),
    );
    expect(result.network.checks).toContainEqual({ call: 'ec2:CreateSecurityGroup', verdict: 'allowed' });
    expect(result.credentials.checks).toEqual([{ call: 'iam:PutRolePolicy', verdict: 'allowed' }]);
    expect(
      ctx.env.sandbox.calls
        .filter((call) => call.service === 'EC2' && !call.operation.startsWith('Describe'))
        .every((call) => call.input.DryRun === true),
    ).toBe(true);
  });
});

describe('ReleaseIsolation', () => {
  it('restores exactly the recorded prior state: groups per ENI, Auto Scaling group, target group and port, role policy', async () => {
    const ctx = makeTestContext();
    const before = relevant(ctx);
    await containAll(ctx, WEB);
    expect(relevant(ctx)).not.toEqual(before);
    const output = await releaseIsolation({ case: makeCase([WEB]), entries: entries(ctx) }, ctx.deps);
    expect(output.instances).toEqual([
      {
        instanceId: WEB,
        status: 'released',
        restored: ['network', 'auto-scaling-group', 'target-groups', 'credentials:web-server-role'],
      },
    ]);
    expect(relevant(ctx)).toEqual(before);
    expect(
      ctx.events.filter((event) => event.action === 'instance.released').map((event) => event.details?.step),
    ).toEqual(['network', 'auto-scaling-group', 'target-groups', 'credentials:web-server-role']);
  });

  it('restores each ENI of a multi-ENI instance to its own groups', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const before = relevant(ctx);
    await containAll(ctx, MULTI);
    await releaseIsolation({ case: makeCase([MULTI]), entries: entries(ctx) }, ctx.deps);
    expect(relevant(ctx)).toEqual(before);
  });

  it('refuses, touching nothing, when an ENI is no longer in the isolation group', async () => {
    const ctx = makeTestContext();
    await containAll(ctx, WEB);
    await ctx.deps.clients
      .member(ACCOUNT, REGION)
      .ec2()
      .send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001',
          Groups: ['sg-0web00000000000001'],
        }),
      );
    const after = JSON.stringify(ctx.env.scenario.accounts);
    await expect(releaseIsolation({ case: makeCase([WEB]), entries: entries(ctx) }, ctx.deps)).rejects.toMatchObject({
      name: 'IsolationChangedError',
    });
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(after);
  });

  it('refuses a case with no custody log entries', async () => {
    const ctx = makeTestContext();
    await expect(releaseIsolation({ case: makeCase([WEB]), entries: [] }, ctx.deps)).rejects.toMatchObject({
      name: 'CaseNotFoundError',
    });
  });

  it('does nothing the second time a case is released', async () => {
    const ctx = makeTestContext();
    await containAll(ctx, WEB);
    await releaseIsolation({ case: makeCase([WEB]), entries: entries(ctx) }, ctx.deps);
    const after = JSON.stringify(ctx.env.scenario.accounts);
    const again = await releaseIsolation({ case: makeCase([WEB]), entries: entries(ctx) }, ctx.deps);
    expect(again.instances[0].status).toBe('already-released');
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(after);
  });
});
