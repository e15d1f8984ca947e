// Buffering of an evidence body into parts: chunks in, part-sized buffers out, with as few copies as the hashing allows.
import type { Readable } from 'node:stream';
import { sharedBuffer } from './sha256-worker';

/** Chunks waiting to become a part; `take` slices without copying when a part lies within one chunk. */
export class PartBuffer {
  private chunks: Buffer[] = [];
  public size = 0;

  public push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The next `count` bytes copied into `target` (a part buffer of the pool); returns the filled view. */
  public takeInto(target: Buffer, count: number): Buffer {
    let filled = 0;
    while (filled < count) {
      const first = this.chunks[0];
      const used = Math.min(first.length, count - filled);
      first.copy(target, filled, 0, used);
      filled += used;
      if (used === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(used);
    }
    this.size -= count;
    return target.subarray(0, count);
  }

  public take(count: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first && first.length >= count) {
      out = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
    } else {
      const all = Buffer.concat(this.chunks, this.size);
      out = all.subarray(0, count);
      this.chunks = all.length > count ? [all.subarray(count)] : [];
    }
    this.size -= count;
    return out;
  }
}

/**
 * Part-sized buffers in shared memory, allocated on first need and reused: a body of any size touches at most as many
 * buffers as there are parts in flight, so memory stays flat and nothing is left for the garbage collector per part.
 */
export class PartPool {
  private readonly spare: Buffer[] = [];

  public constructor(private readonly partSize: number) {}

  public acquire(): Buffer {
    return this.spare.pop() ?? sharedBuffer(this.partSize);
  }

  /** Gives back a buffer (or a view of one) whose upload has finished with its bytes. */
  public release(part: Buffer): void {
    this.spare.push(Buffer.from(part.buffer, 0, this.partSize));
  }
}

export async function* chunksOf(body: Readable | Uint8Array | string): AsyncIterable<Buffer> {
  if (typeof body === 'string') {
    yield Buffer.from(body);
    return;
  }
  if (body instanceof Uint8Array) {
    yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return;
  }
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (typeof chunk === 'string') yield Buffer.from(chunk);
    else {
      const bytes = chunk as Uint8Array;
      yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }
}
