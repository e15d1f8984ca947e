// SHA-256 of a large evidence body on a worker thread, so hashing runs beside the checksumming and uploading on the main thread.
import { Worker } from 'node:worker_threads';

/**
 * The worker's code, inline so it runs the same from sources, from dist/ and from a bundled Lambda. Part buffers live in
 * SharedArrayBuffers that are introduced once and then named by id: a part costs one small message each way, with no copy
 * and no new ArrayBuffer per part (transferring a fresh 8 MiB ArrayBuffer per part made V8 run a full GC every few parts).
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const memories = new Map();
parentPort.on('message', (message) => {
  if (message.register !== undefined) {
    memories.set(message.register, new Uint8Array(message.memory));
    return;
  }
  if (message.done) {
    parentPort.postMessage({ digest: hash.digest('hex') });
    return;
  }
  const memory = memories.get(message.id);
  hash.update(memory.subarray(message.offset, message.offset + message.length));
  parentPort.postMessage({ seq: message.seq });
});
`;

/** A part buffer in shared memory, which the hashing worker reads in place. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** Hashes buffers in the order given; each `hash` call resolves once those bytes are in the digest. */
export class BackgroundSha256 {
  private readonly worker = new Worker(SOURCE, { eval: true });
  private readonly ids = new Map<SharedArrayBuffer, number>();
  private sent = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private finish: { resolve: (hex: string) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  public constructor() {
    this.worker.on('message', (message: { seq?: number; digest?: string }) => {
      if (message.digest !== undefined) this.finish?.resolve(message.digest);
      if (message.seq === undefined) return;
      this.waiting.get(message.seq)?.resolve();
      this.waiting.delete(message.seq);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new Error('the hashing worker stopped')));
  }

  /** Adds `part` (a view of a `sharedBuffer`) to the digest; the caller must not change those bytes until the promise settles. */
  public hash(part: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const memory = part.buffer;
    if (!(memory instanceof SharedArrayBuffer))
      throw new TypeError('BackgroundSha256 needs buffers from sharedBuffer()');
    let id = this.ids.get(memory);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(memory, id);
      this.worker.postMessage({ register: id, memory });
    }
    this.sent += 1;
    const seq = this.sent;
    const done = new Promise<void>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    this.worker.postMessage({ seq, id, offset: part.byteOffset, length: part.length });
    return done;
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

/** A worker that reads a local file itself and hashes it: no bytes cross to the main thread, one 1 MiB buffer in use. */
const FILE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1024 * 1024);
const fd = openSync(workerData.path, 'r');
let bytes = 0;
try {
  for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; bytes += read) hash.update(buffer.subarray(0, read));
} finally {
  closeSync(fd);
}
parentPort.postMessage({ sha256: hash.digest('hex'), bytes });
`;

/** SHA-256 and length of a local file, computed on a worker thread. */
export function sha256OfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(FILE_SOURCE, { eval: true, workerData: { path } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hashing worker for ${path} stopped with code ${code}`)));
  });
}
