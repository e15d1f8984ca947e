// SealCase: closes each region's custody log into custody.jsonl, writes manifest.json and signs it with KMS into manifest.sig.
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { sha256Hex } from './lib/canonical';
import { CaseSchema, type Case, type Gap } from './lib/case';
import { CONFLICTS, casePrefix, custodyStoreFor, putLocked, readObject } from './lib/case-store';
import { forensicsFor } from './lib/config';
import type { CustodyEntry } from './lib/custody-log';
import { toJsonl, verifyChain } from './lib/custody-log';
import { EvidenceWriteError, TRANSIENT_AWS_ERRORS, errorMessage, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import { buildManifest, parseManifest, publicKeyPem, serializeManifest, signManifest } from './lib/manifest';
import type { TaskDeps } from './lib/task';
import { caseRegions } from './open-case';

export const SealCaseInputSchema = z.object({ case: CaseSchema });
export type SealCaseInput = z.infer<typeof SealCaseInputSchema>;

export interface SealedRegion {
  readonly region: string;
  readonly bucket: string;
  /** Bucket key of manifest.json; manifest.sig and custody.jsonl sit next to it. */
  readonly manifestKey: string;
  readonly manifestSha256: string;
  readonly keyId: string;
  readonly entries: number;
  readonly head: string;
  readonly artifacts: number;
}

export interface SealCaseOutput {
  readonly caseId: string;
  readonly sealed: SealedRegion[];
  readonly gaps: Gap[];
}

export async function sealCase(input: SealCaseInput, deps: TaskDeps): Promise<SealCaseOutput> {
  const sealed: SealedRegion[] = [];
  const gaps: Gap[] = [];
  for (const region of caseRegions(input.case)) {
    try {
      sealed.push(await sealRegion(input.case, region, deps, gaps));
    } catch (error) {
      if (TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
      gaps.push({
        target: `case/${region}`,
        step: 'SealCase',
        reason: `the case could not be sealed in ${region}`,
        error: errorMessage(error),
      });
    }
  }
  return { caseId: input.case.caseId, sealed, gaps };
}

async function sealRegion(custodyCase: Case, region: string, deps: TaskDeps, gaps: Gap[]): Promise<SealedRegion> {
  const destination = forensicsFor(deps.config, region);
  const forensics = deps.clients.forensics(region);
  const s3 = forensics.s3();
  const store = custodyStoreFor(deps, custodyCase.caseId, region);
  const prefix = casePrefix(custodyCase.caseId);
  const previous = await existingSeal(s3, destination.evidenceBucket, prefix);
  if (previous) return { ...previous, region };

  let entries = await store.readEntries();
  // A retried SealCase finds its own case.sealed entry last and seals the same log again, byte for byte.
  if (entries[entries.length - 1]?.action !== 'case.sealed') {
    await store.append({
      action: 'case.sealed',
      target: 'case',
      details: { artifacts: entries.filter((entry) => entry.artifact).length },
    });
    entries = await store.readEntries();
  }
  for (const issue of verifyChain(entries)) {
    gaps.push({
      target: `case/${region}`,
      step: 'SealCase',
      reason: `custody log problem sealed as found: ${issue.message}`,
      error: issue.kind,
    });
  }
  const retainUntil = new Date(deps.now().getTime() + deps.config.retentionDays * 86_400_000);
  const write = (key: string, body: string | Buffer, contentType: string): Promise<void> =>
    putOnce(s3, {
      bucket: destination.evidenceBucket,
      key: `${prefix}${key}`,
      body,
      kmsKeyId: destination.evidenceKeyArn,
      retainUntil,
      contentType,
    });

  const jsonl = toJsonl(entries);
  await write('custody.jsonl', jsonl, 'application/x-ndjson');
  const kms = forensics.kms();
  const manifest = buildManifest({
    caseDocument: { ...custodyCase, targets: custodyCase.targets.filter((target) => target.region === region) },
    caseId: custodyCase.caseId,
    region,
    bucket: destination.evidenceBucket,
    sealedAt: sealEntry(entries).at,
    retentionDays: deps.config.retentionDays,
    entries,
    jsonl,
    keyId: destination.signingKeyArn,
    publicKeyPem: await publicKeyPem(kms, destination.signingKeyArn),
  });
  const manifestBytes = serializeManifest(manifest);
  await write('manifest.json', manifestBytes, 'application/json');
  await write(
    'manifest.sig',
    await signManifest(kms, destination.signingKeyArn, manifestBytes),
    'application/octet-stream',
  );
  return { region, ...summary(destination.evidenceBucket, prefix, manifestBytes) };
}

function sealEntry(entries: readonly CustodyEntry[]): CustodyEntry {
  return entries[entries.length - 1];
}

/** A case already sealed (manifest.sig present) is reported as it stands: a seal is never redone. */
async function existingSeal(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Omit<SealedRegion, 'region'> | undefined> {
  try {
    await readObject(s3, bucket, `${prefix}manifest.sig`);
  } catch (error) {
    if (['NoSuchKey', 'NotFound'].includes(errorName(error))) return undefined;
    throw error;
  }
  return summary(bucket, prefix, await readObject(s3, bucket, `${prefix}manifest.json`));
}

function summary(bucket: string, prefix: string, manifestBytes: Buffer): Omit<SealedRegion, 'region'> {
  const manifest = parseManifest(manifestBytes);
  if (!manifest) throw new EvidenceWriteError(`s3://${bucket}/${prefix}manifest.json is not a valid manifest`);
  return {
    bucket,
    manifestKey: `${prefix}manifest.json`,
    manifestSha256: sha256Hex(manifestBytes),
    keyId: manifest.signing.keyId,
    entries: manifest.custody.entries,
    head: manifest.custody.head,
    artifacts: manifest.artifacts.length,
  };
}

/** Writes a ledger object once; finding the very same bytes already there (a retried seal) is success, anything else is not. */
async function putOnce(s3: S3Client, object: Parameters<typeof putLocked>[1]): Promise<void> {
  try {
    await putLocked(s3, object);
  } catch (error) {
    if (!CONFLICTS.includes(errorName(error))) throw error;
    const existing = await readObject(s3, object.bucket, object.key);
    if (sha256Hex(existing) !== sha256Hex(object.body)) {
      throw new EvidenceWriteError(
        `s3://${object.bucket}/${object.key} already exists with other content; the seal was not overwritten`,
        { key: object.key },
      );
    }
  }
}

export const sealCaseTask = defineTask('SealCase', SealCaseInputSchema, sealCase);
export const handler = lambdaHandler(sealCaseTask);
