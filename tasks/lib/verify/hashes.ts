// Check: every artifact the manifest (or, unsealed, the custody log) lists is present with its recorded length and SHA-256.
import { artifactsOf } from '../manifest';
import type { ManifestArtifact } from '../manifest';
import { entriesFromObjects } from './chain';
import { hashObject, WORKER_OBJECT } from './hash-object';
import { mapLimit } from './parallel';
import type { ArtifactResult, CheckResult, VerifyContext, VerifyIssue } from './types';
import { result } from './types';

/** What the case says it holds: the sealed manifest's list, or the log's artifact entries before sealing. */
export function expectedArtifacts(context: VerifyContext): ManifestArtifact[] {
  return context.manifest ? context.manifest.artifacts : artifactsOf(entriesFromObjects(context.entryObjects));
}

/** Hashing workers at once: each holds three 8 MiB parts and a thread. */
const LARGE_AT_ONCE = 2;

export async function checkHashes(context: VerifyContext): Promise<CheckResult> {
  const expected = expectedArtifacts(context);
  const sizes = new Map(context.listing.map((object) => [object.key, object.size]));
  const verify = async (artifact: ManifestArtifact): Promise<ArtifactResult> => {
    const wanted = { bytes: artifact.bytes, sha256: artifact.sha256 };
    const actual = await hashObject(context.source, artifact.key, sizes.get(artifact.key));
    if (!actual) return { key: artifact.key, status: 'missing', expected: wanted };
    const same = actual.sha256 === artifact.sha256 && actual.bytes === artifact.bytes;
    return { key: artifact.key, status: same ? 'ok' : 'altered', expected: wanted, actual };
  };
  // Large objects hash on worker threads (a few at a time, to bound memory) while the many small ones are read beside them.
  const large = expected.filter((artifact) => (sizes.get(artifact.key) ?? 0) >= WORKER_OBJECT);
  const small = expected.filter((artifact) => (sizes.get(artifact.key) ?? 0) < WORKER_OBJECT);
  const [largeOutcomes, smallOutcomes] = await Promise.all([
    mapLimit(large, LARGE_AT_ONCE, verify),
    mapLimit(small, context.concurrency, verify),
  ]);
  const byKey = new Map([...largeOutcomes, ...smallOutcomes].map((outcome) => [outcome.key, outcome]));
  const outcomes = expected.map((artifact) => byKey.get(artifact.key)!);
  context.artifacts.push(...outcomes);
  const issues: VerifyIssue[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'missing') {
      issues.push({ check: 'hashes', kind: 'missing', subject: outcome.key, message: `${outcome.key} is missing` });
    } else if (outcome.status === 'altered') {
      issues.push({ check: 'hashes', kind: 'altered', subject: outcome.key, message: alteredMessage(outcome) });
    }
  }
  return result('hashes', issues, `${expected.length} artifacts hashed`);
}

function alteredMessage(outcome: ArtifactResult): string {
  const expected = outcome.expected!;
  const actual = outcome.actual!;
  if (actual.bytes < expected.bytes)
    return `${outcome.key} is altered: truncated to ${actual.bytes} of ${expected.bytes} bytes`;
  if (actual.bytes > expected.bytes)
    return `${outcome.key} is altered: ${actual.bytes} bytes where ${expected.bytes} were recorded`;
  return `${outcome.key} is altered: SHA-256 ${actual.sha256} where ${expected.sha256} was recorded`;
}
