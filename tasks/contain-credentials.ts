// ContainCredentials (Collect phase): denies every session of the instance role issued before now, so stolen instance credentials stop working.
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DisassociateIamInstanceProfileCommand,
} from '@aws-sdk/client-ec2';
import {
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { Gap } from './lib/case';
import type { CallVerdict, StepOutput } from './lib/containment/steps';
import { ACTIONS, ContainmentInputSchema, gap, recorder, reportDryRun, simulate, skip } from './lib/containment/steps';
import { errorMessage } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';

const STEP = 'ContainCredentials';

export const ContainCredentialsInputSchema = ContainmentInputSchema.extend({
  /** Also remove the instance profile from the instance (stops the SSM agent unless Default Host Management is set up). */
  disassociateProfile: z.boolean().default(false),
});
export type ContainCredentialsInput = z.infer<typeof ContainCredentialsInputSchema>;

export interface ContainCredentialsOutput extends StepOutput {
  readonly roleName?: string;
  readonly policyName?: string;
  readonly tokenIssueTime?: string;
  readonly profileDisassociated: boolean;
}

/** One inline policy per case, so releasing one case never lifts another case's revocation. */
export function revokePolicyName(caseId: string): string {
  return `CustodyRevokeOlderSessions-${caseId}`;
}

/**
 * The policy the IAM console attaches for "Revoke active sessions" (AWSRevokeOlderSessions): deny everything to
 * sessions whose aws:TokenIssueTime is before the revocation ("Revoke IAM role temporary security credentials").
 */
export function revokeOlderSessionsPolicy(tokenIssueTime: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': tokenIssueTime } },
      },
    ],
  });
}

function profileName(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

export async function containCredentials(
  input: ContainCredentialsInput,
  deps: TaskDeps,
): Promise<ContainCredentialsOutput> {
  const { instanceId } = input.target;
  const none = { profileDisassociated: false };
  const profileArn = input.facts.iamInstanceProfileArn;
  // A terminated instance's credentials stay valid until they expire, so revocation still applies to it.
  if (!profileArn)
    return {
      ...(await skip(input, deps, STEP, 'instance has no instance profile: it holds no role credentials')),
      ...none,
    };
  const clients = deps.clients.member(input.target.accountId, input.target.region);
  const profile = await clients
    .iam()
    .send(new GetInstanceProfileCommand({ InstanceProfileName: profileName(profileArn) }));
  const roleName = profile.InstanceProfile?.Roles?.[0]?.RoleName;
  if (!roleName) return { ...(await skip(input, deps, STEP, `instance profile ${profileArn} has no role`)), ...none };
  const policyName = revokePolicyName(input.case.caseId);
  const disassociate = input.disassociateProfile && input.facts.state !== 'terminated';

  if (input.case.mode === 'dry-run') {
    // DisassociateIamInstanceProfile has no DryRun parameter, so both calls are checked with the policy simulator.
    const checks: CallVerdict[] = await simulate(input.target, deps, [
      'iam:PutRolePolicy',
      ...(disassociate ? ['ec2:DisassociateIamInstanceProfile'] : []),
    ]);
    return {
      ...(await reportDryRun(input, deps, STEP, checks, { roleName, policyName })),
      roleName,
      policyName,
      ...none,
    };
  }

  const record = recorder(input, deps);
  const existing = (await clients.iam().send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  if (existing.includes(policyName)) {
    const current = await clients.iam().send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    await record({
      action: ACTIONS.foundContained,
      target: instanceId,
      details: { step: STEP, roleName, policyName, document: decodeURIComponent(current.PolicyDocument ?? '') },
    });
    return { step: STEP, instanceId, status: 'already-contained', checks: [], gaps: [], roleName, policyName, ...none };
  }
  const tokenIssueTime = deps.now().toISOString();
  const document = revokeOlderSessionsPolicy(tokenIssueTime);
  await clients
    .iam()
    .send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }));
  await record({
    action: ACTIONS.sessionsRevoked,
    target: instanceId,
    details: {
      instanceProfileArn: profileArn,
      roleName,
      tokenIssueTime,
      prior: { roleName, policyName, present: false },
      now: { roleName, policyName, present: true, document },
    },
  });
  const gaps: Gap[] = [];
  const profileDisassociated = disassociate ? await disassociateProfile(input, deps, profileArn, gaps) : false;
  return {
    step: STEP,
    instanceId,
    status: 'contained',
    checks: [],
    gaps,
    roleName,
    policyName,
    tokenIssueTime,
    profileDisassociated,
  };
}

async function disassociateProfile(
  input: ContainCredentialsInput,
  deps: TaskDeps,
  profileArn: string,
  gaps: Gap[],
): Promise<boolean> {
  const ec2 = deps.clients.member(input.target.accountId, input.target.region).ec2();
  try {
    const associations = await ec2.send(
      new DescribeIamInstanceProfileAssociationsCommand({
        Filters: [
          { Name: 'instance-id', Values: [input.target.instanceId] },
          { Name: 'state', Values: ['associated'] },
        ],
      }),
    );
    const association = associations.IamInstanceProfileAssociations?.[0];
    if (!association?.AssociationId) return false;
    await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: association.AssociationId }));
    await recorder(
      input,
      deps,
    )({
      action: ACTIONS.profileDisassociated,
      target: input.target.instanceId,
      details: {
        prior: { associationId: association.AssociationId, instanceProfileArn: profileArn },
        now: { instanceProfileArn: null },
      },
    });
    return true;
  } catch (error) {
    gaps.push(gap(input.target, STEP, `instance profile not disassociated: ${errorMessage(error)}`, error));
    return false;
  }
}

export const containCredentialsTask = defineTask(
  'ContainCredentials',
  ContainCredentialsInputSchema,
  containCredentials,
);
export const handler = lambdaHandler(containCredentialsTask);
