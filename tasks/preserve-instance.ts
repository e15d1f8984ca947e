// PreserveInstance: the first Collect step: protect the instance and its volumes from loss, then keep its description and console as evidence.
import type { EC2Client, Instance, InstanceTypeInfo, Volume } from '@aws-sdk/client-ec2';
import {
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeVolumesCommand,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import type { Target } from './lib/case';
import { TargetNotFoundError, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { InstanceFacts } from './lib/instance-facts';
import { instanceFactsFrom } from './lib/instance-facts';
import { collectConsole, writeMetadata } from './lib/instance-evidence';
import type { DescribeInstancesResponse, DescribeVolumesResponse } from './lib/instance-evidence';
import { StepLog, isTransient } from './lib/step-log';
import type { Gap } from './lib/case';
import type { StepAction } from './lib/step-log';
import type { TaskDeps } from './lib/task';

export const PreserveInstanceInputSchema = z.object({ case: CaseSchema, target: TargetSchema });
export type PreserveInstanceInput = z.infer<typeof PreserveInstanceInputSchema>;

export interface PreserveInstanceOutput {
  readonly instance: InstanceFacts;
  readonly actions: readonly StepAction[];
  readonly gaps: readonly Gap[];
}

/** The tag that marks every resource Custody preserved for a case. */
export const CASE_TAG_KEY = 'custody:case-id';

export async function preserveInstance(input: PreserveInstanceInput, deps: TaskDeps): Promise<PreserveInstanceOutput> {
  const { case: kase, target } = input;
  const ec2 = deps.clients.member(target.accountId, target.region).ec2();
  const store = deps.store(kase.caseId, target.region);
  const log = new StepLog(store, targetLabel(target), target.instanceId, kase.mode === 'dry-run');

  const described = await describeTarget(ec2, target);
  const instance = described.Reservations?.[0]?.Instances?.[0] as Instance;
  const volumes = await log.read('describe-volumes', () => describeVolumes(ec2, instance));
  const type = await log.read('describe-instance-type', () => describeType(ec2, instance));
  const facts = instanceFactsFrom(instance, volumes?.Volumes ?? [], type);

  // Protection comes before any evidence is written: a termination now would take the volumes and memory with it.
  // The description written afterwards is the one read above, i.e. the state before Custody changed anything.
  if (facts.state === 'terminated') {
    await store.record({ action: 'instance.terminated', target: target.instanceId, details: { state: facts.state } });
    log.add({
      step: 'protect',
      status: 'skipped',
      resource: target.instanceId,
      detail: 'the instance is terminated: nothing left to protect',
    });
    log.gap(
      'protect',
      'the instance is terminated: its volumes and memory are gone; only its description and console output remain',
    );
  } else {
    await protect(log, ec2, kase.caseId, facts, volumes?.Volumes ?? []);
  }

  await writeMetadata(log, store, target, described, volumes);
  await collectConsole(log, ec2, store, target, facts.state);
  return { instance: afterChanges(facts, log.actions), actions: log.actions, gaps: log.gaps };
}

/** DescribeInstances for the one target; an unknown or malformed id means the case names an instance that is not there. */
async function describeTarget(ec2: EC2Client, target: Target): Promise<DescribeInstancesResponse> {
  try {
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [target.instanceId] }));
    if (Reservations?.[0]?.Instances?.[0]) return { Reservations };
  } catch (error) {
    if (!['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'].includes(errorName(error))) throw error;
  }
  throw new TargetNotFoundError(
    `instance ${target.instanceId} does not exist in account ${target.accountId}, region ${target.region}`,
    {
      target: targetLabel(target),
    },
  );
}

async function describeVolumes(ec2: EC2Client, instance: Instance): Promise<DescribeVolumesResponse> {
  const ids = (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.Ebs?.VolumeId ? [mapping.Ebs.VolumeId] : [],
  );
  if (ids.length === 0) return { Volumes: [] };
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: ids }));
  return { Volumes };
}

async function describeType(ec2: EC2Client, instance: Instance): Promise<InstanceTypeInfo> {
  if (!instance.InstanceType) throw new Error('DescribeInstances named no instance type');
  const response = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instance.InstanceType] }));
  const info = response.InstanceTypes?.[0];
  if (!info) throw new Error(`no description of instance type ${instance.InstanceType}`);
  return info;
}

