// The analysis of one region's evidence: every log source and the custody log into one sorted timeline plus its correlations.
import { Readable } from 'node:stream';
import type { Case, Gap, Target } from '../case';
import { targetLabel } from '../case';
import type { ArtifactRecord, CaseStore } from '../task';
import type { Correlation } from './correlate';
import { Correlator } from './correlate';
import { TimelineSorter } from './external-sort';
import { readLineBatches } from './jsonl';
import { eventLine } from './serialize';
import type { CustodyEntryLike, TimelineSource } from './timeline';
import { custodyEvent, normaliseLine } from './timeline';

/** Reads a case's evidence back (S3 in AWS and the sandbox, local files in the benchmark). */
export interface EvidenceReader {
  /** The object's bytes as a stream, or undefined when there is no such object. */
  open(key: string): Promise<Readable | undefined>;
  /** The custody log's entries in seq order, each with the key of the object holding it. */
  custodyEntries(): Promise<ReadonlyArray<{ readonly entry: CustodyEntryLike; readonly key: string }>>;
}

/** The log files CollectLogs writes under `<accountId>/<instanceId>/logs/`, with the timeline source each feeds. */
export const LOG_FILES: ReadonlyArray<readonly [Exclude<TimelineSource, 'custody'>, string]> = [
  ['cloudtrail', 'cloudtrail.jsonl'],
  ['vpc-flow', 'vpc-flow.log'],
  ['dns', 'dns.jsonl'],
  ['config', 'config-history.jsonl'],
  ['finding', 'finding.json'],
];

/** Names earlier versions wrote a log under: a case collected then is still analysed from what it holds. */
const EARLIER_NAMES: Readonly<Record<string, string>> = { 'vpc-flow.log': 'vpc-flow.jsonl' };

export const TIMELINE_KEY = 'report/timeline.jsonl';
export const FINDINGS_KEY = 'report/findings.json';

export interface AnalysisOptions {
  /** Timeline events held in memory before a sorted run is spilled to disk. */
  readonly runSize?: number;
  /** Bytes of serialized events held in memory before a run is spilled, however many events that is. */
  readonly runBytes?: number;
  readonly tmpDir?: string;
  readonly maxEvidence?: number;
}

export interface RegionAnalysis {
  readonly region: string;
  readonly timeline: { readonly key: string; readonly events: number; readonly bytes: number; readonly sha256: string };
  readonly findings: { readonly key: string; readonly count: number; readonly bytes: number; readonly sha256: string };
  /** Lines read from the sources, and those that did not parse into an event (kept in the evidence, counted here). */
  readonly linesRead: number;
  readonly linesUnparsed: number;
  readonly gaps: Gap[];
}

const logsKey = (target: Target, file: string): string => `${target.accountId}/${target.instanceId}/logs/${file}`;

/** Instance id → the instance's own addresses, from each target's query record (written by CollectLogs). */
async function instanceAddresses(
  targets: readonly Target[],
  reader: EvidenceReader,
): Promise<Map<string, Set<string>>> {
  const instances = new Map<string, Set<string>>();
  for (const target of targets) {
    const stream = await reader.open(logsKey(target, 'query.json'));
    let text = '';
    if (stream) for await (const chunk of stream) text += String(chunk);
    const addresses = text ? ((JSON.parse(text) as { addresses?: string[] }).addresses ?? []) : [];
    instances.set(target.instanceId, new Set(addresses));
  }
  return instances;
}

/**
 * Whether the case should hold a source's file: a dry run and a case without logs collect none, and a case opened by
 * request has no finding. What CollectLogs was never asked for is not a gap of the analysis.
 */
function expected(caseData: Case, source: Exclude<TimelineSource, 'custody'>): boolean {
  if (caseData.mode === 'dry-run' || !caseData.options.logs) return false;
  return source !== 'finding' || caseData.finding !== undefined;
}

export async function analyzeRegion(
  caseData: Case,
  region: string,
  reader: EvidenceReader,
  store: CaseStore,
  options: AnalysisOptions = {},
): Promise<RegionAnalysis> {
  const targets = caseData.targets.filter((target) => target.region === region);
  const gaps: Gap[] = [];
  const correlator = new Correlator({
    instances: await instanceAddresses(targets, reader),
    remoteIps: caseData.finding?.remoteIps ?? [],
    domains: caseData.finding?.domains ?? [],
    firstSeen: caseData.finding?.firstSeen,
    maxEvidence: options.maxEvidence,
  });
  const counts = { read: 0, unparsed: 0 };
  const sorter = new TimelineSorter({
    runSize: options.runSize ?? 100_000,
    runBytes: options.runBytes,
    tmpDir: options.tmpDir,
  });

  /** Every event of a source into the sorter, a chunk of lines at a time; awaits only for the next chunk or a spilled run. */
  async function addSource(source: Exclude<TimelineSource, 'custody'>, key: string, stream: Readable): Promise<void> {
    let lineNo = 0;
    for await (const lines of readLineBatches(stream)) {
      counts.read += lines.length;
      for (const line of lines) {
        lineNo += 1;
        const parsed = normaliseLine(source, key, lineNo, line);
        if (parsed.length === 0) counts.unparsed += 1;
        for (const event of parsed) {
          correlator.observe(event);
          const spilled = sorter.add(event.timestamp, eventLine(event));
          if (spilled) await spilled;
        }
      }
    }
  }

  let timeline: ArtifactRecord;
  try {
    for (const target of targets) {
      for (const [source, file] of LOG_FILES) {
        let key = logsKey(target, file);
        let stream = await reader.open(key);
        const earlier = EARLIER_NAMES[file];
        if (!stream && earlier) {
          key = logsKey(target, earlier);
          stream = await reader.open(key);
        }
        if (stream) await addSource(source, key, stream);
        else if (expected(caseData, source))
          gaps.push({
            target: targetLabel(target),
            step: `analyze.${source}`,
            reason: `no ${file} in the evidence: that source is missing from the timeline`,
          });
      }
      // The examination workstation's Plaso timeline, when the case ran one (optional: its absence is no gap).
      const plasoKey = `${target.accountId}/${target.instanceId}/examination/timeline.jsonl`;
      const plaso = await reader.open(plasoKey);
      if (plaso) await addSource('plaso', plasoKey, plaso);
    }
    for (const { entry, key } of await reader.custodyEntries()) {
      const event = custodyEvent(entry, key);
      if (event) await sorter.add(event.timestamp, JSON.stringify(event));
    }
    timeline = await store.putArtifact({
      key: TIMELINE_KEY,
      body: Readable.from(sorter.drain(), { objectMode: false }),
      contentType: 'application/x-ndjson',
      source: 'custody:analyze-case',
      target: 'case',
    });
  } finally {
    // Spilled runs are removed however the analysis ended (draining removes them too; this is for a failure before that).
    await sorter.dispose();
  }
  const correlations: Correlation[] = correlator.results();
  const report = { caseId: caseData.caseId, region, generatedFrom: TIMELINE_KEY, correlations };
  const findings = await store.putArtifact({
    key: FINDINGS_KEY,
    body: `${JSON.stringify(report, null, 2)}\n`,
    contentType: 'application/json',
    source: 'custody:analyze-case',
    target: 'case',
  });
  return {
    region,
    timeline: { key: TIMELINE_KEY, events: sorter.count, bytes: timeline.bytes, sha256: timeline.sha256 },
    findings: { key: FINDINGS_KEY, count: correlations.length, bytes: findings.bytes, sha256: findings.sha256 },
    linesRead: counts.read,
    linesUnparsed: counts.unparsed,
    gaps,
  };
}
