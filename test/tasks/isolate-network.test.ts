import { isolateNetwork } from '../../tasks/isolate-network';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, MULTI, REGION, STOPPED, TERMINATED, WEB, multiEniScenario, stepInput } from '../helpers/containment';

const state = (ctx: ReturnType<typeof makeTestContext>) => ctx.env.sandbox.regionState(ACCOUNT, REGION);
const openFlows = (ctx: ReturnType<typeof makeTestContext>) =>
  state(ctx)
    .flows.filter((flow) => flow.open)
    .map((flow) => flow.flowId);

describe('IsolateNetwork', () => {
  it('cuts the open attacker connection by swapping through the all-traffic group before the isolation group', async () => {
    const ctx = makeTestContext();
    expect(openFlows(ctx)).toEqual(['flow-attacker-shell', 'flow-mining-pool']);
    const output = await isolateNetwork(stepInput(ctx, WEB), ctx.deps);
    expect(output.status).toBe('contained');
    expect(openFlows(ctx)).toEqual([]);
    const isolation = state(ctx).securityGroups.find((group) => group.groupId === output.isolationGroupId)!;
    expect(isolation).toMatchObject({
      groupName: 'custody-isolation',
      ingress: [],
      egress: [],
      tags: { 'custody:isolation': 'no-egress' },
    });
    expect(state(ctx).instances[0].networkInterfaces[0].groups).toEqual([output.isolationGroupId]);
    const swaps = ctx.env.sandbox.callsOf('EC2', 'ModifyNetworkInterfaceAttribute').map((call) => call.input.Groups);
    expect(swaps).toEqual([[output.untrackGroupId], [output.isolationGroupId]]);
    const isolated = ctx.events.find((event) => event.action === 'instance.isolated')!;
    expect(isolated.details).toMatchObject({
      prior: {
        networkInterfaces: [{ networkInterfaceId: 'eni-0a1b2c3d4e5f60001', groups: ['sg-0web00000000000001'] }],
      },
    });
  });

  it('leaves a tracked connection open when the group is swapped straight to a restrictive one, as AWS does', async () => {
    const ctx = makeTestContext();
    const region = state(ctx);
    region.securityGroups.push({
      groupId: 'sg-0empty00000000001',
      groupName: 'empty',
      description: '',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      ingress: [],
      egress: [],
      tags: {},
    });
    const { ModifyNetworkInterfaceAttributeCommand } = await import('@aws-sdk/client-ec2');
    await ctx.deps.clients
      .member(ACCOUNT, REGION)
      .ec2()
      .send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001',
          Groups: ['sg-0empty00000000001'],
        }),
      );
    expect(openFlows(ctx)).toEqual(['flow-attacker-shell', 'flow-mining-pool']);
  });

  it('creates the isolation groups once per VPC and reuses them for the next instance', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const first = await isolateNetwork(stepInput(ctx, WEB), ctx.deps);
    const second = await isolateNetwork(stepInput(ctx, MULTI), ctx.deps);
    expect(second.isolationGroupId).toBe(first.isolationGroupId);
    expect(ctx.env.sandbox.callsOf('EC2', 'CreateSecurityGroup')).toHaveLength(2);
  });

  it('moves every ENI of an instance with several, and cuts the flow on the secondary one', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await isolateNetwork(stepInput(ctx, MULTI), ctx.deps);
    expect(output.networkInterfaces.map((eni) => [eni.networkInterfaceId, eni.prior, eni.now])).toEqual([
      ['eni-0b0000000000000a0', ['sg-0web00000000000001'], [output.isolationGroupId]],
      ['eni-0b0000000000000a1', ['sg-0web00000000000001', 'sg-0db000000000000002'], [output.isolationGroupId]],
    ]);
    expect(state(ctx).flows.find((flow) => flow.flowId === 'flow-second-eni-inbound')!.open).toBe(false);
  });

  it('changes nothing on an instance it already isolated, and records that it found it isolated', async () => {
    const ctx = makeTestContext();
    await isolateNetwork(stepInput(ctx, WEB), ctx.deps);
    const before = JSON.stringify(ctx.env.scenario.accounts);
    const calls = ctx.env.sandbox.callsOf('EC2', 'ModifyNetworkInterfaceAttribute').length;
    const again = await isolateNetwork(stepInput(ctx, WEB), ctx.deps);
    expect(again.status).toBe('already-contained');
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(before);
    expect(ctx.env.sandbox.callsOf('EC2', 'ModifyNetworkInterfaceAttribute')).toHaveLength(calls);
    expect(ctx.events.at(-1)).toMatchObject({
      action: 'instance.found-contained',
      target: WEB,
      details: { step: 'IsolateNetwork' },
    });
  });

  it('keeps HTTPS to the SSM and S3 endpoints open under the endpoints-only policy, and nothing else', async () => {
    const ctx = makeTestContext();
    const output = await isolateNetwork(stepInput(ctx, WEB, 'collect', 'endpoints-only'), ctx.deps);
    expect(output.ssmReachable).toBe(true);
    expect(openFlows(ctx)).toEqual([]);
    const group = state(ctx).securityGroups.find((candidate) => candidate.groupId === output.isolationGroupId)!;
    expect(group.ingress).toEqual([]);
    expect(group.egress).toEqual(
      expect.arrayContaining([
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.20.1.10/32' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.20.1.11/32' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.20.1.12/32' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-6da54004' },
      ]),
    );
    expect(group.egress).toHaveLength(4);
  });

  it('reports an SSM gap under endpoints-only when the VPC has no SSM endpoints', async () => {
    const ctx = makeTestContext();
    state(ctx).vpcs[0].endpoints = [];
    const output = await isolateNetwork(stepInput(ctx, WEB, 'collect', 'endpoints-only'), ctx.deps);
    expect(output.ssmReachable).toBe(false);
    expect(output.gaps[0].reason).toMatch(/no endpoint for ssm, ssmmessages, ec2messages, s3/);
  });

  it('isolates a stopped instance so it comes back isolated if someone starts it', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await isolateNetwork(stepInput(ctx, STOPPED), ctx.deps);
    expect(output.status).toBe('contained');
    expect(
      state(ctx).instances.find((instance) => instance.instanceId === STOPPED)!.networkInterfaces[0].groups,
    ).toEqual([output.isolationGroupId]);
  });

  it('skips a terminated instance with a recorded reason', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await isolateNetwork(stepInput(ctx, TERMINATED), ctx.deps);
    expect(output.status).toBe('skipped');
    expect(ctx.events).toEqual([
      {
        action: 'containment.skipped',
        target: TERMINATED,
        details: expect.objectContaining({ step: 'IsolateNetwork', reason: expect.stringMatching(/terminated/) }),
      },
    ]);
    expect(ctx.env.sandbox.callsOf('EC2', 'ModifyNetworkInterfaceAttribute')).toHaveLength(0);
  });

  it('puts every ENI back in its own groups when the final swap fails, instead of leaving it open to all traffic', async () => {
    const ctx = makeTestContext(multiEniScenario());
    // Fail only the second swap of the second ENI: after the untrack swaps, which are the first two calls.
    let calls = 0;
    const ec2 = ctx.deps.clients.member(ACCOUNT, REGION).ec2();
    const original = ec2.send.bind(ec2);
    (ec2 as unknown as { send: (command: { constructor: { name: string } }) => Promise<unknown> }).send = async (
      command,
    ) => {
      if (command.constructor.name === 'ModifyNetworkInterfaceAttributeCommand' && ++calls === 4)
        throw Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' });
      return original(command as never);
    };
    await expect(isolateNetwork(stepInput(ctx, MULTI), ctx.deps)).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    const enis = state(ctx).instances.find((instance) => instance.instanceId === MULTI)!.networkInterfaces;
    expect(enis.map((eni) => eni.groups)).toEqual([
      ['sg-0web00000000000001'],
      ['sg-0web00000000000001', 'sg-0db000000000000002'],
    ]);
    expect(ctx.events.at(-1)).toMatchObject({ action: 'containment.rolled-back' });
  });
});
