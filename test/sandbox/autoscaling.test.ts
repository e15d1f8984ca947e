import {
  AttachInstancesCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
} from '@aws-sdk/client-auto-scaling';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, REGION, WEB } from '../helpers/containment';

describe('sandbox Auto Scaling', () => {
  it('refuses to detach with a decrement that would go below the minimum size', async () => {
    const ctx = makeTestContext();
    ctx.env.sandbox.regionState(ACCOUNT, REGION).autoScalingGroups[0].minSize = 3;
    const send = ctx.deps.clients.member(ACCOUNT, REGION).autoScaling();
    await expect(
      send.send(
        new DetachInstancesCommand({
          AutoScalingGroupName: 'web-asg',
          InstanceIds: [WEB],
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('puts a standby instance back in service and in its target group, raising desired capacity again', async () => {
    const ctx = makeTestContext();
    const state = ctx.env.sandbox.regionState(ACCOUNT, REGION);
    const client = ctx.deps.clients.member(ACCOUNT, REGION).autoScaling();
    await client.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: 'web-asg',
        InstanceIds: [WEB],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect([
      state.autoScalingGroups[0].desiredCapacity,
      state.targetGroups[0].targets.some((target) => target.id === WEB),
    ]).toEqual([2, false]);
    await client.send(new ExitStandbyCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [WEB] }));
    expect([
      state.autoScalingGroups[0].desiredCapacity,
      state.targetGroups[0].targets.some((target) => target.id === WEB),
    ]).toEqual([3, true]);
  });

  it('refuses to attach a stopped instance', async () => {
    const ctx = makeTestContext();
    const state = ctx.env.sandbox.regionState(ACCOUNT, REGION);
    const client = ctx.deps.clients.member(ACCOUNT, REGION).autoScaling();
    await client.send(
      new DetachInstancesCommand({
        AutoScalingGroupName: 'web-asg',
        InstanceIds: [WEB],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    state.instances[0].state = 'stopped';
    await expect(
      client.send(new AttachInstancesCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [WEB] })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
