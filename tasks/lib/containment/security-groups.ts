// The security groups containment uses, found or created once per VPC and reused by later cases: untrack, and isolation per policy.
import type { EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribePrefixListsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import type { IsolationPolicy } from '../case';

export const ISOLATION_TAG = 'custody:isolation';

/** The kinds of group containment manages; the tag value says which. */
export type GroupKind = 'untrack' | 'no-egress' | 'endpoints-only';

export const GROUP_NAMES: Readonly<Record<GroupKind, string>> = {
  untrack: 'custody-untrack-all-traffic',
  'no-egress': 'custody-isolation',
  'endpoints-only': 'custody-isolation-ssm-endpoints',
};

const DESCRIPTIONS: Readonly<Record<GroupKind, string>> = {
  untrack: 'Custody: allows all traffic so tracked flows become untracked before isolation; used for seconds only',
  'no-egress': 'Custody: forensic isolation, no inbound and no outbound traffic',
  'endpoints-only': 'Custody: forensic isolation, HTTPS out to the VPC endpoints of SSM and S3 only',
};

/** The isolation group a policy ends with: capture-first isolates fully, its difference is that capture runs before this step. */
export function isolationKind(policy: IsolationPolicy): GroupKind {
  return policy === 'endpoints-only' ? 'endpoints-only' : 'no-egress';
}

const ALL_TRAFFIC: IpPermission = {
  IpProtocol: '-1',
  IpRanges: [{ CidrIp: '0.0.0.0/0' }],
  Ipv6Ranges: [{ CidrIpv6: '::/0' }],
};
const DEFAULT_EGRESS: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

/** The SSM endpoints the agent needs ("Use VPC endpoints to improve the security of EC2 instances", Systems Manager). */
export const SSM_SERVICES = ['ssm', 'ssmmessages', 'ec2messages'] as const;

export interface ManagedGroup {
  readonly groupId: string;
  readonly created: boolean;
}

export async function findManagedGroup(ec2: EC2Client, vpcId: string, kind: GroupKind): Promise<string | undefined> {
  const result = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: `tag:${ISOLATION_TAG}`, Values: [kind] },
      ],
    }),
  );
  return result.SecurityGroups?.[0]?.GroupId;
}

export interface EndpointEgress {
  readonly permissions: IpPermission[];
  /** Services the instance could still reach (ssm, ssmmessages, ec2messages, s3). */
  readonly reachable: string[];
  readonly missing: string[];
}

/** HTTPS egress to the VPC's interface endpoint addresses and the S3 gateway prefix list. */
export async function endpointEgress(ec2: EC2Client, vpcId: string, region: string): Promise<EndpointEgress> {
  const wanted = [...SSM_SERVICES, 's3'].map((service) => `com.amazonaws.${region}.${service}`);
  const endpoints =
    (
      await ec2.send(
        new DescribeVpcEndpointsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'service-name', Values: wanted },
          ],
        }),
      )
    ).VpcEndpoints ?? [];
  const permissions: IpPermission[] = [];
  const reachable: string[] = [];
  for (const endpoint of endpoints) {
    const service = (endpoint.ServiceName ?? '').split('.').pop() ?? '';
    if (endpoint.VpcEndpointType === 'Gateway') {
      // A gateway endpoint is reached through the service's AWS-managed prefix list ("Gateway endpoints for Amazon S3").
      const lists = await ec2.send(
        new DescribePrefixListsCommand({
          Filters: [{ Name: 'prefix-list-name', Values: [endpoint.ServiceName ?? ''] }],
        }),
      );
      const listId = lists.PrefixLists?.[0]?.PrefixListId;
      if (!listId) continue;
      permissions.push({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: listId }] });
      reachable.push(service);
      continue;
    }
    const eniIds = endpoint.NetworkInterfaceIds ?? [];
    if (eniIds.length === 0) continue;
    const enis =
      (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds }))).NetworkInterfaces ?? [];
    const ranges = enis.filter((eni) => eni.PrivateIpAddress).map((eni) => ({ CidrIp: `${eni.PrivateIpAddress}/32` }));
    if (ranges.length === 0) continue;
    permissions.push({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: ranges });
    reachable.push(service);
  }
  const missing = [...SSM_SERVICES, 's3'].filter((service) => !reachable.includes(service));
  return { permissions, reachable: [...new Set(reachable)].sort(), missing };
}

/**
 * Finds the group of this kind in the VPC, or creates it: a new group comes with an allow-all egress rule, which the
 * isolation groups revoke, and the untrack group gets all traffic in and out ("Untracked connections").
 */
export async function ensureManagedGroup(
  ec2: EC2Client,
  vpcId: string,
  kind: GroupKind,
  egress: IpPermission[] = [],
): Promise<ManagedGroup> {
  const existing = await findManagedGroup(ec2, vpcId, kind);
  if (existing) return { groupId: existing, created: false };
  const created = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: GROUP_NAMES[kind],
      Description: DESCRIPTIONS[kind],
      VpcId: vpcId,
      TagSpecifications: [
        {
          ResourceType: 'security-group',
          Tags: [
            { Key: ISOLATION_TAG, Value: kind },
            { Key: 'Name', Value: GROUP_NAMES[kind] },
          ],
        },
      ],
    }),
  );
  const groupId = created.GroupId ?? '';
  if (kind === 'untrack') {
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [ALL_TRAFFIC] }));
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
      }),
    );
    return { groupId, created: true };
  }
  await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [DEFAULT_EGRESS] }));
  if (egress.length > 0)
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: egress }));
  return { groupId, created: true };
}

export interface InterfaceGroups {
  readonly networkInterfaceId: string;
  readonly deviceIndex: number;
  readonly groups: string[];
}

/** Every ENI attached to the instance now, primary first: containment must move all of them, not only eth0. */
export async function instanceInterfaces(ec2: EC2Client, instanceId: string): Promise<InterfaceGroups[]> {
  const result = await ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
  );
  return (result.NetworkInterfaces ?? [])
    .map((eni) => ({
      networkInterfaceId: eni.NetworkInterfaceId ?? '',
      deviceIndex: eni.Attachment?.DeviceIndex ?? 0,
      groups: (eni.Groups ?? []).map((group) => group.GroupId ?? ''),
    }))
    .sort((a, b) => a.deviceIndex - b.deviceIndex);
}
