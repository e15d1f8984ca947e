// Maps an SDK command to the IAM action that authorises it, for the sandbox's permission model and the infra's policies.

/** SDK client name (without "Client") → IAM service prefix. */
export const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  EC2: 'ec2',
  S3: 's3',
  SSM: 'ssm',
  STS: 'sts',
  IAM: 'iam',
  KMS: 'kms',
  AutoScaling: 'autoscaling',
  ElasticLoadBalancingV2: 'elasticloadbalancing',
  CloudTrail: 'cloudtrail',
  CloudWatchLogs: 'logs',
  ConfigService: 'config',
  GuardDuty: 'guardduty',
  SecurityHub: 'securityhub',
  SNS: 'sns',
  SFN: 'states',
};

/** Commands whose IAM action is not simply the command's name (see the service authorization reference). */
const EXCEPTIONS: Readonly<Record<string, string>> = {
  'S3:CreateMultipartUpload': 's3:PutObject',
  'S3:UploadPart': 's3:PutObject',
  'S3:CompleteMultipartUpload': 's3:PutObject',
  'S3:AbortMultipartUpload': 's3:AbortMultipartUpload',
  'S3:ListParts': 's3:ListMultipartUploadParts',
  'S3:HeadObject': 's3:GetObject',
  'S3:GetObjectAttributes': 's3:GetObjectAttributes',
  'S3:ListObjectsV2': 's3:ListBucket',
  'S3:ListObjectVersions': 's3:ListBucketVersions',
  'S3:HeadBucket': 's3:ListBucket',
  'S3:GetObjectLockConfiguration': 's3:GetBucketObjectLockConfiguration',
  'S3:PutObjectLockConfiguration': 's3:PutBucketObjectLockConfiguration',
  'S3:DeleteObjects': 's3:DeleteObject',
  'ElasticLoadBalancingV2:DescribeTargetHealth': 'elasticloadbalancing:DescribeTargetHealth',
  'CloudWatchLogs:FilterLogEvents': 'logs:FilterLogEvents',
  'ConfigService:GetResourceConfigHistory': 'config:GetResourceConfigHistory',
};

/** `EC2` + `DescribeInstancesCommand` → `ec2:DescribeInstances`. */
export function iamActionFor(service: string, command: string): string {
  const operation = command.replace(/Command$/, '');
  const exception = EXCEPTIONS[`${service}:${operation}`];
  if (exception) return exception;
  const prefix = SERVICE_PREFIX[service];
  if (!prefix) throw new Error(`no IAM prefix known for service ${service}`);
  return `${prefix}:${operation}`;
}

/** Whether an IAM action matches a pattern such as `ec2:*` or `ec2:Describe*` (case-insensitive, as IAM compares). */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`, 'i');
  return regex.test(action);
}

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
