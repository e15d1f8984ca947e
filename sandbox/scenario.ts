// Scenario files: the simulated organisation and incident a sandbox starts from, validated at load time.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../tasks/lib/errors';
import { projectRoot } from '../tasks/lib/paths';
import { GeneratedLogSpecSchema } from './log-generator';

const Tags = z.record(z.string(), z.string()).default({});

export const SecurityGroupRuleSchema = z
  .object({
    protocol: z.string().default('-1'),
    fromPort: z.number().int().optional(),
    toPort: z.number().int().optional(),
    cidr: z.string().optional(),
    prefixListId: z.string().optional(),
    groupId: z.string().optional(),
  })
  .strict();

export const SecurityGroupSchema = z
  .object({
    groupId: z.string(),
    groupName: z.string(),
    description: z.string().default(''),
    vpcId: z.string(),
    ingress: z.array(SecurityGroupRuleSchema).default([]),
    egress: z.array(SecurityGroupRuleSchema).default([{ protocol: '-1', cidr: '0.0.0.0/0' }]),
    tags: Tags,
  })
  .strict();

export const NetworkInterfaceSchema = z
  .object({
    networkInterfaceId: z.string(),
    deviceIndex: z.number().int().default(0),
    subnetId: z.string(),
    privateIpAddress: z.string(),
    publicIpAddress: z.string().optional(),
    groups: z.array(z.string()).min(1),
    /** Tags on the ENI itself (CreateTags can tag an ENI apart from its instance); absent until first tagged. */
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const BlockDeviceSchema = z
  .object({ deviceName: z.string(), volumeId: z.string(), deleteOnTermination: z.boolean().default(true) })
  .strict();

export const InstanceSchema = z
  .object({
    instanceId: z.string(),
    platform: z.enum(['linux', 'windows']).default('linux'),
    platformName: z.string().default('Amazon Linux'),
    state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']).default('running'),
    instanceType: z.string().default('t3.medium'),
    imageId: z.string().default('ami-0abcdef1234567890'),
    launchTime: z.string().default('2026-11-01T08:00:00.000Z'),
    availabilityZone: z.string(),
    vpcId: z.string(),
    subnetId: z.string(),
    networkInterfaces: z.array(NetworkInterfaceSchema).min(1),
    blockDevices: z.array(BlockDeviceSchema).default([]),
    /** Ephemeral instance-store volumes (cannot be snapshotted). */
    instanceStore: z.array(z.object({ deviceName: z.string(), virtualName: z.string() }).strict()).default([]),
    rootDeviceName: z.string().default('/dev/xvda'),
    iamInstanceProfileArn: z.string().optional(),
    tags: Tags,
    disableApiTermination: z.boolean().default(false),
    instanceInitiatedShutdownBehavior: z.enum(['stop', 'terminate']).default('stop'),
    memoryMiB: z.number().int().positive().default(4096),
    consoleOutput: z.string().default(''),
    keyName: z.string().optional(),
    ssm: z
      .object({
        online: z.boolean().default(true),
        agentVersion: z.string().default('3.3.1142.0'),
        /** Scenario behaviour of the simulated agent: answers normally, slowly, or fails commands. */
        behaviour: z.enum(['normal', 'slow', 'fail', 'dies-mid-capture']).default('normal'),
      })
      .strict()
      .default({ online: true, agentVersion: '3.3.1142.0', behaviour: 'normal' }),
  })
  .strict();

export const VolumeSchema = z
  .object({
    volumeId: z.string(),
    sizeGiB: z.number().int().positive(),
    volumeType: z.string().default('gp3'),
    availabilityZone: z.string(),
    encrypted: z.boolean().default(false),
    /** KMS key ARN; `alias/aws/ebs` means the AWS managed key (snapshots of it cannot be shared). */
    kmsKeyId: z.string().optional(),
    tags: Tags,
    /** Scenario fault: snapshots of this volume end in the `error` state (disk-and-memory). */
    snapshotFails: z.boolean().default(false),
    /** The snapshot a volume was created from (CreateVolume), so the workstation can trace it to its source (workstation). */
    snapshotId: z.string().optional(),
    /** The volume's filesystem as the workstation's tools see it (workstation); absent: a default derived from the scenario. */
    filesystem: z.enum(['ext4', 'xfs', 'ntfs']).optional(),
    files: z
      .array(
        z
          .object({
            path: z.string(),
            modified: z.string(),
            content: z.string().default(''),
            mode: z.string().default('0644'),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const SnapshotSchema = z
  .object({
    snapshotId: z.string(),
    volumeId: z.string(),
    volumeSizeGiB: z.number().int().positive(),
    state: z.enum(['pending', 'completed', 'error']).default('completed'),
    encrypted: z.boolean().default(false),
    kmsKeyId: z.string().optional(),
    description: z.string().default(''),
    startTime: z.string(),
    createVolumePermissions: z.array(z.string()).default([]),
    tags: Tags,
    /** For a copy: the snapshot it was copied from (disk-and-memory). */
    sourceSnapshotId: z.string().optional(),
    /** When the snapshot left `pending`, and why it failed if it did. */
    completedAt: z.string().optional(),
    stateMessage: z.string().optional(),
    /** The state it reaches once `pendingMs` has passed (a failed copy or snapshot ends in `error`). */
    outcome: z.enum(['completed', 'error']).optional(),
  })
  .strict();

export const VpcSchema = z
  .object({
    vpcId: z.string(),
    cidrBlock: z.string(),
    /** VPC interface/gateway endpoints present (service names such as com.amazonaws.eu-west-1.ssm). */
    endpoints: z
      .array(
        z
          .object({
            vpcEndpointId: z.string(),
            serviceName: z.string(),
            prefixListId: z.string().optional(),
            cidrs: z.array(z.string()).default([]),
          })
          .strict(),
      )
      .default([]),
    tags: Tags,
  })
  .strict();

export const SubnetSchema = z
  .object({ subnetId: z.string(), vpcId: z.string(), cidrBlock: z.string(), availabilityZone: z.string(), tags: Tags })
  .strict();

export const AutoScalingGroupSchema = z
  .object({
    name: z.string(),
    minSize: z.number().int().min(0),
    maxSize: z.number().int().min(0),
    desiredCapacity: z.number().int().min(0),
    instances: z.array(z.object({ instanceId: z.string(), lifecycleState: z.string().default('InService') }).strict()),
    targetGroupArns: z.array(z.string()).default([]),
    loadBalancerNames: z.array(z.string()).default([]),
  })
  .strict();

export const TargetGroupSchema = z
  .object({
    arn: z.string(),
    name: z.string(),
    port: z.number().int(),
    protocol: z.string().default('HTTP'),
    vpcId: z.string(),
    targets: z.array(z.object({ id: z.string(), port: z.number().int().optional() }).strict()).default([]),
  })
  .strict();

/** A tracked connection on an instance's ENI, for modelling security-group connection tracking. */
export const FlowSchema = z
  .object({
    flowId: z.string(),
    networkInterfaceId: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    remoteIp: z.string(),
    remotePort: z.number().int(),
    localPort: z.number().int(),
    protocol: z.string().default('tcp'),
    open: z.boolean().default(true),
    /** Whether the security groups track this connection: a tracked flow outlives a rule change, an untracked one does not. */
    tracked: z.boolean().default(true),
  })
  .strict();

export const KmsKeySchema = z
  .object({
    keyId: z.string(),
    arn: z.string(),
    keyUsage: z.enum(['ENCRYPT_DECRYPT', 'SIGN_VERIFY']).default('ENCRYPT_DECRYPT'),
    keySpec: z.string().default('SYMMETRIC_DEFAULT'),
    aliases: z.array(z.string()).default([]),
    /** Account ids allowed to use the key besides its owner (the key policy, simplified). */
    sharedWith: z.array(z.string()).default([]),
    awsManaged: z.boolean().default(false),
  })
  .strict();

export const BucketSchema = z
  .object({
    name: z.string(),
    region: z.string(),
    versioning: z.boolean().default(true),
    objectLock: z
      .object({ mode: z.enum(['COMPLIANCE', 'GOVERNANCE']), days: z.number().int().positive() })
      .strict()
      .optional(),
    kmsKeyArn: z.string().optional(),
  })
  .strict();

export const RoleSchema = z
  .object({
    roleName: z.string(),
    /** Principal ARNs (or account ids) allowed to assume the role. */
    trustedPrincipals: z.array(z.string()).default([]),
    externalId: z.string().optional(),
    /** IAM actions this role is denied (wildcards allowed), to model missing permissions. */
    deny: z.array(z.string()).default([]),
    inlinePolicies: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const InstanceProfileSchema = z.object({ name: z.string(), arn: z.string(), roleName: z.string() }).strict();

export const RegionStateSchema = z
  .object({
    vpcs: z.array(VpcSchema).default([]),
    subnets: z.array(SubnetSchema).default([]),
    securityGroups: z.array(SecurityGroupSchema).default([]),
    instances: z.array(InstanceSchema).default([]),
    volumes: z.array(VolumeSchema).default([]),
    snapshots: z.array(SnapshotSchema).default([]),
    autoScalingGroups: z.array(AutoScalingGroupSchema).default([]),
    targetGroups: z.array(TargetGroupSchema).default([]),
    flows: z.array(FlowSchema).default([]),
    kmsKeys: z.array(KmsKeySchema).default([]),
    /** Raw CloudTrail events (as LookupEvents' CloudTrailEvent JSON) for the logs phase. */
    cloudTrailEvents: z.array(z.record(z.string(), z.unknown())).default([]),
    /** CloudWatch Logs groups and their events (flow logs, Resolver query logs). */
    logGroups: z
      .array(
        z
          .object({
            name: z.string(),
            events: z
              .array(
                z
                  .object({ timestamp: z.number(), message: z.string(), logStreamName: z.string().default('stream') })
                  .strict(),
              )
              .default([]),
          })
          .strict(),
      )
      .default([]),
    /** GuardDuty findings held by this region's detector (GetFindings answers from these). */
    findings: z.array(z.record(z.string(), z.unknown())).default([]),
    /** AWS Config configuration items (as GetResourceConfigHistory returns them, times as ISO strings). */
    configurationItems: z.array(z.record(z.string(), z.unknown())).default([]),
    /** Security Hub BatchUpdateFindings requests this region accepted, in order (sandbox/services/securityhub.ts records them). */
    findingUpdates: z.array(z.record(z.string(), z.unknown())).optional(),
    /** Compact specs the sandbox expands deterministically into bulk log lines (see sandbox/log-generator.ts). */
    generatedLogs: z.array(GeneratedLogSpecSchema).optional(),
    /** SSM Parameter Store String parameters by name (the workstation's AMI id). */
    parameters: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** A deployed state machine: its ARN (`arn:aws:states:<region>:<account>:stateMachine:<name>`) and the ASL file it runs. */
export const StateMachineSchema = z
  .object({ arn: z.string(), definition: z.string().default('collect-evidence') })
  .strict();

/** One Step Functions history event as GetExecutionHistory returns it (timestamps kept as ISO strings). */
export const HistoryEventSchema = z
  .object({ id: z.number().int(), type: z.string(), timestamp: z.string() })
  .catchall(z.unknown());

export const ExecutionSchema = z
  .object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z.string(),
    output: z.string().optional(),
    error: z.string().optional(),
    cause: z.string().optional(),
    startDate: z.string(),
    stopDate: z.string().optional(),
    history: z.array(HistoryEventSchema).default([]),
  })
  .strict();

export const SnsMessageSchema = z
  .object({
    messageId: z.string(),
    subject: z.string().optional(),
    message: z.string(),
    publishedAt: z.string(),
    attributes: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const SnsTopicSchema = z
  .object({ topicArn: z.string(), messages: z.array(SnsMessageSchema).default([]) })
  .strict();
export type SnsTopicState = z.infer<typeof SnsTopicSchema>;

export const AccountSchema = z
  .object({
    accountId: z.string().regex(/^\d{12}$/),
    name: z.string(),
    roles: z.array(RoleSchema).default([]),
    instanceProfiles: z.array(InstanceProfileSchema).default([]),
    buckets: z.array(BucketSchema).default([]),
    regions: z.record(z.string(), RegionStateSchema).default({}),
    /** SNS topics of the account and the messages published to them (sandbox/services/sns.ts records them). */
    snsTopics: z.array(SnsTopicSchema).optional(),
    /** Step Functions state machines deployed in this account (the orchestrator's), each run by the local runner. */
    stateMachines: z.array(StateMachineSchema).optional(),
    /** Executions started in this account, with their history (sandbox/services/sfn.ts). */
    executions: z.array(ExecutionSchema).optional(),
  })
  .strict();

export const FaultSchema = z
  .object({
    /** SDK client name without "Client" (EC2, S3, SSM, …) and command name without "Command". */
    service: z.string(),
    operation: z.string(),
    error: z.string(),
    message: z.string().default('injected fault'),
    /** How many times the fault fires before the call succeeds again (omit for always). */
    times: z.number().int().positive().optional(),
    /** Only for calls in this account / on this resource id (matched against the serialised input). */
    accountId: z.string().optional(),
    match: z.string().optional(),
    /** The call hangs this long before failing (a stalled API or agent), so a Task can outlive its TimeoutSeconds. */
    delayMs: z.number().int().positive().optional(),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    /** The account the orchestrator runs in (Step Functions, Lambda): the principal that assumes responder roles. */
    orchestratorAccountId: z.string().regex(/^\d{12}$/),
    accounts: z.array(AccountSchema).min(1),
    /** Custody configuration for this organisation (regions → forensics account, keys, retention). */
    config: z.record(z.string(), z.unknown()),
    /** The trigger of the incident: a raw EventBridge event or a Custody request. */
    trigger: z.record(z.string(), z.unknown()),
    faults: z.array(FaultSchema).default([]),
    /**
     * Local TimeoutSeconds per Task state name (the runner's `timeoutOverrides`), so a Lambda-style timeout fault fires in
     * seconds rather than after the deployed limit; AWS runs the ASL's own values.
     */
    stateTimeouts: z.record(z.string(), z.number().int().positive()).optional(),
  })
  .strict();
export type Scenario = z.infer<typeof ScenarioSchema>;
export type AccountState = z.infer<typeof AccountSchema>;
export type RegionState = z.infer<typeof RegionStateSchema>;
export type InstanceState = z.infer<typeof InstanceSchema>;
export type VolumeState = z.infer<typeof VolumeSchema>;
export type SnapshotState = z.infer<typeof SnapshotSchema>;
export type SecurityGroupState = z.infer<typeof SecurityGroupSchema>;
export type BucketState = z.infer<typeof BucketSchema>;
export type KmsKeyState = z.infer<typeof KmsKeySchema>;
export type RoleState = z.infer<typeof RoleSchema>;
export type Fault = z.infer<typeof FaultSchema>;
export type ExecutionState = z.infer<typeof ExecutionSchema>;
export type HistoryEventState = z.infer<typeof HistoryEventSchema>;

export const DEFAULT_SCENARIO = 'compromised-web-server';

export function parseScenario(raw: unknown, origin: string): Scenario {
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InvalidInputError(
      `scenario ${origin} is invalid at ${first.path.join('.') || '(root)'}: ${first.message}`,
    );
  }
  return parsed.data;
}

/** Loads a scenario by shipped name (sandbox/scenarios/NAME.json) or by file path. */
export function loadScenario(nameOrFile: string = DEFAULT_SCENARIO): Scenario {
  const shipped = join(projectRoot(), 'sandbox', 'scenarios', `${nameOrFile}.json`);
  const path = existsSync(shipped) ? shipped : resolve(nameOrFile);
  if (!existsSync(path)) {
    throw new InvalidInputError(`no scenario named ${nameOrFile} (not in sandbox/scenarios/ and not a file)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`scenario ${path} is not valid JSON`, {}, { cause: error });
  }
  return parseScenario(raw, path);
}
