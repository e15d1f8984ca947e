// StartWorkstation: in the forensics account, launch (or reuse) the case's examination workstation and create evidence volumes from the snapshot copies.
import { createHash } from 'node:crypto';
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { CaseSchema, TargetSchema } from './lib/case';
import type { Case, Target } from './lib/case';
import type { WorkstationConfig } from './lib/config';
import { forensicsFor } from './lib/config';
import { errorMessage, errorName } from './lib/errors';
import { objectExists } from './lib/existing-artifact';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import type { EvidenceVolume, WorkstationState } from './lib/workstation';
import { DATA_DEVICES, forensicsEc2, recordWorkstation, workstationGap, workstationTags } from './lib/workstation';
import { planWorkstation } from './lib/workstation-plan';
import { isTransient } from './snapshot-volumes';
import { snapshotsKey } from './snapshot-record';
import { objectKey } from './ssm-command';

export const StartWorkstationInputSchema = z.object({
  case: CaseSchema,
  target: TargetSchema,
  timeoutMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(60),
  /** The Step Functions execution (`$$.Execution.Id`): client tokens are per execution, so a resumed case may launch anew. */
  execution: z.string().min(1).optional(),
});
export type StartWorkstationInput = z.infer<typeof StartWorkstationInputSchema>;

const STEP = 'StartWorkstation';

/**
 * A client token for one create call of this execution: a retry (SDK or Step Functions) gets the first answer back and
 * creates nothing more. Up to 64 ASCII characters ("Ensuring idempotency in Amazon EC2 API requests", EC2 developer guide).
 * A token stays bound to its instance for at least 24 hours after termination, hence the execution in it.
 */
export function clientToken(input: Pick<StartWorkstationInput, 'case' | 'target' | 'execution'>, what: string): string {
  const parts = [input.case.caseId, input.target.accountId, input.target.instanceId, input.execution ?? '', what];
  return `custody-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 48)}`;
}

/** The forensics-account snapshot copies snapshots.json records as `copied`: the only sources a volume may come from. */
interface CopyRecord {
  readonly volumeId: string;
  readonly deviceName: string;
  readonly status: string;
  readonly copy: { readonly accountId: string; readonly snapshotId: string } | null;
}

export async function startWorkstation(input: StartWorkstationInput, deps: TaskDeps): Promise<WorkstationState> {
  const deadline = new Date(deps.now().getTime() + input.timeoutMinutes * 60_000).toISOString();
  const base: WorkstationState = {
    skipped: true,
    ready: false,
    done: true,
    cleaned: true,
    launched: false,
    volumes: [],
    deadline,
    plan: [],
    gaps: [],
  };
  if (!input.case.options.examine?.workstation) return base;
  const config = forensicsFor(deps.config, input.target.region).workstation;
  if (!config) {
    return {
      ...base,
      gaps: [
        workstationGap(
          input.target,
          STEP,
          `the case asked for a workstation but region ${input.target.region} has none configured`,
        ),
      ],
    };
  }
  if (input.case.mode === 'dry-run') return { ...base, ...(await planWorkstation(input, deps, config)) };
  const copies = await copiedSnapshots(input, deps);
  const memoryKey = await memoryImageKey(input, deps);
  if (copies.length === 0 && !memoryKey)
    return {
      ...base,
      gaps: [
        workstationGap(
          input.target,
          STEP,
          'nothing to examine: no snapshot copy in the forensics account and no memory image',
        ),
      ],
    };
  const ec2 = forensicsEc2(deps, input.target);
  let imageId: string;
  try {
    imageId = await amiId(deps, input.target.region, config);
  } catch (error) {
    if (isTransient(error)) throw error;
    return {
      ...base,
      gaps: [workstationGap(input.target, STEP, `no workstation AMI from ${config.amiParameter}`, errorMessage(error))],
    };
  }
  const found = (await running(ec2, input.case, input.target)) ?? (await launch(ec2, input, config, imageId, deps));
  const started: WorkstationState = {
    ...base,
    skipped: false,
    done: false,
    cleaned: false,
    ...found,
    memoryKey,
    deadline,
  };
  const volumes: EvidenceVolume[] = [];
  const gaps = [];
  for (const [index, copy] of copies.entries()) {
    const volume = await createVolume(ec2, input, deps, copy, found.availabilityZone, DATA_DEVICES[index]);
    if (volume.stage === 'failed')
      gaps.push(workstationGap(input.target, STEP, `no evidence volume from ${volume.copySnapshotId}`, volume.error));
    volumes.push(volume);
  }
  return { ...started, volumes, gaps };
}

