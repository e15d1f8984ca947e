// A snapshot task that runs again for the same case (a Lambda retried after a timeout, a resumed case) takes up the snapshots
// and copies it already started, found by their case tags, and never makes a second one.
import { checkSnapshots } from '../../tasks/check-snapshots';
import { checkSnapshotCopies } from '../../tasks/check-snapshot-copies';
import { copySnapshots } from '../../tasks/copy-snapshots';
import { snapshotVolumes } from '../../tasks/snapshot-volumes';
import type { SnapshotVolumesOutput } from '../../tasks/snapshot-volumes';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import { FORENSICS, LINUX, MEMBER, REGION, factsFor, makeCase, scenarioWithWindows } from '../helpers/disk-and-memory';

const kase = makeCase('collect');

function snapshotInput(ctx: TestContext) {
  return { case: kase, target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), timeoutMinutes: 60 };
}

async function completed(ctx: TestContext): Promise<SnapshotVolumesOutput> {
  let state = await snapshotVolumes(snapshotInput(ctx), ctx.deps);
  for (let i = 0; !state.done && i < 5; i += 1)
    state = {
      ...state,
      ...(await checkSnapshots(
        { case: kase, target: LINUX, snapshots: state.snapshots, deadline: state.deadline },
        ctx.deps,
      )),
    };
  return state;
}

const memberSnapshots = (ctx: TestContext) => ctx.env.sandbox.regionState(MEMBER, REGION).snapshots;
const forensicSnapshots = (ctx: TestContext) => ctx.env.sandbox.regionState(FORENSICS, REGION).snapshots;
const succeeded = (ctx: TestContext, operation: string) =>
  ctx.env.sandbox.callsOf('EC2', operation).filter((call) => !call.error && call.input.DryRun !== true);

describe('SnapshotVolumes run again for the same case', () => {
  it('makes no second snapshot of the web server and hands back the snapshots it already started', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const first = await snapshotVolumes(snapshotInput(ctx), ctx.deps);
    const again = await snapshotVolumes(snapshotInput(ctx), ctx.deps);
    expect(succeeded(ctx, 'CreateSnapshots')).toHaveLength(1);
    expect(succeeded(ctx, 'CreateSnapshot')).toHaveLength(0);
    expect(memberSnapshots(ctx)).toHaveLength(2);
    expect(again.snapshots.map((s) => [s.volumeId, s.snapshotId, s.reused])).toEqual(
      first.snapshots.map((s) => [s.volumeId, s.snapshotId, true]),
    );
    const lookup = ctx.env.sandbox.callsOf('EC2', 'DescribeSnapshots')[0].input;
    expect(lookup).toMatchObject({
      OwnerIds: ['self'],
      Filters: [
        { Name: 'tag:custody:case-id', Values: [kase.caseId] },
        { Name: 'tag:custody:source-instance', Values: [LINUX.instanceId] },
      ],
    });
    const recorded = ctx.events.filter((e) => e.action === 'snapshot.created');
    expect(recorded.map((e) => [e.details?.snapshotId, e.details?.reused ?? false])).toEqual([
      ...first.snapshots.map((s) => [s.snapshotId, false]),
      ...first.snapshots.map((s) => [s.snapshotId, true]),
    ]);
  });

  it('reports a snapshot that already completed as completed, so the Wait loop is not entered again', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const done = await completed(ctx);
    const again = await snapshotVolumes(snapshotInput(ctx), ctx.deps);
    expect(again.done).toBe(true);
    expect(again.snapshots.map((s) => [s.snapshotId, s.state])).toEqual(
      done.snapshots.map((s) => [s.snapshotId, 'completed']),
    );
  });

  it('snapshots again only the volume whose earlier snapshot ended in error', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const first = await snapshotVolumes(snapshotInput(ctx), ctx.deps);
    const broken = memberSnapshots(ctx).find((s) => s.volumeId === 'vol-0a1b2c3d4e5f60002')!;
    Object.assign(broken, { state: 'error', stateMessage: 'internal error' });
    const again = await snapshotVolumes(snapshotInput(ctx), ctx.deps);
    expect(succeeded(ctx, 'CreateSnapshot').map((call) => call.input.VolumeId)).toEqual(['vol-0a1b2c3d4e5f60002']);
    expect(again.snapshots[0]).toMatchObject({ snapshotId: first.snapshots[0].snapshotId, reused: true });
    expect(again.snapshots[1].snapshotId).not.toBe(broken.snapshotId);
    expect(memberSnapshots(ctx)).toHaveLength(3);
  });
});

describe('CopySnapshots run again for the same case', () => {
  it('takes up the shareable copy of the AWS-managed-key snapshot instead of re-encrypting it twice', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const done = await completed(ctx);
    const input = { case: kase, target: LINUX, snapshots: done.snapshots, timeoutMinutes: 60 };
    const first = await copySnapshots(input, ctx.deps);
    const again = await copySnapshots(input, ctx.deps);
    const shareable = memberSnapshots(ctx).filter((s) => s.tags['custody:role'] === 'shareable-copy');
    expect(shareable).toHaveLength(1);
    expect(again.copies.map((c) => c.sharedSnapshotId)).toEqual(first.copies.map((c) => c.sharedSnapshotId));
    expect(again.copies[0].sharedSnapshotId).toBe(shareable[0].snapshotId);
    const unencrypted = forensicSnapshots(ctx).filter(
      (s) => s.tags['custody:source-volume'] === 'vol-0a1b2c3d4e5f60002',
    );
    expect(unencrypted).toHaveLength(1);
    expect(again.copies[1]).toMatchObject({ stage: 'copying', copySnapshotId: unencrypted[0].snapshotId });
  });

  it('keeps one evidence copy per volume in the forensics account when every copy step runs twice', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const done = await completed(ctx);
    const input = { case: kase, target: LINUX, snapshots: done.snapshots, timeoutMinutes: 60 };
    await copySnapshots(input, ctx.deps);
    let copies = await copySnapshots(input, ctx.deps);
    for (let i = 0; !copies.done && i < 5; i += 1) {
      const check = { case: kase, target: LINUX, copies: copies.copies, deadline: copies.deadline };
      // The first check's answer is dropped, as when its Lambda timed out after acting and Step Functions retried it.
      if (i === 0) await checkSnapshotCopies(check, ctx.deps);
      copies = await checkSnapshotCopies(check, ctx.deps);
    }
    expect(copies.copies.map((c) => c.stage)).toEqual(['copied', 'copied']);
    const evidence = forensicSnapshots(ctx);
    expect(evidence.map((s) => s.tags['custody:source-volume']).sort()).toEqual([
      'vol-0a1b2c3d4e5f60001',
      'vol-0a1b2c3d4e5f60002',
    ]);
    expect(copies.copies.map((c) => c.copySnapshotId).sort()).toEqual(evidence.map((s) => s.snapshotId).sort());
    const later = await copySnapshots(input, ctx.deps);
    expect(later.copies.map((c) => [c.stage, c.copySnapshotId])).toEqual(
      copies.copies.map((c) => ['copying', c.copySnapshotId]),
    );
    expect(forensicSnapshots(ctx)).toHaveLength(2);
  });
});
