import {
  CreateSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, REGION } from '../helpers/containment';

const ENI = 'eni-0a1b2c3d4e5f60001';

describe('sandbox EC2 networking', () => {
  it('gives a new security group the default allow-all egress rule and refuses a duplicate name in the VPC', async () => {
    const ctx = makeTestContext();
    const ec2 = ctx.deps.clients.member(ACCOUNT, REGION).ec2();
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-0a1b2c3d4e5f60718' }),
    );
    const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }))).SecurityGroups![0];
    expect(group.IpPermissionsEgress).toEqual([
      {
        IpProtocol: '-1',
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      },
    ]);
    await expect(
      ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-0a1b2c3d4e5f60718' })),
    ).rejects.toMatchObject({ name: 'InvalidGroup.Duplicate' });
  });

  it('refuses an unknown group or ENI with the EC2 error names', async () => {
    const ctx = makeTestContext();
    const ec2 = ctx.deps.clients.member(ACCOUNT, REGION).ec2();
    await expect(
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ENI, Groups: ['sg-0000000000000dead'] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
    await expect(
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: 'eni-0000000000000dead',
          Groups: ['sg-0web00000000000001'],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidNetworkInterfaceID.NotFound',
    });
  });

  it("lists an instance's ENIs by attachment filter with their groups", async () => {
    const ctx = makeTestContext();
    const result = await ctx.deps.clients
      .member(ACCOUNT, REGION)
      .ec2()
      .send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: 'attachment.instance-id', Values: ['i-0c0ffee1234567890'] }],
        }),
      );
    expect(
      result.NetworkInterfaces?.map((eni) => [eni.NetworkInterfaceId, eni.Groups?.map((group) => group.GroupId)]),
    ).toEqual([[ENI, ['sg-0web00000000000001']]]);
  });

  it('cuts an untracked flow the moment its ENI moves to a group that does not allow it, but not a tracked one', async () => {
    const ctx = makeTestContext();
    const state = ctx.env.sandbox.regionState(ACCOUNT, REGION);
    state.securityGroups.push(
      {
        groupId: 'sg-0a11000000000000a',
        groupName: 'all',
        description: '',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        ingress: [{ protocol: '-1', cidr: '0.0.0.0/0' }],
        egress: [{ protocol: '-1', cidr: '0.0.0.0/0' }],
        tags: {},
      },
      {
        groupId: 'sg-0n0n000000000000b',
        groupName: 'none',
        description: '',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        ingress: [],
        egress: [],
        tags: {},
      },
    );
    const ec2 = ctx.deps.clients.member(ACCOUNT, REGION).ec2();
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ENI, Groups: ['sg-0n0n000000000000b'] }),
    );
    expect(state.flows.map((flow) => [flow.open, flow.tracked])).toEqual([
      [true, true],
      [true, true],
    ]);
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ENI, Groups: ['sg-0a11000000000000a'] }),
    );
    expect(state.flows.map((flow) => [flow.open, flow.tracked])).toEqual([
      [true, false],
      [true, false],
    ]);
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ENI, Groups: ['sg-0n0n000000000000b'] }),
    );
    expect(state.flows.map((flow) => flow.open)).toEqual([false, false]);
  });
});
