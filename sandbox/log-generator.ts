// Expands a scenario's compact `generatedLogs` specs into bulk, deterministic log lines (flow logs, Resolver queries, CloudTrail).
import { z } from 'zod';
import type { RegionState } from './scenario';

const Window = {
  /** Same seed, same lines: a scenario replays identically. */
  seed: z.number().int().default(1),
  count: z.number().int().positive().max(5_000_000),
  start: z.string().datetime(),
  end: z.string().datetime(),
  accountId: z.string().regex(/^\d{12}$/),
};

export const GeneratedLogSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('vpc-flow'),
      ...Window,
      logGroup: z.string(),
      networkInterfaceId: z.string(),
      localIp: z.string(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('dns'),
      ...Window,
      logGroup: z.string(),
      region: z.string(),
      vpcId: z.string(),
      instanceId: z.string(),
      srcaddr: z.string(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('cloudtrail'),
      ...Window,
      region: z.string(),
      roleName: z.string(),
      /** Session name: the instance id for an instance profile's credentials. */
      sessionName: z.string(),
      sourceIPAddress: z.string(),
    })
    .strict(),
]);
export type GeneratedLogSpec = z.infer<typeof GeneratedLogSpecSchema>;
type Spec<K extends GeneratedLogSpec['kind']> = Extract<GeneratedLogSpec, { kind: K }>;

/** One CloudWatch Logs event as the sandbox stores it. */
export interface LogEventLine {
  readonly timestamp: number;
  readonly message: string;
  readonly logStreamName: string;
}

/** mulberry32: a tiny seeded PRNG, so generated logs are the same on every run. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Evenly spread, increasing times (ms) across the spec's window. */
function* times(spec: { start: string; end: string; count: number }, random: () => number): Generator<number> {
  const start = Date.parse(spec.start);
  const span = Date.parse(spec.end) - start;
  for (let i = 0; i < spec.count; i += 1) yield Math.floor(start + ((i + random() * 0.999) / spec.count) * span);
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Default-format (version 2) flow-log records: load-balancer traffic, endpoint calls, and rejected internet scans. */
export function* generateFlowLines(spec: Spec<'vpc-flow'>): Generator<LogEventLine> {
  const random = prng(spec.seed);
  for (const at of times(spec, random)) {
    const start = Math.floor(at / 1000);
    const end = start + 60;
    const kind = random();
    const port = 32768 + Math.floor(random() * 28000);
    const packets = 1 + Math.floor(random() * 40);
    const bytes = packets * (60 + Math.floor(random() * 1400));
    let fields: string;
    if (kind < 0.6)
      fields = `10.20.1.${10 + Math.floor(random() * 40)} ${spec.localIp} ${port} 80 6 ${packets} ${bytes} ${start} ${end} ACCEPT`;
    else if (kind < 0.9)
      fields = `${spec.localIp} ${pick(random, ['10.20.1.10', '10.20.1.11', '10.20.1.12'])} ${port} 443 6 ${packets} ${bytes} ${start} ${end} ACCEPT`;
    else
      fields = `198.18.${Math.floor(random() * 255)}.${Math.floor(random() * 255)} ${spec.localIp} ${port} ${pick(random, [23, 3389, 445, 8080])} 6 1 44 ${start} ${end} REJECT`;
    yield {
      timestamp: start * 1000,
      message: `2 ${spec.accountId} ${spec.networkInterfaceId} ${fields} OK`,
      logStreamName: `${spec.networkInterfaceId}-all`,
    };
  }
}

const BENIGN_NAMES = [
  'ssm.eu-west-1.amazonaws.com.',
  'ec2messages.eu-west-1.amazonaws.com.',
  's3.eu-west-1.amazonaws.com.',
  'api.partner.example.',
  'packages.example.',
];

/** Route 53 Resolver query-log records (JSON, version 1.100000) for one instance. */
export function* generateDnsLines(spec: Spec<'dns'>): Generator<LogEventLine> {
  const random = prng(spec.seed);
  for (const at of times(spec, random)) {
    const seconds = Math.floor(at / 1000) * 1000;
    const record = {
      version: '1.100000',
      account_id: spec.accountId,
      region: spec.region,
      vpc_id: spec.vpcId,
      query_timestamp: new Date(seconds).toISOString().replace('.000Z', 'Z'),
      query_name: pick(random, BENIGN_NAMES),
      query_type: 'A',
      query_class: 'IN',
      rcode: 'NOERROR',
      answers: [{ Rdata: `10.20.1.${10 + Math.floor(random() * 3)}`, Type: 'A', Class: 'IN' }],
      srcaddr: spec.srcaddr,
      srcport: String(32768 + Math.floor(random() * 28000)),
      transport: 'UDP',
      srcids: { instance: spec.instanceId },
    };
    yield { timestamp: seconds, message: JSON.stringify(record), logStreamName: `${spec.vpcId}_${spec.instanceId}` };
  }
}

const ROUTINE_CALLS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['ssm.amazonaws.com', 'UpdateInstanceInformation', false],
  ['ec2messages.amazonaws.com', 'AcknowledgeMessage', false],
  ['ssm.amazonaws.com', 'ListInstanceAssociations', true],
  ['kms.amazonaws.com', 'Decrypt', true],
];

