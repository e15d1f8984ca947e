// Bounded-memory sort of timeline lines: sorted runs spilled to temporary files, then a k-way merge of their bytes.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter } from './jsonl';
import { KEY_DIGITS, formatKey, mergeRuns } from './run-merge';
import type { TimelineEvent } from './timeline';

export interface SortOptions {
  /** Lines held in memory before a run is spilled to disk. */
  readonly runSize: number;
  /** Bytes of serialized lines held in memory before a run is spilled, whatever the line count. */
  readonly runBytes?: number;
  /** Where runs are spilled (Lambda: /tmp). */
  readonly tmpDir?: string;
}

/** Bytes of serialized lines a run holds by default: the sort's memory, whatever the number of lines. */
const DEFAULT_RUN_BYTES = 16 * 1024 * 1024;
/** At most this many runs are merged at once (one read buffer each); more are first merged into longer runs. */
const MAX_FAN_IN = 64;
const WRITE_BYTES = 1024 * 1024;
const NEWLINE = 10;

/**
 * Collects serialized lines with their time, synchronously, and hands them back in time order (equal times in the order they
 * were added). A run's lines are encoded into one preallocated buffer as they arrive, so they never crowd the garbage-collected
 * heap; `add` returns a promise only when it spills a run, so callers await once per run, not once per line.
 */
export class TimelineSorter {
  /** Lines added so far (the timeline's event count). */
  public count = 0;
  private arena: Buffer;
  private used = 0;
  private held = 0;
  private keys: Float64Array;
  private starts: Uint32Array;
  private readonly runs: string[] = [];
  private files = 0;
  private dir: string | undefined;
  private readonly runBytes: number;

  public constructor(private readonly options: SortOptions) {
    this.runBytes = options.runBytes ?? DEFAULT_RUN_BYTES;
    this.arena = Buffer.allocUnsafe(this.runBytes);
    this.keys = new Float64Array(options.runSize);
    this.starts = new Uint32Array(options.runSize + 1);
  }

  /** Adds one line (JSON, no newline) at `microseconds` (before 1970 sorts as 1970); await a returned promise before the next add. */
  public add(microseconds: number, line: string): Promise<void> | undefined {
    // A UTF-16 code unit takes at most three UTF-8 bytes: a line that might not fit goes into the next run.
    if (this.held > 0 && this.used + line.length * 3 > this.arena.length)
      return this.spill().then(() => this.hold(microseconds, line));
    return this.hold(microseconds, line);
  }

  private hold(microseconds: number, line: string): Promise<void> | undefined {
    // One line longer than a whole run gets a run of its own size.
    if (line.length * 3 > this.arena.length) this.arena = Buffer.allocUnsafe(line.length * 3);
    this.keys[this.held] = Math.max(0, Math.trunc(microseconds));
    this.starts[this.held] = this.used;
    this.used += this.arena.write(line, this.used, 'utf8');
    this.held += 1;
    this.starts[this.held] = this.used;
    this.count += 1;
    return this.held >= this.options.runSize ? this.spill() : undefined;
  }

  /** The lines in time order, newline-terminated, in batches; temporary files are removed once drained. */
  public async *drain(): AsyncGenerator<Buffer> {
    try {
      if (this.runs.length === 0) {
        yield* this.sorted(false);
        return;
      }
      if (this.held > 0) await this.spill();
      this.release();
      while (this.runs.length > MAX_FAN_IN) await this.mergeFirstRuns();
      yield* mergeRuns(this.runs, false);
    } finally {
      await this.dispose();
    }
  }

  /** Removes the spilled runs (also after a failure before the sort was drained) and lets go of the run buffer. */
  public async dispose(): Promise<void> {
    this.release();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private release(): void {
    this.arena = Buffer.alloc(0);
    this.keys = new Float64Array(0);
    this.starts = new Uint32Array(1);
    this.held = 0;
    this.used = 0;
  }

  /** The held lines in key order (ties in the order they were added, so the sort is stable), in batches of bytes. */
  private *sorted(withKeys: boolean): Generator<Buffer> {
    const { keys, starts, arena } = this;
    const order = Array.from({ length: this.held }, (_, index) => index).sort((a, b) => keys[a] - keys[b] || a - b);
    let out = Buffer.allocUnsafe(WRITE_BYTES);
    let used = 0;
    for (const index of order) {
      const length = starts[index + 1] - starts[index] + 1 + (withKeys ? KEY_DIGITS : 0);
      if (used + length > out.length) {
        if (used > 0) yield out.subarray(0, used);
        out = Buffer.allocUnsafe(Math.max(WRITE_BYTES, length));
        used = 0;
      }
      if (withKeys) used += out.write(formatKey(keys[index]), used, 'latin1');
      used += arena.copy(out, used, starts[index], starts[index + 1]);
      out[used] = NEWLINE;
      used += 1;
    }
    if (used > 0) yield out.subarray(0, used);
  }

  private async runPath(): Promise<string> {
    this.dir ??= await mkdtemp(join(this.options.tmpDir ?? tmpdir(), 'custody-timeline-'));
    this.files += 1;
    return join(this.dir, `run-${this.files}.txt`);
  }

  private async spill(): Promise<void> {
    const path = await this.runPath();
    const file = await open(path, 'w');
    try {
      for (const bytes of this.sorted(true)) await file.write(bytes);
    } finally {
      await file.close();
    }
    this.runs.push(path);
    this.held = 0;
    this.used = 0;
    if (this.arena.length > this.runBytes) this.arena = Buffer.allocUnsafe(this.runBytes);
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
