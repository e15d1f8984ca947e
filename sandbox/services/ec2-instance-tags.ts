// Sandbox EC2 tagging: CreateTags and DeleteTags on any resource of the region (instances, volumes, snapshots, groups, ENIs, VPCs, subnets).
import type {
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  DeleteTagsCommandInput,
  DeleteTagsCommandOutput,
} from '@aws-sdk/client-ec2';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import { findInstance } from './ec2-instance-lookup';

type TagMap = Record<string, string>;

/** A resource type the sandbox can tag: where its tags live and the error AWS gives for an unknown id of that type. */
interface Taggable {
  readonly notFound: string;
  readonly tagsOf: (ctx: CallContext, id: string) => TagMap | undefined;
}

const TAGGABLE: Readonly<Record<string, Taggable>> = {
  i: { notFound: 'InvalidInstanceID.NotFound', tagsOf: (ctx, id) => findInstance(ctx, id).tags },
  vol: {
    notFound: 'InvalidVolume.NotFound',
    tagsOf: (ctx, id) => ctx.regionState.volumes.find((volume) => volume.volumeId === id)?.tags,
  },
  snap: {
    notFound: 'InvalidSnapshot.NotFound',
    tagsOf: (ctx, id) => ctx.regionState.snapshots.find((snapshot) => snapshot.snapshotId === id)?.tags,
  },
  sg: {
    notFound: 'InvalidGroup.NotFound',
    tagsOf: (ctx, id) => ctx.regionState.securityGroups.find((group) => group.groupId === id)?.tags,
  },
  eni: {
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    tagsOf: (ctx, id) => {
      const eni = ctx.regionState.instances
        .flatMap((instance) => instance.networkInterfaces)
        .find((candidate) => candidate.networkInterfaceId === id);
      if (eni) eni.tags ??= {};
      return eni?.tags;
    },
  },
  vpc: {
    notFound: 'InvalidVpcID.NotFound',
    tagsOf: (ctx, id) => ctx.regionState.vpcs.find((vpc) => vpc.vpcId === id)?.tags,
  },
  subnet: {
    notFound: 'InvalidSubnetID.NotFound',
    tagsOf: (ctx, id) => ctx.regionState.subnets.find((subnet) => subnet.subnetId === id)?.tags,
  },
};

/** At most 50 tags per resource ("Tag your Amazon EC2 resources", tag restrictions). */
const MAX_TAGS = 50;

/** The tag map of every resource named, resolved before anything changes so a bad id leaves all resources untouched. */
function resolve(ctx: CallContext, resources: readonly string[] | undefined): TagMap[] {
  if (!resources?.length) throw awsError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  return resources.map((id) => {
    const prefix = /^([a-z]+)-[0-9a-z]+$/.exec(id)?.[1];
    const kind = prefix ? TAGGABLE[prefix] : undefined;
    // An id of no known shape is InvalidID ("Error codes for the Amazon EC2 API").
    if (!kind) throw awsError('InvalidID', `The ID '${id}' is not valid`);
    const tags = kind.tagsOf(ctx, id);
    if (!tags) throw awsError(kind.notFound, `The ID '${id}' does not exist`);
    return tags;
  });
}

function createTags(ctx: CallContext, input: CreateTagsCommandInput): Partial<CreateTagsCommandOutput> {
  const tags = input.Tags ?? [];
  for (const tag of tags) {
    // The aws: prefix is reserved for AWS's own tags ("Tag restrictions", EC2 User Guide).
    if (!tag.Key || tag.Key.toLowerCase().startsWith('aws:')) {
      throw awsError(
        'InvalidParameterValue',
        `Tag key '${tag.Key ?? ''}' is invalid: keys must be non-empty and cannot start with 'aws:'`,
      );
    }
  }
  const targets = resolve(ctx, input.Resources);
  for (const target of targets) {
    const keys = new Set([...Object.keys(target), ...tags.map((tag) => tag.Key ?? '')]);
    if (keys.size > MAX_TAGS)
      throw awsError('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) for a resource has been reached.`);
  }
  for (const target of targets) {
    for (const tag of tags) target[tag.Key ?? ''] = tag.Value ?? '';
  }
  return {};
}

/** Without Tags every user tag goes; a tag with a Value only goes when the value matches ("DeleteTags", EC2 API reference). */
function deleteTags(ctx: CallContext, input: DeleteTagsCommandInput): Partial<DeleteTagsCommandOutput> {
  for (const target of resolve(ctx, input.Resources)) {
    if (!input.Tags) {
      for (const key of Object.keys(target)) if (!key.startsWith('aws:')) delete target[key];
      continue;
    }
    for (const tag of input.Tags) {
      const key = tag.Key ?? '';
      if (!(key in target)) continue;
      if (tag.Value === undefined || target[key] === tag.Value) delete target[key];
    }
  }
  return {};
}

export const ec2InstanceTags = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
};
