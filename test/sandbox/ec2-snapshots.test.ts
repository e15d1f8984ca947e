import {
  CopySnapshotCommand,
  CreateSnapshotsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { makeTestContext } from '../helpers/deps';
import {
  FORENSICS,
  LINUX,
  MEMBER,
  REGION,
  SNAPSHOT_KEY,
  WINDOWS,
  scenarioWithWindows,
} from '../helpers/disk-and-memory';

function context() {
  const ctx = makeTestContext(scenarioWithWindows());
  return {
    ctx,
    member: ctx.deps.clients.member(MEMBER, REGION).ec2(),
    forensics: ctx.deps.clients.forensics(REGION).ec2(),
  };
}

async function snapshotsOf(member: ReturnType<typeof context>['member'], instanceId: string) {
  const created = await member.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: instanceId } }));
  const ids = created.Snapshots!.map((s) => s.SnapshotId!);
  const described = await member.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
  return { created, described };
}

describe('sandbox EC2 snapshots', () => {
  it('creates one pending snapshot per attached volume, completed at the next describe', async () => {
    const { member } = context();
    const { created, described } = await snapshotsOf(member, LINUX.instanceId);
    expect(created.Snapshots!.map((s) => [s.VolumeId, s.State, s.VolumeSize])).toEqual([
      ['vol-0a1b2c3d4e5f60001', 'pending', 8],
      ['vol-0a1b2c3d4e5f60002', 'pending', 20],
    ]);
    expect(described.Snapshots!.map((s) => [s.State, s.Encrypted, s.OwnerId])).toEqual([
      ['completed', true, MEMBER],
      ['completed', false, MEMBER],
    ]);
  });

  it("lists only the caller's own snapshots for OwnerIds self, leaving out those merely shared with it", async () => {
    const { member, forensics } = context();
    const { created } = await snapshotsOf(member, LINUX.instanceId);
    const unencrypted = created.Snapshots!.find((s) => s.VolumeId === 'vol-0a1b2c3d4e5f60002')!.SnapshotId!;
    await member.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: unencrypted,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: FORENSICS }] },
      }),
    );
    const own = await member.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(own.Snapshots!.map((s) => s.SnapshotId).sort()).toEqual(created.Snapshots!.map((s) => s.SnapshotId).sort());
    const shared = await forensics.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], SnapshotIds: [unencrypted] }),
    );
    expect(shared.Snapshots).toEqual([]);
    await expect(member.send(new DescribeSnapshotsCommand({ OwnerIds: ['amazon'] }))).rejects.toMatchObject({
      name: 'UnsupportedOperation',
    });
  });

  it('refuses to share a snapshot encrypted with the AWS managed key, as EC2 does', async () => {
    const { member } = context();
    const { described } = await snapshotsOf(member, LINUX.instanceId);
    const share = member.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: described.Snapshots![0].SnapshotId,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: FORENSICS }] },
      }),
    );
    await expect(share).rejects.toMatchObject({
      name: 'OperationNotPermitted',
      message: 'Encrypted snapshots with EBS default key cannot be shared',
    });
  });

  it('shows a shared snapshot to the account it was shared with, and to no other', async () => {
    const { member, forensics } = context();
    const { described } = await snapshotsOf(member, LINUX.instanceId);
    const id = described.Snapshots![1].SnapshotId!;
    await expect(forensics.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
    });
    await member.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: id,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: FORENSICS }] },
      }),
    );
    const attribute = await member.send(
      new DescribeSnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission' }),
    );
    expect(attribute.CreateVolumePermissions).toEqual([{ UserId: FORENSICS }]);
    const seen = await forensics.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
    expect(seen.Snapshots![0].OwnerId).toBe(MEMBER);
  });

  it('lets the forensics account copy a shared snapshot under its own key', async () => {
    const { ctx, member, forensics } = context();
    const { described } = await snapshotsOf(member, LINUX.instanceId);
    const id = described.Snapshots![1].SnapshotId!;
    await member.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: id,
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        UserIds: [FORENSICS],
      }),
    );
    const copy = await forensics.send(
      new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: id, Encrypted: true, KmsKeyId: SNAPSHOT_KEY }),
    );
    const done = await forensics.send(new DescribeSnapshotsCommand({ SnapshotIds: [copy.SnapshotId!] }));
    expect(done.Snapshots![0]).toMatchObject({
      State: 'completed',
      Encrypted: true,
      KmsKeyId: SNAPSHOT_KEY,
      OwnerId: FORENSICS,
    });
    expect(ctx.env.sandbox.regionState(FORENSICS, REGION).snapshots[0].sourceSnapshotId).toBe(id);
  });

  it('fails a copy whose source key the copying account may not use', async () => {
    const { member, forensics } = context();
    const { described } = await snapshotsOf(member, WINDOWS.instanceId);
    const id = described.Snapshots!.find((s) => s.Encrypted)!.SnapshotId!;
    await member.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: id,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: FORENSICS }] },
      }),
    );
    const copy = await forensics.send(
      new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: id, Encrypted: true, KmsKeyId: SNAPSHOT_KEY }),
    );
    const done = await forensics.send(new DescribeSnapshotsCommand({ SnapshotIds: [copy.SnapshotId!] }));
    expect(done.Snapshots![0]).toMatchObject({ State: 'error', StateMessage: 'Given key ID is not accessible' });
  });

  it('answers a DryRun without creating anything', async () => {
    const { ctx, member } = context();
    await expect(
      member.send(
        new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: LINUX.instanceId }, DryRun: true }),
      ),
    ).rejects.toMatchObject({ name: 'DryRunOperation' });
    expect(ctx.env.sandbox.regionState(MEMBER, REGION).snapshots).toEqual([]);
  });
});
