import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeVolumesCommand,
  GetConsoleOutputCommand,
  GetConsoleScreenshotCommand,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { createSandboxEnvironment } from '../../sandbox';
import type { InstanceState } from '../../sandbox/scenario';
import { associationIdFor } from '../../sandbox/services/ec2-instance-lookup';

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const WEB = 'i-0c0ffee1234567890';

function environment() {
  const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-ec2-')) });
  const region = env.sandbox.regionState(ACCOUNT, REGION);
  return { env, region, ec2: env.clients().member(ACCOUNT, REGION).ec2(), web: region.instances[0] };
}

function addInstance(region: ReturnType<typeof environment>['region'], changes: Partial<InstanceState>): InstanceState {
  const copy = { ...structuredClone(region.instances[0]), blockDevices: [], ...changes } as InstanceState;
  region.instances.push(copy);
  return copy;
}

describe('sandbox EC2 DescribeInstances', () => {
  it('describes the compromised web server the way EC2 does', async () => {
    const { ec2 } = environment();
    const response = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB] }));
    expect(response.Reservations).toHaveLength(1);
    const instance = response.Reservations?.[0].Instances?.[0];
    expect(instance).toMatchObject({
      InstanceId: WEB,
      State: { Code: 16, Name: 'running' },
      PlatformDetails: 'Linux/UNIX',
      InstanceType: 't3.large',
      ImageId: 'ami-0d71ea30463e0ff8d',
      Placement: { AvailabilityZone: 'eu-west-1a' },
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      SubnetId: 'subnet-0a1b2c3d4e5f60001',
      PrivateIpAddress: '10.20.1.57',
      PublicIpAddress: '203.0.113.57',
      RootDeviceName: '/dev/xvda',
      KeyName: 'prod-web',
      IamInstanceProfile: { Arn: 'arn:aws:iam::222222222222:instance-profile/web-server-profile' },
    });
    expect(instance?.Platform).toBeUndefined();
    expect(instance?.LaunchTime).toEqual(new Date('2026-11-20T07:12:44.000Z'));
    expect(instance?.IamInstanceProfile?.Id).toMatch(/^AIPA[0-9A-F]{17}$/);
    expect(instance?.NetworkInterfaces?.[0]).toMatchObject({
      NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001',
      Groups: [{ GroupId: 'sg-0web00000000000001', GroupName: 'web-server' }],
      Attachment: { DeviceIndex: 0, Status: 'attached' },
    });
    expect(instance?.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: {
          VolumeId: 'vol-0a1b2c3d4e5f60001',
          DeleteOnTermination: true,
          Status: 'attached',
          AttachTime: new Date('2026-11-20T07:12:44.000Z'),
        },
      },
      {
        DeviceName: '/dev/sdf',
        Ebs: {
          VolumeId: 'vol-0a1b2c3d4e5f60002',
          DeleteOnTermination: true,
          Status: 'attached',
          AttachTime: new Date('2026-11-20T07:12:44.000Z'),
        },
      },
    ]);
    expect(instance?.Tags).toContainEqual({ Key: 'Name', Value: 'web-prod-3' });
  });

  it('reports Platform "windows" only for a Windows instance', async () => {
    const { ec2, region } = environment();
    addInstance(region, {
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      platform: 'windows',
      platformName: 'Windows Server 2022',
    });
    const response = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0aaaaaaaaaaaaaaa1'] }));
    expect(response.Reservations?.[0].Instances?.[0]).toMatchObject({
      Platform: 'windows',
      PlatformDetails: 'Windows',
    });
  });

  it('finds instances by tag and by state, and returns nothing for a filter that matches none', async () => {
    const { ec2 } = environment();
    const byTag = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['web-prod-*'] }] }),
    );
    expect(byTag.Reservations?.map((reservation) => reservation.Instances?.[0].InstanceId)).toEqual([WEB]);
    const stopped = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }] }),
    );
    expect(stopped.Reservations).toEqual([]);
  });

  it.each([
    ['i-notanid', 'InvalidInstanceID.Malformed'],
    ['i-0deadbeefdeadbeef', 'InvalidInstanceID.NotFound'],
  ])('refuses instance id %s with %s', async (instanceId, name) => {
    const { ec2 } = environment();
    await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).rejects.toMatchObject({ name });
  });

  it('shows a terminated instance without volumes or network interfaces', async () => {
    const { ec2, web } = environment();
    web.state = 'terminated';
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [WEB] }))).Reservations?.[0]
      .Instances?.[0];
    expect(instance).toMatchObject({
      State: { Code: 48, Name: 'terminated' },
      BlockDeviceMappings: [],
      NetworkInterfaces: [],
    });
  });
});

