// StartWorkstation run again (a Lambda retried after a timeout, an SDK retry after a lost answer) launches one workstation and
// one evidence volume per snapshot copy: EC2 client tokens where AWS offers them, the case tags where it does not.
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { clientToken, startWorkstation } from '../../tasks/start-workstation';
import { FORENSICS, LINUX, REGION } from '../helpers/disk-and-memory';
import { collected, workstationCase, workstationScenario } from './workstation.helpers';

const EXECUTION = 'arn:aws:states:eu-west-1:111111111111:execution:custody-collect-evidence:case-1';

describe('StartWorkstation run again for the same case', () => {
  it('sends RunInstances and CreateVolume with client tokens of this execution', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const input = { case: kase, target: LINUX, timeoutMinutes: 60, execution: EXECUTION };
    await startWorkstation(input, ctx.deps);
    const [launch] = ctx.env.sandbox.callsOf('EC2', 'RunInstances');
    expect(launch.input.ClientToken).toBe(clientToken(input, 'workstation'));
    expect(String(launch.input.ClientToken)).toMatch(/^custody-[0-9a-f]{48}$/);
    const volumes = ctx.env.sandbox.callsOf('EC2', 'CreateVolume');
    expect(volumes.map((call) => call.input.ClientToken)).toEqual(
      volumes.map((call) => clientToken(input, `volume ${String(call.input.SnapshotId)}`)),
    );
    expect(new Set(volumes.map((call) => call.input.ClientToken)).size).toBe(volumes.length);
    const resumed = clientToken({ ...input, execution: `${EXECUTION}-resume-1` }, 'workstation');
    expect(resumed).not.toBe(launch.input.ClientToken);
  });

  it('keeps one workstation and one evidence volume per copy when the step runs twice', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const input = { case: kase, target: LINUX, timeoutMinutes: 60, execution: EXECUTION };
    const first = await startWorkstation(input, ctx.deps);
    const again = await startWorkstation(input, ctx.deps);
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.instances.filter((instance) => instance.tags['custody:role'] === 'workstation')).toHaveLength(1);
    expect(forensics.volumes.filter((volume) => volume.tags['custody:role'] === 'evidence-volume')).toHaveLength(2);
    expect(again.instanceId).toBe(first.instanceId);
    expect(again.volumes.map((volume) => volume.volumeId)).toEqual(first.volumes.map((volume) => volume.volumeId));
    expect(ctx.env.sandbox.callsOf('EC2', 'CreateVolume').filter((call) => !call.error)).toHaveLength(2);
  });
});

describe('sandbox EC2 client tokens', () => {
  it('answers a repeated RunInstances with the same token with the first instance and launches no other', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const input = { case: kase, target: LINUX, timeoutMinutes: 60, execution: EXECUTION };
    await startWorkstation(input, ctx.deps);
    const ec2 = ctx.deps.clients.forensics(REGION).ec2();
    const first = ctx.env.sandbox.callsOf('EC2', 'RunInstances')[0].input as unknown as RunInstancesCommandInput;
    const repeat = await ec2.send(new RunInstancesCommand(first));
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.instances).toHaveLength(1);
    expect(repeat.Instances?.[0].InstanceId).toBe(forensics.instances[0].instanceId);
    await expect(ec2.send(new RunInstancesCommand({ ...first, InstanceType: 'm6i.large' }))).rejects.toMatchObject({
      name: 'IdempotentParameterMismatch',
    });
    expect(forensics.instances).toHaveLength(1);
  });
});
