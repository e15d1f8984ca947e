// The log sources collected per instance: what each queries, and its lines as pages arrive (CollectLogs writes them as evidence).
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetResourceConfigHistoryCommand } from '@aws-sdk/client-config-service';
import type { ResourceType } from '@aws-sdk/client-config-service';
import { GetFindingsCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import type { Clients } from '../aws';
import type { Case, Finding, Target } from '../case';
import type { LogSources } from '../config';
import { errorMessage, errorName } from '../errors';
import type { InstanceFacts } from '../instance-facts';
import { LOOKUP_PACING, cloudTrailLine, instanceLookups, lookupEvents, lookupQuotaKey } from './cloudtrail';
import { flowFilterPattern } from './flow-log';
import type { PacingOptions } from './paging';
import { pacer } from './paging';

export type LogSourceName = 'cloudtrail' | 'vpc-flow' | 'dns' | 'config' | 'finding';

export interface LogWindow {
  readonly start: Date;
  readonly end: Date;
}

/** One source to collect: its evidence file, the query as the custody log records it, and its lines. */
export interface LogSourcePlan {
  readonly source: LogSourceName;
  readonly file: string;
  readonly api: string;
  readonly query: Readonly<Record<string, unknown>>;
  /** Why the source cannot be collected (not configured, nothing to query): recorded as a gap. */
  readonly unavailable?: string;
  /** Parts of the source that could not be read while the rest was (e.g. a resource AWS Config never recorded). */
  readonly partial: string[];
  lines(): AsyncGenerator<string>;
}

export interface PlanContext {
  readonly caseData: Case;
  readonly target: Target;
  readonly instance: InstanceFacts;
  readonly window: LogWindow;
  readonly logSources: LogSources;
  readonly clients: Clients;
  readonly pacing?: { lookup?: PacingOptions; logs?: PacingOptions };
}

const LOGS_PACING: PacingOptions = { minIntervalMs: 0, maxAttempts: 6, backoffBaseMs: 200 };

export function planSources(context: PlanContext): LogSourcePlan[] {
  const plans = [cloudTrailPlan(context), flowPlan(context), dnsPlan(context), configPlan(context)];
  // A case opened by request has no finding to re-read: nothing is missing, so there is no plan (and no gap).
  const finding = context.caseData.finding;
  return finding ? [...plans, findingPlan(context, finding)] : plans;
}

function cloudTrailPlan({ target, instance, window, clients, pacing }: PlanContext): LogSourcePlan {
  const resourceIds = [
    ...instance.volumes.map((volume) => volume.volumeId),
    ...instance.networkInterfaces.map((eni) => eni.networkInterfaceId),
  ];
  const attributes = instanceLookups(instance.instanceId, resourceIds);
  return {
    source: 'cloudtrail',
    file: 'cloudtrail.jsonl',
    api: 'cloudtrail:LookupEvents',
    query: { lookupAttributes: attributes, startTime: window.start.toISOString(), endTime: window.end.toISOString() },
    partial: [],
    async *lines() {
      const query = { attributes, startTime: window.start, endTime: window.end };
      const shared = {
        sharedKey: lookupQuotaKey(target.accountId, target.region),
        ...(pacing?.lookup ?? LOOKUP_PACING),
      };
      for await (const event of lookupEvents(clients.cloudTrail(), query, shared)) yield cloudTrailLine(event);
    },
  };
}

/**
 * How a CloudWatch Logs event becomes an evidence line: `record` is the log record itself (a VPC flow log record, one per
 * line, as every flow-log tool reads them: "Flow log records", VPC User Guide); `event` is the whole FilterLogEvents event as
 * JSON, stream and ingestion time included (Resolver query logs, whose records are JSON already).
 */
type LineShape = 'record' | 'event';

/** FilterLogEvents over one group, one filter pattern at a time; each event kept as CloudWatch Logs returned it. */
async function* filterLines(
  clients: Clients,
  group: string,
  patterns: readonly string[],
  window: LogWindow,
  pacing: PacingOptions,
  shape: LineShape,
): AsyncGenerator<string> {
  const paced = pacer(pacing);
  for (const filterPattern of patterns) {
    let token: string | undefined;
    do {
      const page = await paced(() =>
        clients.logs().send(
          new FilterLogEventsCommand({
            logGroupName: group,
            filterPattern,
            startTime: window.start.getTime(),
            endTime: window.end.getTime(),
            nextToken: token,
          }),
        ),
      );
      for (const event of page.events ?? []) {
        const { logStreamName, timestamp, ingestionTime, eventId, message } = event;
        if (shape === 'record') yield (message ?? '').replace(/\r?\n/g, ' ');
        else yield JSON.stringify({ logGroupName: group, logStreamName, timestamp, ingestionTime, eventId, message });
      }
      token = page.nextToken;
    } while (token);
  }
}

function logsPlan(
  context: PlanContext,
  source: 'vpc-flow' | 'dns',
  group: string | undefined,
  patterns: string[],
  unconfigured: string,
): LogSourcePlan {
  const { window, clients, pacing } = context;
  const shape: LineShape = source === 'vpc-flow' ? 'record' : 'event';
  return {
    source,
    file: source === 'vpc-flow' ? 'vpc-flow.log' : `${source}.jsonl`,
    api: 'logs:FilterLogEvents',
    query: {
      logGroupName: group,
      filterPatterns: patterns,
      startTime: window.start.toISOString(),
      endTime: window.end.toISOString(),
    },
    unavailable: !group
      ? unconfigured
      : patterns.length === 0
        ? 'the instance has no network interface to look up'
        : undefined,
    partial: [],
    lines: () => filterLines(clients, group ?? '', patterns, window, pacing?.logs ?? LOGS_PACING, shape),
  };
}

function flowPlan(context: PlanContext): LogSourcePlan {
  const patterns = context.instance.networkInterfaces.map((eni) => flowFilterPattern(eni.networkInterfaceId));
  const where = `${context.target.accountId}/${context.target.region}`;
  return logsPlan(
    context,
    'vpc-flow',
    context.logSources.flowLogGroup,
    patterns,
    `no flowLogGroup configured for ${where} (config logSources)`,
  );
}

function dnsPlan(context: PlanContext): LogSourcePlan {
  // Resolver query logs name the querying instance in srcids.instance; a quoted term matches its id exactly.
  const where = `${context.target.accountId}/${context.target.region}`;
  return logsPlan(
    context,
    'dns',
    context.logSources.resolverLogGroup,
    [`"${context.instance.instanceId}"`],
    `no resolverLogGroup configured for ${where} (config logSources)`,
  );
}

function configPlan({ instance, window, clients }: PlanContext): LogSourcePlan {
  const groups = [...new Set(instance.networkInterfaces.flatMap((eni) => eni.groups))];
  const resources: Array<{ resourceType: ResourceType; resourceId: string }> = [
    { resourceType: 'AWS::EC2::Instance', resourceId: instance.instanceId },
    ...groups.map((groupId) => ({ resourceType: 'AWS::EC2::SecurityGroup' as const, resourceId: groupId })),
  ];
  const partial: string[] = [];
  return {
    source: 'config',
    file: 'config-history.jsonl',
    api: 'config:GetResourceConfigHistory',
    // The whole recorded history up to the window's end: the state before the incident is part of the story.
    query: { resources, laterTime: window.end.toISOString(), chronologicalOrder: 'Forward' },
    partial,
    async *lines() {
      const paced = pacer(LOGS_PACING);
      for (const resource of resources) {
        let token: string | undefined;
        do {
          const input = {
            ...resource,
            laterTime: window.end,
            chronologicalOrder: 'Forward' as const,
            limit: 100,
            nextToken: token,
          };
          let page;
          try {
            page = await paced(() => clients.configService().send(new GetResourceConfigHistoryCommand(input)));
          } catch (error) {
            if (errorName(error) !== 'ResourceNotDiscoveredException') throw error;
            partial.push(`${resource.resourceId}: ${errorMessage(error)}`);
            break;
          }
          for (const item of page.configurationItems ?? []) yield JSON.stringify(item);
          token = page.nextToken;
        } while (token);
      }
    },
  };
}

function findingPlan({ target, clients }: PlanContext, finding: Finding): LogSourcePlan {
  const detectorFromArn = /:detector\/([^/]+)\/finding\//.exec(finding.arn)?.[1];
  const base = { source: 'finding' as const, file: 'finding.json', api: 'guardduty:GetFindings', partial: [] };
  let unavailable: string | undefined;
  if (finding.source !== 'guardduty')
    unavailable = `the finding comes from ${finding.source}; only GuardDuty findings are re-read`;
  else if (finding.accountId !== target.accountId || finding.region !== target.region)
    unavailable = `the finding is held in ${finding.accountId}/${finding.region}, not the target's account and region`;
  return {
    ...base,
    query: { findingId: finding.id, detectorId: detectorFromArn },
    unavailable,
    async *lines() {
      const guardDuty = clients.guardDuty();
      const detectorId = detectorFromArn ?? (await guardDuty.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
      const response = await guardDuty.send(
        new GetFindingsCommand({ DetectorId: detectorId, FindingIds: [finding.id] }),
      );
      const found = response.Findings?.[0];
      if (!found)
        throw Object.assign(new Error(`GuardDuty no longer holds finding ${finding.id}`), { name: 'FindingNotFound' });
      yield JSON.stringify(found);
    },
  };
}
