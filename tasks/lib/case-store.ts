// A case's evidence store in one region: artifacts go to the forensics bucket, custody entries are appended lock-free to the log.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClientFactory } from './aws';
import { hexToBase64, sha256Hex } from './canonical';
import type { CustodyConfig } from './config';
import { forensicsFor } from './config';
import type { CustodyEntry } from './custody-log';
import {
  GENESIS_PREV,
  buildEntry,
  custodyEntryKey,
  custodyPrefix,
  entryHash,
  parseEntry,
  seqOfKey,
  serializeEntry,
} from './custody-log';
import { CustodyLogError, InvalidInputError, TRANSIENT_AWS_ERRORS, errorName } from './errors';
import { writeEvidence } from './evidence-writer';
import { discard, existingArtifact, objectExists } from './existing-artifact';
import type { ExistingArtifactRequest } from './existing-artifact';
import type { Actor, ArtifactRecord, CaseStore, CustodyEvent, PutArtifactRequest, TaskDeps } from './task';
import { mapLimit } from './verify/parallel';

/** Version recorded as `toolVersion` for artifacts Custody produces itself. */
export const CUSTODY_VERSION = '0.1.0';

export interface CaseStoreOptions {
  readonly caseId: string;
  readonly region: string;
  readonly config: CustodyConfig;
  readonly clients: ClientFactory;
  readonly actor: Actor;
  now(): Date;
  /** Appends tried before giving up under contention (each failed try means another writer's entry landed). */
  readonly maxAttempts?: number;
  /** Base of the jittered back-off between tries, in milliseconds. */
  readonly retryBaseMs?: number;
}

/** The store plus what SealCase and ExamineEvidence read back. */
export interface CustodyStore extends CaseStore {
  readonly bucket: string;
  /** Every entry of the log, in seq order, read from the per-entry objects. */
  readEntries(): Promise<CustodyEntry[]>;
  /** Appends an entry and returns it with its seq and hash. */
  append(event: CustodyEvent): Promise<CustodyEntry>;
  /**
   * A resumed task's finished work: the artifact the log recorded under the key, or, for an object in the bucket with no
   * record (a crash between write and record), that object hashed and recorded as recovered; undefined when there is none.
   */
  existingArtifact(request: ExistingArtifactRequest): Promise<ArtifactRecord | undefined>;
}

/** Objects that make up the ledger itself; they are never artifacts (docs/evidence-format.md). */
export const LEDGER_FILES: readonly string[] = ['custody.jsonl', 'manifest.json', 'manifest.sig'];
export const LEDGER_FOLDER = 'custody/';

export function isLedgerKey(relativeKey: string): boolean {
  return LEDGER_FILES.includes(relativeKey) || relativeKey.startsWith(LEDGER_FOLDER);
}

export function casePrefix(caseId: string): string {
  return `cases/${caseId}/`;
}

interface Head {
  readonly seq: number;
  readonly hash: string;
}

/** The last head each log had in this process (a warm Lambda, the local runner): a hint, checked before it is used. */
const knownHeads = new Map<string, Head>();
const appendQueues = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier queued work of the same log has settled. */
function serialised<T>(logId: string, work: () => Promise<T>): Promise<T> {
  const next = (appendQueues.get(logId) ?? Promise.resolve()).catch(() => undefined).then(work);
  appendQueues.set(logId, next);
  const forget = (): void => {
    if (appendQueues.get(logId) === next) appendQueues.delete(logId);
  };
  next.then(forget, forget);
  return next;
}

