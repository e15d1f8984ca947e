// Normalises every evidence source into Timesketch-ready timeline events (message, datetime, timestamp_desc, source, evidence).
import type { FlowRecord } from './flow-log';
import { parseFlowRecord, protocolName } from './flow-log';
import type { ResolverQuery } from './dns-log';
import { parseResolverQuery } from './dns-log';

export type TimelineSource = 'cloudtrail' | 'vpc-flow' | 'dns' | 'config' | 'finding' | 'custody' | 'plaso';

/**
 * One line of report/timeline.jsonl. Timesketch imports JSONL with `message`, `datetime` (ISO 8601) and `timestamp_desc`;
 * every other field becomes a searchable attribute (Timesketch docs, "Import from JSON or CSV").
 */
export interface TimelineEvent {
  readonly message: string;
  readonly datetime: string;
  /** Microseconds since the epoch, the sort key. */
  readonly timestamp: number;
  readonly timestamp_desc: string;
  readonly source: TimelineSource;
  /** Key (relative to the case prefix) of the evidence object the event came from, and its 1-based line there. */
  readonly evidence: string;
  readonly evidence_line: number;
  readonly [attribute: string]: unknown;
}

/** An event in the making: what a normaliser knows; the caller adds where it came from. */
interface Draft {
  readonly at: number;
  readonly message: string;
  readonly timestamp_desc: string;
  readonly [attribute: string]: unknown;
}

/** The session name of an assumed-role ARN: the instance id when the caller used an instance profile's credentials. */
export function sessionNameOf(arn: string | undefined): string | undefined {
  const match = /:assumed-role\/[^/]+\/(.+)$/.exec(arn ?? '');
  return match?.[1];
}

/** The fields every event starts with, in the order Timesketch users see them; undefined for an unusable time. */
function finish(draft: Draft, source: TimelineSource, evidence: string, line: number): TimelineEvent | undefined {
  if (!Number.isFinite(draft.at)) return undefined;
  const { at, message, timestamp_desc, ...rest } = draft;
  return {
    message,
    datetime: new Date(at).toISOString(),
    timestamp: at * 1000,
    timestamp_desc,
    source,
    evidence,
    evidence_line: line,
    ...rest,
  };
}

// The three high-volume sources build their event in one object literal (same fields and order as `finish` would give):
// no draft, no rest/spread copy, one hidden class per source.

function cloudTrailEvent(record: Record<string, unknown>, evidence: string, line: number): TimelineEvent | undefined {
  const at = Date.parse(String(record.eventTime));
  if (!Number.isFinite(at)) return undefined;
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  const principal = String(identity.arn ?? identity.invokedBy ?? identity.type ?? 'unknown');
  const service = String(record.eventSource ?? '').split('.')[0];
  const error = record.errorCode ? ` failed with ${String(record.errorCode)}` : '';
  const tls = (record.tlsDetails as { tlsVersion?: string } | undefined)?.tlsVersion;
  return {
    message: `${service}:${String(record.eventName)} by ${principal} from ${String(record.sourceIPAddress ?? '-')}${error}`,
    datetime: new Date(at).toISOString(),
    timestamp: at * 1000,
    timestamp_desc: 'API call',
    source: 'cloudtrail',
    evidence,
    evidence_line: line,
    event_id: record.eventID,
    event_name: record.eventName,
    event_source: record.eventSource,
    principal,
    session_name: sessionNameOf(principal),
    source_ip: record.sourceIPAddress,
    user_agent: record.userAgent,
    error_code: record.errorCode,
    read_only: record.readOnly,
    tls_version: tls,
  };
}

// A Date holds ±8.64e15 ms (ECMAScript "Time Values and Time Range"): a record outside that has no datetime.
const MAX_SECONDS = 8.64e12;

function flowEvent(flow: FlowRecord, evidence: string, line: number): TimelineEvent | undefined {
  if (Math.abs(flow.start) > MAX_SECONDS || Math.abs(flow.end) > MAX_SECONDS) return undefined;
  const protocol = protocolName(flow.protocol);
  const what =
    flow.logStatus === 'OK'
      ? `${flow.action} ${protocol} ${flow.srcaddr}:${flow.srcport} -> ${flow.dstaddr}:${flow.dstport}`
      : `${flow.logStatus}`;
  const at = flow.start * 1000;
  return {
    message: `${what} (${flow.packets ?? 0} packets, ${flow.bytes ?? 0} bytes) on ${flow.interfaceId}`,
    datetime: isoSeconds(flow.start),
    timestamp: at * 1000,
    timestamp_desc: 'Flow capture window start',
    source: 'vpc-flow',
    evidence,
    evidence_line: line,
    interface_id: flow.interfaceId,
    src_ip: flow.srcaddr,
    dst_ip: flow.dstaddr,
    src_port: flow.srcport,
    dst_port: flow.dstport,
    protocol,
    action: flow.action,
    packets: flow.packets,
    bytes: flow.bytes,
    window_end: isoSeconds(flow.end),
  };
}

/** ISO-8601 of a flow time, memoised in a small direct-mapped cache: flow records come in runs of nearby seconds. */
const ISO_SLOTS = 256;
const isoKeys = new Float64Array(ISO_SLOTS).fill(Number.NaN);
const isoValues: string[] = new Array<string>(ISO_SLOTS).fill('');
function isoSeconds(seconds: number): string {
  const slot = (seconds | 0) & (ISO_SLOTS - 1);
  if (isoKeys[slot] === seconds) return isoValues[slot];
  const iso = new Date(seconds * 1000).toISOString();
  isoKeys[slot] = seconds;
  isoValues[slot] = iso;
  return iso;
}