/** Reads the target's snapshots.json from the evidence bucket: the record of which copies exist in the forensics account. */
async function copiedSnapshots(
  input: StartWorkstationInput,
  deps: TaskDeps,
): Promise<Array<Required<Pick<CopyRecord, 'volumeId' | 'deviceName'>> & { snapshotId: string }>> {
  const destination = forensicsFor(deps.config, input.target.region);
  const s3 = deps.clients.forensics(input.target.region).s3();
  let text: string;
  try {
    const response = await s3.send(
      new GetObjectCommand({
        Bucket: destination.evidenceBucket,
        Key: objectKey(input.case, snapshotsKey(input.target)),
      }),
    );
    text = (await response.Body?.transformToString()) ?? '';
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return [];
    throw error;
  }
  const record = JSON.parse(text) as { volumes?: CopyRecord[] };
  return (record.volumes ?? [])
    .filter((volume) => volume.status === 'copied' && volume.copy?.accountId === destination.forensicsAccountId)
    .slice(0, DATA_DEVICES.length)
    .map((volume) => ({
      volumeId: volume.volumeId,
      deviceName: volume.deviceName,
      snapshotId: (volume.copy as { snapshotId: string }).snapshotId,
    }));
}

/** The memory image CaptureMemory completed, if any (memory.lime from AVML, memory.raw from WinPMEM). */
async function memoryImageKey(input: StartWorkstationInput, deps: TaskDeps): Promise<string | undefined> {
  const bucket = forensicsFor(deps.config, input.target.region).evidenceBucket;
  const s3 = deps.clients.forensics(input.target.region).s3();
  for (const name of ['memory.lime', 'memory.raw']) {
    const key = `${input.target.accountId}/${input.target.instanceId}/memory/${name}`;
    if (await objectExists(s3, bucket, objectKey(input.case, key))) return key;
  }
  return undefined;
}

export async function amiId(deps: TaskDeps, region: string, config: WorkstationConfig): Promise<string> {
  const response = await deps.clients
    .forensics(region)
    .ssm()
    .send(new GetParameterCommand({ Name: config.amiParameter }));
  const value = response.Parameter?.Value ?? '';
  if (!/^ami-[0-9a-f]{8,17}$/.test(value))
    throw new Error(`parameter ${config.amiParameter} holds "${value}", not an AMI id`);
  return value;
}

