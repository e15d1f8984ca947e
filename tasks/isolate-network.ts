// IsolateNetwork (Collect phase): moves every ENI of the instance to an all-traffic group, then to the isolation group of the case's policy.
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { Gap, IsolationPolicy } from './lib/case';
import { IsolationPolicySchema } from './lib/case';
import { errorMessage } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { EndpointEgress, InterfaceGroups } from './lib/containment/security-groups';
import {
  ensureManagedGroup,
  endpointEgress,
  findManagedGroup,
  GROUP_NAMES,
  instanceInterfaces,
  isolationKind,
  SSM_SERVICES,
} from './lib/containment/security-groups';
import type { CallVerdict, StepOutput } from './lib/containment/steps';
import { ACTIONS, ContainmentInputSchema, ec2DryRun, gap, recorder, reportDryRun, skip } from './lib/containment/steps';
import type { TaskDeps } from './lib/task';

const STEP = 'IsolateNetwork';

export const IsolateNetworkInputSchema = ContainmentInputSchema.extend({
  /** Overrides the case's isolationPolicy for this instance. */
  policy: IsolationPolicySchema.optional(),
});
export type IsolateNetworkInput = z.infer<typeof IsolateNetworkInputSchema>;

export interface InterfaceChange {
  readonly networkInterfaceId: string;
  readonly prior: readonly string[];
  readonly now: readonly string[];
}

export interface IsolateNetworkOutput extends StepOutput {
  readonly policy: IsolationPolicy;
  readonly untrackGroupId?: string;
  readonly isolationGroupId?: string;
  readonly networkInterfaces: readonly InterfaceChange[];
  /** Whether the SSM agent can still reach SSM and S3 after this step (memory and volatile capture need it). */
  readonly ssmReachable: boolean;
}

export async function isolateNetwork(input: IsolateNetworkInput, deps: TaskDeps): Promise<IsolateNetworkOutput> {
  const policy = input.policy ?? input.case.options.isolationPolicy;
  const base = { policy, networkInterfaces: [] as InterfaceChange[], ssmReachable: false };
  if (input.facts.state === 'terminated')
    return {
      ...(await skip(input, deps, STEP, 'instance is terminated: its network interfaces no longer exist')),
      ...base,
    };
  const vpcId = input.facts.vpcId;
  if (!vpcId)
    return {
      ...(await skip(input, deps, STEP, 'instance is in no VPC: security-group isolation does not apply')),
      ...base,
    };
  const ec2 = deps.clients.member(input.target.accountId, input.target.region).ec2();
  const interfaces = await instanceInterfaces(ec2, input.target.instanceId);
  if (interfaces.length === 0)
    return { ...(await skip(input, deps, STEP, 'instance has no network interface attached')), ...base };
  const kind = isolationKind(policy);
  const egress = kind === 'endpoints-only' ? await endpointEgress(ec2, vpcId, input.target.region) : undefined;
  const ssmReachable = egress !== undefined && SSM_SERVICES.every((service) => egress.reachable.includes(service));

  if (input.case.mode === 'dry-run') {
    const checks = await dryRunChecks(ec2, vpcId, interfaces);
    const output = await reportDryRun(input, deps, STEP, checks, { policy, networkInterfaces: interfaces });
    return { ...output, policy, networkInterfaces: interfaces.map(unchanged), ssmReachable };
  }

  const existing = await findManagedGroup(ec2, vpcId, kind);
  if (existing && interfaces.every((eni) => eni.groups.length === 1 && eni.groups[0] === existing)) {
    await recorder(
      input,
      deps,
    )({
      action: ACTIONS.foundContained,
      target: input.target.instanceId,
      details: { step: STEP, policy, isolationGroupId: existing, networkInterfaces: interfaces },
    });
    return {
      ...base,
      step: STEP,
      instanceId: input.target.instanceId,
      status: 'already-contained',
      checks: [],
      gaps: [],
      isolationGroupId: existing,
      networkInterfaces: interfaces.map(unchanged),
      ssmReachable,
    };
  }
  return contain(input, deps, { ec2, vpcId, policy, interfaces, egress, ssmReachable });
}

interface Plan {
  readonly ec2: EC2Client;
  readonly vpcId: string;
  readonly policy: IsolationPolicy;
  readonly interfaces: readonly InterfaceGroups[];
  readonly egress?: EndpointEgress;
  readonly ssmReachable: boolean;
}

