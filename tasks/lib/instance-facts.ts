// What PreserveInstance learns about a target instance, passed read-only to every later step of the Collect phase.
import type { Instance, InstanceTypeInfo, Volume } from '@aws-sdk/client-ec2';
import { z } from 'zod';

export const InstanceVolumeSchema = z
  .object({
    volumeId: z.string(),
    deviceName: z.string(),
    sizeGiB: z.number().int().nonnegative(),
    encrypted: z.boolean(),
    kmsKeyId: z.string().optional(),
    deleteOnTermination: z.boolean(),
  })
  .strict();
export type InstanceVolume = z.infer<typeof InstanceVolumeSchema>;

export const InstanceNetworkInterfaceSchema = z
  .object({
    networkInterfaceId: z.string(),
    deviceIndex: z.number().int(),
    privateIpAddress: z.string().optional(),
    publicIpAddress: z.string().optional(),
    groups: z.array(z.string()),
  })
  .strict();
export type InstanceNetworkInterface = z.infer<typeof InstanceNetworkInterfaceSchema>;

export const InstanceFactsSchema = z
  .object({
    instanceId: z.string(),
    state: z.string(),
    platform: z.enum(['linux', 'windows']),
    instanceType: z.string(),
    memoryMiB: z.number().int().nonnegative().optional(),
    availabilityZone: z.string(),
    vpcId: z.string().optional(),
    subnetId: z.string().optional(),
    networkInterfaces: z.array(InstanceNetworkInterfaceSchema),
    volumes: z.array(InstanceVolumeSchema),
    /** Instance-store devices: ephemeral, cannot be snapshotted. */
    instanceStore: z.array(z.string()),
    iamInstanceProfileArn: z.string().optional(),
    autoScalingGroupName: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    imageId: z.string().optional(),
    /** ISO-8601 launch time, for the report's timeline. */
    launchTime: z.string().optional(),
    /** EC2's billing platform ("Linux/UNIX", "Windows", …). */
    platformDetails: z.string().optional(),
  })
  .strict();
export type InstanceFacts = z.infer<typeof InstanceFactsSchema>;

/** The tag EC2 Auto Scaling puts on the instances it launches ("Tag Auto Scaling groups and instances"). */
const ASG_TAG = 'aws:autoscaling:groupName';

/**
 * Facts from DescribeInstances, DescribeVolumes and DescribeInstanceTypes. A volume DescribeVolumes did not return is kept
 * with size 0 and unknown encryption rather than dropped: the snapshot step must still see it.
 */
export function instanceFactsFrom(
  instance: Instance,
  volumes: readonly Volume[],
  type: InstanceTypeInfo | undefined,
): InstanceFacts {
  const tags = Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const ebs = (instance.BlockDeviceMappings ?? []).filter((mapping) => mapping.Ebs?.VolumeId);
  // Instance-store disks come with the instance type and never appear in the instance's block-device mappings
  // ("Instance store volume limits", EC2 User Guide); EC2 names them ephemeral0…N.
  const disks = (type?.InstanceStorageInfo?.Disks ?? []).reduce((sum, disk) => sum + (disk.Count ?? 0), 0);
  return {
    instanceId: instance.InstanceId ?? '',
    state: instance.State?.Name ?? 'unknown',
    // Platform is set (to "windows") only for Windows instances ("Instance", EC2 API reference).
    platform: (instance.Platform ?? '').toLowerCase() === 'windows' ? 'windows' : 'linux',
    instanceType: instance.InstanceType ?? 'unknown',
    ...(type?.MemoryInfo?.SizeInMiB !== undefined ? { memoryMiB: type.MemoryInfo.SizeInMiB } : {}),
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    ...(instance.VpcId ? { vpcId: instance.VpcId } : {}),
    ...(instance.SubnetId ? { subnetId: instance.SubnetId } : {}),
    networkInterfaces: (instance.NetworkInterfaces ?? []).map((eni) => ({
      networkInterfaceId: eni.NetworkInterfaceId ?? '',
      deviceIndex: eni.Attachment?.DeviceIndex ?? 0,
      ...(eni.PrivateIpAddress ? { privateIpAddress: eni.PrivateIpAddress } : {}),
      ...(eni.Association?.PublicIp ? { publicIpAddress: eni.Association.PublicIp } : {}),
      groups: (eni.Groups ?? []).map((group) => group.GroupId ?? ''),
    })),
    volumes: ebs.map((mapping) => {
      const volume = volumes.find((candidate) => candidate.VolumeId === mapping.Ebs?.VolumeId);
      return {
        volumeId: mapping.Ebs?.VolumeId ?? '',
        deviceName: mapping.DeviceName ?? '',
        sizeGiB: volume?.Size ?? 0,
        encrypted: volume?.Encrypted ?? false,
        ...(volume?.KmsKeyId ? { kmsKeyId: volume.KmsKeyId } : {}),
        deleteOnTermination: mapping.Ebs?.DeleteOnTermination ?? true,
      };
    }),
    instanceStore: Array.from({ length: disks }, (_, index) => `ephemeral${index}`),
    ...(instance.IamInstanceProfile?.Arn ? { iamInstanceProfileArn: instance.IamInstanceProfile.Arn } : {}),
    ...(tags[ASG_TAG] ? { autoScalingGroupName: tags[ASG_TAG] } : {}),
    tags,
    ...(instance.ImageId ? { imageId: instance.ImageId } : {}),
    ...(instance.LaunchTime ? { launchTime: instance.LaunchTime.toISOString() } : {}),
    ...(instance.PlatformDetails ? { platformDetails: instance.PlatformDetails } : {}),
  };
}
