// What the workstation tasks share: the state threaded through StartWorkstation → … → CleanupWorkstation, tags and gaps.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { Case, Gap, Target } from './case';
import { CaseSchema, GapSchema, TargetSchema, targetLabel } from './case';
import type { WorkstationConfig } from './config';
import { forensicsFor } from './config';
import { WorkstationNotConfiguredError } from './errors';
import type { TaskDeps } from './task';
import { DryRunVerdictSchema } from '../snapshot-volumes';
import { PlannedUploadSchema } from '../ssm-command';

/** One evidence volume on the workstation: created from a forensics-account snapshot copy, never from an original. */
export const EvidenceVolumeSchema = z
  .object({
    /** The suspect's volume and its device on the suspect instance. */
    sourceVolumeId: z.string(),
    sourceDeviceName: z.string(),
    /** The snapshot copy in the forensics account the volume was created from. */
    copySnapshotId: z.string(),
    volumeId: z.string().optional(),
    /** Where it is attached on the workstation (/dev/sdf …). */
    device: z.string(),
    stage: z.enum(['creating', 'attaching', 'attached', 'detached', 'deleted', 'failed']),
    error: z.string().optional(),
  })
  .strict();
export type EvidenceVolume = z.infer<typeof EvidenceVolumeSchema>;

export const ExaminationCommandSchema = z
  .object({
    commandId: z.string(),
    documentName: z.string(),
    sentAt: z.string().datetime(),
    deadline: z.string().datetime(),
    uploads: z.array(PlannedUploadSchema),
    status: z.string().optional(),
  })
  .strict();
export type ExaminationCommand = z.infer<typeof ExaminationCommandSchema>;

/** The workstation's state between the states of the examine loop (small: ids and stages only). */
export const WorkstationStateSchema = z
  .object({
    /** True when the case did not ask for a workstation, or nothing can be done: every later state passes straight through. */
    skipped: z.boolean(),
    /** True once every volume is attached and the workstation's agent is online. */
    ready: z.boolean().default(false),
    /** True once the examination command has finished (or was given up on). */
    done: z.boolean().default(false),
    /** True once CleanupWorkstation has nothing left to detach, delete or terminate. */
    cleaned: z.boolean().default(false),
    instanceId: z.string().optional(),
    availabilityZone: z.string().optional(),
    /** Launched for this case (terminated at cleanup) or reused (stopped being used, left running). */
    launched: z.boolean().default(false),
    volumes: z.array(EvidenceVolumeSchema).default([]),
    /** Case-relative key of the target's memory image, when one was captured. */
    memoryKey: z.string().optional(),
    command: ExaminationCommandSchema.optional(),
    deadline: z.string().datetime(),
    plan: z.array(DryRunVerdictSchema).default([]),
    /** What the dry-run would do: instance type, volumes, documents and the estimated hours. */
    summary: z.record(z.string(), z.unknown()).optional(),
    gaps: z.array(GapSchema).default([]),
  })
  .strict();
export type WorkstationState = z.infer<typeof WorkstationStateSchema>;

export const WorkstationInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  workstation: WorkstationStateSchema,
});
export type WorkstationInput = z.infer<typeof WorkstationInputSchema>;

export const EXAMINE_DOCUMENT = 'Custody-WorkstationExamine';
/** Device names EC2 recommends for EBS data volumes on Linux (Device names on Linux instances, EC2 User Guide). */
export const DATA_DEVICES = ['f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'].map((letter) => `/dev/sd${letter}`);

export function workstationConfig(deps: TaskDeps, region: string): WorkstationConfig {
  const config = forensicsFor(deps.config, region).workstation;
  if (!config)
    throw new WorkstationNotConfiguredError(`region ${region} has no examination workstation configured`, { region });
  return config;
}

/** The tags that find a case's workstation again (reuse) and name what every resource is for. */
export function workstationTags(kase: Case, target: Target, role: string): Array<{ Key: string; Value: string }> {
  return [
    { Key: 'custody:case', Value: kase.caseId },
    { Key: 'custody:role', Value: role },
    { Key: 'custody:target', Value: target.instanceId },
  ];
}

export function workstationGap(target: Target, step: string, reason: string, error?: string): Gap {
  return { target: targetLabel(target), step, reason, ...(error ? { error } : {}) };
}

export function forensicsEc2(deps: TaskDeps, target: Target): EC2Client {
  return deps.clients.forensics(target.region).ec2();
}

/** Records one workstation action in the case's custody log, against the suspect instance it serves. */
export async function recordWorkstation(
  deps: TaskDeps,
  input: Pick<WorkstationInput, 'case' | 'target'>,
  action: string,
  details: Record<string, unknown>,
): Promise<void> {
  await deps.store(input.case.caseId, input.target.region).record({ action, target: input.target.instanceId, details });
}
