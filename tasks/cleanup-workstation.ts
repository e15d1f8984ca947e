// CleanupWorkstation: on every path out of the examination, detach and delete the evidence volumes and terminate the workstation.
import type { EC2Client, Volume } from '@aws-sdk/client-ec2';
import {
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CaseSchema, TargetSchema } from './lib/case';
import type { Gap } from './lib/case';
import { errorMessage, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import { forensicsEc2, recordWorkstation, workstationGap, WorkstationStateSchema } from './lib/workstation';
import { isTransient } from './snapshot-volumes';

/** The workstation state may be missing when a state failed before returning it: cleanup then works from the case's tags alone. */
export const CleanupWorkstationInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  workstation: WorkstationStateSchema.nullish(),
});
export type CleanupWorkstationInput = z.infer<typeof CleanupWorkstationInputSchema>;

export interface CleanupWorkstationOutput {
  /** False while a volume is still detaching: the ASL waits and calls cleanup again. */
  readonly cleaned: boolean;
  readonly deletedVolumes: string[];
  readonly terminated: string[];
  readonly gaps: Gap[];
}

const STEP = 'CleanupWorkstation';

export async function cleanupWorkstation(
  input: CleanupWorkstationInput,
  deps: TaskDeps,
): Promise<CleanupWorkstationOutput> {
  const nothing: CleanupWorkstationOutput = { cleaned: true, deletedVolumes: [], terminated: [], gaps: [] };
  if (!input.case.options.examine?.workstation || input.case.mode === 'dry-run') return nothing;
  const ec2 = forensicsEc2(deps, input.target);
  const gaps: Gap[] = [];
  const volumes = await caseVolumes(ec2, input);
  const deletedVolumes: string[] = [];
  let pending = false;
  for (const volume of volumes) {
    const id = volume.VolumeId ?? '';
    try {
      let deleted = false;
      if (volume.State === 'in-use') {
        // The examine document unmounts on exit; detaching a read-only (noload/norecovery) mount cannot write to the volume.
        await ec2.send(new DetachVolumeCommand({ VolumeId: id }));
        await recordWorkstation(deps, input, 'volume.detached', { volumeId: id });
        deleted = await deleteIfAvailable(ec2, id);
      } else if (volume.State === 'available') {
        await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
        deleted = true;
      }
      if (deleted) deletedVolumes.push(id);
      else pending = true;
    } catch (error) {
      if (isTransient(error)) throw error;
      gaps.push(
        workstationGap(
          input.target,
          STEP,
          `evidence volume ${id} was not cleaned up; delete it by hand (it is a copy, the evidence is the snapshot)`,
          errorMessage(error),
        ),
      );
    }
  }
  for (const id of deletedVolumes) await recordWorkstation(deps, input, 'volume.deleted', { volumeId: id });
  const terminated = pending ? [] : await terminate(ec2, input, deps, gaps);
  return { cleaned: !pending, deletedVolumes, terminated, gaps: [...(input.workstation?.gaps ?? []), ...gaps] };
}

/** Deletes a just-detached volume when EC2 already reports it available (in AWS detaching takes a moment: the next call deletes it). */
async function deleteIfAvailable(ec2: EC2Client, volumeId: string): Promise<boolean> {
  const described = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  if (described.Volumes?.[0]?.State !== 'available') return false;
  await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  return true;
}

function caseFilters(input: CleanupWorkstationInput, role: string) {
  return [
    { Name: 'tag:custody:case', Values: [input.case.caseId] },
    { Name: 'tag:custody:target', Values: [input.target.instanceId] },
    { Name: 'tag:custody:role', Values: [role] },
  ];
}

/** Every evidence volume this case created for this target, found by tag, so a state that failed mid-way leaves none behind. */
async function caseVolumes(ec2: EC2Client, input: CleanupWorkstationInput): Promise<Volume[]> {
  const response = await ec2.send(new DescribeVolumesCommand({ Filters: caseFilters(input, 'evidence-volume') }));
  return response.Volumes ?? [];
}

async function terminate(
  ec2: EC2Client,
  input: CleanupWorkstationInput,
  deps: TaskDeps,
  gaps: Gap[],
): Promise<string[]> {
  const response = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        ...caseFilters(input, 'workstation'),
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  const ids = (response.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  if (ids.length === 0) return [];
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    await recordWorkstation(deps, input, 'workstation.terminated', { instanceIds: ids });
    return ids;
  } catch (error) {
    if (isTransient(error) || errorName(error) === 'IncorrectInstanceState') throw error;
    gaps.push(
      workstationGap(
        input.target,
        STEP,
        `workstation ${ids.join(', ')} was not terminated; terminate it by hand`,
        errorMessage(error),
      ),
    );
    return [];
  }
}

export const cleanupWorkstationTask = defineTask(STEP, CleanupWorkstationInputSchema, cleanupWorkstation);
export const handler = lambdaHandler(cleanupWorkstationTask);
