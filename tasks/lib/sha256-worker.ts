// SHA-256 of a large evidence body on a worker thread, so hashing runs beside the checksumming and uploading on the main thread.
import { Worker } from 'node:worker_threads';

/** The worker's code, inline so it runs the same from sources, from dist/ and from a bundled Lambda. */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message.done) {
    parentPort.postMessage({ digest: hash.digest('hex') });
    return;
  }
  hash.update(new Uint8Array(message.buffer, message.offset, message.length));
  parentPort.postMessage({ hashed: message.seq });
});
`;

/** Allocates a part buffer the worker can read without a copy. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/**
 * Hashes buffers in the order given. Buffers must come from `sharedBuffer` (shared memory, no copy to the worker) and must
 * not change afterwards. `backlog()` tells how many are still waiting, so the caller can bound memory.
 */
export class BackgroundSha256 {
  private readonly worker = new Worker(SOURCE, { eval: true });
  private sent = 0;
  private hashed = 0;
  private failure: Error | undefined;
  private wake: Array<() => void> = [];
  private digestWaiter: ((hex: string) => void) | undefined;

  public constructor() {
    this.worker.on('message', (message: { hashed?: number; digest?: string }) => {
      if (message.digest !== undefined) this.digestWaiter?.(message.digest);
      if (message.hashed !== undefined) this.hashed = message.hashed;
      this.notify();
    });
    this.worker.on('error', (error) => {
      this.failure = error;
      this.notify();
    });
  }

  public update(buffer: Buffer): void {
    if (!(buffer.buffer instanceof SharedArrayBuffer)) throw new TypeError('BackgroundSha256 needs buffers from sharedBuffer()');
    this.sent += 1;
    this.worker.postMessage({ seq: this.sent, buffer: buffer.buffer, offset: buffer.byteOffset, length: buffer.byteLength });
  }

  /** Waits until at most `max` buffers are still waiting to be hashed. */
  public async drain(max: number): Promise<void> {
    while (this.sent - this.hashed > max) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  public async digest(): Promise<Buffer> {
    await this.drain(0);
    const hex = await new Promise<string>((resolve, reject) => {
      this.digestWaiter = resolve;
      this.wake.push(() => this.failure && reject(this.failure));
      this.worker.postMessage({ done: true });
    });
    return Buffer.from(hex, 'hex');
  }

  public async close(): Promise<void> {
    await this.worker.terminate();
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }
}
