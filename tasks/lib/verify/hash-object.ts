// Hashing one stored object for `custody verify`: small ones read whole, large ones hashed on a worker thread (a local file
// read by the worker itself, an S3 body streamed to it).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { chunksOf, PartBuffer, PartPool } from '../part-buffer';
import { BackgroundSha256, sha256OfFile } from '../sha256-worker';
import type { EvidenceSource } from './types';

/** Objects up to this size are read in one go: a stream per small file costs more than its hash. */
export const SMALL_OBJECT = 1024 * 1024;
/** Objects from this size get a hashing worker, so the main thread keeps reading and hashing the small ones meanwhile. */
export const WORKER_OBJECT = 64 * 1024 * 1024;
const PART = 8 * 1024 * 1024;

export interface Hashed {
  readonly sha256: string;
  readonly bytes: number;
}

/** The SHA-256 and length of an object, or undefined when it is absent. `listedSize` is its size in the listing. */
export async function hashObject(
  source: EvidenceSource,
  key: string,
  listedSize: number | undefined,
): Promise<Hashed | undefined> {
  if (listedSize !== undefined && listedSize <= SMALL_OBJECT) {
    const bytes = await source.read(key);
    return bytes ? { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length } : undefined;
  }
  const path = listedSize !== undefined && listedSize >= WORKER_OBJECT ? source.localPath?.(key) : undefined;
  if (path) return sha256OfFile(path);
  const stream = await source.open(key);
  if (!stream) return undefined;
  return listedSize !== undefined && listedSize >= WORKER_OBJECT ? sha256InWorker(stream) : sha256OnThread(stream);
}

async function sha256OnThread(stream: Readable): Promise<Hashed> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of chunksOf(stream)) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Gathers the stream into 8 MiB shared buffers that the worker hashes in place; two parts in flight keep the worker busy
 * while the next is read, and bound memory to three parts whatever the object's size.
 */
export async function sha256InWorker(stream: Readable): Promise<Hashed> {
  const hasher = new BackgroundSha256();
  const pool = new PartPool(PART);
  const pending = new PartBuffer();
  const inFlight: Array<Promise<void>> = [];
  const send = (count: number): void => {
    const part = pending.takeInto(pool.acquire(), count);
    const done = hasher.hash(part).then(() => pool.release(part));
    done.catch(() => undefined);
    inFlight.push(done);
  };
  let bytes = 0;
  try {
    for await (const chunk of chunksOf(stream)) {
      bytes += chunk.length;
      pending.push(chunk);
      while (pending.size >= PART) {
        if (inFlight.length >= 2) await inFlight.shift();
        send(PART);
      }
    }
    if (pending.size > 0) send(pending.size);
    await Promise.all(inFlight);
    return { sha256: (await hasher.digest()).toString('hex'), bytes };
  } finally {
    stream.destroy();
    await hasher.close();
  }
}
