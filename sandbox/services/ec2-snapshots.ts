// EC2 snapshots in the sandbox: crash-consistent multi-volume snapshots, sharing, and cross-account re-encrypting copies.
import type {
  CopySnapshotCommandInput,
  CopySnapshotCommandOutput,
  CreateSnapshotCommandInput,
  CreateSnapshotCommandOutput,
  CreateSnapshotsCommandInput,
  CreateSnapshotsCommandOutput,
  DescribeSnapshotAttributeCommandInput,
  DescribeSnapshotAttributeCommandOutput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  ModifySnapshotAttributeCommandInput,
  Snapshot,
  TagSpecification,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { awsError } from '../errors';
import { canUseKey, resolveKey } from '../kms-keys';
import type { CallContext } from '../sandbox';
import type { KmsKeyState, SnapshotState } from '../scenario';

const SNAPSHOT_ID = /^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** The AWS managed EBS key exists in every account and region, listed in the scenario or not. */
function managedEbsKey(region: string, accountId: string): KmsKeyState {
  const arn = `arn:aws:kms:${region}:${accountId}:key/aws-ebs-default`;
  return {
    keyId: 'aws-ebs-default',
    arn,
    keyUsage: 'ENCRYPT_DECRYPT',
    keySpec: 'SYMMETRIC_DEFAULT',
    aliases: ['alias/aws/ebs'],
    sharedWith: [],
    awsManaged: true,
  };
}

/** Resolves a key id, key ARN, alias or alias ARN as KMS does (sandbox/kms-keys.ts), plus the implicit `alias/aws/ebs`. */
function findKey(ctx: CallContext, accountId: string, ref: string): KmsKeyState | undefined {
  const resolved = resolveKey(ctx.sandbox, accountId, ctx.region, ref)?.key;
  if (resolved || !ref.endsWith('alias/aws/ebs')) return resolved;
  return managedEbsKey(ctx.region, /:(\d{12}):/.exec(ref)?.[1] ?? accountId);
}

/** Whether an account may use a key: its owner always, others only through the key policy (AWS managed keys never). */
function keyUsableBy(ctx: CallContext, ref: string | undefined, accountId: string): boolean {
  if (!ref) return false;
  return canUseKey(ctx.sandbox, accountId, ref, ctx.region) || ref === managedEbsKey(ctx.region, accountId).arn;
}

function newSnapshotId(): string {
  return `snap-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function tagsFrom(specs: TagSpecification[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of specs ?? []) {
    if (spec.ResourceType && spec.ResourceType !== 'snapshot') continue;
    for (const tag of spec.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  }
  return tags;
}

/** A snapshot leaves `pending` once `pendingMs` has passed since it started, as the EBS service finishes it in the background. */
function settle(ctx: CallContext, snapshot: SnapshotState): void {
  if (snapshot.state !== 'pending') return;
  if (Date.now() - Date.parse(snapshot.startTime) < ctx.sandbox.pendingMs) return;
  snapshot.state = snapshot.outcome ?? 'completed';
  snapshot.completedAt = new Date().toISOString();
}

function toSnapshot(ownerId: string, snapshot: SnapshotState): Snapshot {
  return {
    SnapshotId: snapshot.snapshotId,
    VolumeId: snapshot.volumeId,
    VolumeSize: snapshot.volumeSizeGiB,
    State: snapshot.state,
    StateMessage: snapshot.stateMessage,
    Encrypted: snapshot.encrypted,
    KmsKeyId: snapshot.kmsKeyId,
    Description: snapshot.description,
    StartTime: new Date(snapshot.startTime),
    CompletionTime: snapshot.completedAt ? new Date(snapshot.completedAt) : undefined,
    Progress: snapshot.state === 'pending' ? '0%' : '100%',
    OwnerId: ownerId,
    Tags: Object.entries(snapshot.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Snapshot of one volume in the caller's account; the copy of its key settings follows the volume's (EBS encryption docs). */
function snapshotVolume(
  ctx: CallContext,
  volumeId: string,
  description: string,
  tags: Record<string, string>,
): SnapshotState {
  const volume = ctx.regionState.volumes.find((candidate) => candidate.volumeId === volumeId);
  if (!volume) throw awsError('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
  const key = volume.encrypted ? findKey(ctx, ctx.caller.accountId, volume.kmsKeyId ?? 'alias/aws/ebs') : undefined;
  const snapshot: SnapshotState = {
    snapshotId: newSnapshotId(),
    volumeId,
    volumeSizeGiB: volume.sizeGiB,
    state: 'pending',
    encrypted: volume.encrypted,
    kmsKeyId: volume.encrypted ? (key?.arn ?? volume.kmsKeyId) : undefined,
    description,
    startTime: new Date().toISOString(),
    createVolumePermissions: [],
    tags: { ...tags },
    outcome: volume.snapshotFails ? 'error' : 'completed',
    stateMessage: volume.snapshotFails ? 'Snapshot creation failed: internal error in the EBS service' : undefined,
  };
  ctx.regionState.snapshots.push(snapshot);
  return snapshot;
}

function createSnapshot(ctx: CallContext, input: CreateSnapshotCommandInput): Partial<CreateSnapshotCommandOutput> {
  const snapshot = snapshotVolume(
    ctx,
    input.VolumeId ?? '',
    input.Description ?? '',
    tagsFrom(input.TagSpecifications),
  );
  return toSnapshot(ctx.caller.accountId, snapshot);
}

/** One crash-consistent set: every EBS volume attached to the instance, minus exclusions (CreateSnapshots API reference). */
function createSnapshots(ctx: CallContext, input: CreateSnapshotsCommandInput): Partial<CreateSnapshotsCommandOutput> {
  const instanceId = input.InstanceSpecification?.InstanceId ?? '';
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId))
    throw awsError('InvalidInstanceID.Malformed', `Invalid id: "${instanceId}"`);
  const instance = ctx.regionState.instances.find((candidate) => candidate.instanceId === instanceId);
  if (!instance) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  const excluded = new Set(input.InstanceSpecification?.ExcludeDataVolumeIds ?? []);
  const devices = instance.blockDevices.filter(
    (device) =>
      !excluded.has(device.volumeId) &&
      !(input.InstanceSpecification?.ExcludeBootVolume && device.deviceName === instance.rootDeviceName),
  );
  const tags = tagsFrom(input.TagSpecifications);
  const snapshots = devices.map((device) => {
    const volumeTags =
      input.CopyTagsFromSource === 'volume'
        ? (ctx.regionState.volumes.find((v) => v.volumeId === device.volumeId)?.tags ?? {})
        : {};
    return snapshotVolume(ctx, device.volumeId, input.Description ?? '', { ...volumeTags, ...tags });
  });
  return {
    Snapshots: snapshots.map((snapshot) => ({
      SnapshotId: snapshot.snapshotId,
      VolumeId: snapshot.volumeId,
      VolumeSize: snapshot.volumeSizeGiB,
      State: 'pending',
      Encrypted: snapshot.encrypted,
      Description: snapshot.description,
      StartTime: new Date(snapshot.startTime),
      Progress: '0%',
      OwnerId: ctx.caller.accountId,
      Tags: Object.entries(snapshot.tags).map(([Key, Value]) => ({ Key, Value })),
    })),
  };
}

/** Finds a snapshot in the caller's region: its own, or one another account shared with it through createVolumePermission. */
function visibleSnapshot(ctx: CallContext, snapshotId: string): { ownerId: string; snapshot: SnapshotState } {
  if (!SNAPSHOT_ID.test(snapshotId))
    throw awsError('InvalidSnapshotID.Malformed', `Invalid id: "${snapshotId}" (expecting "snap-...")`);
  for (const account of ctx.sandbox.scenario.accounts) {
    const snapshot = account.regions[ctx.region]?.snapshots.find((candidate) => candidate.snapshotId === snapshotId);
    if (!snapshot) continue;
    const visible =
      account.accountId === ctx.caller.accountId || snapshot.createVolumePermissions.includes(ctx.caller.accountId);
    if (visible) return { ownerId: account.accountId, snapshot };
  }
  throw awsError('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
}

function describeSnapshots(
  ctx: CallContext,
  input: DescribeSnapshotsCommandInput,
): Partial<DescribeSnapshotsCommandOutput> {
  const owners = input.OwnerIds ?? [];
  if (owners.some((owner) => owner !== 'self' && owner !== ctx.caller.accountId))
    throw awsError('UnsupportedOperation', "the sandbox lists only the caller's own snapshots (OwnerIds self)");
  // Without ids or owners, EC2 also lists every snapshot the caller may restore, public ones included (DescribeSnapshots
  // API reference); the sandbox has no public snapshots, so both forms list the caller's own.
  const found: Array<{ ownerId: string; snapshot: SnapshotState }> = input.SnapshotIds?.length
    ? input.SnapshotIds.map((id) => visibleSnapshot(ctx, id)).filter(
        ({ ownerId }) => owners.length === 0 || ownerId === ctx.caller.accountId,
      )
    : ctx.regionState.snapshots.map((snapshot) => ({ ownerId: ctx.caller.accountId, snapshot }));
  const filtered = found.filter(({ snapshot }) =>
    (input.Filters ?? []).every((filter) => {
      const values = filter.Values ?? [];
      if (filter.Name === 'volume-id') return values.includes(snapshot.volumeId);
      if (filter.Name === 'status') return values.includes(snapshot.state);
      if (filter.Name?.startsWith('tag:')) return values.includes(snapshot.tags[filter.Name.slice(4)] ?? '\u0000');
      throw awsError('InvalidParameterValue', `The filter '${filter.Name}' is invalid`);
    }),
  );
  for (const { snapshot } of filtered) settle(ctx, snapshot);
  return { Snapshots: filtered.map(({ ownerId, snapshot }) => toSnapshot(ownerId, snapshot)) };
}

/**
 * Copies a snapshot (own or shared) into the caller's account. The source must be `completed`; an encrypted copy needs a key
 * the caller may use, and a source key the caller may use to read; a key it cannot use makes the copy fail asynchronously
 * (Copy an Amazon EBS snapshot, EBS User Guide).
 */
function copySnapshot(ctx: CallContext, input: CopySnapshotCommandInput): Partial<CopySnapshotCommandOutput> {
  if (input.SourceRegion && input.SourceRegion !== ctx.region) {
    throw awsError(
      'UnsupportedOperation',
      'the sandbox models same-region copies only; evidence never leaves its region',
    );
  }
  const { snapshot: source } = visibleSnapshot(ctx, input.SourceSnapshotId ?? '');
  settle(ctx, source);
  if (source.state !== 'completed') {
    throw awsError(
      'IncorrectState',
      `Snapshot ${source.snapshotId} is not in a 'completed' state and cannot be copied.`,
    );
  }
  const encrypted = source.encrypted || input.Encrypted === true;
  const targetKey = encrypted
    ? findKey(ctx, ctx.caller.accountId, input.KmsKeyId ?? source.kmsKeyId ?? 'alias/aws/ebs')
    : undefined;
  const sourceReadable = !source.encrypted || keyUsableBy(ctx, source.kmsKeyId, ctx.caller.accountId);
  const targetUsable = !encrypted || (targetKey !== undefined && keyUsableBy(ctx, targetKey.arn, ctx.caller.accountId));
  const copy: SnapshotState = {
    snapshotId: newSnapshotId(),
    volumeId: 'vol-ffffffff',
    volumeSizeGiB: source.volumeSizeGiB,
    state: 'pending',
    encrypted,
    kmsKeyId: targetKey?.arn ?? (encrypted ? input.KmsKeyId : undefined),
    description: input.Description ?? `Copied for DestinationAmi from ${source.snapshotId}`,
    startTime: new Date().toISOString(),
    createVolumePermissions: [],
    tags: tagsFrom(input.TagSpecifications),
    sourceSnapshotId: source.snapshotId,
    outcome: sourceReadable && targetUsable ? 'completed' : 'error',
    stateMessage: sourceReadable && targetUsable ? undefined : 'Given key ID is not accessible',
  };
  ctx.regionState.snapshots.push(copy);
  return { SnapshotId: copy.snapshotId, Tags: Object.entries(copy.tags).map(([Key, Value]) => ({ Key, Value })) };
}

function ownSnapshot(ctx: CallContext, snapshotId: string): SnapshotState {
  const { ownerId, snapshot } = visibleSnapshot(ctx, snapshotId);
  if (ownerId !== ctx.caller.accountId)
    throw awsError('UnauthorizedOperation', `You are not authorized to modify snapshot ${snapshotId}.`);
  return snapshot;
}

/** Shares or unshares a snapshot; AWS refuses to share one encrypted with the AWS managed key (ModifySnapshotAttribute API reference). */
function modifySnapshotAttribute(ctx: CallContext, input: ModifySnapshotAttributeCommandInput): Record<string, never> {
  const snapshot = ownSnapshot(ctx, input.SnapshotId ?? '');
  if (input.Attribute && input.Attribute !== 'createVolumePermission') {
    throw awsError('InvalidParameterValue', `attribute ${input.Attribute} cannot be modified by the sandbox`);
  }
  const add = [
    ...(input.CreateVolumePermission?.Add ?? []).map((p) => p.UserId ?? ''),
    ...(input.OperationType === 'add' ? (input.UserIds ?? []) : []),
  ];
  const remove = [
    ...(input.CreateVolumePermission?.Remove ?? []).map((p) => p.UserId ?? ''),
    ...(input.OperationType === 'remove' ? (input.UserIds ?? []) : []),
  ];
  if (add.length && remove.length)
    throw awsError('InvalidParameterCombination', 'You cannot add and remove permissions in a single operation.');
  if (add.length && snapshot.encrypted && findKey(ctx, ctx.caller.accountId, snapshot.kmsKeyId ?? '')?.awsManaged) {
    throw awsError('OperationNotPermitted', 'Encrypted snapshots with EBS default key cannot be shared');
  }
  for (const id of add) if (!snapshot.createVolumePermissions.includes(id)) snapshot.createVolumePermissions.push(id);
  snapshot.createVolumePermissions = snapshot.createVolumePermissions.filter((id) => !remove.includes(id));
  return {};
}

function describeSnapshotAttribute(
  ctx: CallContext,
  input: DescribeSnapshotAttributeCommandInput,
): Partial<DescribeSnapshotAttributeCommandOutput> {
  const snapshot = ownSnapshot(ctx, input.SnapshotId ?? '');
  if (input.Attribute !== 'createVolumePermission')
    throw awsError('InvalidParameterValue', `attribute ${input.Attribute} is not modelled`);
  return {
    SnapshotId: snapshot.snapshotId,
    CreateVolumePermissions: snapshot.createVolumePermissions.map((UserId) => ({ UserId })),
  };
}

export const ec2Snapshots = {
  CreateSnapshot: createSnapshot,
  CreateSnapshots: createSnapshots,
  DescribeSnapshots: describeSnapshots,
  CopySnapshot: copySnapshot,
  ModifySnapshotAttribute: modifySnapshotAttribute,
  DescribeSnapshotAttribute: describeSnapshotAttribute,
};
