// CopySnapshots: bring each completed snapshot into the region's forensics account, re-encrypted with its key.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CopySnapshotCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import type { Case, Gap, Target } from './lib/case';
import { forensicsFor } from './lib/config';
import { errorMessage } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import { copyOf, findCaseSnapshots } from './lib/snapshot-lookup';
import type { CustodySnapshot } from './lib/snapshot-lookup';
import type { TaskDeps } from './lib/task';
import { caseTags, ec2DryRun, isTransient, VolumeSnapshotSchema, volumeTags } from './snapshot-volumes';
import type { DryRunVerdict } from './snapshot-volumes';
import { writeSnapshotsRecord } from './snapshot-record';

/**
 * One volume's way into the forensics account. `reencrypting`: a copy in the source account under the forensics snapshot key
 * (a snapshot under the AWS managed key cannot be shared); `copying`: shared, and the forensics account is copying it.
 */
export const SnapshotCopySchema = z
  .object({
    volumeId: z.string(),
    deviceName: z.string(),
    sizeGiB: z.number().int().nonnegative(),
    stage: z.enum(['reencrypting', 'copying', 'copied', 'failed']),
    source: VolumeSnapshotSchema,
    /** The snapshot shared with the forensics account: the source itself, or its re-encrypted copy in the source account. */
    sharedSnapshotId: z.string().optional(),
    copySnapshotId: z.string().optional(),
    kmsKeyId: z.string(),
    startedAt: z.string(),
    completedAt: z.string().optional(),
    error: z.string().optional(),
  })
  .strict();
export type SnapshotCopy = z.infer<typeof SnapshotCopySchema>;

export const CopySnapshotsInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  snapshots: z.array(VolumeSnapshotSchema),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(48 * 60)
    .default(12 * 60),
});
export type CopySnapshotsInput = z.infer<typeof CopySnapshotsInputSchema>;

export interface SnapshotCopiesOutput {
  readonly done: boolean;
  readonly copies: SnapshotCopy[];
  readonly deadline: string;
  readonly plan: DryRunVerdict[];
  readonly gaps: Gap[];
  /** Case-relative key of the target's snapshots.json, once every copy has finished. */
  readonly snapshotsKey?: string;
}

export const IN_FLIGHT = new Set(['reencrypting', 'copying']);
/** Any well-formed id: a DryRun call is authorised before EC2 looks the snapshot up. */
const DRY_RUN_SNAPSHOT = 'snap-0000000000000000d';

export interface Sides {
  readonly member: EC2Client;
  readonly forensics: EC2Client;
  readonly forensicsAccountId: string;
  readonly keyArn: string;
}

export function sides(deps: TaskDeps, target: Target): Sides {
  const destination = forensicsFor(deps.config, target.region);
  return {
    member: deps.clients.member(target.accountId, target.region).ec2(),
    forensics: deps.clients.forensics(target.region).ec2(),
    forensicsAccountId: destination.forensicsAccountId,
    keyArn: destination.snapshotKeyArn,
  };
}

function copyTags(
  kase: Case,
  target: Target,
  copy: Pick<SnapshotCopy, 'volumeId' | 'deviceName' | 'source'>,
  role: string,
) {
  const tags = [
    ...caseTags(kase, target),
    ...volumeTags(copy),
    { Key: 'custody:copy-of', Value: copy.source.snapshotId ?? '' },
    { Key: 'custody:role', Value: role },
  ];
  return [{ ResourceType: 'snapshot' as const, Tags: tags }];
}

export async function copySnapshots(input: CopySnapshotsInput, deps: TaskDeps): Promise<SnapshotCopiesOutput> {
  const side = sides(deps, input.target);
  const deadline = new Date(deps.now().getTime() + input.timeoutMinutes * 60_000).toISOString();
  if (!input.case.options.snapshots) return { done: true, copies: [], deadline, plan: [], gaps: [] };
  if (input.case.mode === 'dry-run')
    return { done: true, copies: [], deadline, plan: await plan(side, input.target.region), gaps: [] };
  const gaps: Gap[] = [];
  const copies: SnapshotCopy[] = [];
  const shareable = input.snapshots.some((source) => needsReencrypt(source, side))
    ? await findCaseSnapshots(side.member, input.case, input.target)
    : [];
  for (const source of input.snapshots) {
    const start: SnapshotCopy = {
      volumeId: source.volumeId,
      deviceName: source.deviceName,
      sizeGiB: source.sizeGiB,
      stage: 'failed',
      source,
      kmsKeyId: side.keyArn,
      startedAt: deps.now().toISOString(),
    };
    if (source.state !== 'completed' || !source.snapshotId) {
      copies.push({ ...start, error: `source snapshot did not complete: ${source.error ?? source.state}` });
      continue;
    }
    const copy = await begin(input, side, start, copyOf(shareable, source.snapshotId, 'shareable-copy'));
    if (copy.stage === 'failed') gaps.push(copyGap(input.target, copy));
    copies.push(copy);
  }
  return finish(input, deps, copies, deadline, gaps);
}

function needsReencrypt(source: CopySnapshotsInput['snapshots'][number], side: Sides): boolean {
  return source.encrypted && source.kmsKeyId !== side.keyArn;
}

