// Check: nothing is stored that the case does not account for, and the manifest lists exactly the artifacts the log recorded.
import { isLedgerKey } from '../case-store';
import { parseJsonl, seqOfKey } from '../custody-log';
import { artifactsOf } from '../manifest';
import { entriesFromObjects } from './chain';
import { expectedArtifacts } from './hashes';
import type { CheckResult, VerifyContext, VerifyIssue } from './types';
import { result } from './types';

export async function checkCompleteness(context: VerifyContext): Promise<CheckResult> {
  const issues: VerifyIssue[] = [];
  const expected = new Set(expectedArtifacts(context).map((artifact) => artifact.key));
  for (const object of context.listing) {
    if (expected.has(object.key) || isLedgerObject(object.key)) continue;
    context.artifacts.push({ key: object.key, status: 'unlisted' });
    issues.push({
      check: 'completeness',
      kind: 'unlisted',
      subject: object.key,
      message: `${object.key} is stored with the case but no custody entry or manifest lists it`,
    });
  }
  if (context.manifest) issues.push(...logAgainstManifest(context));
  return result('completeness', issues);
}

/** custody/<seq>.json, custody.jsonl and manifest.* are the ledger; anything else under custody/ is not. */
function isLedgerObject(key: string): boolean {
  if (!isLedgerKey(key)) return false;
  return !key.startsWith('custody/') || (seqOfKey(key) !== undefined && /^custody\/\d+\.json$/.test(key));
}

/** Every artifact the log recorded is in the manifest with the same hash, and the manifest lists nothing the log did not record. */
function logAgainstManifest(context: VerifyContext): VerifyIssue[] {
  const entries = context.jsonl
    ? parseJsonl(context.jsonl.toString('utf8')).entries
    : entriesFromObjects(context.entryObjects);
  const logged = new Map(artifactsOf(entries).map((artifact) => [artifact.key, artifact]));
  const listed = new Map(context.manifest!.artifacts.map((artifact) => [artifact.key, artifact]));
  const issues: VerifyIssue[] = [];
  for (const [key, artifact] of logged) {
    const inManifest = listed.get(key);
    if (!inManifest) {
      issues.push({
        check: 'completeness',
        kind: 'not-in-manifest',
        subject: key,
        message: `${key} was recorded in the custody log but is not in the manifest`,
      });
    } else if (inManifest.sha256 !== artifact.sha256 || inManifest.bytes !== artifact.bytes) {
      issues.push({
        check: 'completeness',
        kind: 'manifest-mismatch',
        subject: key,
        message: `${key} has a different hash in the manifest than in the custody log`,
      });
    }
  }
  for (const key of listed.keys()) {
    if (!logged.has(key))
      issues.push({
        check: 'completeness',
        kind: 'not-logged',
        subject: key,
        message: `${key} is in the manifest but no custody entry acquired it`,
      });
  }
  return issues;
}
