// Sandbox EC2 instance attributes and console: Describe/ModifyInstanceAttribute, GetConsoleOutput, GetConsoleScreenshot.
import type {
  DescribeInstanceAttributeCommandInput,
  DescribeInstanceAttributeCommandOutput,
  GetConsoleOutputCommandInput,
  GetConsoleOutputCommandOutput,
  GetConsoleScreenshotCommandInput,
  GetConsoleScreenshotCommandOutput,
  ModifyInstanceAttributeCommandInput,
  ModifyInstanceAttributeCommandOutput,
} from '@aws-sdk/client-ec2';
import { awsError, unsupported } from '../errors';
import type { CallContext } from '../sandbox';
import type { InstanceState } from '../scenario';
import { findInstance } from './ec2-instance-lookup';
import { screenshotJpeg } from './ec2-screenshot';

function describeInstanceAttribute(
  ctx: CallContext,
  input: DescribeInstanceAttributeCommandInput,
): Partial<DescribeInstanceAttributeCommandOutput> {
  const instance = findInstance(ctx, input.InstanceId);
  const base = { InstanceId: instance.instanceId };
  switch (input.Attribute) {
    case 'disableApiTermination':
      return { ...base, DisableApiTermination: { Value: instance.disableApiTermination } };
    case 'instanceInitiatedShutdownBehavior':
      return { ...base, InstanceInitiatedShutdownBehavior: { Value: instance.instanceInitiatedShutdownBehavior } };
    case 'instanceType':
      return { ...base, InstanceType: { Value: instance.instanceType } };
    case 'rootDeviceName':
      return { ...base, RootDeviceName: { Value: instance.rootDeviceName } };
    case 'blockDeviceMapping':
      return {
        ...base,
        BlockDeviceMappings: instance.blockDevices.map((device) => ({
          DeviceName: device.deviceName,
          Ebs: {
            VolumeId: device.volumeId,
            DeleteOnTermination: device.deleteOnTermination,
            Status: 'attached',
            AttachTime: new Date(instance.launchTime),
          },
        })),
      };
    case 'groupSet':
      return { ...base, Groups: primaryInterface(instance).groups.map((groupId) => ({ GroupId: groupId })) };
    default:
      throw unsupported('EC2', `DescribeInstanceAttribute(${String(input.Attribute)})`);
  }
}

/**
 * One attribute per call, given either as its own field or as Attribute + Value; a terminated instance cannot be modified
 * ("ModifyInstanceAttribute", EC2 API reference; IncorrectInstanceState in "Error codes for the Amazon EC2 API").
 */
function modifyInstanceAttribute(
  ctx: CallContext,
  input: ModifyInstanceAttributeCommandInput,
): Partial<ModifyInstanceAttributeCommandOutput> {
  const instance = findInstance(ctx, input.InstanceId);
  const given = [
    input.DisableApiTermination,
    input.InstanceInitiatedShutdownBehavior,
    input.BlockDeviceMappings,
    input.Groups,
    input.Attribute,
    input.SourceDestCheck,
    input.InstanceType,
    input.UserData,
    input.EbsOptimized,
    input.DisableApiStop,
  ].filter((value) => value !== undefined);
  if (given.length !== 1)
    throw awsError('InvalidParameterCombination', 'Exactly one attribute must be specified per request.');
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    throw awsError(
      'IncorrectInstanceState',
      `The instance '${instance.instanceId}' is not in a state from which it can be modified.`,
    );
  }
  const legacy = input.Attribute ? { name: input.Attribute, value: input.Value ?? '' } : undefined;
  const termination =
    input.DisableApiTermination?.Value ??
    (legacy?.name === 'disableApiTermination' ? legacy.value === 'true' : undefined);
  const shutdown =
    input.InstanceInitiatedShutdownBehavior?.Value ??
    (legacy?.name === 'instanceInitiatedShutdownBehavior' ? legacy.value : undefined);
  if (termination !== undefined) {
    instance.disableApiTermination = termination;
  } else if (shutdown !== undefined) {
    if (shutdown !== 'stop' && shutdown !== 'terminate')
      throw awsError(
        'InvalidParameterValue',
        `Value (${shutdown}) for parameter instanceInitiatedShutdownBehavior is invalid.`,
      );
    instance.instanceInitiatedShutdownBehavior = shutdown;
  } else if (input.BlockDeviceMappings) {
    setDeleteOnTermination(instance, input.BlockDeviceMappings);
  } else if (input.Groups) {
    setGroups(ctx, instance, input.Groups);
  } else {
    throw unsupported('EC2', `ModifyInstanceAttribute(${legacy?.name ?? 'attribute'})`);
  }
  return {};
}

