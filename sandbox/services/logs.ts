// CloudWatch Logs in the sandbox: FilterLogEvents over hand-written and generated log groups (flow logs, Resolver query logs).
import type {
  FilterLogEventsCommandInput,
  FilterLogEventsCommandOutput,
  FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsError } from '../errors';
import type { LogEventLine } from '../log-generator';
import { generatedLogGroupsOf } from '../log-generator';
import type { CallContext } from '../sandbox';

/** FilterLogEvents returns at most 10,000 events per page (CloudWatch Logs API Reference, FilterLogEvents `limit`). */
const MAX_LIMIT = 10_000;

type Matcher = (message: string) => boolean;

/**
 * The filter-pattern forms Custody uses (CloudWatch Logs User Guide, "Filter pattern syntax"): terms (all must appear,
 * quoted terms match exactly, case-sensitive) and the space-delimited form `[a, b="x", c!=y, d>5, ...]`.
 */
export function compileFilterPattern(pattern: string | undefined): Matcher {
  const text = (pattern ?? '').trim();
  if (text === '') return () => true;
  if (text.startsWith('[')) return compileSpaceDelimited(text);
  if (text.startsWith('{'))
    throw awsError('InvalidParameterException', 'the sandbox does not model JSON filter patterns');
  const terms = [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]);
  return (message) => terms.every((term) => message.includes(term));
}

function compileSpaceDelimited(text: string): Matcher {
  if (!text.endsWith(']')) throw awsError('InvalidParameterException', `invalid filter pattern ${text}`);
  const fields = text
    .slice(1, -1)
    .split(',')
    .map((field) => field.trim());
  const checks: Array<{ index: number; test: (value: string) => boolean }> = [];
  fields.forEach((field, index) => {
    const match = /^([\w.-]+)\s*(!=|>=|<=|=|>|<)\s*(.+)$/.exec(field);
    if (!match) return;
    const [, , op, raw] = match;
    const value = raw.replace(/^"(.*)"$/, '$1');
    checks.push({ index, test: comparison(op, value) });
  });
  return (message) => {
    const values = message.split(' ');
    return checks.every((check) => check.index < values.length && check.test(values[check.index]));
  };
}

function comparison(op: string, expected: string): (value: string) => boolean {
  const wildcard = new RegExp(
    `^${expected
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  switch (op) {
    case '=':
      return (value) => wildcard.test(value);
    case '!=':
      return (value) => !wildcard.test(value);
    case '>':
      return (value) => Number(value) > Number(expected);
    case '<':
      return (value) => Number(value) < Number(expected);
    case '>=':
      return (value) => Number(value) >= Number(expected);
    default:
      return (value) => Number(value) <= Number(expected);
  }
}

/** Merged groups per region state, reused while the hand-written events stay as they were (the same count). */
const merged = new WeakMap<object, Map<string, { readonly written: number; readonly events: LogEventLine[] }>>();

/** A group's events, hand-written and generated, in time order; undefined when the group does not exist. */
function groupEvents(ctx: CallContext, name: string): readonly LogEventLine[] | undefined {
  const written = ctx.regionState.logGroups.find((group) => group.name === name);
  const generated = generatedLogGroupsOf(ctx.regionState).get(name);
  if (!written && !generated) return undefined;
  const groups = merged.get(ctx.regionState) ?? new Map();
  merged.set(ctx.regionState, groups);
  const count = written?.events.length ?? 0;
  const cached = groups.get(name);
  if (cached && cached.written === count) return cached.events;
  const events = [...(generated ?? [])];
  for (const event of written?.events ?? []) events.push(event);
  events.sort((a, b) => a.timestamp - b.timestamp);
  groups.set(name, { written: count, events });
  return events;
}

function filterLogEvents(ctx: CallContext, input: FilterLogEventsCommandInput): Partial<FilterLogEventsCommandOutput> {
  const name = input.logGroupName ?? input.logGroupIdentifier?.split(':log-group:').pop()?.replace(/:\*$/, '');
  if (!name) throw awsError('InvalidParameterException', 'logGroupName or logGroupIdentifier is required');
  if (input.logStreamNames && input.logStreamNamePrefix) {
    throw awsError('InvalidParameterException', 'logStreamNames and logStreamNamePrefix are mutually exclusive');
  }
  const limit = input.limit ?? MAX_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT)
    throw awsError('InvalidParameterException', `limit must be between 1 and ${MAX_LIMIT}`);
  const events = groupEvents(ctx, name);
  if (!events) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
  const matcher = compileFilterPattern(input.filterPattern);
  const streams = input.logStreamNames ? new Set(input.logStreamNames) : undefined;
  const start = input.startTime ?? 0;
  const end = input.endTime ?? Number.MAX_SAFE_INTEGER;
  const offset = input.nextToken ? decodeToken(input.nextToken) : 0;
  const page: FilteredLogEvent[] = [];
  let index = offset;
  for (; index < events.length && page.length < limit; index += 1) {
    const event = events[index];
    if (event.timestamp < start || event.timestamp > end) continue;
    if (streams && !streams.has(event.logStreamName)) continue;
    if (input.logStreamNamePrefix && !event.logStreamName.startsWith(input.logStreamNamePrefix)) continue;
    if (!matcher(event.message)) continue;
    page.push({
      logStreamName: event.logStreamName,
      timestamp: event.timestamp,
      message: event.message,
      ingestionTime: event.timestamp + 5_000,
      eventId: `${event.timestamp}${String(index).padStart(12, '0')}`,
    });
  }
  return { events: page, nextToken: index < events.length ? encodeToken(index) : undefined, searchedLogStreams: [] };
}

function encodeToken(offset: number): string {
  return Buffer.from(`filter:${offset}`).toString('base64');
}

function decodeToken(token: string): number {
  const match = /^filter:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
  if (!match) throw awsError('InvalidParameterException', 'The specified nextToken is invalid.');
  return Number(match[1]);
}

export const cloudWatchLogs = {
  FilterLogEvents: filterLogEvents,
};
