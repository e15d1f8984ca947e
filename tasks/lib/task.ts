// What every task gets besides its input: configuration, clients, a clock, who is acting, and the case's evidence store.
import type { Readable } from 'node:stream';
import type { ClientFactory } from './aws';
import type { CustodyConfig } from './config';

/** Who performed an action, as the custody log records it. */
export interface Actor {
  /** The principal (role ARN) the orchestrator runs as. */
  readonly principal: string;
  /** The Step Functions execution (ARN locally simulated in the sandbox). */
  readonly execution: string;
}

/** An evidence object as recorded in the custody log and the manifest. */
export interface ArtifactRecord {
  /** Key relative to the case prefix (`cases/<caseId>/`), e.g. `222222222222/i-…/metadata/describe-instance.json`. */
  readonly key: string;
  readonly bytes: number;
  /** Lower-case hex SHA-256 of the object's bytes. */
  readonly sha256: string;
  /** Where the bytes came from (`ec2:DescribeInstances`, `ssm:avml`, …). */
  readonly source: string;
  readonly tool: string;
  readonly toolVersion: string;
}

/** A new custody-log entry, before the log gives it `seq`, `at`, `actor`, `prev` and `hash`. */
export interface CustodyEvent {
  /** Dotted verb: `case.opened`, `instance.tagged`, `artifact.acquired`, `instance.isolated`, … */
  readonly action: string;
  /** Instance id, `case`, or another resource id the action applied to. */
  readonly target: string;
  readonly artifact?: ArtifactRecord;
  /** Anything else worth keeping: prior state for undo, API calls made, dry-run verdicts. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface PutArtifactRequest {
  readonly key: string;
  readonly body: Readable | Uint8Array | string;
  readonly contentType?: string;
  readonly source: string;
  readonly tool?: string;
  readonly toolVersion?: string;
  /** Instance id or `case`: the custody entry's target. */
  readonly target: string;
  /**
   * When the key already exists: `reuse` (default) returns the artifact as first recorded (recording it, marked recovered, if a
   * crash lost its entry), so a resumed case or a retried task never fails on or duplicates its evidence; `fail` raises
   * ObjectExistsError (OpenCase's case.json, the idempotency lock of a case).
   */
  readonly onExisting?: 'reuse' | 'fail';
}

/** One case's evidence in one region: write-once objects plus the chained custody log. */
export interface CaseStore {
  readonly caseId: string;
  readonly region: string;
  /** Streams an artifact into the evidence bucket (hashed, checksummed, locked) and records `artifact.acquired`. */
  putArtifact(request: PutArtifactRequest): Promise<ArtifactRecord>;
  /** Appends one entry to the case's custody log. */
  record(event: CustodyEvent): Promise<void>;
}

export interface TaskDeps {
  readonly config: CustodyConfig;
  readonly clients: ClientFactory;
  readonly actor: Actor;
  now(): Date;
  /** The evidence store of a case in a region (the region's forensics account). */
  store(caseId: string, region: string): CaseStore;
}