describe('sandbox EC2 volumes, types and instance profiles', () => {
  it('describes attached volumes with their attachment and the ARN of their KMS key', async () => {
    const { ec2 } = environment();
    const response = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [WEB] }] }),
    );
    expect(response.Volumes?.map((volume) => volume.VolumeId)).toEqual([
      'vol-0a1b2c3d4e5f60001',
      'vol-0a1b2c3d4e5f60002',
    ]);
    expect(response.Volumes?.[0]).toMatchObject({
      Size: 8,
      State: 'in-use',
      Encrypted: true,
      KmsKeyId: 'arn:aws:kms:eu-west-1:222222222222:key/aws-ebs-default',
      Attachments: [{ InstanceId: WEB, Device: '/dev/xvda', State: 'attached', DeleteOnTermination: true }],
    });
    expect(response.Volumes?.[1].KmsKeyId).toBeUndefined();
  });

  it('refuses an unknown volume with InvalidVolume.NotFound', async () => {
    const { ec2 } = environment();
    await expect(ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0fffffffffffffff0'] }))).rejects.toMatchObject({
      name: 'InvalidVolume.NotFound',
    });
  });

  it("gives a scenario instance type the scenario's memory size and other types their catalogue size", async () => {
    const { ec2 } = environment();
    const response = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.large', 'm5.large'] }));
    expect(response.InstanceTypes?.map((type) => [type.InstanceType, type.MemoryInfo?.SizeInMiB])).toEqual([
      ['t3.large', 64],
      ['m5.large', 8192],
    ]);
    await expect(
      ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['x9.huge' as never] })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceType' });
  });

  it('names the instance profile association that isolation will later remove', async () => {
    const { ec2 } = environment();
    const response = await ec2.send(
      new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [WEB] }] }),
    );
    expect(response.IamInstanceProfileAssociations).toEqual([
      expect.objectContaining({
        AssociationId: associationIdFor(WEB),
        InstanceId: WEB,
        State: 'associated',
        IamInstanceProfile: expect.objectContaining({
          Arn: 'arn:aws:iam::222222222222:instance-profile/web-server-profile',
        }),
      }),
    ]);
  });
});

describe('sandbox EC2 tags', () => {
  it('tags an instance, a volume, a security group and an ENI in one call', async () => {
    const { ec2, region, web } = environment();
    const resources = [WEB, 'vol-0a1b2c3d4e5f60002', 'sg-0web00000000000001', 'eni-0a1b2c3d4e5f60001'];
    await ec2.send(
      new CreateTagsCommand({ Resources: resources, Tags: [{ Key: 'custody:case-id', Value: 'case-1' }] }),
    );
    expect(web.tags['custody:case-id']).toBe('case-1');
    expect(region.volumes[1].tags['custody:case-id']).toBe('case-1');
    expect(region.securityGroups[0].tags['custody:case-id']).toBe('case-1');
    expect(web.networkInterfaces[0].tags?.['custody:case-id']).toBe('case-1');
    expect(region.volumes[0].tags['custody:case-id']).toBeUndefined();
  });

  it('changes nothing when one of the resources does not exist', async () => {
    const { ec2, web } = environment();
    const call = new CreateTagsCommand({ Resources: [WEB, 'vol-0fffffffffffffff0'], Tags: [{ Key: 'k', Value: 'v' }] });
    await expect(ec2.send(call)).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
    expect(web.tags.k).toBeUndefined();
  });

  it.each([
    [['not-a-resource'], 'k', 'InvalidID'],
    [[WEB], 'aws:reserved', 'InvalidParameterValue'],
  ])('refuses tagging %j with key %s (%s)', async (resources, key, name) => {
    const { ec2 } = environment();
    await expect(
      ec2.send(new CreateTagsCommand({ Resources: resources, Tags: [{ Key: key, Value: 'v' }] })),
    ).rejects.toMatchObject({ name });
  });

  it('deletes a tag only when its value matches, and any value when none is given', async () => {
    const { ec2, web } = environment();
    await ec2.send(
      new DeleteTagsCommand({
        Resources: [WEB],
        Tags: [{ Key: 'Name', Value: 'something-else' }, { Key: 'Environment' }],
      }),
    );
    expect(web.tags).toEqual({ Name: 'web-prod-3', 'aws:autoscaling:groupName': 'web-asg' });
  });
});

