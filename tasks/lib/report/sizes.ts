// A dry run's estimate needs each target's volume and memory sizes: read-only EC2 describe calls, which change nothing.
import { DescribeInstanceTypesCommand, DescribeInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import type { _InstanceType } from '@aws-sdk/client-ec2';
import type { Gap, Target } from '../case';
import { TRANSIENT_AWS_ERRORS, errorMessage, errorName } from '../errors';
import type { TaskDeps } from '../task';
import type { InstanceSize } from './model';

/** Volumes (DescribeVolumes Size, GiB) and memory (DescribeInstanceTypes MemoryInfo.SizeInMiB) of each target; a failure is a gap. */
export async function describeSizes(targets: readonly Target[], deps: TaskDeps, gaps: Gap[]): Promise<InstanceSize[]> {
  const sizes: InstanceSize[] = [];
  for (const target of targets) {
    try {
      const ec2 = deps.clients.member(target.accountId, target.region).ec2();
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [target.instanceId] }));
      const instance = described.Reservations?.[0]?.Instances?.[0];
      const volumeIds = (instance?.BlockDeviceMappings ?? [])
        .map((mapping) => mapping.Ebs?.VolumeId)
        .filter((id): id is string => Boolean(id));
      const volumes =
        volumeIds.length > 0
          ? ((await ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }))).Volumes ?? [])
          : [];
      const type = instance?.InstanceType
        ? (
            await ec2.send(
              new DescribeInstanceTypesCommand({ InstanceTypes: [instance.InstanceType as _InstanceType] }),
            )
          ).InstanceTypes?.[0]
        : undefined;
      sizes.push({
        instanceId: target.instanceId,
        volumes: volumes.map((volume) => ({ volumeId: volume.VolumeId ?? 'unknown', sizeGiB: volume.Size ?? 0 })),
        ...(type?.MemoryInfo?.SizeInMiB !== undefined ? { memoryMiB: type.MemoryInfo.SizeInMiB } : {}),
      });
    } catch (error) {
      if (TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
      gaps.push({
        target: target.instanceId,
        step: 'RenderReport',
        reason: `sizes for the dry-run estimate could not be read: ${errorMessage(error)}`,
        error: errorName(error),
      });
    }
  }
  return sizes;
}
