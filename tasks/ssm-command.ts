// What CaptureMemory, CollectVolatileData and CheckCommand share: agent checks, presigned evidence uploads, the command record.
import type { S3Client } from '@aws-sdk/client-s3';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
} from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { HttpRequest } from '@smithy/core/protocols';
import { z } from 'zod';
import type { Case, Gap, Target } from './lib/case';
import { targetLabel } from './lib/case';

/** A capture tool staged in the forensics bucket, pinned by its SHA-256 (docs/disk-and-memory.md). */
export const ToolSpecSchema = z
  .object({
    /** Object key in the region's evidence bucket, e.g. `tools/avml-v0.14.0`. */
    key: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    name: z.string().min(1),
    version: z.string().min(1),
  })
  .strict();
export type ToolSpec = z.infer<typeof ToolSpecSchema>;

/** One evidence object the instance uploads in parts through presigned URLs; the orchestrator completes it. */
export const PlannedUploadSchema = z
  .object({
    /** File name as the document prints it (`memory.lime`, `processes.txt`). */
    name: z.string(),
    /** Key relative to the case prefix, as the custody log records it. */
    key: z.string(),
    uploadId: z.string(),
  })
  .strict();
export type PlannedUpload = z.infer<typeof PlannedUploadSchema>;

/** A command in flight, carried through the Wait loop to CheckCommand. */
export const CommandRefSchema = z
  .object({
    commandId: z.string(),
    documentName: z.string(),
    kind: z.enum(['memory', 'volatile']),
    step: z.string(),
    sentAt: z.string().datetime(),
    deadline: z.string().datetime(),
    uploads: z.array(PlannedUploadSchema),
    /** The pinned tool the document ran (memory); volatile data uses the OS's own commands. */
    tool: z.object({ name: z.string(), version: z.string(), sha256: z.string() }).strict().optional(),
  })
  .strict();
export type CommandRef = z.infer<typeof CommandRefSchema>;

export interface AgentStatus {
  readonly online: boolean;
  readonly pingStatus: string;
  readonly platform?: 'linux' | 'windows';
  readonly agentVersion?: string;
}

/** Run Command only reaches a managed node whose agent pings Online (DescribeInstanceInformation, PingStatus). */
export async function agentStatus(ssm: SSMClient, instanceId: string): Promise<AgentStatus> {
  const response = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  const info = response.InstanceInformationList?.find((candidate) => candidate.InstanceId === instanceId);
  if (!info) return { online: false, pingStatus: 'NotManaged' };
  const platform = info.PlatformType === 'Windows' ? 'windows' : info.PlatformType === 'Linux' ? 'linux' : undefined;
  return {
    online: info.PingStatus === 'Online',
    pingStatus: info.PingStatus ?? 'Unknown',
    platform,
    agentVersion: info.AgentVersion,
  };
}

export function agentGap(target: Target, step: string, status: AgentStatus): Gap {
  const why =
    status.pingStatus === 'NotManaged'
      ? 'is not a managed node (no SSM agent registered)'
      : `has PingStatus ${status.pingStatus}`;
  return {
    target: targetLabel(target),
    step,
    reason: `SSM agent unavailable: the instance ${why}; nothing was sent to it`,
  };
}

/** The S3 key of a case-relative evidence key. */
export function objectKey(kase: Case, key: string): string {
  return `cases/${kase.caseId}/${key}`;
}

/** RFC 3986 encoding, which SigV4 canonical requests use for path segments and query values. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A presigned URL for one S3 request, signed with the evidence writer's credentials (Sharing objects with presigned URLs, S3
 * User Guide). It is valid for at most `expiresIn` seconds and never beyond the signing session, so the instance gets no
 * standing permission. Signed from a hand-built request because the sandbox answers SDK commands before they are signed.
 */
