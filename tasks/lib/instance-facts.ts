// What PreserveInstance learns about a target instance, passed read-only to every later step of the Collect phase.
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
  })
  .strict();
export type InstanceFacts = z.infer<typeof InstanceFactsSchema>;
