// AnalyzeCase: reads each region's log evidence back and writes report/timeline.jsonl (Timesketch) and report/findings.json.
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { Gap } from './lib/case';
import { CaseSchema } from './lib/case';
import { forensicsFor } from './lib/config';
import { custodyPrefix, parseEntry, seqOfKey } from './lib/custody-log';
import { errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { AnalysisOptions, EvidenceReader, RegionAnalysis } from './lib/logs/analysis';
import { analyzeRegion } from './lib/logs/analysis';
import type { CustodyEntryLike } from './lib/logs/timeline';
import type { TaskDeps } from './lib/task';

export const AnalyzeCaseInputSchema = z.object({ case: CaseSchema }).strict();
export type AnalyzeCaseInput = z.infer<typeof AnalyzeCaseInputSchema>;

export interface AnalyzeCaseOutput {
  readonly regions: Array<Omit<RegionAnalysis, 'gaps'>>;
  readonly gaps: Gap[];
}

/** Evidence of a case read back from its region's evidence bucket, streamed (GetObject's Body is a Node Readable). */
export function s3EvidenceReader(s3: S3Client, bucket: string, caseId: string): EvidenceReader {
  const prefix = `cases/${caseId}/`;
  return {
    async open(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${key}` }));
        return response.Body as Readable | undefined;
      } catch (error) {
        if (errorName(error) === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async custodyEntries() {
      const entries: Array<{ entry: CustodyEntryLike; key: string }> = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: custodyPrefix(caseId), ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key || seqOfKey(object.Key) === undefined) continue;
          const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
          const entry = parseEntry(Buffer.from((await body.Body?.transformToByteArray()) ?? []).toString('utf8'));
          if (entry) entries.push({ entry, key: object.Key.slice(prefix.length) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return entries.sort((a, b) => a.entry.seq - b.entry.seq);
    },
  };
}

/** One timeline and one set of correlations per region: evidence never leaves its region, so neither does its analysis. */
export async function analyzeCase(
  input: AnalyzeCaseInput,
  deps: TaskDeps,
  options: AnalysisOptions = {},
): Promise<AnalyzeCaseOutput> {
  const caseData = input.case;
  const regions = [...new Set(caseData.targets.map((target) => target.region))];
  const results: Array<Omit<RegionAnalysis, 'gaps'>> = [];
  const gaps: Gap[] = [];
  for (const region of regions) {
    const reader = s3EvidenceReader(
      deps.clients.forensics(region).s3(),
      forensicsFor(deps.config, region).evidenceBucket,
      caseData.caseId,
    );
    const { gaps: regionGaps, ...result } = await analyzeRegion(
      caseData,
      region,
      reader,
      deps.store(caseData.caseId, region),
      options,
    );
    results.push(result);
    gaps.push(...regionGaps);
  }
  return { regions: results, gaps };
}

export const analyzeCaseTask = defineTask('AnalyzeCase', AnalyzeCaseInputSchema, (input, deps) =>
  analyzeCase(input, deps),
);
export const handler = lambdaHandler(analyzeCaseTask);
