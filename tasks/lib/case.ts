// The Case and its parts: the schemas every phase shares, with their TypeScript types inferred from them.
import { z } from 'zod';

export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const ACCOUNT_ID = /^\d{12}$/;
export const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d$/;

export const InstanceIdSchema = z
  .string()
  .regex(INSTANCE_ID, 'not an EC2 instance id (i- followed by 8 or 17 hex digits)');
export const AccountIdSchema = z.string().regex(ACCOUNT_ID, 'not an AWS account id (12 digits)');
export const RegionSchema = z.string().regex(REGION, 'not an AWS region name');

export const TargetSchema = z
  .object({ instanceId: InstanceIdSchema, accountId: AccountIdSchema, region: RegionSchema })
  .strict();
export type Target = z.infer<typeof TargetSchema>;

export const ModeSchema = z.enum(['collect', 'dry-run']);
export type Mode = z.infer<typeof ModeSchema>;

/** How network isolation keeps SSM reachable for memory capture (see docs/containment.md). */
export const IsolationPolicySchema = z.enum(['endpoints-only', 'capture-first', 'full']);
export type IsolationPolicy = z.infer<typeof IsolationPolicySchema>;

export const CaseOptionsSchema = z
  .object({
    isolate: z.boolean().default(true),
    memory: z.boolean().default(true),
    volatile: z.boolean().default(true),
    logs: z.boolean().default(true),
    snapshots: z.boolean().default(true),
    logWindowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
    isolationPolicy: IsolationPolicySchema.default('capture-first'),
    /** Examination on a workstation in the forensics account (docs/workstation.md); off unless the case asks for it. */
    examine: z
      .object({ workstation: z.boolean().default(false) })
      .strict()
      .optional(),
  })
  .strict();
export type CaseOptions = z.infer<typeof CaseOptionsSchema>;

export const TriggerSchema = z.enum(['guardduty', 'securityhub', 'manual']);
export type Trigger = z.infer<typeof TriggerSchema>;

export const FindingSchema = z
  .object({
    source: z.enum(['guardduty', 'securityhub']),
    id: z.string().min(1).max(512),
    arn: z.string().min(1).max(2048),
    type: z.string().max(512),
    title: z.string().max(1024),
    /** 0–100 on the ASFF Severity.Normalized scale; a GuardDuty severity (1.0–10.0) is multiplied by 10. */
    severity: z.number().min(0).max(100),
    severityLabel: z.string().max(32),
    accountId: AccountIdSchema,
    region: RegionSchema,
    firstSeen: z.string().datetime({ offset: true }).optional(),
    lastSeen: z.string().datetime({ offset: true }).optional(),
    updatedAt: z.string().datetime({ offset: true }).optional(),
    count: z.number().int().min(0).optional(),
    remoteIps: z.array(z.string().max(64)).max(100).default([]),
    domains: z.array(z.string().max(255)).max(100).default([]),
    /** Remote (and, for inbound traffic, local) ports named by the finding's action, for flow-log correlation. */
    ports: z.array(z.number().int().min(0).max(65535)).max(100).default([]),
    /** GuardDuty service.action.actionType (NETWORK_CONNECTION, DNS_REQUEST, AWS_API_CALL, PORT_PROBE, …). */
    actionType: z.string().max(64).optional(),
    /** Security Hub ProductArn of the finding's provider (GuardDuty, Inspector, a partner). */
    productArn: z.string().max(2048).optional(),
  })
  .strict();
export type Finding = z.infer<typeof FindingSchema>;

export const CaseSchema = z
  .object({
    caseId: z.string().uuid(),
    mode: ModeSchema,
    trigger: TriggerSchema,
    targets: z.array(TargetSchema).min(1).max(1000),
    finding: FindingSchema.optional(),
    requestedBy: z.string().min(1).max(256),
    reason: z.string().max(2048),
    options: CaseOptionsSchema,
    openedAt: z.string().datetime(),
  })
  .strict();
export type Case = z.infer<typeof CaseSchema>;

/**
 * The marker of a resume (`custody start --resume`): which execution of the case it resumes, who asked and why. A delivery
 * never carries it, so a duplicate never resumes by accident.
 */
export const ResumeSchema = z
  .object({
    caseId: z.string().uuid(),
    /** ARN of the failed, aborted or timed-out execution this one takes over from. */
    resumes: z.string().min(1).max(2048),
    /** That execution's status and error, as DescribeExecution reported them. */
    status: z.enum(['FAILED', 'ABORTED', 'TIMED_OUT']),
    error: z.string().max(256).optional(),
    requestedBy: z.string().min(1).max(256),
    /** The principal the responder acted as (from STS GetCallerIdentity). */
    principal: z.string().max(2048).optional(),
    reason: z.string().min(1).max(2048),
  })
  .strict();
export type Resume = z.infer<typeof ResumeSchema>;

/** Something the case planned but could not collect or do, with the reason: reported, never hidden. */
export const GapSchema = z
  .object({
    target: z.string(),
    step: z.string(),
    reason: z.string(),
    error: z.string().optional(),
  })
  .strict();
export type Gap = z.infer<typeof GapSchema>;

/** A short label for a target in logs and progress lines. */
export function targetLabel(target: Target): string {
  return `${target.accountId}/${target.region}/${target.instanceId}`;
}
