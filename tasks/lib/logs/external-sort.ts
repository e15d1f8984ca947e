// Bounded-memory sort of timeline events: sorted runs spilled to temporary files, then a k-way merge through a small heap.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readLines } from './jsonl';
import type { TimelineEvent } from './timeline';

export interface SortOptions {
  /** Events held in memory before a run is spilled to disk. */
  readonly runSize: number;
  /** Where runs are spilled (Lambda: /tmp). */
  readonly tmpDir?: string;
}

/** A fixed-width key so that plain string order is time order, then arrival order (stable for equal times). */
function sortKey(event: TimelineEvent, arrival: number): string {
  return `${String(Math.max(0, Math.trunc(event.timestamp))).padStart(17, '0')}${String(arrival).padStart(12, '0')}`;
}

const KEY_WIDTH = 29;

/** The events, as JSON lines sorted by datetime, holding at most `runSize` events in memory at any time. */
export async function* sortTimeline(
  events: AsyncIterable<TimelineEvent>,
  options: SortOptions,
): AsyncGenerator<string> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'custody-timeline-'));
  try {
    const runs: string[] = [];
    let buffer: string[] = [];
    let arrival = 0;
    for await (const event of events) {
      buffer.push(sortKey(event, arrival) + JSON.stringify(event));
      arrival += 1;
      if (buffer.length >= options.runSize) {
        runs.push(await spill(buffer, join(dir, `run-${runs.length}.txt`)));
        buffer = [];
      }
    }
    buffer.sort();
    if (runs.length === 0) {
      for (const line of buffer) yield line.slice(KEY_WIDTH);
      return;
    }
    if (buffer.length > 0) runs.push(await spill(buffer, join(dir, `run-${runs.length}.txt`)));
    buffer = [];
    yield* merge(runs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function spill(lines: string[], path: string): Promise<string> {
  lines.sort();
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return path;
}

interface Head {
  line: string;
  readonly source: AsyncGenerator<string>;
}

/** K-way merge of sorted run files: one line per run in memory. */
async function* merge(paths: readonly string[]): AsyncGenerator<string> {
  const heap: Head[] = [];
  for (const path of paths) {
    const source = readLines(createReadStream(path, { encoding: 'utf8' }));
    const first = await source.next();
    if (!first.done) push(heap, { line: first.value, source });
  }
  while (heap.length > 0) {
    const top = heap[0];
    yield top.line.slice(KEY_WIDTH);
    const next = await top.source.next();
    if (next.done) {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        down(heap, 0);
      }
    } else {
      top.line = next.value;
      down(heap, 0);
    }
  }
}

function less(heap: Head[], a: number, b: number): boolean {
  return heap[a].line.slice(0, KEY_WIDTH) < heap[b].line.slice(0, KEY_WIDTH);
}

function push(heap: Head[], head: Head): void {
  heap.push(head);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!less(heap, index, parent)) break;
    [heap[index], heap[parent]] = [heap[parent], heap[index]];
    index = parent;
  }
}

function down(heap: Head[], start: number): void {
  let index = start;
  for (;;) {
    const left = 2 * index + 1;
    const right = left + 1;
    let smallest = index;
    if (left < heap.length && less(heap, left, smallest)) smallest = left;
    if (right < heap.length && less(heap, right, smallest)) smallest = right;
    if (smallest === index) return;
    [heap[index], heap[smallest]] = [heap[smallest], heap[index]];
    index = smallest;
  }
}
