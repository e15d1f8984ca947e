// CloudTrail in the sandbox: LookupEvents over the scenario's hand-written and generated management events, throttled as AWS does.
import type { Event, LookupEventsCommandInput, LookupEventsCommandOutput, Resource } from '@aws-sdk/client-cloudtrail';
import { awsError } from '../errors';
import { generatedCloudTrailOf } from '../log-generator';
import type { CallContext, Sandbox } from '../sandbox';

/** "The rate of lookup requests is limited to two per second, per account, per Region" (CloudTrail API Reference, LookupEvents). */
export const LOOKUP_EVENTS_PER_SECOND = 2;

const recentCalls = new WeakMap<Sandbox, Map<string, number[]>>();

function throttle(ctx: CallContext): void {
  const perSandbox = recentCalls.get(ctx.sandbox) ?? new Map<string, number[]>();
  recentCalls.set(ctx.sandbox, perSandbox);
  const key = `${ctx.caller.accountId}:${ctx.region}`;
  const now = Date.now();
  const window = (perSandbox.get(key) ?? []).filter((at) => now - at < 1000);
  if (window.length >= LOOKUP_EVENTS_PER_SECOND) {
    perSandbox.set(key, window);
    throw awsError('ThrottlingException', 'Rate exceeded', { httpStatusCode: 400 });
  }
  window.push(now);
  perSandbox.set(key, window);
}

const RESOURCE_TYPES: Readonly<Record<string, string>> = {
  i: 'AWS::EC2::Instance',
  vol: 'AWS::EC2::Volume',
  eni: 'AWS::EC2::NetworkInterface',
  sg: 'AWS::EC2::SecurityGroup',
  snap: 'AWS::EC2::Snapshot',
};

/** CloudTrail derives an event's resources from its request and response; ids of the EC2 kinds Custody looks up are enough here. */
function resourcesOf(record: Record<string, unknown>): Resource[] {
  const text = JSON.stringify([record.requestParameters ?? null, record.responseElements ?? null]);
  const seen = new Map<string, Resource>();
  for (const match of text.matchAll(/\b(i|vol|eni|sg|snap)-[0-9a-f]{8,17}\b/g)) {
    seen.set(match[0], { ResourceType: RESOURCE_TYPES[match[1]], ResourceName: match[0] });
  }
  for (const resource of (record.resources as Array<{ ARN?: string; type?: string }> | undefined) ?? []) {
    const name = resource.ARN?.split('/').pop();
    if (name) seen.set(name, { ResourceType: resource.type, ResourceName: name });
  }
  return [...seen.values()];
}

/** The console's "User name": the role session name for assumed roles (an instance id for instance profiles). */
function usernameOf(identity: Record<string, unknown> | undefined): string | undefined {
  if (!identity) return undefined;
  if (identity.type === 'AssumedRole')
    return String(identity.arn ?? '')
      .split('/')
      .pop();
  if (identity.type === 'Root') return 'root';
  return (identity.userName as string | undefined) ?? (identity.invokedBy as string | undefined);
}

function toEvent(record: Record<string, unknown>): Event {
  const identity = record.userIdentity as Record<string, unknown> | undefined;
  return {
    EventId: String(record.eventID),
    EventName: String(record.eventName),
    ReadOnly: String(record.readOnly ?? false),
    AccessKeyId: identity?.accessKeyId as string | undefined,
    EventTime: new Date(String(record.eventTime)),
    EventSource: String(record.eventSource),
    Username: usernameOf(identity),
    Resources: resourcesOf(record),
    CloudTrailEvent: JSON.stringify(record),
  };
}

function matches(event: Event, key: string, value: string): boolean {
  switch (key) {
    case 'EventId':
      return event.EventId === value;
    case 'EventName':
      return event.EventName === value;
    case 'ReadOnly':
      return event.ReadOnly === value;
    case 'Username':
      return event.Username === value;
    case 'EventSource':
      return event.EventSource === value;
    case 'AccessKeyId':
      return event.AccessKeyId === value;
    case 'ResourceName':
      return (event.Resources ?? []).some((resource) => resource.ResourceName === value);
    case 'ResourceType':
      return (event.Resources ?? []).some((resource) => resource.ResourceType === value);
    default:
      throw awsError('InvalidLookupAttributesException', `Invalid attribute key: ${key}`);
  }
}

function lookupEvents(ctx: CallContext, input: LookupEventsCommandInput): Partial<LookupEventsCommandOutput> {
  throttle(ctx);
  const attributes = input.LookupAttributes ?? [];
  if (attributes.length > 1)
    throw awsError('InvalidLookupAttributesException', 'You can specify only one lookup attribute.');
  const maxResults = input.MaxResults ?? 50;
  if (maxResults < 1 || maxResults > 50)
    throw awsError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
  const start = input.StartTime?.getTime() ?? 0;
  const end = input.EndTime?.getTime() ?? Date.now();
  if (start > end) throw awsError('InvalidTimeRangeException', 'StartTime must be before EndTime.');
  const offset = input.NextToken ? decodeToken(input.NextToken) : 0;
  const [attribute] = attributes;
  const events = [...ctx.regionState.cloudTrailEvents, ...generatedCloudTrailOf(ctx.regionState)]
    .map(toEvent)
    .filter((event) => {
      const at = event.EventTime!.getTime();
      if (at < start || at > end) return false;
      return !attribute || matches(event, attribute.AttributeKey ?? '', attribute.AttributeValue ?? '');
    })
    // LookupEvents returns the most recent events first.
    .sort(
      (a, b) => b.EventTime!.getTime() - a.EventTime!.getTime() || (a.EventId ?? '').localeCompare(b.EventId ?? ''),
    );
  const page = events.slice(offset, offset + maxResults);
  const next = offset + maxResults < events.length ? encodeToken(offset + maxResults) : undefined;
  return { Events: page, NextToken: next };
}

function encodeToken(offset: number): string {
  return Buffer.from(`lookup:${offset}`).toString('base64');
}

function decodeToken(token: string): number {
  const match = /^lookup:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
  if (!match) throw awsError('InvalidNextTokenException', 'Invalid NextToken.');
  return Number(match[1]);
}

export const cloudTrail = {
  LookupEvents: lookupEvents,
};