export async function presignUrl(
  s3: S3Client,
  request: { method: 'GET' | 'PUT'; bucket: string; key: string; query?: Record<string, string> },
  expiresIn: number,
): Promise<string> {
  const region = await s3.config.region();
  const hostname = `${request.bucket}.s3.${region}.amazonaws.com`;
  const path = `/${request.key.split('/').map(encode).join('/')}`;
  const presigner = new S3RequestPresigner({ ...s3.config, region: async () => region });
  const signed = await presigner.presign(
    new HttpRequest({
      protocol: 'https:',
      hostname,
      method: request.method,
      path,
      query: request.query ?? {},
      headers: { host: hostname },
    }),
    { expiresIn },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `${encode(name)}=${encode(String(v ?? ''))}`),
    )
    .join('&');
  return `https://${hostname}${signed.path}?${query}`;
}

/**
 * Starts a multipart upload with SHA-256 part checksums (composite, the only SHA-256 mode for multipart uploads: Checking
 * object integrity in Amazon S3), SSE-KMS with the evidence key; the bucket's default Object Lock retention applies.
 */
export async function startUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  kmsKeyArn: string,
  contentType: string,
): Promise<string> {
  const response = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ChecksumAlgorithm: 'SHA256',
      ChecksumType: 'COMPOSITE',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: kmsKeyArn,
      ContentType: contentType,
    }),
  );
  if (!response.UploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
  return response.UploadId;
}

/** Presigned UploadPart URLs for parts 1…count of an upload. */
export async function partUrls(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  count: number,
  expiresIn: number,
): Promise<string[]> {
  const urls: string[] = [];
  for (let part = 1; part <= count; part += 1) {
    urls.push(
      await presignUrl(s3, { method: 'PUT', bucket, key, query: { partNumber: String(part), uploadId } }, expiresIn),
    );
  }
  return urls;
}

/** What a document printed about one object it uploaded: the parts' SHA-256 (base64) and the whole object's (hex). */
export interface UploadReport {
  readonly parts: Array<{ readonly n: number; readonly bytes: number; readonly sha256: string }>;
  readonly object?: { readonly bytes: number; readonly sha256: string; readonly parts: number };
}

const PART_LINE = /^custody: part object=(\S+) n=(\d+) bytes=(\d+) sha256=([A-Za-z0-9+/=]{44})$/;
const OBJECT_LINE = /^custody: object name=(\S+) bytes=(\d+) sha256=([0-9a-f]{64}) parts=(\d+)$/;

/** Parses the `custody:` lines of a command's output (the contract of infra/documents/*.json). */
export function parseReports(stdout: string): Map<string, UploadReport> {
  const reports = new Map<string, { parts: UploadReport['parts']; object?: UploadReport['object'] }>();
  const entry = (name: string) => reports.get(name) ?? reports.set(name, { parts: [] }).get(name)!;
  for (const line of stdout.split(/\r?\n/)) {
    const part = PART_LINE.exec(line.trim());
    if (part) entry(part[1]).parts.push({ n: Number(part[2]), bytes: Number(part[3]), sha256: part[4] });
    const object = OBJECT_LINE.exec(line.trim());
    if (object) entry(object[1]).object = { bytes: Number(object[2]), sha256: object[3], parts: Number(object[4]) };
  }
  return reports;
}

/** What S3 holds after a presigned multipart upload is completed: the bucket's own checksum and size, to compare with the report. */
export interface CompletedUpload {
  readonly versionId?: string;
  readonly checksumSHA256?: string;
  readonly contentLength?: number;
}

/**
 * Completes a multipart upload whose parts the instance (or workstation) uploaded through presigned URLs, giving S3 the
 * SHA-256 it reported for each part so S3 checks them ("Checking object integrity": composite checksums), then reads back
 * the bucket's checksum of the whole object.
 */
export async function completeReportedUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  parts: readonly { readonly n: number; readonly sha256: string }[],
): Promise<CompletedUpload> {
  const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  const etag = (n: number) => listed.Parts?.find((part) => part.PartNumber === n)?.ETag;
  const completed = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      ChecksumType: 'COMPOSITE',
      MultipartUpload: {
        Parts: parts.map((part) => ({ PartNumber: part.n, ETag: etag(part.n), ChecksumSHA256: part.sha256 })),
      },
    }),
  );
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: completed.VersionId, ChecksumMode: 'ENABLED' }),
  );
  return { versionId: completed.VersionId, checksumSHA256: head.ChecksumSHA256, contentLength: head.ContentLength };
}
