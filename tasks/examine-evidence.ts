// ExamineEvidence: re-reads every artifact recorded so far, checks its SHA-256 and the bucket's checksum, and what is missing.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { hexToBase64 } from './lib/canonical';
import { CaseSchema, targetLabel, type Case, type Gap, type Target } from './lib/case';
import { casePrefix } from './lib/case-store';
import type { CustodyEntry } from './lib/custody-log';
import { verifyChain } from './lib/custody-log';
import { errorName } from './lib/errors';
import { crc32Base64 } from './lib/evidence-checksums';
import { defineTask, lambdaHandler } from './lib/handler';
import type { ArtifactRecord, TaskDeps } from './lib/task';
import { mapLimit } from './lib/verify/parallel';
import { caseRegions } from './open-case';
import { custodyStoreFor } from './lib/case-store';

export const ExamineEvidenceInputSchema = z.object({ case: CaseSchema });
export type ExamineEvidenceInput = z.infer<typeof ExamineEvidenceInputSchema>;

export type Category = 'metadata' | 'snapshots' | 'memory' | 'volatile' | 'logs';

export interface ExamineEvidenceOutput {
  readonly caseId: string;
  readonly examined: number;
  readonly ok: number;
  /** Keys whose bytes no longer match the custody record or the bucket's checksum (at most LIST_LIMIT each). */
  readonly altered: string[];
  readonly missing: string[];
  readonly incomplete: Array<{ readonly target: string; readonly category: Category }>;
  readonly chainIssues: number;
  readonly gaps: Gap[];
}

/** Lists in the output are capped so it stays far below the 256 KiB Step Functions payload limit; counts are exact. */
export const LIST_LIMIT = 100;

type Verdict = 'ok' | 'altered' | 'missing' | 'checksum-mismatch';

export async function examineEvidence(input: ExamineEvidenceInput, deps: TaskDeps): Promise<ExamineEvidenceOutput> {
  const totals = { examined: 0, ok: 0, chainIssues: 0 };
  const altered: string[] = [];
  const missing: string[] = [];
  const incomplete: ExamineEvidenceOutput['incomplete'] = [];
  const gaps: Gap[] = [];
  for (const region of caseRegions(input.case)) {
    const store = custodyStoreFor(deps, input.case.caseId, region);
    const s3 = deps.clients.forensics(region).s3();
    const entries = await store.readEntries();
    const artifacts = latestArtifacts(entries);
    const verdicts = await mapLimit(artifacts, 8, (artifact) =>
      examine(s3, store.bucket, casePrefix(input.case.caseId), artifact),
    );
    const chain = verifyChain(entries);
    const gapsBefore = gaps.length;
    artifacts.forEach((artifact, index) => {
      const verdict = verdicts[index];
      if (verdict === 'ok') return;
      (verdict === 'missing' ? missing : altered).push(artifact.key);
      gaps.push({ target: artifact.key, step: 'ExamineEvidence', reason: REASONS[verdict], error: verdict });
    });
    for (const issue of chain)
      gaps.push({ target: `case/${region}`, step: 'ExamineEvidence', reason: issue.message, error: issue.kind });
    const regionTargets = input.case.targets.filter((target) => target.region === region);
    const holes = input.case.mode === 'collect' ? missingCategories(input.case, regionTargets, entries) : [];
    for (const hole of holes) {
      incomplete.push(hole);
      gaps.push({
        target: hole.target,
        step: 'ExamineEvidence',
        reason: `no ${hole.category} evidence was recorded for this target`,
        error: 'incomplete',
      });
    }
    const ok = verdicts.filter((verdict) => verdict === 'ok').length;
    totals.examined += artifacts.length;
    totals.ok += ok;
    totals.chainIssues += chain.length;
    await store.record({
      action: 'evidence.examined',
      target: 'case',
      details: {
        examined: artifacts.length,
        ok,
        entries: entries.length,
        head: entries[entries.length - 1]?.hash,
        problems: gaps
          .slice(gapsBefore, gapsBefore + LIST_LIMIT)
          .map((gap) => ({ target: gap.target, problem: gap.error })),
        problemCount: gaps.length - gapsBefore,
      },
    });
  }
  return {
    caseId: input.case.caseId,
    ...totals,
    altered: altered.slice(0, LIST_LIMIT),
    missing: missing.slice(0, LIST_LIMIT),
    incomplete: incomplete.slice(0, LIST_LIMIT),
    gaps: gaps.slice(0, LIST_LIMIT),
  };
}

