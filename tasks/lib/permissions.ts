// The one declared table of the AWS calls each task makes, per principal: the CDK app derives every IAM policy from it.
import { iamActionFor } from '../../sandbox/iam-actions';

/** Who makes a call: the responder role in a member account, the evidence writer in a forensics account, or the task's own Lambda role. */
export type Principal = 'member' | 'forensics' | 'orchestrator';
export const PRINCIPALS: readonly Principal[] = ['member', 'forensics', 'orchestrator'];

/** `<client>:<Command>` as the SDK names them, e.g. `EC2:DescribeInstancesCommand` (client name without "Client"). */
export type SdkCall = `${string}:${string}Command`;

export interface FileCalls {
  readonly member?: readonly SdkCall[];
  readonly forensics?: readonly SdkCall[];
  readonly orchestrator?: readonly SdkCall[];
  /**
   * IAM actions AWS checks besides the command's own, with no command of their own in the source: KMS grants behind an
   * encrypted snapshot copy, the multipart upload behind `@aws-sdk/lib-storage`'s Upload, …
   */
  readonly implied?: Partial<Record<Principal, readonly string[]>>;
}

/** What EBS asks of KMS when it encrypts a snapshot copy with a customer managed key. */
const EBS_KMS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
] as const;

/**
 * Writing to an SSE-KMS bucket needs a data key, and completing or reading an object needs Decrypt (Amazon S3 User Guide,
 * "Using server-side encryption with AWS KMS keys" and "Multipart upload API and permissions").
 */
const SSE_KMS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/**
 * Source file (relative to the repository root) → the calls it makes. Adding a task is one line here; the test
 * test/infra/permissions.test.ts scans every tasks/*.ts and tasks/lib/*.ts for `new <X>Command(` and fails on drift.
 */
