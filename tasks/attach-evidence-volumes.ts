// AttachEvidenceVolumes: the describe half of the workstation's Wait loop: attaches each evidence volume once it is available.
import type { Volume } from '@aws-sdk/client-ec2';
import { AttachVolumeCommand, DescribeInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { errorMessage } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import type { EvidenceVolume, WorkstationInput, WorkstationState } from './lib/workstation';
import { forensicsEc2, recordWorkstation, workstationGap, WorkstationInputSchema } from './lib/workstation';
import { agentStatus } from './ssm-command';
import { isTransient } from './snapshot-volumes';

const STEP = 'AttachEvidenceVolumes';

export async function attachEvidenceVolumes(input: WorkstationInput, deps: TaskDeps): Promise<WorkstationState> {
  const state = input.workstation;
  if (state.skipped || state.done || !state.instanceId) return state;
  const ec2 = forensicsEc2(deps, input.target);
  const expired = deps.now().getTime() > Date.parse(state.deadline);
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [state.instanceId] }));
  const instanceState = described.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'unknown';
  if (instanceState !== 'running') {
    if (['pending'].includes(instanceState) && !expired) return state;
    return giveUp(input, `the workstation ${state.instanceId} is ${instanceState}, not running`);
  }
  const volumes = await advance(input, deps, await describe(input, deps));
  const gaps = volumes
    .filter((volume, i) => volume.stage === 'failed' && state.volumes[i].stage !== 'failed')
    .map((volume) =>
      workstationGap(
        input.target,
        STEP,
        `evidence volume from ${volume.copySnapshotId} was not attached`,
        volume.error,
      ),
    );
  const next: WorkstationState = { ...state, volumes, gaps: [...state.gaps, ...gaps] };
  const settled = volumes.every((volume) => volume.stage === 'attached' || volume.stage === 'failed');
  const agent = settled
    ? await agentStatus(deps.clients.forensics(input.target.region).ssm(), state.instanceId)
    : undefined;
  if (settled && agent?.online) return { ...next, ready: true };
  if (!expired) return next;
  return giveUp(
    { ...input, workstation: next },
    settled ? `the workstation's SSM agent is ${agent?.pingStatus}` : 'evidence volumes were still not attached',
  );
}

async function describe(input: WorkstationInput, deps: TaskDeps): Promise<Map<string, Volume>> {
  const ids = input.workstation.volumes.flatMap((volume) =>
    volume.volumeId && volume.stage !== 'failed' ? [volume.volumeId] : [],
  );
  const found = new Map<string, Volume>();
  if (ids.length === 0) return found;
  const response = await forensicsEc2(deps, input.target).send(new DescribeVolumesCommand({ VolumeIds: ids }));
  for (const volume of response.Volumes ?? []) if (volume.VolumeId) found.set(volume.VolumeId, volume);
  return found;
}

/** `creating` → AttachVolume once `available`; `attaching` → `attached` once `in-use` (Volume states, EBS User Guide). */
async function advance(
  input: WorkstationInput,
  deps: TaskDeps,
  described: Map<string, Volume>,
): Promise<EvidenceVolume[]> {
  const ec2 = forensicsEc2(deps, input.target);
  const next: EvidenceVolume[] = [];
  for (const volume of input.workstation.volumes) {
    const current = described.get(volume.volumeId ?? '');
    if (volume.stage === 'creating' && current?.State === 'error') {
      next.push({ ...volume, stage: 'failed', error: `volume ${volume.volumeId} entered the error state` });
    } else if (volume.stage === 'creating' && current?.State === 'available') {
      next.push(await attach(input, deps, ec2, volume));
    } else if (volume.stage === 'attaching' && current?.State === 'in-use') {
      next.push({ ...volume, stage: 'attached' });
    } else next.push(volume);
  }
  return next;
}

async function attach(
  input: WorkstationInput,
  deps: TaskDeps,
  ec2: ReturnType<typeof forensicsEc2>,
  volume: EvidenceVolume,
): Promise<EvidenceVolume> {
  try {
    await ec2.send(
      new AttachVolumeCommand({
        VolumeId: volume.volumeId,
        InstanceId: input.workstation.instanceId,
        Device: volume.device,
      }),
    );
    await recordWorkstation(deps, input, 'volume.attached', {
      volumeId: volume.volumeId,
      instanceId: input.workstation.instanceId,
      device: volume.device,
    });
    return { ...volume, stage: 'attaching' };
  } catch (error) {
    if (isTransient(error)) throw error;
    return { ...volume, stage: 'failed', error: errorMessage(error) };
  }
}

/** The examination cannot start: a recorded gap, and the ASL goes on to CleanupWorkstation. */
function giveUp(input: WorkstationInput, reason: string): WorkstationState {
  return {
    ...input.workstation,
    ready: false,
    done: true,
    gaps: [...input.workstation.gaps, workstationGap(input.target, STEP, reason)],
  };
}

export const attachEvidenceVolumesTask = defineTask(STEP, WorkstationInputSchema, attachEvidenceVolumes);
export const handler = lambdaHandler(attachEvidenceVolumesTask);
