import { detachFromFleet } from '../../tasks/detach-from-fleet';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, MULTI, REGION, TERMINATED, WEB, multiEniScenario, stepInput } from '../helpers/containment';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/web-tg/73e2d6bc24d8a067';
const state = (ctx: ReturnType<typeof makeTestContext>) => ctx.env.sandbox.regionState(ACCOUNT, REGION);

describe('DetachFromFleet', () => {
  it('takes the web server out of its Auto Scaling group without the group replacing or terminating it', async () => {
    const ctx = makeTestContext();
    const output = await detachFromFleet(stepInput(ctx, WEB), ctx.deps);
    expect(output.status).toBe('contained');
    const group = state(ctx).autoScalingGroups[0];
    expect(group.instances.map((instance) => instance.instanceId)).toEqual([
      'i-0c0ffee1234567891',
      'i-0c0ffee1234567892',
    ]);
    expect(group.desiredCapacity).toBe(2);
    expect(state(ctx).instances[0].state).toBe('running');
    expect(ctx.env.sandbox.callsOf('AutoScaling', 'DetachInstances')[0].input).toEqual({
      AutoScalingGroupName: 'web-asg',
      InstanceIds: [WEB],
      ShouldDecrementDesiredCapacity: true,
    });
    expect(ctx.events[0]).toMatchObject({
      action: 'instance.detached-from-asg',
      details: {
        prior: { autoScalingGroupName: 'web-asg', lifecycleState: 'InService', desiredCapacity: 3, minSize: 2 },
        replacementLaunched: false,
      },
    });
  });

  it('takes it out of the target group and records the port it was registered on', async () => {
    const ctx = makeTestContext();
    await detachFromFleet(stepInput(ctx, WEB), ctx.deps);
    expect(state(ctx).targetGroups[0].targets.map((target) => target.id)).not.toContain(WEB);
    expect(ctx.events[1]).toMatchObject({
      action: 'instance.deregistered-from-target-group',
      details: { prior: { targetGroupArn: TG, port: 80 }, by: 'autoscaling:DetachInstances' },
    });
  });

  it('deregisters it from a target group the Auto Scaling group does not manage, with its own port', async () => {
    const ctx = makeTestContext();
    state(ctx).targetGroups.push({
      arn: `${TG}-admin`,
      name: 'admin',
      port: 8443,
      protocol: 'HTTPS',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      targets: [{ id: WEB, port: 9443 }],
    });
    await detachFromFleet(stepInput(ctx, WEB), ctx.deps);
    expect(state(ctx).targetGroups[1].targets).toEqual([]);
    expect(ctx.env.sandbox.callsOf('ElasticLoadBalancingV2', 'DeregisterTargets')[0].input).toEqual({
      TargetGroupArn: `${TG}-admin`,
      Targets: [{ Id: WEB, Port: 9443 }],
    });
  });

  it('lets the group launch a replacement when it is at its minimum size, and says so', async () => {
    const ctx = makeTestContext();
    state(ctx).autoScalingGroups[0].minSize = 3;
    const output = await detachFromFleet(stepInput(ctx, WEB), ctx.deps);
    const group = state(ctx).autoScalingGroups[0];
    expect(group.desiredCapacity).toBe(3);
    expect(group.instances.map((instance) => instance.instanceId)).not.toContain(WEB);
    expect(group.instances.filter((instance) => instance.lifecycleState === 'Pending')).toHaveLength(1);
    expect(output.gaps[0].reason).toMatch(/minimum size.*replacement/);
  });

  it('records that an instance in no group and no target group had nothing to detach', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await detachFromFleet(stepInput(ctx, MULTI), ctx.deps);
    expect(output.status).toBe('skipped');
    expect(ctx.events).toEqual([
      {
        action: 'containment.skipped',
        target: MULTI,
        details: expect.objectContaining({ reason: 'instance is in no Auto Scaling group and no target group' }),
      },
    ]);
  });

  it('records that it found the instance already detached on a second run', async () => {
    const ctx = makeTestContext();
    const input = stepInput(ctx, WEB);
    await detachFromFleet(input, ctx.deps);
    const before = JSON.stringify(ctx.env.scenario.accounts);
    const again = await detachFromFleet(input, ctx.deps);
    expect(again.status).toBe('already-contained');
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(before);
    expect(ctx.events.at(-1)).toMatchObject({
      action: 'instance.found-contained',
      details: { step: 'DetachFromFleet', formerAutoScalingGroup: 'web-asg' },
    });
  });

  it('skips a terminated instance with a recorded reason', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await detachFromFleet(stepInput(ctx, TERMINATED), ctx.deps);
    expect(output.status).toBe('skipped');
    expect(ctx.events[0].details).toMatchObject({ reason: expect.stringMatching(/terminated/) });
  });
});