export const TASK_CALLS: Readonly<Record<string, FileCalls>> = {
  'tasks/analyze-case.ts': {
    forensics: ['S3:GetObjectCommand', 'S3:ListObjectsV2Command'],
    implied: { forensics: ['kms:Decrypt'] },
  },
  'tasks/capture-memory.ts': {
    member: ['SSM:SendCommandCommand'],
    forensics: ['S3:AbortMultipartUploadCommand'],
    // The instance downloads the staged tool through a presigned GET signed by the evidence writer (SSE-KMS object).
    implied: { forensics: ['s3:GetObject', 'kms:Decrypt'] },
  },
  'tasks/check-command.ts': {
    member: ['SSM:CancelCommandCommand', 'SSM:GetCommandInvocationCommand'],
    forensics: ['S3:AbortMultipartUploadCommand'],
  },
  'tasks/check-snapshot-copies.ts': {
    member: ['EC2:DescribeSnapshotsCommand'],
    forensics: ['EC2:DescribeSnapshotsCommand'],
  },
  'tasks/check-snapshots.ts': { member: ['EC2:DescribeSnapshotsCommand'] },
  'tasks/collect-volatile.ts': { member: ['SSM:SendCommandCommand'], forensics: ['S3:AbortMultipartUploadCommand'] },
  'tasks/copy-snapshots.ts': {
    member: ['EC2:CopySnapshotCommand', 'EC2:ModifySnapshotAttributeCommand'],
    forensics: ['EC2:CopySnapshotCommand'],
    // An encrypted copy makes EBS use the destination key through grants (Amazon EBS User Guide, "Copy an Amazon EBS snapshot").
    implied: { member: [...EBS_KMS], forensics: [...EBS_KMS] },
  },
  'tasks/contain-credentials.ts': {
    member: [
      'EC2:DescribeIamInstanceProfileAssociationsCommand',
      'EC2:DisassociateIamInstanceProfileCommand',
      'IAM:GetInstanceProfileCommand',
      'IAM:GetRolePolicyCommand',
      'IAM:ListRolePoliciesCommand',
      'IAM:PutRolePolicyCommand',
    ],
  },
  'tasks/detach-from-fleet.ts': {
    member: ['AutoScaling:DetachInstancesCommand', 'ElasticLoadBalancingV2:DeregisterTargetsCommand'],
  },
  'tasks/examine-evidence.ts': { forensics: ['S3:GetObjectCommand'], implied: { forensics: ['kms:Decrypt'] } },
  'tasks/isolate-network.ts': {
    member: [
      'EC2:AuthorizeSecurityGroupIngressCommand',
      'EC2:CreateSecurityGroupCommand',
      'EC2:ModifyNetworkInterfaceAttributeCommand',
      'EC2:RevokeSecurityGroupEgressCommand',
    ],
  },
  'tasks/preserve-instance.ts': {
    member: [
      'EC2:CreateTagsCommand',
      'EC2:DescribeInstanceAttributeCommand',
      'EC2:DescribeInstanceTypesCommand',
      'EC2:DescribeInstancesCommand',
      'EC2:DescribeVolumesCommand',
      'EC2:ModifyInstanceAttributeCommand',
    ],
  },
  'tasks/notify.ts': { orchestrator: ['SNS:PublishCommand', 'SecurityHub:BatchUpdateFindingsCommand'] },
  // Not a Task state: `custody release` runs it with the responder role, so the role carries the undo of each isolation step.
  'tasks/release-isolation.ts': {
    member: [
      'AutoScaling:AttachInstancesCommand',
      'EC2:ModifyNetworkInterfaceAttributeCommand',
      'ElasticLoadBalancingV2:RegisterTargetsCommand',
      'IAM:DeleteRolePolicyCommand',
    ],
  },
  'tasks/snapshot-volumes.ts': {
    member: ['EC2:CreateSnapshotCommand', 'EC2:CreateSnapshotsCommand', 'EC2:CreateTagsCommand'],
  },
  'tasks/ssm-command.ts': {
    member: ['SSM:DescribeInstanceInformationCommand'],
    forensics: [
      'S3:CompleteMultipartUploadCommand',
      'S3:CreateMultipartUploadCommand',
      'S3:HeadObjectCommand',
      'S3:ListPartsCommand',
    ],
    // The instance uploads parts through presigned UploadPart URLs signed by the evidence writer: s3:PutObject on SSE-KMS.
    // HeadObject names the VersionId CompleteMultipartUpload returned, which S3 authorises as s3:GetObjectVersion.
    implied: { forensics: ['s3:PutObject', ...SSE_KMS, 's3:GetObjectVersion'] },
  },
  'tasks/start-workstation.ts': {
    forensics: [
      'EC2:CreateVolumeCommand',
      'EC2:DescribeInstancesCommand',
      'EC2:DescribeVolumesCommand',
      'EC2:RunInstancesCommand',
      'S3:GetObjectCommand',
      'SSM:GetParameterCommand',
    ],
    // RunInstances with an instance profile passes its role (iam:PassRole); tags go on at launch (ec2:CreateTags on create);
    // a volume from an encrypted snapshot uses the forensics key through grants (Amazon EBS encryption, EBS User Guide).
    implied: {
      forensics: [
        'iam:PassRole',
        'ec2:CreateTags',
        'kms:CreateGrant',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ],
    },
  },
  'tasks/attach-evidence-volumes.ts': {
    forensics: ['EC2:AttachVolumeCommand', 'EC2:DescribeInstancesCommand', 'EC2:DescribeVolumesCommand'],
  },
  'tasks/run-examination.ts': {
    forensics: ['S3:AbortMultipartUploadCommand', 'SSM:SendCommandCommand'],
  },
  'tasks/check-examination.ts': {
    forensics: ['S3:AbortMultipartUploadCommand', 'SSM:CancelCommandCommand', 'SSM:GetCommandInvocationCommand'],
  },
  'tasks/cleanup-workstation.ts': {
    forensics: [
      'EC2:DeleteVolumeCommand',
      'EC2:DescribeInstancesCommand',
      'EC2:DescribeVolumesCommand',
      'EC2:DetachVolumeCommand',
      'EC2:TerminateInstancesCommand',
    ],
  },
  'tasks/lib/workstation-plan.ts': {
    forensics: [
      'EC2:AttachVolumeCommand',
      'EC2:CreateVolumeCommand',
      'EC2:DeleteVolumeCommand',
      'EC2:DetachVolumeCommand',
      'EC2:RunInstancesCommand',
      'EC2:TerminateInstancesCommand',
      'IAM:SimulatePrincipalPolicyCommand',
    ],
  },
  'tasks/lib/aws.ts': { orchestrator: ['STS:AssumeRoleCommand'] },
  'tasks/lib/case-store.ts': {
    forensics: ['S3:GetObjectCommand', 'S3:ListObjectsV2Command', 'S3:PutObjectCommand'],
    // SSE-KMS: writing needs a data key, reading (and completing multipart uploads) needs Decrypt (Amazon S3 User Guide, "Using SSE-KMS").
    implied: { forensics: [...SSE_KMS] },
  },
  'tasks/lib/containment/security-groups.ts': {
    member: [
      'EC2:AuthorizeSecurityGroupEgressCommand',
      'EC2:AuthorizeSecurityGroupIngressCommand',
      'EC2:CreateSecurityGroupCommand',
      'EC2:DescribeNetworkInterfacesCommand',
      'EC2:DescribePrefixListsCommand',
      'EC2:DescribeSecurityGroupsCommand',
      'EC2:DescribeVpcEndpointsCommand',
      'EC2:RevokeSecurityGroupEgressCommand',
    ],
  },
  'tasks/lib/containment/fleet.ts': {
    member: [
      'AutoScaling:DescribeAutoScalingGroupsCommand',
      'AutoScaling:DescribeAutoScalingInstancesCommand',
      'ElasticLoadBalancingV2:DescribeTargetGroupsCommand',
      'ElasticLoadBalancingV2:DescribeTargetHealthCommand',
    ],
  },
  // An artifact whose key is taken (a resumed case, a retried task): found with HeadObject, read back when unrecorded.
  'tasks/lib/existing-artifact.ts': {
    forensics: ['S3:GetObjectCommand', 'S3:HeadObjectCommand'],
    implied: { forensics: ['kms:Decrypt'] },
  },
  'tasks/lib/evidence-writer.ts': {
    forensics: [
      'S3:AbortMultipartUploadCommand',
      'S3:CompleteMultipartUploadCommand',
      'S3:CreateMultipartUploadCommand',
      'S3:PutObjectCommand',
      'S3:UploadPartCommand',
    ],
    implied: { forensics: [...SSE_KMS] },
  },
  'tasks/lib/snapshot-lookup.ts': {
    member: ['EC2:DescribeSnapshotsCommand'],
    forensics: ['EC2:DescribeSnapshotsCommand'],
  },
  'tasks/lib/instance-evidence.ts': { member: ['EC2:GetConsoleOutputCommand', 'EC2:GetConsoleScreenshotCommand'] },
  'tasks/lib/containment/steps.ts': { member: ['IAM:SimulatePrincipalPolicyCommand'] },
  'tasks/lib/logs/cloudtrail.ts': { member: ['CloudTrail:LookupEventsCommand'] },
  'tasks/lib/logs/sources.ts': {
    member: [
      'CloudWatchLogs:FilterLogEventsCommand',
      'ConfigService:GetResourceConfigHistoryCommand',
      'GuardDuty:GetFindingsCommand',
      'GuardDuty:ListDetectorsCommand',
    ],
  },
  'tasks/lib/report/sizes.ts': {
    member: ['EC2:DescribeInstanceTypesCommand', 'EC2:DescribeInstancesCommand', 'EC2:DescribeVolumesCommand'],
  },
  'tasks/lib/manifest.ts': { forensics: ['KMS:GetPublicKeyCommand', 'KMS:SignCommand'] },
  'tasks/lib/verify/source-s3.ts': {
    forensics: ['S3:GetObjectCommand', 'S3:HeadObjectCommand'],
    implied: { forensics: ['kms:Decrypt', 's3:GetObjectRetention'] },
  },
};