export function createCaseStore(options: CaseStoreOptions): CustodyStore {
  const { caseId, region, config, clients, actor } = options;
  const destination = forensicsFor(config, region);
  const bucket = destination.evidenceBucket;
  const s3 = (): S3Client => clients.forensics(region).s3();
  const retainUntil = (): Date => new Date(options.now().getTime() + config.retentionDays * 86_400_000);
  const maxAttempts = options.maxAttempts ?? 64;
  const retryBaseMs = options.retryBaseMs ?? 20;
  let head: Head | undefined;
  const readEntriesCache = new Map<number, CustodyEntry>();

  // If-None-Match: * makes the write a compare-and-swap on the seq (see putLocked).
  const putEntry = (entry: CustodyEntry): Promise<void> =>
    putLocked(s3(), {
      bucket,
      key: custodyEntryKey(caseId, entry.seq),
      body: serializeEntry(entry),
      kmsKeyId: destination.evidenceKeyArn,
      retainUntil: retainUntil(),
    });

  const logId = `${bucket}/${custodyPrefix(caseId)}`;

  /**
   * The last entry of the log (only when this writer has no head yet). A head another store of this process saw is a hint:
   * if its entry is still there with the same hash, only the keys after it are listed, so a case's N-th task does not list
   * all the entries before it (which made a many-target case quadratic, docs/scale.md).
   */
  const readHead = async (): Promise<Head> => {
    const hint = knownHeads.get(logId);
    const trusted = hint && (await readEntryAt(hint.seq))?.hash === hint.hash ? hint : undefined;
    const after = trusted ? custodyEntryKey(caseId, trusted.seq) : undefined;
    const keys = (await listObjects(s3(), bucket, custodyPrefix(caseId), after)).filter(
      (object) => seqOfKey(object.key) !== undefined,
    );
    const last = keys[keys.length - 1];
    if (!last) return trusted ?? { seq: -1, hash: GENESIS_PREV };
    return (await readEntryAt(seqOfKey(last.key)!)) ?? trusted ?? { seq: -1, hash: GENESIS_PREV };
  };

  /** Walks forward from a head over the entries other writers have landed since (one GET each, no listing). */
  const catchUp = async (from: Head): Promise<Head> => {
    let current = from;
    for (let next = await readEntryAt(current.seq + 1); next; next = await readEntryAt(current.seq + 1)) current = next;
    return current;
  };

  /** The entry stored under a seq, checked against its hash; undefined while a racing write has not landed (409). */
  const readEntryAt = async (seq: number): Promise<Head | undefined> => {
    const key = custodyEntryKey(caseId, seq);
    let bytes: Buffer;
    try {
      bytes = await readObject(s3(), bucket, key);
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
    const entry = parseEntry(bytes.toString('utf8'));
    if (!entry || entryHash(entry) !== entry.hash || entry.seq !== seq) {
      throw new CustodyLogError(`custody entry ${key} does not match its hash; the log cannot be extended`, { key });
    }
    return { seq, hash: entry.hash };
  };

  // Appends of one process are queued per log (the local runner's Map iterations share a process; a Lambda's would not), so
  // they never race each other; writers in other processes are still settled by the compare-and-swap below.
  const append = (event: CustodyEvent): Promise<CustodyEntry> => serialised(logId, () => appendOnce(event));

  const appendOnce = async (event: CustodyEvent): Promise<CustodyEntry> => {
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      const hint = knownHeads.get(logId);
      const current = head && !(hint && hint.seq > head.seq) ? head : await readHead();
      const entry = buildEntry(event, current.seq + 1, current.hash, actor, options.now());
      try {
        await putEntry(entry);
        head = { seq: entry.seq, hash: entry.hash };
        knownHeads.set(logId, head);
        return entry;
      } catch (error) {
        if (!CONFLICTS.includes(errorName(error))) throw error;
        // Another writer took this seq: every entry landed since becomes known, and the next free seq is tried. Back off
        // exponentially only while no progress is seen (the racing write has not landed yet, 409); otherwise a short jitter.
        head = await catchUp(current);
        if (head.seq === current.seq)
          await sleep(Math.random() * Math.min(1000, retryBaseMs * 2 ** Math.min(attempt, 6)));
      }
    }
    throw new CustodyLogError(
      `could not append ${event.action} to the custody log of case ${caseId} after ${maxAttempts} tries`,
      {
        caseId,
        action: event.action,
      },
    );
  };

  // What finding an existing artifact needs: the object, the log to read or append to, and how to read the bucket.
  const lookupContext = (objectKey: string) => ({
    s3: s3(),
    bucket,
    caseId,
    objectKey,
    append,
    list: (prefix: string) => listObjects(s3(), bucket, prefix),
    read: (key: string) => readObject(s3(), bucket, key),
    entries: readEntriesCache,
    defaultToolVersion: CUSTODY_VERSION,
  });
  return {
    caseId,
    region,
    bucket,
    append,
    async record(event) {
      await append(event);
    },
    async putArtifact(request: PutArtifactRequest): Promise<ArtifactRecord> {
      assertArtifactKey(request.key);
      const objectKey = `${casePrefix(caseId)}${request.key}`;
      const reuse = request.onExisting !== 'fail';
      const existing = (): Promise<ArtifactRecord | undefined> => existingArtifact(lookupContext(objectKey), request);
      // Bytes in hand can be sent again after a transient failure; a stream cannot be replayed, so it fails to the caller.
      const replayable = typeof request.body === 'string' || request.body instanceof Uint8Array;
      // A stream may be large: an existing key is looked for first rather than found by uploading it all again.
      if (reuse && !replayable && (await objectExists(s3(), bucket, objectKey))) {
        const found = await existing();
        if (found) {
          discard(request.body);
          return found;
        }
      }
      const write = () =>
        writeEvidence(s3(), {
          bucket,
          key: objectKey,
          body: request.body,
          contentType: request.contentType,
          kmsKeyId: destination.evidenceKeyArn,
          retainUntil: retainUntil(),
        });
      let written: Awaited<ReturnType<typeof writeEvidence>>;
      try {
        written = await (replayable ? retryTransient(write, retryBaseMs) : write());
      } catch (error) {
        // If-None-Match refused the write: the key is taken, by this case's own earlier run (evidence is write-once).
        const found = reuse && errorName(error) === 'ObjectExistsError' ? await existing() : undefined;
        if (found) return found;
        throw error;
      }
      const record: ArtifactRecord = {
        key: request.key,
        bytes: written.bytes,
        sha256: written.sha256,
        source: request.source,
        tool: request.tool ?? 'custody',
        toolVersion: request.toolVersion ?? CUSTODY_VERSION,
      };
      await append({ action: 'artifact.acquired', target: request.target, artifact: record });
      return record;
    },
    async existingArtifact(request: ExistingArtifactRequest): Promise<ArtifactRecord | undefined> {
      assertArtifactKey(request.key);
      const objectKey = `${casePrefix(caseId)}${request.key}`;
      if (!(await objectExists(s3(), bucket, objectKey))) return undefined;
      return existingArtifact(lookupContext(objectKey), request);
    },
    readEntries: () => readCustodyEntries(s3(), bucket, caseId),
  };
}

