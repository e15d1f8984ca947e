// Where an instance sits in its fleet: its Auto Scaling group membership and every ELBv2 target group it is registered in.
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

export interface AsgMembership {
  readonly autoScalingGroupName: string;
  readonly lifecycleState: string;
  readonly desiredCapacity: number;
  readonly minSize: number;
  readonly maxSize: number;
}

export interface TargetRegistration {
  readonly targetGroupArn: string;
  readonly port: number;
}

export async function asgMembership(
  autoScaling: AutoScalingClient,
  instanceId: string,
): Promise<AsgMembership | undefined> {
  const found = (await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })))
    .AutoScalingInstances?.[0];
  if (!found?.AutoScalingGroupName) return undefined;
  const group = (
    await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [found.AutoScalingGroupName] }),
    )
  ).AutoScalingGroups?.[0];
  return {
    autoScalingGroupName: found.AutoScalingGroupName,
    lifecycleState: found.LifecycleState ?? 'unknown',
    desiredCapacity: group?.DesiredCapacity ?? 0,
    minSize: group?.MinSize ?? 0,
    maxSize: group?.MaxSize ?? 0,
  };
}

/**
 * Every (target group, port) the instance is registered in, in its VPC. Targets already `draining` are on their way out
 * ("Deregistration delay", ELB User Guide) and are not counted.
 */
export async function targetRegistrations(
  elbv2: ElasticLoadBalancingV2Client,
  instanceId: string,
  vpcId: string | undefined,
): Promise<TargetRegistration[]> {
  const registrations: TargetRegistration[] = [];
  let marker: string | undefined;
  do {
    const page = await elbv2.send(new DescribeTargetGroupsCommand({ Marker: marker }));
    for (const group of page.TargetGroups ?? []) {
      if (group.TargetType && group.TargetType !== 'instance') continue;
      if (vpcId && group.VpcId && group.VpcId !== vpcId) continue;
      const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }));
      for (const description of health.TargetHealthDescriptions ?? []) {
        if (description.Target?.Id !== instanceId || description.TargetHealth?.State === 'draining') continue;
        registrations.push({
          targetGroupArn: group.TargetGroupArn ?? '',
          port: description.Target.Port ?? group.Port ?? 0,
        });
      }
    }
    marker = page.NextMarker;
  } while (marker);
  return registrations;
}
