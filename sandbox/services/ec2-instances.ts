// Sandbox EC2, instance side: DescribeInstances, DescribeVolumes, DescribeInstanceTypes and instance-profile associations, read from the scenario.
import type {
  DescribeIamInstanceProfileAssociationsCommandInput,
  DescribeIamInstanceProfileAssociationsCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeInstanceTypesCommandInput,
  DescribeInstanceTypesCommandOutput,
  Instance,
  InstanceTypeInfo,
  Reservation,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import type { InstanceState } from '../scenario';
import { ec2InstanceAttributes } from './ec2-instance-attributes';
import {
  associationIdFor,
  derivedId,
  findInstance,
  instanceProfileIdFor,
  matchesFilters,
  stateOf,
  tagList,
} from './ec2-instance-lookup';
import { ec2InstanceTags } from './ec2-instance-tags';
import { ec2InstanceVolumes } from './ec2-instance-volumes';

function describeInstances(
  ctx: CallContext,
  input: DescribeInstancesCommandInput,
): Partial<DescribeInstancesCommandOutput> {
  // Every id asked for must exist, or the whole call fails ("DescribeInstances", EC2 API reference).
  const wanted = input.InstanceIds?.length
    ? input.InstanceIds.map((id) => findInstance(ctx, id))
    : ctx.regionState.instances;
  const matching = wanted.filter((instance) =>
    matchesFilters(input.Filters, (name) => instanceField(instance, name), instance.tags),
  );
  const reservations: Reservation[] = matching.map((instance) => ({
    ReservationId: derivedId('r-', instance.instanceId),
    OwnerId: ctx.caller.accountId,
    Groups: [],
    Instances: [renderInstance(ctx, instance)],
  }));
  return { Reservations: reservations };
}

function instanceField(instance: InstanceState, name: string): readonly string[] | undefined {
  const enis = instance.networkInterfaces;
  switch (name) {
    case 'instance-id':
      return [instance.instanceId];
    case 'instance-state-name':
      return [instance.state];
    case 'instance-type':
      return [instance.instanceType];
    case 'vpc-id':
      return [instance.vpcId];
    case 'subnet-id':
      return [instance.subnetId];
    case 'availability-zone':
      return [instance.availabilityZone];
    case 'image-id':
      return [instance.imageId];
    case 'platform':
      return instance.platform === 'windows' ? ['windows'] : [];
    case 'private-ip-address':
      return enis.map((eni) => eni.privateIpAddress);
    case 'ip-address':
      return enis.flatMap((eni) => (eni.publicIpAddress ? [eni.publicIpAddress] : []));
    case 'network-interface.network-interface-id':
      return enis.map((eni) => eni.networkInterfaceId);
    case 'instance.group-id':
      return enis.flatMap((eni) => eni.groups);
    case 'block-device-mapping.volume-id':
      return instance.blockDevices.map((device) => device.volumeId);
    case 'iam-instance-profile.arn':
      return instance.iamInstanceProfileArn ? [instance.iamInstanceProfileArn] : [];
    default:
      return undefined;
  }
}

function renderInstance(ctx: CallContext, instance: InstanceState): Instance {
  const launchTime = new Date(instance.launchTime);
  // A terminated instance keeps no ENIs or volumes; a stopped one loses its auto-assigned public IP
  // ("Amazon EC2 instance state changes", EC2 User Guide).
  const gone = instance.state === 'terminated';
  const hasPublicIp = instance.state === 'running' || instance.state === 'pending';
  const primary = instance.networkInterfaces.find((eni) => eni.deviceIndex === 0) ?? instance.networkInterfaces[0];
  const groupRef = (groupId: string) => ({
    GroupId: groupId,
    GroupName: ctx.regionState.securityGroups.find((sg) => sg.groupId === groupId)?.groupName,
  });
  const dns = (ip: string) => `ip-${ip.replace(/\./g, '-')}.${ctx.region}.compute.internal`;
  return {
    InstanceId: instance.instanceId,
    ImageId: instance.imageId,
    State: stateOf(instance),
    StateTransitionReason: '',
    InstanceType: instance.instanceType as _InstanceType,
    KeyName: instance.keyName,
    AmiLaunchIndex: 0,
    LaunchTime: launchTime,
    Placement: { AvailabilityZone: instance.availabilityZone, Tenancy: 'default', GroupName: '' },
    // Platform is only ever "windows"; Linux instances have no Platform ("Instance", EC2 API reference).
    // The wire value is lower-case "windows", although the SDK's PlatformValues enum spells it "Windows".
    ...(instance.platform === 'windows' ? { Platform: 'windows' as Instance['Platform'] } : {}),
    PlatformDetails: instance.platform === 'windows' ? 'Windows' : 'Linux/UNIX',
    Architecture: 'x86_64',
    Hypervisor: 'xen',
    VirtualizationType: 'hvm',
    RootDeviceType: 'ebs',
    RootDeviceName: instance.rootDeviceName,
    Monitoring: { State: 'disabled' },
    EbsOptimized: false,
    EnaSupport: true,
    ...(gone
      ? { BlockDeviceMappings: [], NetworkInterfaces: [], SecurityGroups: [] }
      : {
          VpcId: instance.vpcId,
          SubnetId: instance.subnetId,
          PrivateIpAddress: primary?.privateIpAddress,
          PrivateDnsName: primary ? dns(primary.privateIpAddress) : undefined,
          PublicIpAddress: hasPublicIp ? primary?.publicIpAddress : undefined,
          SecurityGroups: (primary?.groups ?? []).map(groupRef),
          BlockDeviceMappings: instance.blockDevices.map((device) => ({
            DeviceName: device.deviceName,
            Ebs: {
              VolumeId: device.volumeId,
              DeleteOnTermination: device.deleteOnTermination,
              Status: 'attached' as const,
              AttachTime: launchTime,
            },
          })),
          NetworkInterfaces: instance.networkInterfaces.map((eni) => ({
            NetworkInterfaceId: eni.networkInterfaceId,
            SubnetId: eni.subnetId,
            VpcId: instance.vpcId,
            OwnerId: ctx.caller.accountId,
            Status: 'in-use' as const,
            SourceDestCheck: true,
            PrivateIpAddress: eni.privateIpAddress,
            PrivateDnsName: dns(eni.privateIpAddress),
            ...(eni.publicIpAddress && hasPublicIp
              ? { Association: { PublicIp: eni.publicIpAddress, IpOwnerId: 'amazon' } }
              : {}),
            Groups: eni.groups.map(groupRef),
            Attachment: {
              AttachmentId: derivedId('eni-attach-', eni.networkInterfaceId),
              DeviceIndex: eni.deviceIndex,
              Status: 'attached' as const,
              AttachTime: launchTime,
              DeleteOnTermination: eni.deviceIndex === 0,
            },
          })),
        }),
    ...(instance.iamInstanceProfileArn
      ? {
          IamInstanceProfile: {
            Arn: instance.iamInstanceProfileArn,
            Id: instanceProfileIdFor(instance.iamInstanceProfileArn),
          },
        }
      : {}),
    Tags: tagList(instance.tags),
  };
}

/** Memory and vCPUs of common types, for types no scenario instance uses ("Amazon EC2 instance types" specifications). */
const TYPE_TABLE: Readonly<Record<string, { memoryMiB: number; vcpus: number }>> = {
  't2.micro': { memoryMiB: 1024, vcpus: 1 },
  't3.micro': { memoryMiB: 1024, vcpus: 2 },
  't3.small': { memoryMiB: 2048, vcpus: 2 },
  't3.medium': { memoryMiB: 4096, vcpus: 2 },
  't3.large': { memoryMiB: 8192, vcpus: 2 },
  't3.xlarge': { memoryMiB: 16384, vcpus: 4 },
  'm5.large': { memoryMiB: 8192, vcpus: 2 },
  'm5.xlarge': { memoryMiB: 16384, vcpus: 4 },
  'm6i.large': { memoryMiB: 8192, vcpus: 2 },
  'c5.large': { memoryMiB: 4096, vcpus: 2 },
  'r5.large': { memoryMiB: 16384, vcpus: 2 },
};

function describeInstanceTypes(
  ctx: CallContext,
  input: DescribeInstanceTypesCommandInput,
): Partial<DescribeInstanceTypesCommandOutput> {
  const names = input.InstanceTypes?.length ? input.InstanceTypes : Object.keys(TYPE_TABLE);
  const types: InstanceTypeInfo[] = names.map((name) => {
    // The scenario's memory size wins, so a tabletop can keep memory images small.
    const used = ctx.regionState.instances.find((instance) => instance.instanceType === name);
    const known = TYPE_TABLE[name];
    if (!used && !known)
      throw awsError('InvalidInstanceType', `The following supplied instance types do not exist: [${name}]`);
    // Instance-store disks belong to the instance type, not to DescribeInstances' block-device mappings.
    const disks = used?.instanceStore.length ?? 0;
    return {
      InstanceType: name as _InstanceType,
      CurrentGeneration: true,
      Hypervisor: 'nitro',
      MemoryInfo: { SizeInMiB: used?.memoryMiB ?? known.memoryMiB },
      VCpuInfo: { DefaultVCpus: known?.vcpus ?? 2 },
      InstanceStorageSupported: disks > 0,
      ...(disks > 0
        ? {
            InstanceStorageInfo: {
              TotalSizeInGB: disks * 75,
              Disks: [{ Count: disks, SizeInGB: 75, Type: 'ssd' as const }],
            },
          }
        : {}),
    };
  });
  return { InstanceTypes: types };
}

function describeIamInstanceProfileAssociations(
  ctx: CallContext,
  input: DescribeIamInstanceProfileAssociationsCommandInput,
): Partial<DescribeIamInstanceProfileAssociationsCommandOutput> {
  const associations = ctx.regionState.instances
    .filter((instance) => instance.iamInstanceProfileArn && instance.state !== 'terminated')
    .map((instance) => ({
      AssociationId: associationIdFor(instance.instanceId),
      InstanceId: instance.instanceId,
      IamInstanceProfile: {
        Arn: instance.iamInstanceProfileArn,
        Id: instanceProfileIdFor(instance.iamInstanceProfileArn ?? ''),
      },
      State: 'associated' as const,
      Timestamp: new Date(instance.launchTime),
    }));
  for (const id of input.AssociationIds ?? []) {
    if (!associations.some((association) => association.AssociationId === id)) {
      throw awsError('InvalidAssociationID.NotFound', `An association ID '${id}' does not exist`);
    }
  }
  const selected = input.AssociationIds?.length
    ? associations.filter((association) => input.AssociationIds?.includes(association.AssociationId))
    : associations;
  const fields = (association: (typeof associations)[number]) => (name: string) => {
    const values: Record<string, readonly string[]> = {
      'instance-id': [association.InstanceId],
      state: [association.State],
    };
    return values[name];
  };
  return {
    IamInstanceProfileAssociations: selected.filter((association) =>
      matchesFilters(input.Filters, fields(association), {}),
    ),
  };
}

export const ec2Instances = {
  DescribeInstances: describeInstances,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeIamInstanceProfileAssociations: describeIamInstanceProfileAssociations,
  ...ec2InstanceAttributes,
  ...ec2InstanceTags,
  ...ec2InstanceVolumes,
};
