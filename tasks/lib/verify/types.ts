// What `custody verify` reports: one result per check (cdk-nag style), one status per artifact, and an overall verdict.
import type { Readable } from 'node:stream';
import type { Manifest } from '../manifest';

export type CheckName = 'signature' | 'chain' | 'hashes' | 'completeness' | 'retention';
export type CheckStatus = 'compliant' | 'non-compliant' | 'not-applicable';
export type ArtifactStatus = 'ok' | 'altered' | 'missing' | 'unlisted';

/** One problem, naming what it concerns: an artifact key, a custody seq, or a ledger file. */
export interface VerifyIssue {
  readonly check: CheckName;
  readonly kind: string;
  readonly subject: string;
  readonly seq?: number;
  readonly message: string;
}

export interface CheckResult {
  readonly check: CheckName;
  readonly status: CheckStatus;
  readonly issues: VerifyIssue[];
  /** Why a check was not applicable, or what it covered. */
  readonly note?: string;
}

export interface ArtifactResult {
  readonly key: string;
  readonly status: ArtifactStatus;
  readonly expected?: { readonly bytes: number; readonly sha256: string };
  readonly actual?: { readonly bytes: number; readonly sha256: string };
}

export interface VerifyReport {
  readonly location: string;
  readonly caseId?: string;
  /** True only when every check is compliant (or not applicable with a stated reason). */
  readonly ok: boolean;
  readonly sealed: boolean;
  readonly sealedAt?: string;
  readonly keyId?: string;
  /** Whether the manifest's public key was compared with a trusted copy (KMS or --public-key), not only taken from the manifest. */
  readonly keyPinned: boolean;
  readonly entries: number;
  readonly counts: Readonly<Record<ArtifactStatus, number>>;
  readonly checks: CheckResult[];
  readonly artifacts: ArtifactResult[];
}

/** Object Lock state of one stored object. */
export interface ObjectRetention {
  readonly mode?: string;
  readonly retainUntil?: Date;
}

/** A listed object, its key relative to the case prefix. */
export interface SourceObject {
  readonly key: string;
  readonly size: number;
}

/** Where a case lives: a local folder (sandbox or copied out) or an S3 prefix. */
export interface EvidenceSource {
  readonly location: string;
  /** The case id the location names, when it can tell. */
  readonly caseId?: string;
  list(): Promise<SourceObject[]>;
  /** A small object's bytes, or undefined when absent. */
  read(key: string): Promise<Buffer | undefined>;
  /** A stream over an object's bytes, or undefined when absent. */
  open(key: string): Promise<Readable | undefined>;
  /** The object's file, when the source is a local folder (a worker can then read and hash it without the main thread). */
  readonly localPath?: (key: string) => string | undefined;
  /** Retention of an object; absent when this source cannot tell (a plain folder). */
  readonly retention?: (key: string) => Promise<ObjectRetention | undefined>;
}

/** Everything the checks look at, loaded once. */
export interface VerifyContext {
  readonly source: EvidenceSource;
  readonly listing: SourceObject[];
  readonly manifestBytes?: Buffer;
  readonly manifest?: Manifest;
  readonly signature?: Buffer;
  readonly jsonl?: Buffer;
  /** Per-entry custody objects by key (custody/<seq>.json). */
  readonly entryObjects: ReadonlyMap<string, Buffer>;
  readonly trustedPublicKeyPem?: string;
  readonly concurrency: number;
  /** Filled by the hashes and completeness checks. */
  readonly artifacts: ArtifactResult[];
}

export type VerifyCheck = (context: VerifyContext) => Promise<CheckResult>;

export function result(check: CheckName, issues: VerifyIssue[], note?: string): CheckResult {
  return { check, status: issues.length === 0 ? 'compliant' : 'non-compliant', issues, ...(note ? { note } : {}) };
}