/** The npm package of each SDK client → the client name used in `SdkCall` and by sandbox/iam-actions.ts. */
export const SDK_PACKAGE_CLIENT: Readonly<Record<string, string>> = {
  '@aws-sdk/client-ec2': 'EC2',
  '@aws-sdk/client-s3': 'S3',
  '@aws-sdk/client-ssm': 'SSM',
  '@aws-sdk/client-sts': 'STS',
  '@aws-sdk/client-iam': 'IAM',
  '@aws-sdk/client-kms': 'KMS',
  '@aws-sdk/client-auto-scaling': 'AutoScaling',
  '@aws-sdk/client-elastic-load-balancing-v2': 'ElasticLoadBalancingV2',
  '@aws-sdk/client-cloudtrail': 'CloudTrail',
  '@aws-sdk/client-cloudwatch-logs': 'CloudWatchLogs',
  '@aws-sdk/client-config-service': 'ConfigService',
  '@aws-sdk/client-guardduty': 'GuardDuty',
  '@aws-sdk/client-securityhub': 'SecurityHub',
  '@aws-sdk/client-sns': 'SNS',
  '@aws-sdk/client-sfn': 'SFN',
};

/**
 * Calls whose IAM action the sandbox's mapping does not spell yet: ListParts is authorised as s3:ListMultipartUploadParts
 * (Service Authorization Reference, Amazon S3).
 */
const ACTION_EXCEPTIONS: Readonly<Record<string, string>> = { 'S3:ListPartsCommand': 's3:ListMultipartUploadParts' };

/** The IAM action behind one declared call. */
export function actionOf(call: SdkCall): string {
  const exception = ACTION_EXCEPTIONS[call];
  if (exception) return exception;
  const [client, command] = call.split(':');
  return iamActionFor(client, command);
}

/** Sorted, de-duplicated IAM actions a principal needs for the given files (all files when omitted). */
export function actionsFor(principal: Principal, files: readonly string[] = Object.keys(TASK_CALLS)): string[] {
  const actions = new Set<string>();
  for (const file of files) {
    const calls = TASK_CALLS[file];
    if (!calls) continue;
    for (const call of calls[principal] ?? []) actions.add(actionOf(call));
    for (const action of calls.implied?.[principal] ?? []) actions.add(action);
  }
  return [...actions].sort();
}

/** Task states whose module name is not the kebab-cased state name. */
const STATE_FILES: Readonly<Record<string, string>> = { CollectVolatileData: 'tasks/collect-volatile.ts' };

/** `IsolateInstance` → `tasks/isolate-instance.ts`: one task module per Task state (STYLE rule 1). */
export function taskFileForState(stateName: string): string {
  const named = STATE_FILES[stateName];
  if (named) return named;
  const kebab = stateName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
  return `tasks/${kebab}.ts`;
}

/** Whether a task file makes calls as the given principal (so its Lambda needs to assume that principal's role). */
export function usesPrincipal(file: string, principal: Principal): boolean {
  const calls = TASK_CALLS[file];
  return Boolean(calls && ((calls[principal]?.length ?? 0) > 0 || (calls.implied?.[principal]?.length ?? 0) > 0));
}
