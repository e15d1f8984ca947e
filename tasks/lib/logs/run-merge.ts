// K-way merge of the sorted runs the timeline sort spills: bytes in, bytes out, one read buffer per run and a binary heap.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Every run line starts with its sort key: the event's time in microseconds as this many zero-padded decimal digits. */
export const KEY_DIGITS = 17;

/** Bytes read from a run at a time; the buffer grows for a longer line. */
const READ_BYTES = 256 * 1024;
/** Merged output is handed on in batches of about this size. */
const OUT_BYTES = 1024 * 1024;
const NEWLINE = 10;

/** The key of a line as written by the spill: `String(microseconds).padStart(KEY_DIGITS, '0')`. */
export function formatKey(microseconds: number): string {
  return String(microseconds).padStart(KEY_DIGITS, '0');
}

/** One run file read line by line out of a reusable buffer; `start`..`end` is the current line, newline included. */
class RunReader {
  public key = 0;
  public start = 0;
  public end = 0;
  public buffer = Buffer.allocUnsafe(READ_BYTES);
  private filled = 0;
  private next = 0;
  private eof = false;

  public constructor(
    private readonly handle: FileHandle,
    /** Position of the run in arrival order: equal keys come out in this order, which keeps the sort stable. */
    public readonly order: number,
  ) {}

  /** Moves to the next line; false when the buffer holds no complete line (then `fill`, and try again). */
  public advance(): boolean {
    const newline = this.buffer.indexOf(NEWLINE, this.next);
    if (newline === -1 || newline >= this.filled) return false;
    let key = 0;
    for (let index = this.next; index < this.next + KEY_DIGITS; index += 1) key = key * 10 + this.buffer[index] - 48;
    this.key = key;
    this.start = this.next;
    this.end = newline + 1;
    this.next = newline + 1;
    return true;
  }

  /** Reads more of the run behind the unread bytes; false at the end of the file with nothing left to read. */
  public async fill(): Promise<boolean> {
    if (this.eof) return false;
    const unread = this.filled - this.next;
    if (unread === this.buffer.length) {
      const larger = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(larger, 0, this.next, this.filled);
      this.buffer = larger;
    } else {
      this.buffer.copy(this.buffer, 0, this.next, this.filled);
    }
    this.filled = unread;
    this.next = 0;
    const { bytesRead } = await this.handle.read(this.buffer, unread, this.buffer.length - unread, null);
    this.filled += bytesRead;
    if (bytesRead === 0) {
      this.eof = true;
      await this.handle.close();
      return false;
    }
    return true;
  }

  /** The next line, reading as needed; false when the run is exhausted. */
  public async step(): Promise<boolean> {
    while (!this.advance()) if (!(await this.fill())) return false;
    return true;
  }

  public async close(): Promise<void> {
    if (!this.eof) await this.handle.close();
    this.eof = true;
  }
}

function before(a: RunReader, b: RunReader): boolean {
  return a.key < b.key || (a.key === b.key && a.order < b.order);
}

function siftDown(heap: RunReader[], start: number): void {
  let index = start;
  for (;;) {
    const left = 2 * index + 1;
    const right = left + 1;
    let first = index;
    if (left < heap.length && before(heap[left], heap[first])) first = left;
    if (right < heap.length && before(heap[right], heap[first])) first = right;
    if (first === index) return;
    [heap[index], heap[first]] = [heap[first], heap[index]];
    index = first;
  }
}

/**
 * The lines of the runs (given in arrival order) in key order, as buffers of whole newline-terminated lines. With
 * `keepKeys` the lines keep their key (an intermediate run); without, they are the timeline's JSON lines.
 */
export async function* mergeRuns(paths: readonly string[], keepKeys: boolean): AsyncGenerator<Buffer> {
  const readers: RunReader[] = [];
  try {
    for (const [order, path] of paths.entries()) readers.push(new RunReader(await open(path, 'r'), order));
    const heap: RunReader[] = [];
    for (const reader of readers) if (await reader.step()) heap.push(reader);
    for (let index = (heap.length >> 1) - 1; index >= 0; index -= 1) siftDown(heap, index);
    const skip = keepKeys ? 0 : KEY_DIGITS;
    let out = Buffer.allocUnsafe(OUT_BYTES);
    let used = 0;
    while (heap.length > 0) {
      const top = heap[0];
      const length = top.end - top.start - skip;
      if (used + length > out.length) {
        if (used > 0) yield out.subarray(0, used);
        out = Buffer.allocUnsafe(Math.max(OUT_BYTES, length));
        used = 0;
      }
      used += top.buffer.copy(out, used, top.start + skip, top.end);
      if (top.advance() || (await top.step())) {
        siftDown(heap, 0);
        continue;
      }
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown(heap, 0);
      }
    }
    if (used > 0) yield out.subarray(0, used);
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
}
