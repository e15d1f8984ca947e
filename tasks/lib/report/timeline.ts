// Streams report/timeline.jsonl once, keeping only what the report shows: counts per source over time and a few highlights.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { SourceSeries, TimelineHighlight, TimelineSummary } from './types';

/** Buckets of the incident-timeline diagram. */
export const TIMELINE_BUCKETS = 48;
/** Finding events kept as highlights (the finding is why the case exists; each is worth a line). */
const MAX_FINDING_EVENTS = 10;
const MINUTE = 60_000;

interface Line {
  readonly datetime: string;
  readonly source: string;
  readonly message: string;
  readonly evidence?: string;
  readonly line?: number;
}

function parseLine(text: string): Line | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (
      typeof value.datetime !== 'string' ||
      typeof value.source !== 'string' ||
      Number.isNaN(Date.parse(value.datetime))
    )
      return undefined;
    return {
      datetime: value.datetime,
      source: value.source,
      message: String(value.message ?? '').slice(0, 300),
      ...(typeof value.evidence === 'string' ? { evidence: value.evidence } : {}),
      ...(typeof value.evidence_line === 'number' ? { line: value.evidence_line } : {}),
    };
  } catch {
    return undefined;
  }
}

const highlight = (line: Line, why: string): TimelineHighlight => ({
  datetime: line.datetime,
  source: line.source,
  message: line.message,
  ...(line.evidence ? { evidence: line.evidence } : {}),
  ...(line.line !== undefined ? { line: line.line } : {}),
  why,
});

/**
 * One pass, bounded memory: per source a count per minute (a 90-day window is at most ~130k minutes), the first and last
 * event, and the first finding events. The minute counts are folded into TIMELINE_BUCKETS buckets at the end.
 */
export async function summariseTimeline(key: string, stream: Readable): Promise<TimelineSummary> {
  const perMinute = new Map<string, Map<number, number>>();
  const first = new Map<string, Line>();
  const last = new Map<string, Line>();
  const findings: Line[] = [];
  let events = 0;
  let from = Infinity;
  let to = -Infinity;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    const line = parseLine(text);
    if (!line) continue;
    events += 1;
    const at = Date.parse(line.datetime);
    from = Math.min(from, at);
    to = Math.max(to, at);
    const minutes = perMinute.get(line.source) ?? new Map<number, number>();
    const minute = Math.floor(at / MINUTE);
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    perMinute.set(line.source, minutes);
    if (!first.has(line.source) || Date.parse(first.get(line.source)!.datetime) > at) first.set(line.source, line);
    if (!last.has(line.source) || Date.parse(last.get(line.source)!.datetime) <= at) last.set(line.source, line);
    if (line.source === 'finding' && findings.length < MAX_FINDING_EVENTS) findings.push(line);
  }
  if (events === 0) return { key, events: 0, bucketMs: 0, sources: [], highlights: [] };
  const span = Math.max(MINUTE, to - from + 1);
  const bucketMs = Math.ceil(span / TIMELINE_BUCKETS);
  const sources: SourceSeries[] = [...perMinute.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, minutes]) => {
      const buckets = new Array<number>(TIMELINE_BUCKETS).fill(0);
      let total = 0;
      for (const [minute, count] of minutes) {
        const index = Math.min(TIMELINE_BUCKETS - 1, Math.max(0, Math.floor((minute * MINUTE - from) / bucketMs)));
        buckets[index] += count;
        total += count;
      }
      return { source, events: total, buckets };
    });
  const highlights = [
    ...findings.map((line) => highlight(line, 'finding')),
    ...[...first.values()]
      .filter((line) => !findings.includes(line))
      .map((line) => highlight(line, `first ${line.source} event`)),
    ...[...last.values()]
      .filter((line) => !findings.includes(line) && first.get(line.source) !== line)
      .map((line) => highlight(line, `last ${line.source} event`)),
  ].sort((a, b) => Date.parse(a.datetime) - Date.parse(b.datetime));
  return {
    key,
    events,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucketMs,
    sources,
    highlights,
  };
}
