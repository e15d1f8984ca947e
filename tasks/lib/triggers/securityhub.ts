// Triage of Security Hub "Findings - Imported" and "Findings - Custom Action" events: every AwsEc2Instance resource a target.
import { z } from 'zod';
import { AccountIdSchema, INSTANCE_ID, RegionSchema } from '../case';
import type { Finding, Target } from '../case';
import { InvalidInputError, UnsupportedEventError } from '../errors';
import { clip, cleanDomains, cleanIps, cleanPorts, dedupeTargets, labelFor, parseOrReject, quote } from './common';
import type { CaseDraft } from './common';
import { GUARDDUTY_FINDING_ARN, isRecord } from './guardduty';

/** EC2 instance ARN as ASFF gives it in Resources[].Id: arn:<partition>:ec2:<region>:<account>:instance/<id>. */
const INSTANCE_ARN = /^arn:aws(?:-cn|-us-gov)?:ec2:([^:]*):([^:]*):instance\/(.*)$/s;
const GUARDDUTY_PRODUCT = /^arn:aws(?:-cn|-us-gov)?:securityhub:[a-z0-9-]+::product\/aws\/guardduty$/;

// When only Severity.Label is given, Security Hub sets Normalized to these values ("Severity" in the ASFF reference).
const LABEL_SCORE: Readonly<Record<string, number>> = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 40, HIGH: 70, CRITICAL: 90 };

const Timestamp = z.string().datetime({ offset: true }).optional().catch(undefined);

// ASFF attributes triage relies on ("AWS Security Finding Format (ASFF)" in the Security Hub User Guide); others ignored.
const AsffSchema = z.object({
  Id: z.string().min(1).max(512),
  ProductArn: z.string().min(1).max(2048),
  AwsAccountId: AccountIdSchema,
  Region: RegionSchema.optional(),
  Types: z.array(z.string().max(512)).max(50).optional().catch(undefined),
  Title: z.string().optional().catch(undefined),
  UpdatedAt: Timestamp,
  FirstObservedAt: Timestamp,
  LastObservedAt: Timestamp,
  Severity: z
    .object({
      Label: z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).optional(),
      Normalized: z.number().min(0).max(100).optional(),
    })
    .optional()
    .catch(undefined),
  Resources: z
    .array(z.object({ Type: z.string().max(256), Id: z.string().max(2048), Region: RegionSchema.optional() }))
    .min(1)
    .max(32),
  RecordState: z.string().optional().catch(undefined),
  Workflow: z.object({ Status: z.string().optional() }).optional().catch(undefined),
  ProductFields: z.record(z.string(), z.unknown()).optional().catch(undefined),
  Network: z.record(z.string(), z.unknown()).optional().catch(undefined),
});
type Asff = z.infer<typeof AsffSchema>;

const DetailSchema = z.object({
  findings: z.array(z.unknown()).min(1, 'holds no finding').max(100),
  actionName: z.string().optional().catch(undefined),
  actionDescription: z.string().optional().catch(undefined),
});

/** Normalises a Security Hub findings event; a finding without an EC2 instance resource is refused, not guessed at. */
export function fromSecurityHub(event: Record<string, unknown>, customAction: boolean): CaseDraft {
  if (!isRecord(event.detail))
    throw new InvalidInputError('Security Hub event has no detail object: detail is required');
  const detail = parseOrReject(DetailSchema, event.detail, 'Security Hub event', 'detail');
  const findings = detail.findings.map((raw, index) =>
    parseOrReject(AsffSchema, raw, 'Security Hub finding', `detail.findings.${index}`),
  );
  const targets: Target[] = [];
  findings.forEach((finding, index) => {
    // A responder who picks a custom action chose the finding explicitly; only automatic imports skip closed findings.
    if (!customAction) refuseClosed(finding);
    const found = instanceTargets(finding, index);
    if (found.length === 0) {
      const types = [...new Set(finding.Resources.map((r) => r.Type))].slice(0, 5).map(quote).join(', ');
      throw new UnsupportedEventError(
        `Security Hub finding detail.findings.${index} has no AwsEc2Instance resource (only ${types}); Custody only collects from EC2 instances`,
      );
    }
    targets.push(...found);
  });
  const keys = findings.map(findingKey).sort();
  const first = toFinding(findings[0], targets[0].region);
  const requestedBy = customAction
    ? clip(`Security Hub custom action ${quote(detail.actionName ?? 'unnamed')}`, 256)
    : 'aws.securityhub (EventBridge)';
  const why = customAction && detail.actionDescription ? `${detail.actionDescription} — ` : '';
  return {
    trigger: 'securityhub',
    mode: 'collect',
    targets: dedupeTargets(targets),
    findingKey: keys.join('\n'),
    finding: first,
    requestedBy,
    reason: clip(
      `${why}Security Hub ${first.type}: ${first.title}${findings.length > 1 ? ` (+${findings.length - 1} more findings)` : ''}`,
      2048,
    ),
  };
}

function refuseClosed(finding: Asff): void {
  const archived =
    finding.RecordState === 'ARCHIVED' || finding.ProductFields?.['aws/guardduty/service/archived'] === 'true';
  // Workflow.Status RESOLVED means reviewed and remediated, SUPPRESSED reviewed and not acted on ("Workflow", AWS Security
  // Finding Format); an import that reports either is a closed finding's update, not a new incident.
  const status = finding.Workflow?.Status;
  if (archived || status === 'SUPPRESSED' || status === 'RESOLVED') {
    throw new UnsupportedEventError(
      `Security Hub finding ${quote(finding.Id)} is archived, suppressed or resolved; start a manual request if it still needs collection`,
    );
  }
}

