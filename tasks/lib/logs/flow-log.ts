// Parses VPC Flow Log records in the default format (version 2), as CloudWatch Logs delivers them one record per event.
/**
 * Default format fields, in order (Amazon VPC User Guide, "Flow log records" → "Default format"):
 * version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status.
 * NODATA/SKIPDATA records carry `-` in the fields that have no value.
 */
export const DEFAULT_FLOW_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

export interface FlowRecord {
  readonly version: number;
  readonly accountId: string;
  readonly interfaceId: string;
  readonly srcaddr?: string;
  readonly dstaddr?: string;
  readonly srcport?: number;
  readonly dstport?: number;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP). */
  readonly protocol?: number;
  readonly packets?: number;
  readonly bytes?: number;
  /** Seconds since the epoch: the capture window's first and last packet. */
  readonly start: number;
  readonly end: number;
  readonly action?: 'ACCEPT' | 'REJECT';
  readonly logStatus: 'OK' | 'NODATA' | 'SKIPDATA';
}

const PROTOCOLS: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

export function protocolName(protocol: number | undefined): string {
  if (protocol === undefined) return '-';
  return PROTOCOLS[protocol] ?? String(protocol);
}

const num = (value: string): number | undefined => (value === '-' ? undefined : Number(value));
const str = (value: string): string | undefined => (value === '-' ? undefined : value);

// Any whitespace but the plain space: when there is none, a split on single spaces that leaves no empty field is the same as
// a split on runs of whitespace, without the regular expression (flow records are delivered single-space separated).
const OTHER_WHITESPACE = /[^\S ]/;

/** The whitespace-separated fields of a record. */
function splitFields(message: string): string[] {
  const fields = message.split(' ');
  if (fields.length === DEFAULT_FLOW_FIELDS.length && !fields.includes('') && !OTHER_WHITESPACE.test(message))
    return fields;
  return message.trim().split(/\s+/);
}

/** A record, or undefined for a line that is not a default-format version-2 record (custom formats are not guessed at). */
export function parseFlowRecord(message: string): FlowRecord | undefined {
  const fields = splitFields(message);
  if (fields.length !== DEFAULT_FLOW_FIELDS.length || fields[0] !== '2') return undefined;
  const [
    ,
    accountId,
    interfaceId,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    packets,
    bytes,
    start,
    end,
    action,
    logStatus,
  ] = fields;
  if (logStatus !== 'OK' && logStatus !== 'NODATA' && logStatus !== 'SKIPDATA') return undefined;
  if (action !== '-' && action !== 'ACCEPT' && action !== 'REJECT') return undefined;
  const startSeconds = Number(start);
  const endSeconds = Number(end);
  if (!Number.isFinite(startSeconds) || !Number.isFinite(endSeconds)) return undefined;
  return {
    version: 2,
    accountId,
    interfaceId,
    srcaddr: str(srcaddr),
    dstaddr: str(dstaddr),
    srcport: num(srcport),
    dstport: num(dstport),
    protocol: num(protocol),
    packets: num(packets),
    bytes: num(bytes),
    start: startSeconds,
    end: endSeconds,
    action: action === '-' ? undefined : action,
    logStatus,
  };
}

/** CloudWatch Logs filter pattern (space-delimited form) that keeps one ENI's records of the default format. */
export function flowFilterPattern(networkInterfaceId: string): string {
  const names = DEFAULT_FLOW_FIELDS.map((field) => field.replace(/-/g, '_'));
  return `[${names.map((name) => (name === 'interface_id' ? `${name}="${networkInterfaceId}"` : name)).join(', ')}]`;
}
