// Check: every artifact the manifest (or, unsealed, the custody log) lists is present with its recorded length and SHA-256.
import { hashStream } from '../canonical';
import { artifactsOf } from '../manifest';
import type { ManifestArtifact } from '../manifest';
import { entriesFromObjects } from './chain';
import { mapLimit } from './parallel';
import type { ArtifactResult, CheckResult, VerifyContext, VerifyIssue } from './types';
import { result } from './types';

/** What the case says it holds: the sealed manifest's list, or the log's artifact entries before sealing. */
export function expectedArtifacts(context: VerifyContext): ManifestArtifact[] {
  return context.manifest ? context.manifest.artifacts : artifactsOf(entriesFromObjects(context.entryObjects));
}

export async function checkHashes(context: VerifyContext): Promise<CheckResult> {
  const expected = expectedArtifacts(context);
  const outcomes = await mapLimit(expected, context.concurrency, async (artifact): Promise<ArtifactResult> => {
    const stream = await context.source.open(artifact.key);
    const wanted = { bytes: artifact.bytes, sha256: artifact.sha256 };
    if (!stream) return { key: artifact.key, status: 'missing', expected: wanted };
    const actual = await hashStream(stream);
    const same = actual.sha256 === artifact.sha256 && actual.bytes === artifact.bytes;
    return { key: artifact.key, status: same ? 'ok' : 'altered', expected: wanted, actual };
  });
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
  if (actual.bytes < expected.bytes) return `${outcome.key} is altered: truncated to ${actual.bytes} of ${expected.bytes} bytes`;
  if (actual.bytes > expected.bytes) return `${outcome.key} is altered: ${actual.bytes} bytes where ${expected.bytes} were recorded`;
  return `${outcome.key} is altered: SHA-256 ${actual.sha256} where ${expected.sha256} was recorded`;
}
