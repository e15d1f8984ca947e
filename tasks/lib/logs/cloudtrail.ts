// CloudTrail management events about one instance: LookupEvents per attribute, paged politely, each event kept once.
import type { CloudTrailClient, Event, LookupAttribute } from '@aws-sdk/client-cloudtrail';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { PacingOptions } from './paging';
import { pacer } from './paging';

/** LookupEvents takes a time range and at most one attribute per request, and returns at most 50 events a page. */
export const LOOKUP_PAGE_SIZE = 50;

/**
 * "The rate of lookup requests is limited to two per second, per account, per Region" (CloudTrail API Reference,
 * LookupEvents). CloudTrail counts a call when it arrives, and arrivals jitter by the request's latency, so turns are a
 * little wider than 500 ms: a turn taken late must not land within the second of the turn two before it.
 */
export const LOOKUP_PACING: PacingOptions = { minIntervalMs: 520, maxAttempts: 8, backoffBaseMs: 250 };

/** The schedule every LookupEvents of one account and region in this process shares (the quota's own scope). */
export function lookupQuotaKey(accountId: string, region: string): string {
  return `cloudtrail:LookupEvents/${accountId}/${region}`;
}

export interface CloudTrailQuery {
  readonly attributes: readonly LookupAttribute[];
  readonly startTime: Date;
  readonly endTime: Date;
}

/**
 * The lookups that find an instance's events: those naming the instance, its volumes or ENIs (ResourceName), and every call made
 * with its instance profile's credentials, whose role session name is the instance id (Username).
 */
export function instanceLookups(instanceId: string, resourceIds: readonly string[]): LookupAttribute[] {
  return [
    ...[instanceId, ...resourceIds].map((id): LookupAttribute => ({
      AttributeKey: 'ResourceName',
      AttributeValue: id,
    })),
    { AttributeKey: 'Username', AttributeValue: instanceId },
  ];
}

/**
 * Every event matching any of the attributes, each once (by EventId), as pages arrive. Give `pacing.sharedKey`
 * (`lookupQuotaKey`) so concurrent lookups of one account and region in this process take turns instead of colliding.
 */
export async function* lookupEvents(
  client: CloudTrailClient,
  query: CloudTrailQuery,
  pacing: PacingOptions = LOOKUP_PACING,
): AsyncGenerator<Event> {
  const paced = pacer(pacing);
  const seen = new Set<string>();
  for (const attribute of query.attributes) {
    let token: string | undefined;
    do {
      const page = await paced(() =>
        client.send(
          new LookupEventsCommand({
            LookupAttributes: [attribute],
            StartTime: query.startTime,
            EndTime: query.endTime,
            MaxResults: LOOKUP_PAGE_SIZE,
            NextToken: token,
          }),
        ),
      );
      for (const event of page.Events ?? []) {
        const id = event.EventId ?? '';
        if (seen.has(id)) continue;
        seen.add(id);
        yield event;
      }
      token = page.NextToken;
    } while (token);
  }
}

/** The evidence line of an event: CloudTrail's own record, byte for byte when it is already one line. */
export function cloudTrailLine(event: Event): string {
  const record =
    event.CloudTrailEvent ??
    JSON.stringify({ eventID: event.EventId, eventName: event.EventName, eventTime: event.EventTime });
  return record.includes('\n') ? JSON.stringify(JSON.parse(record)) : record;
}
