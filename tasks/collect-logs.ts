// CollectLogs: the logs around one instance (CloudTrail, VPC Flow Logs, Resolver queries, Config history, the finding) as evidence.
import { z } from 'zod';
import type { Case, Gap, Target } from './lib/case';
import { CaseSchema, TargetSchema, targetLabel } from './lib/case';
import { logSourcesFor } from './lib/config';
import { errorMessage, errorName } from './lib/errors';
import { lambdaHandler, defineTask } from './lib/handler';
import { InstanceFactsSchema } from './lib/instance-facts';
import type { InstanceFacts } from './lib/instance-facts';
import { linesStream } from './lib/logs/jsonl';
import type { PacingOptions } from './lib/logs/paging';
import type { LogSourceName, LogSourcePlan, LogWindow } from './lib/logs/sources';
import { planSources } from './lib/logs/sources';
import type { CaseStore, TaskDeps } from './lib/task';

export const CollectLogsInputSchema = z
  .object({ case: CaseSchema, target: TargetSchema, instance: InstanceFactsSchema })
  .strict();
export type CollectLogsInput = z.infer<typeof CollectLogsInputSchema>;

export interface CollectedLog {
  readonly source: LogSourceName;
  readonly key: string;
  readonly records: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Dry-run verdict per source: the read the collector would make, and whether the responder role may make it. */
export interface LogVerdict {
  readonly source: LogSourceName;
  readonly api: string;
  readonly verdict: 'would-do' | 'skipped';
  readonly allowed?: boolean;
  readonly error?: string;
}

export interface CollectLogsOutput {
  readonly target: Target;
  readonly window: { readonly start: string; readonly end: string };
  readonly logs: CollectedLog[];
  readonly dryRun?: LogVerdict[];
  readonly gaps: Gap[];
}

/** Default window: `logWindowHours` before the finding's first sighting (or before now for a request) up to now. */
export function logWindow(caseData: Case, now: Date): LogWindow {
  const anchor = caseData.finding?.firstSeen ? new Date(caseData.finding.firstSeen) : now;
  const start = new Date(Math.min(anchor.getTime(), now.getTime()) - caseData.options.logWindowHours * 3600 * 1000);
  return { start, end: now };
}

/** The evidence folder of a target's logs, relative to the case prefix. */
export function logsPrefix(target: Target): string {
  return `${target.accountId}/${target.instanceId}/logs/`;
}

export async function collectLogs(
  input: CollectLogsInput,
  deps: TaskDeps,
  pacing?: { lookup?: PacingOptions; logs?: PacingOptions },
): Promise<CollectLogsOutput> {
  const { case: caseData, target, instance } = input;
  const window = logWindow(caseData, deps.now());
  const summary = { target, window: { start: window.start.toISOString(), end: window.end.toISOString() } };
  if (!caseData.options.logs) return { ...summary, logs: [], gaps: [] };
  const plans = planSources({
    caseData,
    target,
    instance,
    window,
    logSources: logSourcesFor(deps.config, target.accountId, target.region),
    clients: deps.clients.member(target.accountId, target.region),
    pacing,
  });
  const label = targetLabel(target);
  const gaps: Gap[] = plans
    .filter((plan) => plan.unavailable)
    .map((plan) => ({ target: label, step: `logs.${plan.source}`, reason: plan.unavailable! }));
  const available = plans.filter((plan) => !plan.unavailable);
  if (caseData.mode === 'dry-run') return { ...summary, logs: [], dryRun: await Promise.all(plans.map(probe)), gaps };

  const store = deps.store(caseData.caseId, target.region);
  const logs: CollectedLog[] = [];
  for (const plan of available) {
    try {
      logs.push(await collectSource(plan, target, store, window));
    } catch (error) {
      gaps.push({
        target: label,
        step: `logs.${plan.source}`,
        reason: `could not read ${plan.api}: ${errorMessage(error)}`,
        error: errorName(error),
      });
      await store.record({
        action: 'logs.queried',
        target: target.instanceId,
        details: { source: plan.source, api: plan.api, query: plan.query, error: errorName(error) },
      });
    }
    for (const part of plan.partial)
      gaps.push({ target: label, step: `logs.${plan.source}`, reason: `partly collected: ${part}` });
  }
  await writeQueryRecord(store, target, instance, window, logs, gaps);
  return { ...summary, logs, gaps };
}

/**
 * Streams one source into its evidence object as pages arrive. The first page is read before the upload starts, so a denied or
 * missing source fails before anything is written.
 */
async function collectSource(
  plan: LogSourcePlan,
  target: Target,
  store: CaseStore,
  window: LogWindow,
): Promise<CollectedLog> {
  const iterator = plan.lines();
  const first = await iterator.next();
  let records = 0;
  async function* counted(): AsyncGenerator<string> {
    if (first.done) return;
    records += 1;
    yield first.value;
    for await (const line of { [Symbol.asyncIterator]: () => iterator }) {
      records += 1;
      yield line;
    }
  }
  const key = `${logsPrefix(target)}${plan.file}`;
  const contentType = plan.file.endsWith('.jsonl')
    ? 'application/x-ndjson'
    : plan.file.endsWith('.log')
      ? 'text/plain; charset=utf-8'
      : 'application/json';
  const artifact = await store.putArtifact({
    key,
    body: linesStream(counted()),
    contentType,
    source: plan.api,
    target: target.instanceId,
  });
  await store.record({
    action: 'logs.queried',
    target: target.instanceId,
    details: {
      source: plan.source,
      api: plan.api,
      query: plan.query,
      window: { start: window.start.toISOString(), end: window.end.toISOString() },
      key,
      records,
    },
  });
  return { source: plan.source, key, records, bytes: artifact.bytes, sha256: artifact.sha256 };
}

/** What the analysis needs besides the logs: how they were queried and which addresses are the instance's own. */
export interface LogQueryRecord {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly addresses: string[];
  readonly networkInterfaces: string[];
  readonly collected: CollectedLog[];
  readonly gaps: Gap[];
}

async function writeQueryRecord(
  store: CaseStore,
  target: Target,
  instance: InstanceFacts,
  window: LogWindow,
  logs: CollectedLog[],
  gaps: Gap[],
): Promise<void> {
  const addresses = instance.networkInterfaces
    .flatMap((eni) => [eni.privateIpAddress, eni.publicIpAddress])
    .filter((ip): ip is string => Boolean(ip));
  const record: LogQueryRecord = {
    instanceId: target.instanceId,
    accountId: target.accountId,
    region: target.region,
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    addresses,
    networkInterfaces: instance.networkInterfaces.map((eni) => eni.networkInterfaceId),
    collected: logs,
    gaps,
  };
  await store.putArtifact({
    key: `${logsPrefix(target)}query.json`,
    body: JSON.stringify(record, null, 2),
    contentType: 'application/json',
    source: 'custody:collect-logs',
    target: target.instanceId,
  });
}

/** Reads change nothing, so a dry run makes the first read of each source (its first page) and reports whether it was allowed. */
async function probe(plan: LogSourcePlan): Promise<LogVerdict> {
  if (plan.unavailable) return { source: plan.source, api: plan.api, verdict: 'skipped', error: plan.unavailable };
  const iterator = plan.lines();
  try {
    await iterator.next();
    return { source: plan.source, api: plan.api, verdict: 'would-do', allowed: true };
  } catch (error) {
    const name = errorName(error);
    const denied = /AccessDenied|Unauthorized/.test(name);
    return {
      source: plan.source,
      api: plan.api,
      verdict: 'would-do',
      allowed: !denied,
      error: `${name}: ${errorMessage(error)}`,
    };
  } finally {
    await iterator.return(undefined);
  }
}

export const collectLogsTask = defineTask('CollectLogs', CollectLogsInputSchema, (input, deps) =>
  collectLogs(input, deps),
);
export const handler = lambdaHandler(collectLogsTask);