/** Routine management events made with an instance profile's credentials, from the instance itself. */
export function* generateCloudTrailEvents(spec: Spec<'cloudtrail'>): Generator<Record<string, unknown>> {
  const random = prng(spec.seed);
  let n = 0;
  for (const at of times(spec, random)) {
    const [eventSource, eventName, readOnly] = pick(random, ROUTINE_CALLS);
    n += 1;
    const id = `${spec.seed.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    yield cloudTrailRecord(spec, { at, eventSource, eventName, readOnly, id });
  }
}

function cloudTrailRecord(
  spec: Spec<'cloudtrail'>,
  call: { at: number; eventSource: string; eventName: string; readOnly: boolean; id: string },
): Record<string, unknown> {
  const roleArn = `arn:aws:iam::${spec.accountId}:role/${spec.roleName}`;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLEID:${spec.sessionName}`,
      arn: `arn:aws:sts::${spec.accountId}:assumed-role/${spec.roleName}/${spec.sessionName}`,
      accountId: spec.accountId,
      accessKeyId: 'ASIAEXAMPLEINSTANCE1',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID',
          arn: roleArn,
          accountId: spec.accountId,
          userName: spec.roleName,
        },
        ec2RoleDelivery: '2.0',
      },
    },
    eventTime: new Date(Math.floor(call.at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIPAddress,
    userAgent: 'aws-sdk-go-v2/1.30.3 os/linux amazon-ssm-agent/3.3.1142.0',
    requestParameters: call.eventSource === 'ssm.amazonaws.com' ? { instanceId: spec.sessionName } : null,
    responseElements: null,
    requestID: call.id,
    eventID: call.id,
    readOnly: call.readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: spec.accountId,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${call.eventSource.split('.')[0]}.${spec.region}.amazonaws.com`,
    },
  };
}

const expandedGroups = new WeakMap<RegionState, ReadonlyMap<string, readonly LogEventLine[]>>();
const expandedTrail = new WeakMap<RegionState, readonly Record<string, unknown>[]>();

/** A region's generated CloudWatch Logs events per log group, in time order; built once per region state and kept beside it. */
export function generatedLogGroupsOf(state: RegionState): ReadonlyMap<string, readonly LogEventLine[]> {
  const cached = expandedGroups.get(state);
  if (cached) return cached;
  const groups = new Map<string, LogEventLine[]>();
  for (const spec of state.generatedLogs ?? []) {
    if (spec.kind === 'cloudtrail') continue;
    const lines = groups.get(spec.logGroup) ?? [];
    for (const line of spec.kind === 'vpc-flow' ? generateFlowLines(spec) : generateDnsLines(spec)) lines.push(line);
    groups.set(spec.logGroup, lines);
  }
  for (const lines of groups.values()) lines.sort((a, b) => a.timestamp - b.timestamp);
  expandedGroups.set(state, groups);
  return groups;
}

/** A region's generated CloudTrail records (hand-written ones stay in the scenario and are merged by the handler). */
export function generatedCloudTrailOf(state: RegionState): readonly Record<string, unknown>[] {
  const cached = expandedTrail.get(state);
  if (cached) return cached;
  const records: Record<string, unknown>[] = [];
  for (const spec of state.generatedLogs ?? []) {
    if (spec.kind !== 'cloudtrail') continue;
    for (const record of generateCloudTrailEvents(spec)) records.push(record);
  }
  expandedTrail.set(state, records);
  return records;
}
