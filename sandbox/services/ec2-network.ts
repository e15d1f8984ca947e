// EC2 networking in the sandbox: security groups, ENIs, VPC endpoints and prefix lists, with security-group connection tracking.
import { randomBytes } from 'node:crypto';
import type {
  AuthorizeSecurityGroupEgressCommandInput,
  CreateSecurityGroupCommandInput,
  CreateSecurityGroupCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  DescribePrefixListsCommandInput,
  DescribePrefixListsCommandOutput,
  DescribeSecurityGroupsCommandInput,
  DescribeSecurityGroupsCommandOutput,
  DescribeVpcEndpointsCommandInput,
  DescribeVpcEndpointsCommandOutput,
  Filter,
  IpPermission,
  ModifyNetworkInterfaceAttributeCommandInput,
  NetworkInterface,
  NetworkInterfaceType,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import type { RegionState, SecurityGroupState } from '../scenario';
import { reevaluateFlows } from './connection-tracking';

type Rule = SecurityGroupState['ingress'][number];

function filterValues(filters: Filter[] | undefined, name: string): string[] | undefined {
  return filters?.find((filter) => filter.Name === name)?.Values;
}

function matchesTagFilters(tags: Readonly<Record<string, string>>, filters: Filter[] | undefined): boolean {
  for (const filter of filters ?? []) {
    if (filter.Name === 'tag-key' && !(filter.Values ?? []).some((key) => key in tags)) return false;
    if (filter.Name?.startsWith('tag:') && !(filter.Values ?? []).includes(tags[filter.Name.slice(4)] ?? '\u0000'))
      return false;
  }
  return true;
}

function toPermissions(rules: readonly Rule[]): IpPermission[] {
  return rules.map((rule) => ({
    IpProtocol: rule.protocol,
    ...(rule.protocol === '-1' ? {} : { FromPort: rule.fromPort, ToPort: rule.toPort }),
    IpRanges: rule.cidr && !rule.cidr.includes(':') ? [{ CidrIp: rule.cidr }] : [],
    Ipv6Ranges: rule.cidr?.includes(':') ? [{ CidrIpv6: rule.cidr }] : [],
    PrefixListIds: rule.prefixListId ? [{ PrefixListId: rule.prefixListId }] : [],
    UserIdGroupPairs: rule.groupId ? [{ GroupId: rule.groupId }] : [],
  }));
}

/** One sandbox rule per source/destination, as the EC2 console lists them ("Security group rules"). */
function fromPermissions(permissions: readonly IpPermission[] | undefined): Rule[] {
  const rules: Rule[] = [];
  for (const permission of permissions ?? []) {
    const protocol = permission.IpProtocol === 'all' ? '-1' : (permission.IpProtocol ?? '-1');
    const ports = protocol === '-1' ? {} : { fromPort: permission.FromPort, toPort: permission.ToPort };
    for (const range of permission.IpRanges ?? []) rules.push({ protocol, ...ports, cidr: range.CidrIp });
    for (const range of permission.Ipv6Ranges ?? []) rules.push({ protocol, ...ports, cidr: range.CidrIpv6 });
    for (const list of permission.PrefixListIds ?? [])
      rules.push({ protocol, ...ports, prefixListId: list.PrefixListId });
    for (const pair of permission.UserIdGroupPairs ?? []) rules.push({ protocol, ...ports, groupId: pair.GroupId });
  }
  return rules;
}

function sameRule(a: Rule, b: Rule): boolean {
  return (
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidr === b.cidr &&
    a.prefixListId === b.prefixListId &&
    a.groupId === b.groupId
  );
}

function renderGroup(ctx: CallContext, group: SecurityGroupState): SecurityGroup {
  return {
    GroupId: group.groupId,
    GroupName: group.groupName,
    Description: group.description,
    VpcId: group.vpcId,
    OwnerId: ctx.caller.accountId,
    IpPermissions: toPermissions(group.ingress),
    IpPermissionsEgress: toPermissions(group.egress),
    Tags: Object.entries(group.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

export function findGroup(state: RegionState, groupId: string | undefined): SecurityGroupState {
  const group = state.securityGroups.find((candidate) => candidate.groupId === groupId);
  if (!group) throw awsError('InvalidGroup.NotFound', `The security group '${groupId ?? ''}' does not exist`);
  return group;
}

function describeSecurityGroups(
  ctx: CallContext,
  input: DescribeSecurityGroupsCommandInput,
): Partial<DescribeSecurityGroupsCommandOutput> {
  const ids = input.GroupIds;
  for (const id of ids ?? []) findGroup(ctx.regionState, id);
  const vpcIds = filterValues(input.Filters, 'vpc-id');
  const names = input.GroupNames ?? filterValues(input.Filters, 'group-name');
  const groups = ctx.regionState.securityGroups.filter(
    (group) =>
      (!ids || ids.includes(group.groupId)) &&
      (!vpcIds || vpcIds.includes(group.vpcId)) &&
      (!names || names.includes(group.groupName)) &&
      matchesTagFilters(group.tags, input.Filters),
  );
  return { SecurityGroups: groups.map((group) => renderGroup(ctx, group)) };
}

function createSecurityGroup(
  ctx: CallContext,
  input: CreateSecurityGroupCommandInput,
): Partial<CreateSecurityGroupCommandOutput> {
  const vpcId = input.VpcId ?? '';
  if (!ctx.regionState.vpcs.some((vpc) => vpc.vpcId === vpcId))
    throw awsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  if (ctx.regionState.securityGroups.some((group) => group.vpcId === vpcId && group.groupName === input.GroupName)) {
    throw awsError(
      'InvalidGroup.Duplicate',
      `The security group '${input.GroupName ?? ''}' already exists for VPC '${vpcId}'`,
    );
  }
  const tags: Record<string, string> = {};
  for (const spec of input.TagSpecifications ?? [])
    for (const tag of spec.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? '';
  const groupId = `sg-${randomBytes(9).toString('hex').slice(0, 17)}`;
  // A new VPC security group has no inbound rules and one outbound rule allowing all traffic ("Create a security group").
  ctx.regionState.securityGroups.push({
    groupId,
    groupName: input.GroupName ?? '',
    description: input.Description ?? '',
    vpcId,
    ingress: [],
    egress: [{ protocol: '-1', cidr: '0.0.0.0/0' }],
    tags,
  });
  return { GroupId: groupId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
}

function changeRules(direction: 'ingress' | 'egress', change: 'authorize' | 'revoke') {
  return (ctx: CallContext, input: AuthorizeSecurityGroupEgressCommandInput): Record<string, unknown> => {
    const group = findGroup(ctx.regionState, input.GroupId);
    const rules = fromPermissions(input.IpPermissions);
    const current = group[direction];
    for (const rule of rules) {
      const existing = current.findIndex((candidate) => sameRule(candidate, rule));
      if (change === 'authorize' && existing >= 0)
        throw awsError('InvalidPermission.Duplicate', 'the specified rule already exists');
      if (change === 'revoke' && existing < 0)
        throw awsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
    }
    group[direction] =
      change === 'authorize'
        ? [...current, ...rules]
        : current.filter((candidate) => !rules.some((rule) => sameRule(candidate, rule)));
    for (const eni of interfacesOf(ctx.regionState))
      if (eni.groups.includes(group.groupId)) reevaluateFlows(ctx.regionState, eni.networkInterfaceId);
    return { Return: true };
  };
}

interface EniView {
  readonly networkInterfaceId: string;
  readonly groups: string[];
  readonly instanceId?: string;
  readonly deviceIndex?: number;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly privateIpAddress: string;
  readonly publicIpAddress?: string;
  readonly interfaceType: NetworkInterfaceType;
  readonly set?: (groups: string[]) => void;
}

/** Every ENI in the region: those of instances not terminated (their ENIs are deleted with them) and those of interface endpoints. */
function interfacesOf(state: RegionState): EniView[] {
  const views: EniView[] = [];
  for (const instance of state.instances) {
    if (instance.state === 'terminated') continue;
    for (const eni of instance.networkInterfaces) {
      views.push({
        networkInterfaceId: eni.networkInterfaceId,
        groups: eni.groups,
        instanceId: instance.instanceId,
        deviceIndex: eni.deviceIndex,
        subnetId: eni.subnetId,
        vpcId: instance.vpcId,
        privateIpAddress: eni.privateIpAddress,
        publicIpAddress: eni.publicIpAddress,
        interfaceType: 'interface',
        set: (groups) => {
          eni.groups = groups;
        },
      });
    }
  }
  for (const vpc of state.vpcs) {
    for (const endpoint of vpc.endpoints) {
      endpoint.cidrs.forEach((cidr, index) => {
        views.push({
          networkInterfaceId: endpointEniId(endpoint.vpcEndpointId, index),
          groups: [],
          subnetId: state.subnets.find((subnet) => subnet.vpcId === vpc.vpcId)?.subnetId ?? '',
          vpcId: vpc.vpcId,
          privateIpAddress: cidr.replace(/\/\d+$/, ''),
          interfaceType: 'vpc_endpoint',
        });
      });
    }
  }
  return views;
}

function endpointEniId(vpcEndpointId: string, index: number): string {
  return `eni-${vpcEndpointId.replace(/^vpce-/, '')}${index.toString(16)}`;
}

function renderInterface(state: RegionState, eni: EniView): NetworkInterface {
  return {
    NetworkInterfaceId: eni.networkInterfaceId,
    InterfaceType: eni.interfaceType,
    Status: 'in-use',
    SubnetId: eni.subnetId,
    VpcId: eni.vpcId,
    PrivateIpAddress: eni.privateIpAddress,
    ...(eni.publicIpAddress ? { Association: { PublicIp: eni.publicIpAddress } } : {}),
    Groups: eni.groups.map((groupId) => ({
      GroupId: groupId,
      GroupName: state.securityGroups.find((group) => group.groupId === groupId)?.groupName,
    })),
    ...(eni.instanceId
      ? { Attachment: { InstanceId: eni.instanceId, DeviceIndex: eni.deviceIndex, Status: 'attached' } }
      : {}),
  };
}

function describeNetworkInterfaces(
  ctx: CallContext,
  input: DescribeNetworkInterfacesCommandInput,
): Partial<DescribeNetworkInterfacesCommandOutput> {
  const all = interfacesOf(ctx.regionState);
  const ids = input.NetworkInterfaceIds;
  for (const id of ids ?? []) {
    if (!all.some((eni) => eni.networkInterfaceId === id))
      throw awsError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
  }
  const instanceIds = filterValues(input.Filters, 'attachment.instance-id');
  const vpcIds = filterValues(input.Filters, 'vpc-id');
  const groupIds = filterValues(input.Filters, 'group-id');
  const selected = all.filter(
    (eni) =>
      (!ids || ids.includes(eni.networkInterfaceId)) &&
      (!instanceIds || (eni.instanceId !== undefined && instanceIds.includes(eni.instanceId))) &&
      (!vpcIds || vpcIds.includes(eni.vpcId)) &&
      (!groupIds || eni.groups.some((group) => groupIds.includes(group))),
  );
  return { NetworkInterfaces: selected.map((eni) => renderInterface(ctx.regionState, eni)) };
}

function modifyNetworkInterfaceAttribute(
  ctx: CallContext,
  input: ModifyNetworkInterfaceAttributeCommandInput,
): Record<string, never> {
  const eni = interfacesOf(ctx.regionState).find(
    (candidate) => candidate.networkInterfaceId === input.NetworkInterfaceId && candidate.set,
  );
  if (!eni?.set)
    throw awsError(
      'InvalidNetworkInterfaceID.NotFound',
      `The networkInterface ID '${input.NetworkInterfaceId ?? ''}' does not exist`,
    );
  if (!input.Groups)
    throw awsError(
      'InvalidParameterCombination',
      'the sandbox models only the Groups attribute of ModifyNetworkInterfaceAttribute',
    );
  if (input.Groups.length === 0) throw awsError('MissingParameter', 'at least one security group is required');
  // Default quota: five security groups per network interface ("Amazon VPC quotas").
  if (input.Groups.length > 5)
    throw awsError(
      'SecurityGroupsPerInterfaceLimitExceeded',
      'You have exceeded the maximum number of security groups per network interface',
    );
  for (const groupId of input.Groups) {
    const group = findGroup(ctx.regionState, groupId);
    if (group.vpcId !== eni.vpcId)
      throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist in VPC '${eni.vpcId}'`);
  }
  eni.set([...new Set(input.Groups)]);
  reevaluateFlows(ctx.regionState, eni.networkInterfaceId);
  return {};
}

function describeVpcEndpoints(
  ctx: CallContext,
  input: DescribeVpcEndpointsCommandInput,
): Partial<DescribeVpcEndpointsCommandOutput> {
  const vpcIds = filterValues(input.Filters, 'vpc-id');
  const services = filterValues(input.Filters, 'service-name');
  const endpoints = ctx.regionState.vpcs.flatMap((vpc) =>
    vpc.endpoints
      .filter(
        (endpoint) => (!vpcIds || vpcIds.includes(vpc.vpcId)) && (!services || services.includes(endpoint.serviceName)),
      )
      .filter((endpoint) => !input.VpcEndpointIds || input.VpcEndpointIds.includes(endpoint.vpcEndpointId))
      .map((endpoint) => ({
        VpcEndpointId: endpoint.vpcEndpointId,
        VpcEndpointType: endpoint.prefixListId ? ('Gateway' as const) : ('Interface' as const),
        VpcId: vpc.vpcId,
        ServiceName: endpoint.serviceName,
        State: 'Available' as const,
        NetworkInterfaceIds: endpoint.cidrs.map((_, index) => endpointEniId(endpoint.vpcEndpointId, index)),
      })),
  );
  return { VpcEndpoints: endpoints };
}

/** AWS-managed prefix lists: the sandbox knows those of gateway endpoints, named by service ("Gateway endpoints"). */
function describePrefixLists(
  ctx: CallContext,
  input: DescribePrefixListsCommandInput,
): Partial<DescribePrefixListsCommandOutput> {
  const names = filterValues(input.Filters, 'prefix-list-name');
  const lists = ctx.regionState.vpcs
    .flatMap((vpc) => vpc.endpoints)
    .filter((endpoint) => endpoint.prefixListId && (!names || names.includes(endpoint.serviceName)))
    .filter((endpoint) => !input.PrefixListIds || input.PrefixListIds.includes(endpoint.prefixListId ?? ''));
  const unique = new Map(lists.map((endpoint) => [endpoint.prefixListId ?? '', endpoint.serviceName]));
  return {
    PrefixLists: [...unique].map(([PrefixListId, PrefixListName]) => ({ PrefixListId, PrefixListName, Cidrs: [] })),
  };
}

export const ec2Network = {
  DescribeSecurityGroups: describeSecurityGroups,
  CreateSecurityGroup: createSecurityGroup,
  AuthorizeSecurityGroupIngress: changeRules('ingress', 'authorize'),
  AuthorizeSecurityGroupEgress: changeRules('egress', 'authorize'),
  RevokeSecurityGroupIngress: changeRules('ingress', 'revoke'),
  RevokeSecurityGroupEgress: changeRules('egress', 'revoke'),
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  ModifyNetworkInterfaceAttribute: modifyNetworkInterfaceAttribute,
  DescribeVpcEndpoints: describeVpcEndpoints,
  DescribePrefixLists: describePrefixLists,
};
