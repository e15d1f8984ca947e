// Buffering of an evidence body into parts: chunks in, part-sized buffers out, with as few copies as the hashing allows.
import type { Readable } from 'node:stream';
import { ownedBuffer } from './sha256-worker';

/** Chunks waiting to become a part; `take` slices without copying when a part lies within one chunk. */
export class PartBuffer {
  private chunks: Buffer[] = [];
  public size = 0;

  public push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Part buffers whose upload finished, reused so a large body allocates a handful of buffers, not one per part. */
  private readonly spare: Buffer[] = [];

  public recycle(buffer: Buffer, partSize: number): void {
    if (buffer.length === partSize) this.spare.push(buffer);
  }

  /** The next `count` bytes copied into a buffer of their own, which can be handed to the hashing worker. */
  public takeOwned(count: number): Buffer {
    const reuse = this.spare.length > 0 && this.spare[0].length === count ? this.spare.pop() : undefined;
    const out = reuse ?? ownedBuffer(count);
    let filled = 0;
    while (filled < count) {
      const first = this.chunks[0];
      const used = Math.min(first.length, count - filled);
      first.copy(out, filled, 0, used);
      filled += used;
      if (used === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(used);
    }
    this.size -= count;
    return out;
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
