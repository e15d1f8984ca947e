// Bounded-memory sort of timeline lines: sorted runs spilled to temporary files, then a k-way merge of their bytes.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter } from './jsonl';
import { formatKey, mergeRuns } from './run-merge';
import type { TimelineEvent } from './timeline';

export interface SortOptions {
  /** Lines held in memory before a run is spilled to disk. */
  readonly runSize: number;
  /** Characters held in memory before a run is spilled, whatever the line count (bounds memory for long lines). */
  readonly runChars?: number;
  /** Where runs are spilled (Lambda: /tmp). */
  readonly tmpDir?: string;
}

const DEFAULT_RUN_CHARS = 24 * 1024 * 1024;
/** At most this many runs are merged at once (one read buffer each); more are first merged into longer runs. */
const MAX_FAN_IN = 64;
const WRITE_CHARS = 1024 * 1024;

/**
 * Collects serialized lines with their time, synchronously, and hands them back in time order (equal times in the order they
 * were added). Memory holds one run; `add` returns a promise only when it spills one, so callers await once per run.
 */
export class TimelineSorter {
  /** Lines added so far (the timeline's event count). */
  public count = 0;
  private keys: number[] = [];
  private lines: string[] = [];
  private chars = 0;
  private readonly runs: string[] = [];
  private files = 0;
  private dir: string | undefined;
  private readonly runChars: number;

  public constructor(private readonly options: SortOptions) {
    this.runChars = options.runChars ?? DEFAULT_RUN_CHARS;
  }

  /** Adds one line (JSON, no newline) at `microseconds`; times before 1970 sort as 1970. */
  public add(microseconds: number, line: string): Promise<void> | undefined {
    this.keys.push(Math.max(0, Math.trunc(microseconds)));
    this.lines.push(line);
    this.chars += line.length;
    this.count += 1;
    if (this.lines.length >= this.options.runSize || this.chars >= this.runChars) return this.spill();
    return undefined;
  }

  /** The lines in time order, newline-terminated, in batches; temporary files are removed once drained. */
  public async *drain(): AsyncGenerator<Buffer> {
    try {
      if (this.runs.length === 0) {
        yield* this.sortedInMemory();
        return;
      }
      if (this.lines.length > 0) await this.spill();
      while (this.runs.length > MAX_FAN_IN) await this.mergeFirstRuns();
      yield* mergeRuns(this.runs, false);
    } finally {
      await this.dispose();
    }
  }

  /** Removes the spilled runs (also after a failure before the sort was drained). */
  public async dispose(): Promise<void> {
    this.keys = [];
    this.lines = [];
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Indices of the held lines in key order; ties keep the order lines were added, so the sort is stable. */
  private order(): number[] {
    const keys = this.keys;
    const order = Array.from({ length: keys.length }, (_, index) => index);
    return order.sort((a, b) => keys[a] - keys[b] || a - b);
  }

  private *sortedInMemory(): Generator<Buffer> {
    let batch = '';
    for (const index of this.order()) {
      batch += `${this.lines[index]}\n`;
      if (batch.length >= WRITE_CHARS) {
        yield Buffer.from(batch, 'utf8');
        batch = '';
      }
    }
    if (batch) yield Buffer.from(batch, 'utf8');
  }

  private async runPath(): Promise<string> {
    this.dir ??= await mkdtemp(join(this.options.tmpDir ?? tmpdir(), 'custody-timeline-'));
    this.files += 1;
    return join(this.dir, `run-${this.files}.txt`);
  }

  private async spill(): Promise<void> {
    const path = await this.runPath();
    const { keys, lines } = this;
    const file = await open(path, 'w');
    try {
      let batch = '';
      for (const index of this.order()) {
        batch += `${formatKey(keys[index])}${lines[index]}\n`;
        if (batch.length >= WRITE_CHARS) {
          await file.write(batch, null, 'utf8');
          batch = '';
        }
      }
      if (batch) await file.write(batch, null, 'utf8');
    } finally {
      await file.close();
    }
    this.runs.push(path);
    this.keys = [];
    this.lines = [];
    this.chars = 0;
  }

  /** Merges the first MAX_FAN_IN runs into one, in their place (they hold the earliest arrivals, so ties stay in order). */
  private async mergeFirstRuns(): Promise<void> {
    const group = this.runs.slice(0, MAX_FAN_IN);
    const path = await this.runPath();
    const file = await open(path, 'w');
    try {
      for await (const bytes of mergeRuns(group, true)) await file.write(bytes);
    } finally {
      await file.close();
    }
    await Promise.all(group.map((run) => rm(run, { force: true })));
    this.runs.splice(0, MAX_FAN_IN, path);
  }
}

/** The events as JSON lines sorted by datetime (stable), holding at most `runSize` events in memory at any time. */
export async function* sortTimeline(
  events: AsyncIterable<TimelineEvent>,
  options: SortOptions,
): AsyncGenerator<string> {
  const sorter = new TimelineSorter(options);
  try {
    for await (const event of events) await sorter.add(event.timestamp, JSON.stringify(event));
    const splitter = new LineSplitter();
    for await (const bytes of sorter.drain()) yield* splitter.push(bytes);
    yield* splitter.end();
  } finally {
    await sorter.dispose();
  }
}
