// Custody's configuration, one typed module read by the CLI, the tasks and the CDK app.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AccountIdSchema, IsolationPolicySchema, RegionSchema } from './case';
import { InvalidInputError, RegionNotConfiguredError } from './errors';

/** A capture tool staged by operators: the instance refuses to run it unless its bytes hash to `sha256`. */
export const CaptureToolSchema = z
  .object({
    key: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    name: z.string().min(1),
    version: z.string().min(1),
  })
  .strict();

/** The examination workstation of a region (docs/workstation.md): launched in the forensics account, in a subnet with no internet route. */
export const WorkstationConfigSchema = z
  .object({
    /** SSM parameter holding the AMI id the Image Builder pipeline last produced (or one set by hand). */
    amiParameter: z.string().min(1).max(2048),
    subnetId: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'not a subnet id'),
    securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'not a security group id'),
    instanceType: z.string().min(1).max(64).default('m6i.xlarge'),
    instanceProfileArn: z.string().startsWith('arn:aws'),
    /** Hours a case's examination is expected to take, for the dry-run plan's estimate. */
    estimatedHours: z.number().min(0.1).max(240).default(4),
    /** Whether cases with a target in this region examine on the workstation unless the request turns it off. */
    enabledByDefault: z.boolean().default(false),
  })
  .strict();
export type WorkstationConfig = z.infer<typeof WorkstationConfigSchema>;

/** Where a region's evidence goes: always a forensics account in that same region. */
export const ForensicsRegionSchema = z
  .object({
    forensicsAccountId: AccountIdSchema,
    evidenceBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not an S3 bucket name'),
    /** SSE-KMS key of the evidence bucket. */
    evidenceKeyArn: z.string().startsWith('arn:aws'),
    /** Customer managed key that EBS snapshot copies are re-encrypted with. */
    snapshotKeyArn: z.string().startsWith('arn:aws'),
    /** Asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs manifests. */
    signingKeyArn: z.string().startsWith('arn:aws'),
    /** Memory capture tools staged in the evidence bucket, pinned by SHA-256 (docs/disk-and-memory.md). */
    captureTools: z
      .object({ linux: CaptureToolSchema.optional(), windows: CaptureToolSchema.optional() })
      .strict()
      .optional(),
    workstation: WorkstationConfigSchema.optional(),
  })
  .strict();
export type ForensicsRegion = z.infer<typeof ForensicsRegionSchema>;

/** Where Custody is deployed: read by the CDK app (infra/) and the CLI; a sandbox configuration needs none of it. */
export const DeploymentSchema = z
  .object({
    /** The security tooling account that runs the state machine and its Lambdas. */
    orchestratorAccountId: AccountIdSchema,
    orchestratorRegion: RegionSchema,
    /** Workload accounts the member StackSet targets; used to scope the snapshot key policy when no organization id is set. */
    memberAccountIds: z.array(AccountIdSchema).default([]),
    /** AWS Organizations id (o-…): scopes key and role trust to the organization (aws:PrincipalOrgID). */
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'not an AWS Organizations id')
      .optional(),
    /** IAM is global: the member StackSet creates the responder role only in this one region. */
    memberRoleRegion: RegionSchema,
    /** Days before evidence moves to S3 Glacier Flexible Retrieval (it stays locked there). */
    evidenceTransitionDays: z.number().int().min(1).max(36500).default(90),
    /** Prefix of the evidence bucket holding capture tools (AVML, WinPMEM) that instances download by presigned URL. */
    toolStagingPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*\/$/, 'a single lower-case folder ending in /')
      .default('tools/'),
    /** Who the SNS topic e-mails about cases and failed executions. */
    notificationEmails: z.array(z.email()).default([]),
    /** Retention of Lambda and state machine logs. */
    logRetentionDays: z.number().int().min(1).max(3653).default(400),
    /**
     * Who may assume the CustodyOperator role to run `custody start/status/cases/release/verify` (docs/deploy.md §8): IAM role
     * or user ARNs, or an account root (`arn:aws:iam::123456789012:root`). IAM users, and users of a trusted account, need MFA.
     */
    operatorPrincipals: z
      .array(
        z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+)$/,
            'not an IAM role, user or account root ARN',
          ),
      )
      .default([]),
  })
  .strict();
export type Deployment = z.infer<typeof DeploymentSchema>;

/** CloudWatch Logs groups holding a region's or an account's VPC Flow Logs (default format) and Route 53 Resolver query logs. */
export const LogSourcesSchema = z
  .object({
    flowLogGroup: z.string().min(1).max(512).optional(),
    resolverLogGroup: z.string().min(1).max(512).optional(),
  })
  .strict();
export type LogSources = z.infer<typeof LogSourcesSchema>;

export const CustodyConfigSchema = z
  .object({
    /** Region name → its forensics account and keys. */
    regions: z.record(RegionSchema, ForensicsRegionSchema),
    /** Role assumed in each member account; the orchestrator never uses its own credentials there. */
    responderRoleName: z.string().min(1).max(64).default('CustodyResponder'),
    externalId: z.string().min(2).max(1224).default('custody'),
    /** Role assumed in the forensics account to write evidence. */
    evidenceWriterRoleName: z.string().min(1).max(64).default('CustodyEvidenceWriter'),
    retentionDays: z.number().int().min(1).max(36500).default(365),
    severityThreshold: z.number().min(0).max(10).default(7),
    isolationPolicy: IsolationPolicySchema.default('capture-first'),
    mapConcurrency: z.number().int().min(1).max(40).default(10),
    stateMachineArn: z.string().optional(),
    snsTopicArn: z.string().optional(),
    /** Log groups per region name, account id or `accountId/region` (most specific wins, field by field). */
    logSources: z.record(z.string(), LogSourcesSchema).optional(),
    deployment: DeploymentSchema.optional(),
  })
  .strict();
export type CustodyConfig = z.infer<typeof CustodyConfigSchema>;

/** Parses a configuration object; every problem is named with its path. */
export function parseConfig(raw: unknown): CustodyConfig {
  const parsed = CustodyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InvalidInputError(`invalid configuration at ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return parsed.data;
}

export function loadConfigFile(path: string): CustodyConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read configuration file ${path}`, {}, { cause: error });
  }
  try {
    return parseConfig(JSON.parse(text));
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`configuration file ${path} is not valid JSON`, {}, { cause: error });
  }
}

/** The log groups configured for an account in a region: `accountId/region` over account id over region name. */
export function logSourcesFor(config: CustodyConfig, accountId: string, region: string): LogSources {
  const sources = config.logSources ?? {};
  return { ...sources[region], ...sources[accountId], ...sources[`${accountId}/${region}`] };
}

/** The forensics destination of a region, or a refusal: evidence is never rerouted to another region. */
export function forensicsFor(config: CustodyConfig, region: string): ForensicsRegion {
  const destination = config.regions[region];
  if (!destination) {
    throw new RegionNotConfiguredError(
      `region ${region} has no forensics account configured; evidence never leaves its region, so this target is refused`,
      { region },
    );
  }
  return destination;
}
