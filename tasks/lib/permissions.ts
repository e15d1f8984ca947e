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

/**
 * Source file (relative to the repository root) → the calls it makes. Adding a task is one line here; the test
 * test/infra/permissions.test.ts scans every tasks/*.ts and tasks/lib/*.ts for `new <X>Command(` and fails on drift.
 */
export const TASK_CALLS: Readonly<Record<string, FileCalls>> = {
  'tasks/lib/aws.ts': { orchestrator: ['STS:AssumeRoleCommand'] },
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

/** The IAM action behind one declared call. */
export function actionOf(call: SdkCall): string {
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

/** Files shared by every task (the client factory, the case store): each Lambda role gets their orchestrator calls. */
export function sharedFiles(): string[] {
  return Object.keys(TASK_CALLS).filter((file) => file.startsWith('tasks/lib/'));
}

/** `IsolateInstance` → `tasks/isolate-instance.ts`: one task module per Task state (STYLE rule 1). */
export function taskFileForState(stateName: string): string {
  const kebab = stateName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
  return `tasks/${kebab}.ts`;
}

/** Whether a task file makes calls as the given principal (so its Lambda needs to assume that principal's role). */
export function usesPrincipal(file: string, principal: Principal): boolean {
  const calls = TASK_CALLS[file];
  return Boolean(calls && ((calls[principal]?.length ?? 0) > 0 || (calls.implied?.[principal]?.length ?? 0) > 0));
}