async function contain(input: IsolateNetworkInput, deps: TaskDeps, plan: Plan): Promise<IsolateNetworkOutput> {
  const record = recorder(input, deps);
  const kind = isolationKind(plan.policy);
  const untrack = await ensureManagedGroup(plan.ec2, plan.vpcId, 'untrack');
  const isolation = await ensureManagedGroup(plan.ec2, plan.vpcId, kind, plan.egress?.permissions ?? []);
  for (const [group, name] of [
    [untrack, GROUP_NAMES.untrack],
    [isolation, GROUP_NAMES[kind]],
  ] as const) {
    if (group.created)
      await record({
        action: ACTIONS.securityGroupCreated,
        target: group.groupId,
        details: { groupName: name, vpcId: plan.vpcId },
      });
  }
  const prior = plan.interfaces.map((eni) => ({ networkInterfaceId: eni.networkInterfaceId, groups: eni.groups }));
  const groupIds = { untrackGroupId: untrack.groupId, isolationGroupId: isolation.groupId };
  // Recorded before the first change, so an interrupted run still leaves the original groups in the log for release.
  await record({
    action: ACTIONS.isolating,
    target: input.target.instanceId,
    details: { policy: plan.policy, ...groupIds, prior: { networkInterfaces: prior } },
  });
  const pending = plan.interfaces.filter((eni) => !(eni.groups.length === 1 && eni.groups[0] === isolation.groupId));
  try {
    // "Security group connection tracking": changing rules does not cut tracked flows; an all-traffic group in both
    // directions makes them untracked, so the next swap to a group that does not allow them ends them at once.
    for (const eni of pending) await setGroups(plan.ec2, eni.networkInterfaceId, [untrack.groupId]);
    for (const eni of pending) await setGroups(plan.ec2, eni.networkInterfaceId, [isolation.groupId]);
  } catch (error) {
    await rollBack(plan.ec2, prior, record, input.target.instanceId, error);
    throw error;
  }
  const changes = plan.interfaces.map((eni) => ({
    networkInterfaceId: eni.networkInterfaceId,
    prior: eni.groups,
    now: [isolation.groupId],
  }));
  await record({
    action: ACTIONS.isolated,
    target: input.target.instanceId,
    details: {
      policy: plan.policy,
      ...groupIds,
      ssmReachable: plan.ssmReachable,
      prior: { networkInterfaces: prior },
      now: {
        networkInterfaces: changes.map((change) => ({
          networkInterfaceId: change.networkInterfaceId,
          groups: change.now,
        })),
      },
    },
  });
  return {
    step: STEP,
    instanceId: input.target.instanceId,
    status: 'contained',
    checks: [],
    gaps: endpointGaps(input, plan),
    policy: plan.policy,
    ...groupIds,
    networkInterfaces: changes,
    ssmReachable: plan.ssmReachable,
  };
}

function endpointGaps(input: IsolateNetworkInput, plan: Plan): Gap[] {
  if (!plan.egress || plan.egress.missing.length === 0) return [];
  return [
    gap(
      input.target,
      STEP,
      `endpoints-only isolation: the VPC has no endpoint for ${plan.egress.missing.join(', ')}, so the instance cannot reach it`,
    ),
  ];
}

/** A failed swap must not leave an ENI in the all-traffic group: put every ENI back where it was, then fail the step. */
async function rollBack(
  ec2: EC2Client,
  prior: ReadonlyArray<{ networkInterfaceId: string; groups: string[] }>,
  record: ReturnType<typeof recorder>,
  instanceId: string,
  cause: unknown,
): Promise<void> {
  const failures: string[] = [];
  for (const eni of prior) {
    try {
      await setGroups(ec2, eni.networkInterfaceId, eni.groups);
    } catch (error) {
      failures.push(`${eni.networkInterfaceId}: ${errorMessage(error)}`);
    }
  }
  await record({
    action: ACTIONS.rolledBack,
    target: instanceId,
    details: { step: STEP, cause: errorMessage(cause), restored: prior, failures },
  });
}

async function setGroups(ec2: EC2Client, networkInterfaceId: string, groups: string[]): Promise<void> {
  await ec2.send(
    new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: networkInterfaceId, Groups: groups }),
  );
}

function unchanged(eni: InterfaceGroups): InterfaceChange {
  return { networkInterfaceId: eni.networkInterfaceId, prior: eni.groups, now: eni.groups };
}

/** Every mutating call with DryRun: group creation and rules (against a group that exists), and each ENI's swap. */
async function dryRunChecks(
  ec2: EC2Client,
  vpcId: string,
  interfaces: readonly InterfaceGroups[],
): Promise<CallVerdict[]> {
  const someGroup = interfaces[0].groups[0];
  const checks: CallVerdict[] = [
    await ec2DryRun('ec2:CreateSecurityGroup', () =>
      ec2.send(
        new CreateSecurityGroupCommand({
          DryRun: true,
          VpcId: vpcId,
          GroupName: GROUP_NAMES.untrack,
          Description: 'dry run',
        }),
      ),
    ),
    await ec2DryRun('ec2:AuthorizeSecurityGroupIngress', () =>
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          DryRun: true,
          GroupId: someGroup,
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      ),
    ),
    await ec2DryRun('ec2:RevokeSecurityGroupEgress', () =>
      ec2.send(
        new RevokeSecurityGroupEgressCommand({
          DryRun: true,
          GroupId: someGroup,
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      ),
    ),
  ];
  for (const eni of interfaces) {
    checks.push(
      await ec2DryRun(`ec2:ModifyNetworkInterfaceAttribute ${eni.networkInterfaceId}`, () =>
        ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            DryRun: true,
            NetworkInterfaceId: eni.networkInterfaceId,
            Groups: eni.groups,
          }),
        ),
      ),
    );
  }
  return checks;
}

export const isolateNetworkTask = defineTask('IsolateNetwork', IsolateNetworkInputSchema, isolateNetwork);
export const handler = lambdaHandler(isolateNetworkTask);
