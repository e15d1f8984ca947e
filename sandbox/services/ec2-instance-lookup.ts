// Shared lookups for the sandbox's EC2 instance handlers: find instances and volumes with AWS's own error names, render shapes.
import { createHash } from 'node:crypto';
import type { Filter, InstanceState as Ec2InstanceState, Tag } from '@aws-sdk/client-ec2';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import type { InstanceState, VolumeState } from '../scenario';

// Instance ids are `i-` plus 8 (older) or 17 hex digits; anything else is InvalidInstanceID.Malformed
// ("Error codes for the Amazon EC2 API").
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const VOLUME_ID = /^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** State codes as DescribeInstances reports them ("InstanceState" in the EC2 API reference). */
const STATE_CODES: Readonly<Record<InstanceState['state'], number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function stateOf(instance: InstanceState): Ec2InstanceState {
  return { Code: STATE_CODES[instance.state], Name: instance.state };
}

export function checkInstanceId(instanceId: string | undefined): string {
  if (!instanceId || !INSTANCE_ID.test(instanceId)) {
    throw awsError('InvalidInstanceID.Malformed', `Invalid id: "${instanceId ?? ''}"`);
  }
  return instanceId;
}

/** The instance with this id in the caller's region, or AWS's NotFound error. */
export function findInstance(ctx: CallContext, instanceId: string | undefined): InstanceState {
  const id = checkInstanceId(instanceId);
  const instance = ctx.regionState.instances.find((candidate) => candidate.instanceId === id);
  if (!instance) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  return instance;
}

export function findVolume(ctx: CallContext, volumeId: string | undefined): VolumeState {
  if (!volumeId || !VOLUME_ID.test(volumeId))
    throw awsError('InvalidVolumeID.Malformed', `Invalid id: "${volumeId ?? ''}"`);
  const volume = ctx.regionState.volumes.find((candidate) => candidate.volumeId === volumeId);
  if (!volume) throw awsError('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
  return volume;
}

/** The instance a volume is attached to (through its block-device mapping), if any. */
export function attachmentOf(
  ctx: CallContext,
  volumeId: string,
): { instance: InstanceState; deviceName: string; deleteOnTermination: boolean } | undefined {
  for (const instance of ctx.regionState.instances) {
    if (instance.state === 'terminated') continue;
    const device = instance.blockDevices.find((candidate) => candidate.volumeId === volumeId);
    if (device) return { instance, deviceName: device.deviceName, deleteOnTermination: device.deleteOnTermination };
  }
  return undefined;
}

export function tagList(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Stable ids AWS would have assigned (association ids, profile ids), derived from the resource so reruns agree. */
export function derivedId(prefix: string, seed: string, length = 17): string {
  return `${prefix}${createHash('sha256').update(seed).digest('hex').slice(0, length)}`;
}

/** The association id of an instance's IAM instance profile (needed later by DisassociateIamInstanceProfile). */
export function associationIdFor(instanceId: string): string {
  return derivedId('iip-assoc-', instanceId);
}

/** The unique id IAM gives an instance profile (AIPA…), derived from its ARN. */
export function instanceProfileIdFor(arn: string): string {
  return derivedId('AIPA', arn, 17).toUpperCase();
}

/**
 * Whether a resource passes a set of DescribeX filters: values within one filter are ORed, filters are ANDed, and `*`
 * is a wildcard ("Filter" in the EC2 API reference). `fields` maps filter names to the resource's values.
 */
export function matchesFilters(
  filters: readonly Filter[] | undefined,
  fields: (name: string) => readonly string[] | undefined,
  tags: Readonly<Record<string, string>>,
): boolean {
  for (const filter of filters ?? []) {
    const name = filter.Name ?? '';
    let actual: readonly string[] | undefined;
    if (name.startsWith('tag:')) actual = name.slice(4) in tags ? [tags[name.slice(4)]] : [];
    else if (name === 'tag-key') actual = Object.keys(tags);
    else if (name === 'tag-value') actual = Object.values(tags);
    else actual = fields(name);
    if (actual === undefined) throw awsError('InvalidParameterValue', `The filter '${name}' is invalid`);
    const wanted = filter.Values ?? [];
    if (!wanted.some((pattern) => actual.some((value) => wildcard(pattern).test(value)))) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
