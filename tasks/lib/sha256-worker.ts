// SHA-256 of a large evidence body on a worker thread, so hashing runs beside the checksumming and uploading on the main thread.
import { Worker } from 'node:worker_threads';

/**
 * The worker's code, inline so it runs the same from sources, from dist/ and from a bundled Lambda. Each part's memory is
 * transferred in and back out (no copies, and nothing left for the worker's garbage collector to hold on to).
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message.done) {
    parentPort.postMessage({ digest: hash.digest('hex') });
    return;
  }
  hash.update(new Uint8Array(message.buffer));
  parentPort.postMessage({ seq: message.seq, buffer: message.buffer }, [message.buffer]);
});
`;

/** Allocates a part buffer that owns its whole ArrayBuffer, so it can be transferred to the worker and back. */
export function ownedBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}

/** Hashes buffers in the order given; each `hash` call resolves with the same bytes once they are in the digest. */
export class BackgroundSha256 {
  private readonly worker = new Worker(SOURCE, { eval: true });
  private sent = 0;
  private readonly waiting = new Map<number, { resolve: (buffer: Buffer) => void; reject: (error: Error) => void }>();
  private finish: { resolve: (hex: string) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  public constructor() {
    this.worker.on('message', (message: { seq?: number; buffer?: ArrayBuffer; digest?: string }) => {
      if (message.digest !== undefined) this.finish?.resolve(message.digest);
      if (message.seq === undefined || !message.buffer) return;
      this.waiting.get(message.seq)?.resolve(Buffer.from(message.buffer));
      this.waiting.delete(message.seq);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new Error('the hashing worker stopped')));
  }

  /** Adds `buffer` (from `ownedBuffer`) to the digest; the caller gives it up until the promise returns it. */
  public hash(buffer: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) throw new TypeError('BackgroundSha256 needs buffers from ownedBuffer()');
    this.sent += 1;
    const seq = this.sent;
    const back = new Promise<Buffer>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    const memory = buffer.buffer as ArrayBuffer;
    this.worker.postMessage({ seq, buffer: memory }, [memory]);
    return back;
  }

  /** The SHA-256 of everything hashed, once every buffer before it is done. */
  public digest(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const hex = new Promise<string>((resolve, reject) => {
      this.finish = { resolve, reject };
    });
    this.worker.postMessage({ done: true });
    return hex.then((value) => Buffer.from(value, 'hex'));
  }

  public async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.finish?.reject(error);
  }
}