function dnsEvent(query: ResolverQuery, evidence: string, line: number): TimelineEvent | undefined {
  const at = Date.parse(query.queryTimestamp);
  if (!Number.isFinite(at)) return undefined;
  const answers = query.answers.length > 0 ? ` = ${query.answers.join(', ')}` : '';
  return {
    message: `${query.instanceId ?? query.srcaddr ?? 'unknown'} queried ${query.queryName} ${query.queryType} (${query.rcode})${answers}`,
    datetime: new Date(at).toISOString(),
    timestamp: at * 1000,
    timestamp_desc: 'DNS query',
    source: 'dns',
    evidence,
    evidence_line: line,
    query_name: query.queryName,
    query_type: query.queryType,
    rcode: query.rcode,
    answers: query.answers,
    src_ip: query.srcaddr,
    instance_id: query.instanceId,
  };
}

function configDraft(item: Record<string, unknown>): Draft {
  return {
    at: Date.parse(String(item.configurationItemCaptureTime)),
    timestamp_desc: 'Configuration recorded',
    message: `${String(item.resourceType)} ${String(item.resourceId)} recorded (${String(item.configurationItemStatus)})`,
    resource_type: item.resourceType,
    resource_id: item.resourceId,
    configuration_status: item.configurationItemStatus,
    configuration: item.configuration,
  };
}

function findingDrafts(finding: Record<string, unknown>): Draft[] {
  const service = (finding.Service ?? {}) as Record<string, unknown>;
  const base = { finding_id: finding.Id, finding_type: finding.Type, severity: finding.Severity };
  const title = `GuardDuty ${String(finding.Type)}: ${String(finding.Title)}`;
  return [
    {
      ...base,
      at: Date.parse(String(service.EventFirstSeen)),
      timestamp_desc: 'Finding activity first seen',
      message: title,
    },
    { ...base, at: Date.parse(String(finding.CreatedAt)), timestamp_desc: 'Finding created', message: title },
    {
      ...base,
      at: Date.parse(String(service.EventLastSeen)),
      timestamp_desc: 'Finding activity last seen',
      message: title,
    },
  ];
}

/** A custody-log entry as the timeline shows it (the entry itself stays the evidence). */
export interface CustodyEntryLike {
  readonly seq: number;
  readonly at: string;
  readonly action: string;
  readonly target: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly artifact?: { readonly key: string };
}

export function custodyEvent(entry: CustodyEntryLike, evidence: string): TimelineEvent | undefined {
  const subject = entry.artifact ? `${entry.target} ${entry.artifact.key}` : entry.target;
  const draft: Draft = {
    at: Date.parse(entry.at),
    timestamp_desc: 'Custody action',
    message: `Custody ${entry.action}: ${subject}`,
    action: entry.action,
    target: entry.target,
    seq: entry.seq,
  };
  return finish(draft, 'custody', evidence, 1);
}

/** The timeline events of one evidence line; a line that does not parse yields none (the caller counts it). */
export function normaliseLine(
  source: Exclude<TimelineSource, 'custody'>,
  evidence: string,
  lineNo: number,
  line: string,
): TimelineEvent[] {
  const event = singleEvent(source, evidence, lineNo, line);
  if (event !== null) return event ? [event] : [];
  const record = safeJson(line) as Record<string, unknown> | undefined;
  if (!record) return [];
  const drafts =
    source === 'config' ? [configDraft(record)] : source === 'plaso' ? plasoDrafts(record) : findingDrafts(record);
  return drafts
    .map((draft) => finish(draft, source, evidence, lineNo))
    .filter((event): event is TimelineEvent => event !== undefined);
}

/** The one event of a flow, DNS or CloudTrail line (undefined when it does not parse); null for the other sources. */
function singleEvent(
  source: TimelineSource,
  evidence: string,
  lineNo: number,
  line: string,
): TimelineEvent | undefined | null {
  if (source === 'vpc-flow' && !line.startsWith('{')) {
    const flow = parseFlowRecord(line);
    return flow && flowEvent(flow, evidence, lineNo);
  }
  if (source === 'vpc-flow' || source === 'dns') {
    // A Resolver line, or a flow line of a case collected before vpc-flow.log (vpc-flow.jsonl: the whole CloudWatch event).
    const wrapper = safeJson(line) as { message?: unknown } | undefined;
    if (typeof wrapper?.message !== 'string') return undefined;
    if (source === 'vpc-flow') {
      const flow = parseFlowRecord(wrapper.message);
      return flow && flowEvent(flow, evidence, lineNo);
    }
    const query = parseResolverQuery(wrapper.message);
    return query && dnsEvent(query, evidence, lineNo);
  }
  if (source !== 'cloudtrail') return null;
  const record = safeJson(line) as Record<string, unknown> | undefined;
  return record ? cloudTrailEvent(record, evidence, lineNo) : undefined;
}

/** A workstation's Plaso event (psort json_line for Timesketch): already message, datetime and timestamp_desc (docs/workstation.md). */
function plasoDrafts(record: Record<string, unknown>): Draft[] {
  const { message, datetime, timestamp_desc: desc, filename, data_type: dataType, volume_id: volumeId } = record;
  if (typeof message !== 'string' || typeof datetime !== 'string') return [];
  return [
    {
      at: Date.parse(datetime),
      message,
      timestamp_desc: typeof desc === 'string' ? desc : 'Unknown',
      filename,
      data_type: dataType,
      volume_id: volumeId,
    },
  ];
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