const REASONS: Readonly<Record<Exclude<Verdict, 'ok'>, string>> = {
  altered: 'the stored bytes no longer match the SHA-256 recorded in the custody log',
  missing: 'the artifact recorded in the custody log is not in the evidence bucket',
  'checksum-mismatch': 'the bucket holds a different SHA-256 checksum for this object than the custody log records',
};

/** One record per key: the log may not hold two objects under one key (writes are If-None-Match), but a retry could log twice. */
function latestArtifacts(entries: readonly CustodyEntry[]): ArtifactRecord[] {
  const byKey = new Map<string, ArtifactRecord>();
  for (const entry of entries) if (entry.artifact) byKey.set(entry.artifact.key, entry.artifact);
  return [...byKey.values()];
}

/**
 * Streams the object once, computing its SHA-256 and CRC32. ChecksumMode ENABLED makes S3 return the checksum it verified at
 * upload (S3 User Guide, "Checking object integrity in Amazon S3"): SHA-256 for single PutObject writes, a FULL_OBJECT CRC32
 * for multipart ones; a COMPOSITE value (`…-N`) covers parts, not the whole object, so it is not compared.
 */
async function examine(s3: S3Client, bucket: string, prefix: string, artifact: ArtifactRecord): Promise<Verdict> {
  let response;
  try {
    response = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${artifact.key}`, ChecksumMode: 'ENABLED' }),
    );
  } catch (error) {
    if (['NoSuchKey', 'NotFound'].includes(errorName(error))) return 'missing';
    throw error;
  }
  if (!response.Body) return 'missing';
  const hash = createHash('sha256');
  let crc = 0;
  let bytes = 0;
  for await (const chunk of response.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    crc = crc32(chunk, crc);
    bytes += chunk.length;
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== artifact.sha256 || bytes !== artifact.bytes) return 'altered';
  const fullObject = (value: string | undefined): value is string => value !== undefined && !value.includes('-');
  if (fullObject(response.ChecksumSHA256) && response.ChecksumSHA256 !== hexToBase64(sha256))
    return 'checksum-mismatch';
  if (fullObject(response.ChecksumCRC32) && response.ChecksumCRC32 !== crc32Base64(crc)) return 'checksum-mismatch';
  return 'ok';
}

/** Categories each target should have by the case's options; metadata is always collected. */
export function plannedCategories(custodyCase: Case): Category[] {
  const options = custodyCase.options;
  const planned: Category[] = ['metadata'];
  if (options.snapshots) planned.push('snapshots');
  if (options.memory) planned.push('memory');
  if (options.volatile) planned.push('volatile');
  if (options.logs) planned.push('logs');
  return planned;
}

/**
 * A category is present for a target when an artifact sits under `<accountId>/<instanceId>/<category>/`; snapshots are
 * not objects, so for them a `snapshot.*` entry about the instance (as target or details.instanceId) counts.
 */
function missingCategories(
  custodyCase: Case,
  targets: readonly Target[],
  entries: readonly CustodyEntry[],
): Array<{ target: string; category: Category }> {
  const holes: Array<{ target: string; category: Category }> = [];
  for (const target of targets) {
    const base = `${target.accountId}/${target.instanceId}/`;
    for (const category of plannedCategories(custodyCase)) {
      const hasArtifact = entries.some((entry) => entry.artifact?.key.startsWith(`${base}${category}/`));
      const hasSnapshot =
        category === 'snapshots' &&
        entries.some((entry) => entry.action.startsWith('snapshot.') && aboutInstance(entry, target.instanceId));
      if (!hasArtifact && !hasSnapshot) holes.push({ target: targetLabel(target), category });
    }
  }
  return holes;
}

function aboutInstance(entry: CustodyEntry, instanceId: string): boolean {
  return entry.target === instanceId || entry.details?.instanceId === instanceId;
}

export const examineEvidenceTask = defineTask('ExamineEvidence', ExamineEvidenceInputSchema, examineEvidence);
export const handler = lambdaHandler(examineEvidenceTask);