function setDeleteOnTermination(
  instance: InstanceState,
  mappings: NonNullable<ModifyInstanceAttributeCommandInput['BlockDeviceMappings']>,
): void {
  // Validate every mapping first so a bad one changes nothing.
  const changes = mappings.map((mapping) => {
    const device = instance.blockDevices.find((candidate) => candidate.deviceName === mapping.DeviceName);
    if (!device)
      throw awsError(
        'InvalidInstanceAttributeValue',
        `No device is currently mapped at ${mapping.DeviceName ?? '(none)'}`,
      );
    if (mapping.Ebs?.VolumeId && mapping.Ebs.VolumeId !== device.volumeId) {
      throw awsError('InvalidParameterValue', `Volume ${mapping.Ebs.VolumeId} is not attached at ${device.deviceName}`);
    }
    // An omitted DeleteOnTermination means true ("InstanceBlockDeviceMappingSpecification", EC2 API reference).
    return { device, value: mapping.Ebs?.DeleteOnTermination ?? true };
  });
  for (const { device, value } of changes) device.deleteOnTermination = value;
}

function setGroups(ctx: CallContext, instance: InstanceState, groups: readonly string[]): void {
  // With several ENIs AWS refuses the instance-level change and asks for ModifyNetworkInterfaceAttribute instead.
  if (instance.networkInterfaces.length > 1) {
    throw awsError(
      'InvalidInstanceID',
      `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
    );
  }
  for (const groupId of groups) {
    if (!ctx.regionState.securityGroups.some((group) => group.groupId === groupId)) {
      throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    }
  }
  primaryInterface(instance).groups = [...groups];
}

function primaryInterface(instance: InstanceState): InstanceState['networkInterfaces'][number] {
  return instance.networkInterfaces.find((eni) => eni.deviceIndex === 0) ?? instance.networkInterfaces[0];
}

/** Only the most recent 64 KB of console output is kept ("GetConsoleOutput", EC2 API reference). */
const CONSOLE_LIMIT = 64 * 1024;

function getConsoleOutput(
  ctx: CallContext,
  input: GetConsoleOutputCommandInput,
): Partial<GetConsoleOutputCommandOutput> {
  const instance = findInstance(ctx, input.InstanceId);
  const bytes = Buffer.from(instance.consoleOutput, 'utf8');
  const kept = bytes.subarray(Math.max(0, bytes.length - CONSOLE_LIMIT));
  return {
    InstanceId: instance.instanceId,
    Timestamp: new Date(),
    // With nothing buffered yet, AWS returns no Output at all.
    ...(kept.length > 0 ? { Output: kept.toString('base64') } : {}),
  };
}

function getConsoleScreenshot(
  ctx: CallContext,
  input: GetConsoleScreenshotCommandInput,
): Partial<GetConsoleScreenshotCommandOutput> {
  const instance = findInstance(ctx, input.InstanceId);
  if (instance.state !== 'running') {
    throw awsError('IncorrectInstanceState', `The instance '${instance.instanceId}' is not in the 'running' state.`);
  }
  return { InstanceId: instance.instanceId, ImageData: screenshotJpeg(160, 120).toString('base64') };
}

export const ec2InstanceAttributes = {
  DescribeInstanceAttribute: describeInstanceAttribute,
  ModifyInstanceAttribute: modifyInstanceAttribute,
  GetConsoleOutput: getConsoleOutput,
  GetConsoleScreenshot: getConsoleScreenshot,
};
