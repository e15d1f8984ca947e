import { checkSnapshots } from '../../tasks/check-snapshots';
import { checkSnapshotCopies } from '../../tasks/check-snapshot-copies';
import { copySnapshots } from '../../tasks/copy-snapshots';
import type { SnapshotCopiesOutput } from '../../tasks/copy-snapshots';
import { snapshotVolumes } from '../../tasks/snapshot-volumes';
import type { Target } from '../../tasks/lib/case';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import {
  FORENSICS,
  LINUX,
  MEMBER,
  REGION,
  SNAPSHOT_KEY,
  WINDOWS,
  factsFor,
  makeCase,
  scenarioWithWindows,
} from '../helpers/disk-and-memory';

/** Runs the snapshot part of the Collect phase as the ASL does: create, Wait/check until done, copy, Wait/check until done. */
async function collectSnapshots(ctx: TestContext, target: Target): Promise<SnapshotCopiesOutput> {
  const kase = makeCase('collect');
  const input = { case: kase, target, instance: factsFor(ctx.env.sandbox, target), timeoutMinutes: 60 };
  let state = await snapshotVolumes(input, ctx.deps);
  for (let i = 0; !state.done && i < 5; i += 1)
    state = {
      ...state,
      ...(await checkSnapshots({ case: kase, target, snapshots: state.snapshots, deadline: state.deadline }, ctx.deps)),
    };
  let copies = await copySnapshots({ case: kase, target, snapshots: state.snapshots, timeoutMinutes: 60 }, ctx.deps);
  for (let i = 0; !copies.done && i < 5; i += 1)
    copies = await checkSnapshotCopies(
      { case: kase, target, copies: copies.copies, deadline: copies.deadline },
      ctx.deps,
    );
  return copies;
}

function forensicSnapshots(ctx: TestContext) {
  return ctx.env.sandbox.regionState(FORENSICS, REGION).snapshots;
}

