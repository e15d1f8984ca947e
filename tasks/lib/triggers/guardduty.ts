// Triage of a GuardDuty "GuardDuty Finding" EventBridge event: one EC2 instance target, the finding, and its indicators.
import { z } from 'zod';
import { AccountIdSchema, InstanceIdSchema, RegionSchema } from '../case';
import type { Finding, Target } from '../case';
import { InvalidInputError, UnsupportedEventError } from '../errors';
import { clip, cleanDomains, cleanIps, cleanPorts, labelFor, parseOrReject, quote } from './common';
import type { CaseDraft } from './common';

/** GuardDuty finding ARN: arn:<partition>:guardduty:<region>:<account>:detector/<detectorId>/finding/<findingId>. */
export const GUARDDUTY_FINDING_ARN =
  /^arn:aws(?:-cn|-us-gov)?:guardduty:([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d):(\d{12}):detector\/[a-z0-9]{1,64}\/finding\/([a-z0-9]{1,64})$/;

/** The shape of an Availability Zone or Local Zone name: a region name, then a zone suffix. */
const AVAILABILITY_ZONE = /^[a-z]{2}(-[a-z]+)+-\d+(-[a-z]+-\d+)?[a-z]$/;

const Timestamp = z.string().datetime({ offset: true }).optional().catch(undefined);

// Only the fields triage relies on; AWS adds fields over time, so unknown ones are ignored, not rejected.
// Finding fields: "Finding" in the GuardDuty API Reference and "GuardDuty finding format" in the GuardDuty User Guide.
const DetailSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'not a GuardDuty finding id'),
  arn: z.string().regex(GUARDDUTY_FINDING_ARN, 'not a GuardDuty finding ARN'),
  accountId: AccountIdSchema,
  region: RegionSchema,
  type: z.string().min(1).max(512),
  title: z.string().optional().catch(undefined),
  severity: z.number().min(0).max(10),
  updatedAt: Timestamp,
  resource: z.object({
    resourceType: z.literal('Instance'),
    instanceDetails: z.object({
      instanceId: InstanceIdSchema,
      availabilityZone: z.string().max(64).optional().catch(undefined),
    }),
  }),
  service: z
    .object({
      archived: z.boolean().optional().catch(undefined),
      count: z.number().int().min(0).optional().catch(undefined),
      eventFirstSeen: Timestamp,
      eventLastSeen: Timestamp,
      action: z.unknown().optional(),
      additionalInfo: z.object({ sample: z.unknown().optional() }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
});

/** Normalises a GuardDuty finding event; only findings about an EC2 instance become cases. */
export function fromGuardDuty(event: Record<string, unknown>): CaseDraft {
  const detail = event.detail;
  if (!isRecord(detail)) throw new InvalidInputError('GuardDuty event has no detail object: detail is required');
  const resource = isRecord(detail.resource) ? detail.resource : undefined;
  const resourceType = resource?.resourceType;
  if (resourceType === undefined)
    throw new InvalidInputError('GuardDuty finding: detail.resource.resourceType is required');
  if (resourceType !== 'Instance') {
    throw new UnsupportedEventError(
      `GuardDuty finding is about resource type ${quote(resourceType)}, not an EC2 instance; Custody only collects from EC2 instances`,
      { resourceType: clip(String(resourceType), 64) },
    );
  }
  const parsed = parseOrReject(DetailSchema, detail, 'GuardDuty finding', 'detail');
  const [, arnRegion, arnAccount, arnFindingId] = GUARDDUTY_FINDING_ARN.exec(parsed.arn) ?? [];
  if (arnRegion !== parsed.region || arnAccount !== parsed.accountId || arnFindingId !== parsed.id) {
    throw new InvalidInputError(
      'GuardDuty finding: detail.arn does not match detail.id, detail.accountId and detail.region',
    );
  }
  const zone = parsed.resource.instanceDetails.availabilityZone;
  // Sample findings hold placeholders such as "GeneratedFindingInstaceAvailabilityZone" ("Sample findings", GuardDuty User
  // Guide): only a value shaped like a zone name (eu-west-1a, us-west-2-lax-1a) can contradict the region.
  if (zone && AVAILABILITY_ZONE.test(zone) && !zone.startsWith(parsed.region)) {
    throw new InvalidInputError(
      `GuardDuty finding: instance availability zone ${quote(zone)} is not in the finding's region ${parsed.region}`,
    );
  }
  // Archived findings were closed by a responder or a suppression rule ("Suppression rules" in the GuardDuty User Guide).
  // Sample findings are accepted: they are how teams rehearse, and an instance that does not exist is caught by
  // PreserveInstance as TargetNotFoundError before anything is changed.
  if (parsed.service?.archived === true) {
    throw new UnsupportedEventError(
      `GuardDuty finding ${parsed.id} is archived; start a manual request if it still needs collection`,
    );
  }
  const target: Target = {
    instanceId: parsed.resource.instanceDetails.instanceId,
    accountId: parsed.accountId,
    region: parsed.region,
  };
  const severity = Math.round(parsed.severity * 100) / 10;
  const found = actionIndicators(parsed.service?.action);
  const finding: Finding = {
    source: 'guardduty',
    id: parsed.id,
    arn: parsed.arn,
    type: clip(parsed.type, 512),
    title: clip(parsed.title ?? parsed.type, 1024),
    severity,
    severityLabel: labelFor(severity),
    accountId: parsed.accountId,
    region: parsed.region,
    firstSeen: parsed.service?.eventFirstSeen,
    lastSeen: parsed.service?.eventLastSeen,
    updatedAt: parsed.updatedAt,
    count: parsed.service?.count,
    remoteIps: found.remoteIps,
    domains: found.domains,
    ports: found.ports,
    actionType: found.actionType,
  };
  return {
    trigger: 'guardduty',
    mode: 'collect',
    targets: [target],
    findingKey: parsed.arn,
    finding,
    requestedBy: 'aws.guardduty (EventBridge)',
    reason: clip(`GuardDuty ${finding.type}: ${finding.title}`, 2048),
  };
}

export interface ActionIndicators {
  readonly actionType?: string;
  readonly remoteIps: string[];
  readonly domains: string[];
  readonly ports: number[];
}

/**
 * Remote IPs, domains and ports named by a GuardDuty service.action, for correlation with flow logs and DNS logs.
 * Shapes: "Action" and its NetworkConnectionAction / DnsRequestAction / AwsApiCallAction / PortProbeAction members
 * in the GuardDuty API Reference.
 */
export function actionIndicators(action: unknown): ActionIndicators {
  if (!isRecord(action)) return { remoteIps: [], domains: [], ports: [] };
  const ips: unknown[] = [];
  const domains: unknown[] = [];
  const ports: unknown[] = [];
  const network = record(action.networkConnectionAction);
  if (network) {
    ips.push(...ipsOf(network.remoteIpDetails));
    ports.push(record(network.remotePortDetails)?.port);
    // For inbound traffic the local port is the service that was reached; outbound, it is an ephemeral port.
    if (network.connectionDirection === 'INBOUND') ports.push(record(network.localPortDetails)?.port);
  }
  const dns = record(action.dnsRequestAction);
  if (dns) domains.push(dns.domain);
  const api = record(action.awsApiCallAction);
  if (api) {
    ips.push(...ipsOf(api.remoteIpDetails));
    domains.push(record(api.domainDetails)?.domain);
  }
  const probe = record(action.portProbeAction);
  const probes = Array.isArray(probe?.portProbeDetails) ? probe.portProbeDetails.slice(0, 100) : [];
  for (const detail of probes) {
    ips.push(...ipsOf(record(detail)?.remoteIpDetails));
    ports.push(record(record(detail)?.localPortDetails)?.port);
  }
  const actionType = typeof action.actionType === 'string' ? clip(action.actionType, 64) : undefined;
  return { actionType, remoteIps: cleanIps(ips), domains: cleanDomains(domains), ports: cleanPorts(ports) };
}

function ipsOf(details: unknown): unknown[] {
  const found = record(details);
  return found ? [found.ipAddressV4, found.ipAddressV6] : [];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
