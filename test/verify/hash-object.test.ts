import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { hashObject, sha256InWorker, SMALL_OBJECT, WORKER_OBJECT } from '../../tasks/lib/verify/hash-object';
import type { EvidenceSource } from '../../tasks/lib/verify/types';

const PART = 8 * 1024 * 1024;

function sha256sum(bytes: Buffer): string {
  return spawnSync('sha256sum', ['-b', '-'], { input: bytes, maxBuffer: 1024 }).stdout.toString().split(' ')[0];
}

/** Uneven chunks, as a file or network stream hands them over. */
function stream(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0, step = 1; offset < bytes.length; offset += step, step = (step * 7 + 13) % 1_500_001)
    chunks.push(bytes.subarray(offset, offset + step));
  return Readable.from(chunks);
}

/** A source holding one object, counting how it is read. */
function sourceOf(bytes: Buffer): EvidenceSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    location: 'memory',
    list: async () => [{ key: 'k', size: bytes.length }],
    read: async () => (reads.push('read'), bytes),
    open: async () => (reads.push('open'), stream(bytes)),
  };
}

describe('hashing evidence objects for custody verify', () => {
  it.each([
    ['nothing', 0],
    ['one byte short of a part', PART - 1],
    ['exactly one part', PART],
    ['one byte over a part', PART + 1],
    ['several parts and a tail', 3 * PART + 5],
  ])('computes on the worker thread the SHA-256 sha256sum computes for %s', async (_label, size) => {
    const bytes = randomBytes(size);
    await expect(sha256InWorker(stream(bytes))).resolves.toEqual({ sha256: sha256sum(bytes), bytes: size });
  });

  it('reads a small object whole and streams a large one', async () => {
    const small = sourceOf(randomBytes(SMALL_OBJECT));
    const large = sourceOf(randomBytes(WORKER_OBJECT));
    await hashObject(small, 'k', SMALL_OBJECT);
    await hashObject(large, 'k', WORKER_OBJECT);
    expect([small.reads, large.reads]).toEqual([['read'], ['open']]);
  });

  it('has a worker read a large local file itself, with nothing streamed through the main thread', async () => {
    const bytes = randomBytes(WORKER_OBJECT + 1);
    const path = join(mkdtempSync(join(tmpdir(), 'custody-hash-')), 'memory.lime');
    writeFileSync(path, bytes);
    const source = { ...sourceOf(Buffer.alloc(0)), localPath: () => path };
    await expect(hashObject(source, 'k', bytes.length)).resolves.toEqual({
      sha256: sha256sum(bytes),
      bytes: bytes.length,
    });
    expect(source.reads).toEqual([]);
  });

  it('notices one flipped byte in the middle of a large object', async () => {
    const bytes = randomBytes(WORKER_OBJECT + 3);
    const expected = sha256sum(bytes);
    bytes[bytes.length >> 1] ^= 0x01;
    const actual = await hashObject(sourceOf(bytes), 'k', bytes.length);
    expect(actual?.bytes).toBe(bytes.length);
    expect(actual?.sha256).not.toBe(expected);
    expect(actual?.sha256).toBe(sha256sum(bytes));
  });

  it('reports an object that is absent as undefined, not as an empty hash', async () => {
    const absent: EvidenceSource = {
      location: 'memory',
      list: async () => [],
      read: async () => undefined,
      open: async () => undefined,
    };
    await expect(hashObject(absent, 'k', undefined)).resolves.toBeUndefined();
    await expect(hashObject(absent, 'k', 10)).resolves.toBeUndefined();
  });
});