/** The AwsEc2Instance resources of a finding, validated against the finding's own account and region. */
function instanceTargets(finding: Asff, index: number): Target[] {
  const where = `detail.findings.${index}`;
  return finding.Resources.filter((r) => r.Type === 'AwsEc2Instance').map((resource, r) => {
    const at = `${where}.Resources.${r}.Id`;
    const match = INSTANCE_ARN.exec(resource.Id);
    // Some providers give the bare instance id; the finding's account and region then locate it.
    const [instanceId, accountId, region] = match
      ? [match[3], match[2], match[1]]
      : [resource.Id, finding.AwsAccountId, resource.Region ?? finding.Region];
    if (!INSTANCE_ID.test(instanceId))
      throw new InvalidInputError(`Security Hub finding: ${at} names no valid EC2 instance id (${quote(resource.Id)})`);
    if (accountId !== finding.AwsAccountId) {
      throw new InvalidInputError(
        `Security Hub finding: ${at} is in account ${quote(accountId)}, not the finding's AwsAccountId ${finding.AwsAccountId}`,
      );
    }
    if (!region || !RegionSchema.safeParse(region).success)
      throw new InvalidInputError(`Security Hub finding: ${at} names no valid region (${quote(region ?? '')})`);
    for (const stated of [finding.Region, resource.Region]) {
      if (stated && stated !== region) {
        throw new InvalidInputError(
          `Security Hub finding: ${at} is in region ${region}, but the finding says ${stated}`,
        );
      }
    }
    return { instanceId, accountId, region };
  });
}

/**
 * The name a finding's case id derives from. GuardDuty findings imported into Security Hub keep the GuardDuty finding ARN as
 * their ASFF Id ("Integrating with AWS Security Hub" in the GuardDuty User Guide), so they map to the same case as the direct
 * GuardDuty event; any other finding is named by ProductArn/Id, the form of the `aws/securityhub/FindingId` product field.
 */
export function findingKey(finding: Pick<Asff, 'Id' | 'ProductArn'>): string {
  if (GUARDDUTY_PRODUCT.test(finding.ProductArn) && GUARDDUTY_FINDING_ARN.test(finding.Id)) return finding.Id;
  return `${finding.ProductArn}/${finding.Id}`;
}

function toFinding(asff: Asff, targetRegion: string): Finding {
  const label = asff.Severity?.Label;
  const severity = asff.Severity?.Normalized ?? (label ? LABEL_SCORE[label] : 0);
  const fromGuardDuty = GUARDDUTY_PRODUCT.test(asff.ProductArn) && GUARDDUTY_FINDING_ARN.test(asff.Id);
  const indicators = networkIndicators(asff);
  const count = Number(asff.ProductFields?.['aws/guardduty/service/count']);
  const type = asff.Types?.[0] ?? 'Unknown';
  return {
    source: 'securityhub',
    id: asff.Id,
    arn: fromGuardDuty ? asff.Id : clip(`${asff.ProductArn}/${asff.Id}`, 2048),
    type: clip(type, 512),
    title: clip(asff.Title ?? type, 1024),
    severity,
    severityLabel: label ?? labelFor(severity),
    accountId: asff.AwsAccountId,
    region: asff.Region ?? targetRegion,
    firstSeen: asff.FirstObservedAt,
    lastSeen: asff.LastObservedAt,
    updatedAt: asff.UpdatedAt,
    count: Number.isInteger(count) && count >= 0 ? count : undefined,
    remoteIps: indicators.remoteIps,
    domains: indicators.domains,
    ports: indicators.ports,
    actionType:
      typeof asff.ProductFields?.['aws/guardduty/service/action/actionType'] === 'string'
        ? clip(asff.ProductFields['aws/guardduty/service/action/actionType'] as string, 64)
        : undefined,
    productArn: asff.ProductArn,
  };
}

/** Remote IPs, domains and ports from ASFF Network and, for GuardDuty findings, the flattened action in ProductFields. */
function networkIndicators(asff: Asff): { remoteIps: string[]; domains: string[]; ports: number[] } {
  const net = asff.Network ?? {};
  const ips: unknown[] = [];
  const domains: unknown[] = [];
  const ports: unknown[] = [];
  const inbound = net.Direction === 'IN';
  const outbound = net.Direction === 'OUT';
  // Direction IN: the source is the remote peer; OUT: the destination is. Unknown direction keeps both.
  if (!outbound) {
    ips.push(net.SourceIpV4, net.SourceIpV6);
    domains.push(net.SourceDomain);
  }
  if (!inbound) {
    ips.push(net.DestinationIpV4, net.DestinationIpV6);
    domains.push(net.DestinationDomain);
  }
  // As for a GuardDuty finding: the remote peer's port, and for inbound traffic the local service port it reached.
  if (inbound) ports.push(net.SourcePort);
  ports.push(net.DestinationPort);
  const fields = Object.entries(asff.ProductFields ?? {}).slice(0, 500);
  const inboundAction = fields.some(
    ([key, value]) => /networkConnectionAction\/connectionDirection$/.test(key) && value === 'INBOUND',
  );
  for (const [key, value] of fields) {
    if (/remoteIpDetails\/ipAddressV[46]$/.test(key)) ips.push(value);
    if (/(dnsRequestAction|domainDetails)\/domain$/.test(key)) domains.push(value);
    if (/remotePortDetails\/port$/.test(key)) ports.push(Number(value));
    if (/portProbeDetails\/\d+\/localPortDetails\/port$/.test(key)) ports.push(Number(value));
    if (inboundAction && /networkConnectionAction\/localPortDetails\/port$/.test(key)) ports.push(Number(value));
  }
  return { remoteIps: cleanIps(ips), domains: cleanDomains(domains), ports: cleanPorts(ports) };
}