/** The deps' store when it is the real one (it can read its log back), else a real store built from the deps. */
export function custodyStoreFor(deps: TaskDeps, caseId: string, region: string): CustodyStore {
  const store = deps.store(caseId, region) as Partial<CustodyStore>;
  if (
    typeof store.readEntries === 'function' &&
    typeof store.append === 'function' &&
    typeof store.existingArtifact === 'function'
  )
    return store as CustodyStore;
  return createCaseStore({
    caseId,
    region,
    config: deps.config,
    clients: deps.clients,
    actor: deps.actor,
    now: () => deps.now(),
  });
}

/** S3 answers 412 PreconditionFailed when the key exists, 409 ConditionalRequestConflict when another conditional write races. */
export const CONFLICTS: readonly string[] = ['PreconditionFailed', 'ConditionalRequestConflict'];

export interface LockedObject {
  readonly bucket: string;
  readonly key: string;
  readonly body: string | Uint8Array;
  readonly kmsKeyId: string;
  readonly retainUntil: Date;
  readonly contentType?: string;
}

/**
 * Writes a small ledger object once: If-None-Match '*' (S3 User Guide, "How to prevent object overwrites with conditional
 * writes"), a SHA-256 the bucket checks, SSE-KMS, and an Object Lock COMPLIANCE retention so nobody can delete or replace it.
 */
export async function putLocked(s3: S3Client, object: LockedObject): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      Body: object.body,
      ContentType: object.contentType ?? 'application/json',
      IfNoneMatch: '*',
      ChecksumSHA256: hexToBase64(sha256Hex(object.body)),
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: object.retainUntil,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: object.kmsKeyId,
    }),
  );
}

function assertArtifactKey(key: string): void {
  if (key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new InvalidInputError(`artifact key ${key} must be a plain relative path under the case prefix`);
  }
  if (isLedgerKey(key)) throw new InvalidInputError(`artifact key ${key} is reserved for the custody ledger`);
}

/**
 * Retries a write that failed with a transient error (S3 500 InternalError, 503 SlowDown) up to three times with full
 * jitter, as the SDK's standard retry strategy does ("Retry behavior", AWS SDKs and Tools Reference Guide). The write is
 * conditional (If-None-Match), so a retry can never replace an object that did land.
 */
async function retryTransient<T>(write: () => Promise<T>, baseMs: number, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= attempts || !TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
      await sleep(Math.random() * baseMs * 2 ** attempt);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/** Every object under a prefix, in S3's (lexicographic) order, following continuation tokens. */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  startAfter?: string,
): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) objects.push({ key: object.Key, size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** A small object's bytes (custody entries, the manifest); artifacts are streamed instead. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!response.Body) return Buffer.alloc(0);
  return Buffer.from(await response.Body.transformToByteArray());
}

/** All entries of a case's log in seq order; an object that is not a valid entry is a CustodyLogError naming it. */
export async function readCustodyEntries(s3: S3Client, bucket: string, caseId: string): Promise<CustodyEntry[]> {
  const keys = (await listObjects(s3, bucket, custodyPrefix(caseId))).filter(
    (object) => seqOfKey(object.key) !== undefined,
  );
  return mapLimit(keys, 16, async (object) => {
    const entry = parseEntry((await readObject(s3, bucket, object.key)).toString('utf8'));
    if (!entry)
      throw new CustodyLogError(`custody object ${object.key} is not a valid custody entry`, { key: object.key });
    return entry;
  });
}
