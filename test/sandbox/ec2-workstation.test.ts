import {
  CreateVolumeCommand,
  AttachVolumeCommand,
  DeleteVolumeCommand,
  DetachVolumeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { loadScenario } from '../../sandbox/scenario';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';

const FORENSICS = '333333333333';
const REGION = 'eu-west-1';
const SUBNET = 'subnet-0f0e0d0c0b0a09081';
const KEY = 'arn:aws:kms:eu-west-1:333333333333:key/5c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';

function context(): TestContext {
  const scenario = loadScenario('workstation');
  scenario.accounts[2].regions[REGION].snapshots.push({
    snapshotId: 'snap-0c0c0c0c0c0c0c0c1',
    volumeId: 'vol-0a1b2c3d4e5f60001',
    volumeSizeGiB: 8,
    state: 'completed',
    encrypted: true,
    kmsKeyId: KEY,
    description: '',
    startTime: '2026-11-27T23:00:00.000Z',
    createVolumePermissions: [],
    tags: {},
    sourceSnapshotId: 'snap-0aaaaaaaaaaaaaaa1',
  });
  return makeTestContext(scenario);
}

function ec2(ctx: TestContext) {
  return ctx.deps.clients.forensics(REGION).ec2();
}

async function launch(ctx: TestContext): Promise<string> {
  const launched = await ec2(ctx).send(
    new RunInstancesCommand({
      ImageId: 'ami-0c0ffee0f0e0d0c0b',
      InstanceType: 'm6i.xlarge',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: SUBNET,
      SecurityGroupIds: ['sg-0f0e0d0c0b0a09082'],
    }),
  );
  return launched.Instances![0].InstanceId!;
}

describe('sandbox EC2 for the workstation', () => {
  it('launches an instance in the subnet’s zone, without a public address, and lists it in the account', async () => {
    const ctx = context();
    const id = await launch(ctx);
    const instance = ctx.env.sandbox
      .regionState(FORENSICS, REGION)
      .instances.find((candidate) => candidate.instanceId === id)!;
    expect(instance).toMatchObject({
      state: 'running',
      availabilityZone: 'eu-west-1a',
      subnetId: SUBNET,
      imageId: 'ami-0c0ffee0f0e0d0c0b',
    });
    expect(instance.networkInterfaces[0].publicIpAddress).toBeUndefined();
  });

  it('refuses a launch into a subnet that does not exist with InvalidSubnetID.NotFound', async () => {
    const ctx = context();
    await expect(
      ec2(ctx).send(
        new RunInstancesCommand({
          ImageId: 'ami-0c0ffee0f0e0d0c0b',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: 'subnet-0000000000000dead',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidSubnetID.NotFound' });
  });

  it('creates a volume from a snapshot copy, remembering the snapshot, then attaches, detaches and deletes it', async () => {
    const ctx = context();
    const id = await launch(ctx);
    const created = await ec2(ctx).send(
      new CreateVolumeCommand({
        SnapshotId: 'snap-0c0c0c0c0c0c0c0c1',
        AvailabilityZone: 'eu-west-1a',
        Encrypted: true,
        KmsKeyId: KEY,
      }),
    );
    const state = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(state.volumes.find((volume) => volume.volumeId === created.VolumeId)).toMatchObject({
      snapshotId: 'snap-0c0c0c0c0c0c0c0c1',
      sizeGiB: 8,
      encrypted: true,
      kmsKeyId: KEY,
    });
    await ec2(ctx).send(new AttachVolumeCommand({ VolumeId: created.VolumeId, InstanceId: id, Device: '/dev/sdf' }));
    const described = await ec2(ctx).send(new DescribeVolumesCommand({ VolumeIds: [created.VolumeId!] }));
    expect(described.Volumes![0]).toMatchObject({
      State: 'in-use',
      Attachments: [{ InstanceId: id, Device: '/dev/sdf' }],
    });
    await expect(ec2(ctx).send(new DeleteVolumeCommand({ VolumeId: created.VolumeId }))).rejects.toMatchObject({
      name: 'VolumeInUse',
    });
    await ec2(ctx).send(new DetachVolumeCommand({ VolumeId: created.VolumeId }));
    await ec2(ctx).send(new DeleteVolumeCommand({ VolumeId: created.VolumeId }));
    expect(state.volumes.some((volume) => volume.volumeId === created.VolumeId)).toBe(false);
  });

  it('refuses a volume from a snapshot the account cannot see with InvalidSnapshot.NotFound', async () => {
    const ctx = context();
    await expect(
      ec2(ctx).send(new CreateVolumeCommand({ SnapshotId: 'snap-0ffffffffffffffff', AvailabilityZone: 'eu-west-1a' })),
    ).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('refuses to attach across Availability Zones with InvalidVolume.ZoneMismatch', async () => {
    const ctx = context();
    const id = await launch(ctx);
    ctx.env.sandbox.regionState(FORENSICS, REGION).subnets.push({
      subnetId: 'subnet-0f0e0d0c0b0a0908b',
      vpcId: 'vpc-0f0e0d0c0b0a09080',
      cidrBlock: '10.99.1.0/24',
      availabilityZone: 'eu-west-1b',
      tags: {},
    });
    const created = await ec2(ctx).send(
      new CreateVolumeCommand({ SnapshotId: 'snap-0c0c0c0c0c0c0c0c1', AvailabilityZone: 'eu-west-1b' }),
    );
    await expect(
      ec2(ctx).send(new AttachVolumeCommand({ VolumeId: created.VolumeId, InstanceId: id, Device: '/dev/sdf' })),
    ).rejects.toMatchObject({ name: 'InvalidVolume.ZoneMismatch' });
  });

  it('terminates an instance and honours termination protection with OperationNotPermitted', async () => {
    const ctx = context();
    const id = await launch(ctx);
    const instance = ctx.env.sandbox
      .regionState(FORENSICS, REGION)
      .instances.find((candidate) => candidate.instanceId === id)!;
    instance.disableApiTermination = true;
    await expect(ec2(ctx).send(new TerminateInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
    instance.disableApiTermination = false;
    const result = await ec2(ctx).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(result.TerminatingInstances![0]).toMatchObject({ InstanceId: id, CurrentState: { Name: 'terminated' } });
    expect(instance.state).toBe('terminated');
  });

  it('answers GetParameter from the scenario and ParameterNotFound for an unknown name', async () => {
    const ctx = context();
    const ssm = ctx.deps.clients.forensics(REGION).ssm();
    const found = await ssm.send(new GetParameterCommand({ Name: '/custody/workstation/ami-id' }));
    expect(found.Parameter?.Value).toBe('ami-0c0ffee0f0e0d0c0b');
    await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });
});