describe('sandbox EC2 console', () => {
  it('returns the console output base64-encoded', async () => {
    const { ec2, web } = environment();
    const response = await ec2.send(new GetConsoleOutputCommand({ InstanceId: WEB, Latest: true }));
    expect(Buffer.from(response.Output ?? '', 'base64').toString('utf8')).toBe(web.consoleOutput);
    expect(response.Timestamp).toBeInstanceOf(Date);
  });

  it('returns a valid baseline JPEG screenshot of the stated size', async () => {
    const { ec2 } = environment();
    const image = Buffer.from(
      (await ec2.send(new GetConsoleScreenshotCommand({ InstanceId: WEB }))).ImageData ?? '',
      'base64',
    );
    expect(image.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(image.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    const sof = image.indexOf(Buffer.from([0xff, 0xc0]));
    expect([image.readUInt16BE(sof + 5), image.readUInt16BE(sof + 7)]).toEqual([120, 160]);
  });

  it('refuses a screenshot of a stopped instance', async () => {
    const { ec2, web } = environment();
    web.state = 'stopped';
    await expect(ec2.send(new GetConsoleScreenshotCommand({ InstanceId: WEB }))).rejects.toMatchObject({
      name: 'IncorrectInstanceState',
    });
  });
});

describe('sandbox EC2 instance attributes', () => {
  it('turns on termination protection, shutdown-stops and keeps volumes on termination', async () => {
    const { ec2, web } = environment();
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: WEB, DisableApiTermination: { Value: true } }));
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: WEB, InstanceInitiatedShutdownBehavior: { Value: 'stop' } }),
    );
    await ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: WEB,
        BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { DeleteOnTermination: false } }],
      }),
    );
    expect(web.disableApiTermination).toBe(true);
    expect(web.instanceInitiatedShutdownBehavior).toBe('stop');
    expect(web.blockDevices.map((device) => device.deleteOnTermination)).toEqual([true, false]);
    const read = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: WEB, Attribute: 'disableApiTermination' }),
    );
    expect(read.DisableApiTermination).toEqual({ Value: true });
  });

  it('refuses to modify a terminated instance', async () => {
    const { ec2, web } = environment();
    web.state = 'terminated';
    const call = new ModifyInstanceAttributeCommand({ InstanceId: WEB, DisableApiTermination: { Value: true } });
    await expect(ec2.send(call)).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    expect(web.disableApiTermination).toBe(false);
  });

  it('refuses two attributes in one call', async () => {
    const { ec2 } = environment();
    const call = new ModifyInstanceAttributeCommand({
      InstanceId: WEB,
      DisableApiTermination: { Value: true },
      InstanceInitiatedShutdownBehavior: { Value: 'stop' },
    });
    await expect(ec2.send(call)).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('answers a DryRun with DryRunOperation and changes nothing', async () => {
    const { ec2, web } = environment();
    const call = new ModifyInstanceAttributeCommand({
      InstanceId: WEB,
      DisableApiTermination: { Value: true },
      DryRun: true,
    });
    await expect(ec2.send(call)).rejects.toMatchObject({ name: 'DryRunOperation' });
    expect(web.disableApiTermination).toBe(false);
  });

  it('answers a DryRun with UnauthorizedOperation when the responder role is denied ec2:ModifyInstanceAttribute', async () => {
    const { env, ec2 } = environment();
    env.sandbox.account(ACCOUNT)?.roles[0].deny.push('ec2:ModifyInstanceAttribute');
    const call = new ModifyInstanceAttributeCommand({
      InstanceId: WEB,
      DisableApiTermination: { Value: true },
      DryRun: true,
    });
    await expect(ec2.send(call)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(
      ec2.send(new CreateTagsCommand({ Resources: [WEB], Tags: [{ Key: 'k', Value: 'v' }], DryRun: true })),
    ).rejects.toMatchObject({ name: 'DryRunOperation' });
  });
});
