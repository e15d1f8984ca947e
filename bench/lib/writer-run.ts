// One measured pass of the evidence writer: a file streamed into the disk-backed sandbox bucket, timed end to end.
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createSandboxEnvironment } from '../../sandbox';
import { objectPath } from '../../sandbox/s3-meta';
import { writeEvidence } from '../../tasks/lib/evidence-writer';
import { peakRssMiB } from './measure';

export const BUCKET = 'custody-evidence-333333333333-eu-west-1';
export const KMS_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/0b7e4c1a-5d2f-4c3e-9a8b-1f2e3d4c5b6a';

export interface WriterRun {
  readonly seconds: number;
  readonly bytes: number;
  readonly sha256: string;
  /** Size of the object the sandbox stored, to prove every byte arrived. */
  readonly stored: number;
  readonly peakRssMiB: number;
}

/** Streams `file` through writeEvidence into a fresh sandbox under `dir`, then removes that sandbox. */
export async function runWriter(file: string, dir: string): Promise<WriterRun> {
  const root = mkdtempSync(join(dir, 'sandbox-'));
  try {
    const env = createSandboxEnvironment({ root });
    const s3 = env.clients('custody-bench').forensics('eu-west-1').s3() as S3Client;
    const size = statSync(file).size;
    const key = 'cases/bench/222222222222/i-0c0ffee1234567890/memory/memory.lime';
    const started = process.hrtime.bigint();
    // Large reads: fewer, bigger chunks for the part buffer to gather (fs.ReadStream's default is 64 KiB).
    const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
    const written = await writeEvidence(s3, {
      bucket: BUCKET,
      key,
      body,
      kmsKeyId: KMS_KEY,
      retainUntil: new Date(Date.now() + 86_400_000),
      sizeHint: size,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stored = statSync(objectPath(root, BUCKET, key)).size;
    return { seconds, bytes: written.bytes, sha256: written.sha256, stored, peakRssMiB: peakRssMiB() };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