describe('SnapshotVolumes → CopySnapshots', () => {
  it('snapshots every volume of the Linux web server in one crash-consistent call tagged with the case', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const output = await snapshotVolumes(
      { case: makeCase(), target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), timeoutMinutes: 60 },
      ctx.deps,
    );
    const calls = ctx.env.sandbox.callsOf('EC2', 'CreateSnapshots');
    expect(calls).toHaveLength(1);
    expect(calls[0].input).toMatchObject({ InstanceSpecification: { InstanceId: LINUX.instanceId } });
    expect(output.snapshots.map((s) => [s.volumeId, s.deviceName, s.state])).toEqual([
      ['vol-0a1b2c3d4e5f60001', '/dev/xvda', 'pending'],
      ['vol-0a1b2c3d4e5f60002', '/dev/sdf', 'pending'],
    ]);
    const member = ctx.env.sandbox.regionState(MEMBER, REGION).snapshots;
    expect(member).toHaveLength(2);
    expect(member.map((s) => s.tags)).toEqual([
      expect.objectContaining({
        'custody:case-id': makeCase().caseId,
        'custody:source-instance': LINUX.instanceId,
        'custody:source-volume': 'vol-0a1b2c3d4e5f60001',
        'custody:device-name': '/dev/xvda',
      }),
      expect.objectContaining({
        'custody:case-id': makeCase().caseId,
        'custody:source-instance': LINUX.instanceId,
        'custody:source-volume': 'vol-0a1b2c3d4e5f60002',
        'custody:device-name': '/dev/sdf',
      }),
    ]);
    expect(output.gaps).toEqual([]);
    expect(ctx.events.filter((e) => e.action === 'snapshot.created').map((e) => e.details?.snapshotId)).toEqual(
      member.map((s) => s.snapshotId),
    );
  });

  it.each([
    ['Linux web server (AWS managed key and unencrypted volumes)', LINUX, ['/dev/xvda', '/dev/sdf']],
    ['Windows file server (unencrypted root, customer key data volume)', WINDOWS, ['/dev/sda1', 'xvdf']],
  ])(
    'ends with every volume of the %s copied into the forensics account under its snapshot key',
    async (_name, target, devices) => {
      const ctx = makeTestContext(scenarioWithWindows());
      const result = await collectSnapshots(ctx, target);
      expect(result.copies.map((c) => [c.deviceName, c.stage])).toEqual(devices.map((d) => [d, 'copied']));
      const copies = forensicSnapshots(ctx);
      expect(copies).toHaveLength(devices.length);
      for (const copy of copies) {
        expect(copy).toMatchObject({ state: 'completed', encrypted: true, kmsKeyId: SNAPSHOT_KEY });
        expect(copy.tags).toMatchObject({
          'custody:case-id': makeCase().caseId,
          'custody:source-instance': target.instanceId,
          'custody:role': 'evidence',
        });
      }
      expect(copies.map((c) => c.tags['custody:device-name']).sort()).toEqual([...devices].sort());
      expect(ctx.events.filter((e) => e.action === 'snapshot.copied')).toHaveLength(devices.length);
      const record = JSON.parse(ctx.artifacts.get(`${MEMBER}/${target.instanceId}/snapshots.json`)!.bytes.toString());
      const copyOf = (device: string) => copies.find((c) => c.tags['custody:device-name'] === device)!.snapshotId;
      expect(
        record.volumes.map((v: { deviceName: string; copy: { snapshotId: string } }) => v.copy.snapshotId),
      ).toEqual(devices.map(copyOf));
      expect(result.snapshotsKey).toBe(`${MEMBER}/${target.instanceId}/snapshots.json`);
    },
  );

  it('re-encrypts an AWS-managed-key snapshot in the source account before sharing it, and shares nothing under that key', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    await collectSnapshots(ctx, LINUX);
    const member = ctx.env.sandbox.regionState(MEMBER, REGION).snapshots;
    const original = member.find((s) => s.volumeId === 'vol-0a1b2c3d4e5f60001' && !s.sourceSnapshotId)!;
    const shareable = member.find((s) => s.sourceSnapshotId === original.snapshotId)!;
    expect(original.createVolumePermissions).toEqual([]);
    expect(shareable).toMatchObject({ kmsKeyId: SNAPSHOT_KEY, createVolumePermissions: [FORENSICS] });
    const unencrypted = member.find((s) => s.volumeId === 'vol-0a1b2c3d4e5f60002')!;
    expect(unencrypted).toMatchObject({ encrypted: false, createVolumePermissions: [FORENSICS] });
    expect(
      forensicSnapshots(ctx)
        .map((s) => s.sourceSnapshotId)
        .sort(),
    ).toEqual([shareable.snapshotId, unencrypted.snapshotId].sort());
  });

  it('records an instance-store volume as a gap: it cannot be snapshotted', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const output = await snapshotVolumes(
      { case: makeCase(), target: WINDOWS, instance: factsFor(ctx.env.sandbox, WINDOWS), timeoutMinutes: 60 },
      ctx.deps,
    );
    expect(output.gaps).toEqual([
      expect.objectContaining({
        step: 'SnapshotVolumes',
        reason: expect.stringContaining('instance-store volume /dev/sdb cannot be snapshotted'),
      }),
    ]);
  });

  it('records a failed snapshot as a gap per volume and still copies the other volume', async () => {
    const scenario = scenarioWithWindows();
    scenario.accounts[1].regions[REGION].volumes.find((v) => v.volumeId === 'vol-0a1b2c3d4e5f60002')!.snapshotFails =
      true;
    const ctx = makeTestContext(scenario);
    const kase = makeCase();
    const created = await snapshotVolumes(
      { case: kase, target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), timeoutMinutes: 60 },
      ctx.deps,
    );
    const checked = await checkSnapshots(
      { case: kase, target: LINUX, snapshots: created.snapshots, deadline: created.deadline },
      ctx.deps,
    );
    expect(checked.done).toBe(true);
    expect(checked.gaps).toEqual([
      expect.objectContaining({
        reason: expect.stringContaining('vol-0a1b2c3d4e5f60002 (/dev/sdf) did not complete'),
        error: expect.stringContaining('internal error'),
      }),
    ]);
    const result = await collectSnapshots(makeTestContext(scenario), LINUX);
    expect(result.copies.map((c) => [c.volumeId, c.stage])).toEqual([
      ['vol-0a1b2c3d4e5f60001', 'copied'],
      ['vol-0a1b2c3d4e5f60002', 'failed'],
    ]);
  });

  it('gives up waiting at the deadline and names the pending snapshot', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    Object.assign(ctx.env.sandbox, { pendingMs: 3_600_000 });
    const kase = makeCase();
    const created = await snapshotVolumes(
      { case: kase, target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), timeoutMinutes: 60 },
      ctx.deps,
    );
    const early = await checkSnapshots(
      { case: kase, target: LINUX, snapshots: created.snapshots, deadline: created.deadline },
      ctx.deps,
    );
    expect(early).toMatchObject({ done: false, pending: 2, gaps: [] });
    const late = await checkSnapshots(
      { case: kase, target: LINUX, snapshots: created.snapshots, deadline: '2000-01-01T00:00:00.000Z' },
      ctx.deps,
    );
    expect(late.done).toBe(true);
    expect(late.gaps.map((g) => g.error)).toEqual([
      expect.stringContaining('timed out'),
      expect.stringContaining('timed out'),
    ]);
  });

  it('in dry-run only asks EC2 whether it may snapshot and copy, and estimates the size involved', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const kase = makeCase('dry-run');
    const output = await snapshotVolumes(
      { case: kase, target: WINDOWS, instance: factsFor(ctx.env.sandbox, WINDOWS), timeoutMinutes: 60 },
      ctx.deps,
    );
    expect(output).toMatchObject({
      done: true,
      snapshots: [],
      estimate: { volumes: 2, totalGiB: 80 },
      plan: [{ action: 'ec2:CreateSnapshots', verdict: 'would-do' }],
    });
    const copies = await copySnapshots({ case: kase, target: WINDOWS, snapshots: [], timeoutMinutes: 60 }, ctx.deps);
    expect(copies.plan.map((p) => p.verdict)).toEqual(['would-do', 'would-do', 'would-do']);
    expect(ctx.env.sandbox.callsOf('EC2', 'CreateSnapshots')[0].input.DryRun).toBe(true);
    expect(ctx.env.sandbox.callsOf('EC2', 'CopySnapshot').every((call) => call.input.DryRun === true)).toBe(true);
    expect(ctx.env.sandbox.regionState(MEMBER, REGION).snapshots).toHaveLength(0);
    expect(forensicSnapshots(ctx)).toHaveLength(0);
  });

  it('in dry-run reports a denied CreateSnapshots as denied', async () => {
    const scenario = scenarioWithWindows();
    scenario.accounts[1].roles[0].deny = ['ec2:CreateSnapshots'];
    const ctx = makeTestContext(scenario);
    const output = await snapshotVolumes(
      { case: makeCase('dry-run'), target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), timeoutMinutes: 60 },
      ctx.deps,
    );
    expect(output.plan).toEqual([
      expect.objectContaining({ verdict: 'denied', error: expect.stringContaining('UnauthorizedOperation') }),
    ]);
  });
});