/** A workstation already running for this case and target (a re-run), found by its tags. */
async function running(
  ec2: EC2Client,
  kase: Case,
  target: Target,
): Promise<{ instanceId: string; availabilityZone: string; launched: boolean } | undefined> {
  const response = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:custody:case', Values: [kase.caseId] },
        { Name: 'tag:custody:target', Values: [target.instanceId] },
        { Name: 'tag:custody:role', Values: ['workstation'] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  const instance = response.Reservations?.flatMap((r) => r.Instances ?? [])[0];
  if (!instance?.InstanceId) return undefined;
  return {
    instanceId: instance.InstanceId,
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    launched: false,
  };
}

/**
 * No public address, IMDSv2 only, and a subnet whose only routes are VPC endpoints (infra/stacks/workstation-stack.ts): the
 * workstation reaches SSM and S3 and nothing else. Shutting down from inside terminates it, so it cannot linger.
 */
async function launch(
  ec2: EC2Client,
  input: StartWorkstationInput,
  config: WorkstationConfig,
  imageId: string,
  deps: TaskDeps,
) {
  const tags = workstationTags(input.case, input.target, 'workstation');
  const response = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: config.instanceType as never,
      MinCount: 1,
      MaxCount: 1,
      NetworkInterfaces: [
        {
          DeviceIndex: 0,
          SubnetId: config.subnetId,
          Groups: [config.securityGroupId],
          AssociatePublicIpAddress: false,
        },
      ],
      IamInstanceProfile: { Arn: config.instanceProfileArn },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      InstanceInitiatedShutdownBehavior: 'terminate',
      ClientToken: clientToken(input, 'workstation'),
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [...tags, { Key: 'Name', Value: `custody-workstation-${input.case.caseId.slice(0, 8)}` }],
        },
        { ResourceType: 'volume', Tags: workstationTags(input.case, input.target, 'workstation-root') },
      ],
    }),
  );
  const instance = response.Instances?.[0];
  if (!instance?.InstanceId) throw new Error('RunInstances returned no instance');
  const availabilityZone = instance.Placement?.AvailabilityZone ?? '';
  await recordWorkstation(deps, input, 'workstation.launched', {
    instanceId: instance.InstanceId,
    imageId,
    instanceType: config.instanceType,
    subnetId: config.subnetId,
    availabilityZone,
  });
  return { instanceId: instance.InstanceId, availabilityZone, launched: true };
}

/** A volume from the forensics-account copy, encrypted with the forensics snapshot key (CreateVolume, EC2 API reference). */
async function createVolume(
  ec2: EC2Client,
  input: StartWorkstationInput,
  deps: TaskDeps,
  copy: { volumeId: string; deviceName: string; snapshotId: string },
  availabilityZone: string,
  device: string,
): Promise<EvidenceVolume> {
  const volume: EvidenceVolume = {
    sourceVolumeId: copy.volumeId,
    sourceDeviceName: copy.deviceName,
    copySnapshotId: copy.snapshotId,
    device,
    stage: 'failed',
  };
  const keyArn = forensicsFor(deps.config, input.target.region).snapshotKeyArn;
  const existing = await existingVolume(ec2, input, copy.snapshotId);
  if (existing) return { ...volume, volumeId: existing, stage: 'creating' };
  try {
    const response = await ec2.send(
      new CreateVolumeCommand({
        ClientToken: clientToken(input, `volume ${copy.snapshotId}`),
        SnapshotId: copy.snapshotId,
        AvailabilityZone: availabilityZone,
        Encrypted: true,
        KmsKeyId: keyArn,
        VolumeType: 'gp3',
        TagSpecifications: [
          {
            ResourceType: 'volume',
            Tags: [
              ...workstationTags(input.case, input.target, 'evidence-volume'),
              { Key: 'custody:copy-of', Value: copy.snapshotId },
            ],
          },
        ],
      }),
    );
    await recordWorkstation(deps, input, 'volume.created', {
      volumeId: response.VolumeId,
      fromSnapshotId: copy.snapshotId,
      sourceVolumeId: copy.volumeId,
      kmsKeyId: keyArn,
    });
    return { ...volume, volumeId: response.VolumeId, stage: 'creating' };
  } catch (error) {
    if (isTransient(error)) throw error;
    return { ...volume, error: errorMessage(error) };
  }
}

/** The evidence volume a re-run of this step already made from the copy, found by its tags (none if deleted since). */
async function existingVolume(
  ec2: EC2Client,
  input: StartWorkstationInput,
  snapshotId: string,
): Promise<string | undefined> {
  const response = await ec2.send(
    new DescribeVolumesCommand({
      Filters: [
        ...workstationTags(input.case, input.target, 'evidence-volume').map((tag) => ({
          Name: `tag:${tag.Key}`,
          Values: [tag.Value],
        })),
        { Name: 'tag:custody:copy-of', Values: [snapshotId] },
        { Name: 'status', Values: ['creating', 'available', 'in-use'] },
      ],
    }),
  );
  return response.Volumes?.find((candidate) => candidate.VolumeId)?.VolumeId;
}

export const startWorkstationTask = defineTask('StartWorkstation', StartWorkstationInputSchema, startWorkstation);
export const handler = lambdaHandler(startWorkstationTask);