/**
 * Snapshots not already under the forensics key are re-encrypted in the source account first; unencrypted ones are shared
 * as they are. A shareable copy an earlier attempt already started is taken up where it is.
 */
async function begin(
  input: CopySnapshotsInput,
  side: Sides,
  copy: SnapshotCopy,
  existing: CustodySnapshot | undefined,
): Promise<SnapshotCopy> {
  const sourceId = copy.source.snapshotId as string;
  if (!needsReencrypt(copy.source, side)) return shareAndCopy(input, side, { ...copy, sharedSnapshotId: sourceId });
  if (existing?.state === 'completed')
    return shareAndCopy(input, side, { ...copy, sharedSnapshotId: existing.snapshotId });
  if (existing) return { ...copy, stage: 'reencrypting', sharedSnapshotId: existing.snapshotId };
  try {
    const response = await side.member.send(
      new CopySnapshotCommand({
        SourceRegion: input.target.region,
        SourceSnapshotId: sourceId,
        Encrypted: true,
        KmsKeyId: side.keyArn,
        Description: `Custody case ${input.case.caseId}: shareable copy of ${sourceId}`,
        TagSpecifications: copyTags(input.case, input.target, copy, 'shareable-copy'),
      }),
    );
    return { ...copy, stage: 'reencrypting', sharedSnapshotId: response.SnapshotId };
  } catch (error) {
    if (isTransient(error)) throw error;
    return { ...copy, stage: 'failed', error: `re-encrypting copy in the source account: ${errorMessage(error)}` };
  }
}

/**
 * Shares the snapshot with the forensics account, which copies it under its own key (Share an Amazon EBS snapshot, EBS User
 * Guide). An evidence copy an earlier attempt already started is taken up instead of starting a second one.
 */
export async function shareAndCopy(
  input: Pick<CopySnapshotsInput, 'case' | 'target'>,
  side: Sides,
  copy: SnapshotCopy,
): Promise<SnapshotCopy> {
  const sharedId = copy.sharedSnapshotId as string;
  const sourceId = copy.source.snapshotId ?? sharedId;
  const existing = copyOf(await findCaseSnapshots(side.forensics, input.case, input.target), sourceId, 'evidence');
  if (existing) return { ...copy, stage: 'copying', copySnapshotId: existing.snapshotId };
  try {
    await side.member.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: sharedId,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: side.forensicsAccountId }] },
      }),
    );
  } catch (error) {
    if (isTransient(error)) throw error;
    return {
      ...copy,
      stage: 'failed',
      error: `sharing ${sharedId} with the forensics account: ${errorMessage(error)}`,
    };
  }
  try {
    const response = await side.forensics.send(
      new CopySnapshotCommand({
        SourceRegion: input.target.region,
        SourceSnapshotId: sharedId,
        Encrypted: true,
        KmsKeyId: side.keyArn,
        Description: `Custody case ${input.case.caseId}: evidence copy of ${copy.source.snapshotId} (${input.target.instanceId} ${copy.deviceName})`,
        TagSpecifications: copyTags(input.case, input.target, copy, 'evidence'),
      }),
    );
    return { ...copy, stage: 'copying', copySnapshotId: response.SnapshotId };
  } catch (error) {
    if (isTransient(error)) throw error;
    return {
      ...copy,
      stage: 'failed',
      error: `copying ${sharedId} into the forensics account: ${errorMessage(error)}`,
    };
  }
}

async function plan(side: Sides, region: string): Promise<DryRunVerdict[]> {
  const copy = {
    SourceRegion: region,
    SourceSnapshotId: DRY_RUN_SNAPSHOT,
    Encrypted: true,
    KmsKeyId: side.keyArn,
    DryRun: true,
  };
  return [
    await ec2DryRun('ec2:CopySnapshot (source account, re-encrypt)', () =>
      side.member.send(new CopySnapshotCommand(copy)),
    ),
    await ec2DryRun('ec2:ModifySnapshotAttribute (share)', () =>
      side.member.send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: DRY_RUN_SNAPSHOT,
          Attribute: 'createVolumePermission',
          CreateVolumePermission: { Add: [{ UserId: side.forensicsAccountId }] },
          DryRun: true,
        }),
      ),
    ),
    await ec2DryRun('ec2:CopySnapshot (forensics account)', () => side.forensics.send(new CopySnapshotCommand(copy))),
  ];
}

export function copyGap(target: Target, copy: SnapshotCopy): Gap {
  return {
    target: targetLabel(target),
    step: 'CopySnapshots',
    reason: `no forensics-account copy of ${copy.volumeId} (${copy.deviceName})`,
    error: copy.error,
  };
}

export async function finish(
  input: Pick<CopySnapshotsInput, 'case' | 'target'>,
  deps: TaskDeps,
  copies: SnapshotCopy[],
  deadline: string,
  gaps: Gap[],
): Promise<SnapshotCopiesOutput> {
  const done = copies.every((copy) => !IN_FLIGHT.has(copy.stage));
  if (!done) return { done, copies, deadline, plan: [], gaps };
  const snapshotsKey = await writeSnapshotsRecord(input.case, input.target, copies, deps);
  return { done, copies, deadline, plan: [], gaps, snapshotsKey };
}

export const copySnapshotsTask = defineTask('CopySnapshots', CopySnapshotsInputSchema, copySnapshots);
export const handler = lambdaHandler(copySnapshotsTask);