/**
 * Termination protection, shutdown behaviour "stop", DeleteOnTermination=false on every EBS attachment (so terminating the
 * instance keeps its volumes, "Preserve data when an instance is terminated", EC2 User Guide) and the case tag.
 * ModifyInstanceAttribute takes one attribute per call ("ModifyInstanceAttribute", EC2 API reference).
 */
async function protect(
  log: StepLog,
  ec2: EC2Client,
  caseId: string,
  facts: InstanceFacts,
  volumes: readonly Volume[],
): Promise<void> {
  const id = facts.instanceId;
  const termination = await currentAttribute(ec2, id, 'disableApiTermination');
  await log.change({
    step: 'termination-protection',
    resource: id,
    already: termination === true,
    send: (DryRun) =>
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true }, DryRun })),
    event: {
      action: 'instance.termination-protected',
      details: { prior: { disableApiTermination: termination ?? 'unknown' }, now: { disableApiTermination: true } },
    },
  });
  const shutdown = await currentAttribute(ec2, id, 'instanceInitiatedShutdownBehavior');
  await log.change({
    step: 'shutdown-behavior',
    resource: id,
    already: shutdown === 'stop',
    send: (DryRun) =>
      ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: id,
          InstanceInitiatedShutdownBehavior: { Value: 'stop' },
          DryRun,
        }),
      ),
    event: {
      action: 'instance.shutdown-behavior-set',
      details: {
        prior: { instanceInitiatedShutdownBehavior: shutdown ?? 'unknown' },
        now: { instanceInitiatedShutdownBehavior: 'stop' },
      },
    },
  });
  for (const volume of facts.volumes) {
    const mapping = { DeviceName: volume.deviceName, Ebs: { VolumeId: volume.volumeId, DeleteOnTermination: false } };
    await log.change({
      step: 'delete-on-termination',
      resource: volume.volumeId,
      already: !volume.deleteOnTermination,
      send: (DryRun) =>
        ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, BlockDeviceMappings: [mapping], DryRun })),
      event: {
        action: 'volume.delete-on-termination-disabled',
        details: {
          instanceId: id,
          deviceName: volume.deviceName,
          prior: { deleteOnTermination: volume.deleteOnTermination },
          now: { deleteOnTermination: false },
        },
      },
    });
  }
  const volumeTag = (volumeId: string) =>
    volumes.find((volume) => volume.VolumeId === volumeId)?.Tags?.find((tag) => tag.Key === CASE_TAG_KEY)?.Value;
  const resources = [
    { resource: id, action: 'instance.tagged', prior: facts.tags[CASE_TAG_KEY] },
    ...facts.volumes.map((volume) => ({
      resource: volume.volumeId,
      action: 'volume.tagged',
      prior: volumeTag(volume.volumeId),
    })),
  ];
  for (const { resource, action, prior } of resources) {
    await log.change({
      step: 'tag',
      resource,
      already: prior === caseId,
      send: (DryRun) =>
        ec2.send(
          new CreateTagsCommand({ Resources: [resource], Tags: [{ Key: CASE_TAG_KEY, Value: caseId }], DryRun }),
        ),
      event: { action, details: { key: CASE_TAG_KEY, prior: { value: prior ?? null }, now: { value: caseId } } },
    });
  }
}

/** The current value of an instance attribute, or undefined when it cannot be read (the change is then made anyway). */
async function currentAttribute(
  ec2: EC2Client,
  instanceId: string,
  attribute: 'disableApiTermination' | 'instanceInitiatedShutdownBehavior',
): Promise<boolean | string | undefined> {
  try {
    const response = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: attribute }),
    );
    return attribute === 'disableApiTermination'
      ? response.DisableApiTermination?.Value
      : response.InstanceInitiatedShutdownBehavior?.Value;
  } catch (error) {
    if (isTransient(error)) throw error;
    return undefined;
  }
}

/** Later steps see the attachments as they are now: DeleteOnTermination off where it is off. */
function afterChanges(facts: InstanceFacts, actions: readonly StepAction[]): InstanceFacts {
  const off = new Set(
    actions
      .filter((action) => action.step === 'delete-on-termination' && ['done', 'already'].includes(action.status))
      .map((action) => action.resource),
  );
  return {
    ...facts,
    volumes: facts.volumes.map((volume) =>
      off.has(volume.volumeId) ? { ...volume, deleteOnTermination: false } : volume,
    ),
  };
}

export const preserveInstanceTask = defineTask('PreserveInstance', PreserveInstanceInputSchema, preserveInstance);
export const handler = lambdaHandler(preserveInstanceTask);
