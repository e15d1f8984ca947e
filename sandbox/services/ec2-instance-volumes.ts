// Sandbox EC2 volumes as the instance side sees them: DescribeVolumes with attachments derived from instances' block-device mappings.
import type { DescribeVolumesCommandInput, DescribeVolumesCommandOutput, Volume } from '@aws-sdk/client-ec2';
import type { CallContext } from '../sandbox';
import type { VolumeState } from '../scenario';
import { attachmentOf, findVolume, matchesFilters, tagList } from './ec2-instance-lookup';

function describeVolumes(ctx: CallContext, input: DescribeVolumesCommandInput): Partial<DescribeVolumesCommandOutput> {
  const wanted = input.VolumeIds?.length ? input.VolumeIds.map((id) => findVolume(ctx, id)) : ctx.regionState.volumes;
  const volumes = wanted
    .map((volume) => renderVolume(ctx, volume))
    .filter((volume) =>
      matchesFilters(
        input.Filters,
        (name) => volumeField(volume, name),
        Object.fromEntries((volume.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      ),
    );
  return { Volumes: volumes };
}

function volumeField(volume: Volume, name: string): readonly string[] | undefined {
  const attachment = volume.Attachments?.[0];
  const fields: Record<string, readonly string[]> = {
    'volume-id': [volume.VolumeId ?? ''],
    status: [volume.State ?? ''],
    'availability-zone': [volume.AvailabilityZone ?? ''],
    encrypted: [String(volume.Encrypted)],
    'volume-type': [volume.VolumeType ?? ''],
    'attachment.instance-id': attachment ? [attachment.InstanceId ?? ''] : [],
    'attachment.device': attachment ? [attachment.Device ?? ''] : [],
    'attachment.delete-on-termination': attachment ? [String(attachment.DeleteOnTermination)] : [],
  };
  return fields[name];
}

function renderVolume(ctx: CallContext, volume: VolumeState): Volume {
  const attachment = attachmentOf(ctx, volume.volumeId);
  const created = new Date(attachment?.instance.launchTime ?? '2026-01-01T00:00:00.000Z');
  return {
    VolumeId: volume.volumeId,
    Size: volume.sizeGiB,
    VolumeType: volume.volumeType as Volume['VolumeType'],
    AvailabilityZone: volume.availabilityZone,
    State: attachment ? 'in-use' : 'available',
    CreateTime: created,
    Encrypted: volume.encrypted,
    // DescribeVolumes names the key by its ARN, never by an alias ("Volume", EC2 API reference).
    ...(volume.encrypted && volume.kmsKeyId ? { KmsKeyId: keyArn(ctx, volume.kmsKeyId) } : {}),
    SnapshotId: '',
    MultiAttachEnabled: false,
    Attachments: attachment
      ? [
          {
            VolumeId: volume.volumeId,
            InstanceId: attachment.instance.instanceId,
            Device: attachment.deviceName,
            State: 'attached',
            AttachTime: new Date(attachment.instance.launchTime),
            DeleteOnTermination: attachment.deleteOnTermination,
          },
        ]
      : [],
    Tags: tagList(volume.tags),
  };
}

function keyArn(ctx: CallContext, keyId: string): string {
  const key = ctx.regionState.kmsKeys.find(
    (candidate) => candidate.arn === keyId || candidate.keyId === keyId || candidate.aliases.includes(keyId),
  );
  return key?.arn ?? keyId;
}

export const ec2InstanceVolumes = {
  DescribeVolumes: describeVolumes,
};
