// `custody verify`: loads a case from a folder or S3 once, runs every check on it, and returns one typed report.
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidInputError } from '../errors';
import { parseManifest, publicKeyPem } from '../manifest';
import { seqOfKey } from '../custody-log';
import { checkChain } from './chain';
import { checkCompleteness } from './completeness';
import { checkHashes } from './hashes';
import { mapLimit } from './parallel';
import { checkRetention } from './retention';
import { checkSignature } from './signature';
import { localSource } from './source-local';
import { s3Source } from './source-s3';
import type { ArtifactStatus, CheckResult, EvidenceSource, VerifyCheck, VerifyContext, VerifyReport } from './types';

export interface VerifyOptions {
  /** Client for s3:// locations (the forensics account's evidence reader). */
  readonly s3?: S3Client;
  /** Pins the signing key: the manifest's key id is looked up with kms:GetPublicKey and must match the embedded key. */
  readonly kms?: KMSClient;
  /** Pins the signing key from a PEM the verifier already trusts (offline). */
  readonly publicKeyPem?: string;
  /** Objects read at once (default 16). */
  readonly concurrency?: number;
}

/** The checks, in the order they are reported. Hashes run before completeness, which adds the unlisted objects after them. */
export const CHECKS: readonly VerifyCheck[] = [
  checkSignature,
  checkChain,
  checkHashes,
  checkCompleteness,
  checkRetention,
];

export async function verifyCase(location: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return verifySource(sourceFor(location, options), options);
}

export function sourceFor(location: string, options: VerifyOptions): EvidenceSource {
  if (!location.startsWith('s3://')) return localSource(location);
  if (!options.s3) throw new InvalidInputError('verifying an s3:// location needs an S3 client');
  return s3Source(options.s3, location);
}

export async function verifySource(source: EvidenceSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  const context = await load(source, options);
  const checks: CheckResult[] = [];
  for (const check of CHECKS) checks.push(await check(context));
  const counts: Record<ArtifactStatus, number> = { ok: 0, altered: 0, missing: 0, unlisted: 0 };
  for (const artifact of context.artifacts) counts[artifact.status] += 1;
  const manifest = context.manifest;
  return {
    location: source.location,
    caseId: manifest?.caseId ?? source.caseId,
    ok: checks.every((check) => check.status !== 'non-compliant'),
    sealed: manifest !== undefined,
    ...(manifest ? { sealedAt: manifest.sealedAt, keyId: manifest.signing.keyId } : {}),
    keyPinned: context.trustedPublicKeyPem !== undefined,
    entries: manifest ? manifest.custody.entries : context.entryObjects.size,
    counts,
    checks,
    artifacts: context.artifacts,
  };
}

async function load(source: EvidenceSource, options: VerifyOptions): Promise<VerifyContext> {
  const concurrency = options.concurrency ?? 16;
  const listing = await source.list();
  const [manifestBytes, signature, jsonl] = await Promise.all([
    source.read('manifest.json'),
    source.read('manifest.sig'),
    source.read('custody.jsonl'),
  ]);
  const entryKeys = listing
    .filter((object) => object.key.startsWith('custody/') && seqOfKey(object.key) !== undefined)
    .map((object) => object.key);
  const entryBytes = await mapLimit(entryKeys, concurrency, (key) => source.read(key));
  const entryObjects = new Map<string, Buffer>();
  entryKeys.forEach((key, index) => {
    const bytes = entryBytes[index];
    if (bytes) entryObjects.set(key, bytes);
  });
  const manifest = manifestBytes ? parseManifest(manifestBytes) : undefined;
  const trustedPublicKeyPem =
    options.publicKeyPem ??
    (manifest && options.kms ? await publicKeyPem(options.kms, manifest.signing.keyId) : undefined);
  return {
    source,
    listing,
    manifestBytes,
    manifest,
    signature,
    jsonl,
    entryObjects,
    trustedPublicKeyPem,
    concurrency,
    artifacts: [],
  };
}

export { formatVerifyReport } from './format';
export type { VerifyReport, CheckResult, VerifyIssue, ArtifactResult, ArtifactStatus, CheckName } from './types';
