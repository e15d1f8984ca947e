// CheckSnapshotCopies: the describe half of the copy Wait loop; advances each volume's copy until it is in the forensics account.
import type { EC2Client, Snapshot } from '@aws-sdk/client-ec2';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CaseSchema, TargetSchema } from './lib/case';
import type { Gap } from './lib/case';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import type { SnapshotCopiesOutput, SnapshotCopy, Sides } from './copy-snapshots';
import { copyGap, finish, IN_FLIGHT, shareAndCopy, sides, SnapshotCopySchema } from './copy-snapshots';

export const CheckSnapshotCopiesInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  copies: z.array(SnapshotCopySchema),
  deadline: z.string().datetime(),
});
export type CheckSnapshotCopiesInput = z.infer<typeof CheckSnapshotCopiesInputSchema>;

export async function checkSnapshotCopies(
  input: CheckSnapshotCopiesInput,
  deps: TaskDeps,
): Promise<SnapshotCopiesOutput> {
  const side = sides(deps, input.target);
  const expired = deps.now().getTime() > Date.parse(input.deadline);
  const reencrypting = await describe(
    side.member,
    input.copies.filter((c) => c.stage === 'reencrypting').map((c) => c.sharedSnapshotId),
  );
  const copying = await describe(
    side.forensics,
    input.copies.filter((c) => c.stage === 'copying').map((c) => c.copySnapshotId),
  );
  const gaps: Gap[] = [];
  const copies: SnapshotCopy[] = [];
  for (const copy of input.copies) {
    let next = copy;
    if (copy.stage === 'reencrypting')
      next = await afterReencrypt(input, side, copy, reencrypting.get(copy.sharedSnapshotId ?? ''));
    if (copy.stage === 'copying') next = afterCopy(copy, copying.get(copy.copySnapshotId ?? ''), deps);
    if (IN_FLIGHT.has(next.stage) && expired)
      next = {
        ...next,
        stage: 'failed',
        error: `timed out while ${next.stage}; the source snapshot is kept in the source account`,
      };
    if (next.stage === 'failed' && copy.stage !== 'failed') gaps.push(copyGap(input.target, next));
    if (next.stage === 'copied' && copy.stage !== 'copied') await recordCopied(input, side, next, deps);
    copies.push(next);
  }
  return finish(input, deps, copies, input.deadline, gaps);
}

async function afterReencrypt(
  input: CheckSnapshotCopiesInput,
  side: Sides,
  copy: SnapshotCopy,
  described: Snapshot | undefined,
): Promise<SnapshotCopy> {
  if (described?.State === 'completed') return shareAndCopy(input, side, copy);
  if (described?.State === 'error' || !described) {
    return {
      ...copy,
      stage: 'failed',
      error: `re-encrypting copy ${copy.sharedSnapshotId}: ${described?.StateMessage ?? 'it no longer exists'}`,
    };
  }
  return copy;
}

function afterCopy(copy: SnapshotCopy, described: Snapshot | undefined, deps: TaskDeps): SnapshotCopy {
  if (described?.State === 'completed') {
    return {
      ...copy,
      stage: 'copied',
      kmsKeyId: described.KmsKeyId ?? copy.kmsKeyId,
      completedAt: (described.CompletionTime ?? deps.now()).toISOString(),
    };
  }
  if (described?.State === 'error' || !described) {
    return {
      ...copy,
      stage: 'failed',
      error: `forensics copy ${copy.copySnapshotId}: ${described?.StateMessage ?? 'it no longer exists'}`,
    };
  }
  return copy;
}

async function describe(ec2: EC2Client, ids: Array<string | undefined>): Promise<Map<string, Snapshot>> {
  const wanted = ids.filter((id): id is string => Boolean(id));
  const found = new Map<string, Snapshot>();
  if (wanted.length === 0) return found;
  const response = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: wanted }));
  for (const snapshot of response.Snapshots ?? []) if (snapshot.SnapshotId) found.set(snapshot.SnapshotId, snapshot);
  return found;
}

async function recordCopied(
  input: CheckSnapshotCopiesInput,
  side: Sides,
  copy: SnapshotCopy,
  deps: TaskDeps,
): Promise<void> {
  await deps.store(input.case.caseId, input.target.region).record({
    action: 'snapshot.copied',
    target: input.target.instanceId,
    details: {
      volumeId: copy.volumeId,
      deviceName: copy.deviceName,
      sourceSnapshotId: copy.source.snapshotId,
      sharedSnapshotId: copy.sharedSnapshotId,
      copySnapshotId: copy.copySnapshotId,
      forensicsAccountId: side.forensicsAccountId,
      kmsKeyId: copy.kmsKeyId,
      sizeGiB: copy.sizeGiB,
      completedAt: copy.completedAt,
    },
  });
}

export const checkSnapshotCopiesTask = defineTask(
  'CheckSnapshotCopies',
  CheckSnapshotCopiesInputSchema,
  checkSnapshotCopies,
);
export const handler = lambdaHandler(checkSnapshotCopiesTask);
