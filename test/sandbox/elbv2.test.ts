import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, REGION, WEB } from '../helpers/containment';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/web-tg/73e2d6bc24d8a067';

describe('sandbox ELBv2', () => {
  it('refuses to deregister a target that is not registered, naming it', async () => {
    const ctx = makeTestContext();
    const client = ctx.deps.clients.member(ACCOUNT, REGION).elbv2();
    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: TG, Targets: [{ Id: WEB, Port: 80 }] }));
    await expect(
      client.send(new DeregisterTargetsCommand({ TargetGroupArn: TG, Targets: [{ Id: WEB, Port: 80 }] })),
    ).rejects.toMatchObject({ name: 'InvalidTarget' });
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: TG, Targets: [{ Id: WEB, Port: 8080 }] }));
    expect(ctx.env.sandbox.regionState(ACCOUNT, REGION).targetGroups[0].targets).toContainEqual({
      id: WEB,
      port: 8080,
    });
  });

  it('pages target groups with a marker', async () => {
    const ctx = makeTestContext();
    const state = ctx.env.sandbox.regionState(ACCOUNT, REGION);
    for (const n of [1, 2])
      state.targetGroups.push({
        arn: `${TG}-${n}`,
        name: `tg-${n}`,
        port: 80,
        protocol: 'HTTP',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        targets: [],
      });
    const client = ctx.deps.clients.member(ACCOUNT, REGION).elbv2();
    const first = await client.send(new DescribeTargetGroupsCommand({}));
    const second = await client.send(new DescribeTargetGroupsCommand({ Marker: first.NextMarker }));
    expect([...first.TargetGroups!, ...second.TargetGroups!].map((group) => group.TargetGroupName)).toEqual([
      'web-tg',
      'tg-1',
      'tg-2',
    ]);
    expect(second.NextMarker).toBeUndefined();
  });
});
