// The sealed manifest of a case: what it holds, its exact bytes, and its KMS ECDSA signature, checkable offline with openssl.
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical';
import type { CustodyEntry } from './custody-log';

export const MANIFEST_FORMAT = 'custody-manifest/1';
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const ManifestArtifactSchema = z
  .object({ key: z.string(), bytes: z.number().int().min(0), sha256: Sha256Hex })
  .strict();
export type ManifestArtifact = z.infer<typeof ManifestArtifactSchema>;

export const ManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    caseId: z.string(),
    region: z.string(),
    bucket: z.string(),
    /** Every artifact key is relative to this prefix. */
    prefix: z.string(),
    sealedAt: z.string().datetime(),
    /** The normalised case as Triage produced it. */
    case: z.record(z.string(), z.unknown()),
    retention: z.object({ mode: z.literal('COMPLIANCE'), days: z.number().int().positive() }).strict(),
    /** Sorted by key; the custody ledger itself (custody/, custody.jsonl, manifest.*) is never listed here. */
    artifacts: z.array(ManifestArtifactSchema),
    custody: z
      .object({
        log: z.literal('custody.jsonl'),
        bytes: z.number().int().min(0),
        sha256: Sha256Hex,
        entries: z.number().int().min(0),
        head: Sha256Hex,
        actions: z.record(z.string(), z.number().int()),
      })
      .strict(),
    signing: z
      .object({
        keyId: z.string(),
        algorithm: z.literal(SIGNING_ALGORITHM),
        /** KMS signed the SHA-256 of manifest.json's bytes (MessageType DIGEST): `openssl dgst -sha256 -verify` checks it. */
        messageType: z.literal('DIGEST'),
        signatureFile: z.literal('manifest.sig'),
        /** manifest.sig holds the raw DER ECDSA signature (ANS X9.62, RFC 3279 §2.2.3) exactly as KMS Sign returned it. */
        signatureEncoding: z.literal('DER'),
        /** SubjectPublicKeyInfo PEM from kms:GetPublicKey, for offline checks; trust it only after comparing it with KMS. */
        publicKeyPem: z.string(),
      })
      .strict(),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

export interface ManifestInput {
  readonly caseDocument: Readonly<Record<string, unknown>>;
  readonly caseId: string;
  readonly region: string;
  readonly bucket: string;
  readonly sealedAt: string;
  readonly retentionDays: number;
  readonly entries: readonly CustodyEntry[];
  readonly jsonl: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
}

/** The artifacts the log recorded (artifact.acquired and any other entry carrying an artifact), one per key, sorted. */
export function artifactsOf(entries: readonly CustodyEntry[]): ManifestArtifact[] {
  const byKey = new Map<string, ManifestArtifact>();
  for (const entry of entries) {
    if (entry.artifact)
      byKey.set(entry.artifact.key, {
        key: entry.artifact.key,
        bytes: entry.artifact.bytes,
        sha256: entry.artifact.sha256,
      });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function buildManifest(input: ManifestInput): Manifest {
  const actions: Record<string, number> = {};
  for (const entry of input.entries) actions[entry.action] = (actions[entry.action] ?? 0) + 1;
  const last = input.entries[input.entries.length - 1];
  return {
    format: MANIFEST_FORMAT,
    caseId: input.caseId,
    region: input.region,
    bucket: input.bucket,
    prefix: `cases/${input.caseId}/`,
    sealedAt: input.sealedAt,
    case: { ...input.caseDocument },
    retention: { mode: 'COMPLIANCE', days: input.retentionDays },
    artifacts: artifactsOf(input.entries),
    custody: {
      log: 'custody.jsonl',
      bytes: Buffer.byteLength(input.jsonl),
      sha256: sha256Hex(input.jsonl),
      entries: input.entries.length,
      head: last ? last.hash : '0'.repeat(64),
      actions,
    },
    signing: {
      keyId: input.keyId,
      algorithm: SIGNING_ALGORITHM,
      messageType: 'DIGEST',
      signatureFile: 'manifest.sig',
      signatureEncoding: 'DER',
      publicKeyPem: input.publicKeyPem,
    },
  };
}

/** manifest.json's exact bytes: RFC 8785 canonical JSON, so anyone re-serialising it gets the bytes that were signed. */
export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

export function parseManifest(bytes: Uint8Array): Manifest | undefined {
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The key's public half as PEM (kms:GetPublicKey returns DER SubjectPublicKeyInfo). */
export async function publicKeyPem(kms: KMSClient, keyId: string): Promise<string> {
  const response = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!response.PublicKey) throw new Error(`kms:GetPublicKey returned no key for ${keyId}`);
  return derToPem(response.PublicKey);
}

export function derToPem(der: Uint8Array): string {
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/**
 * Signs the SHA-256 of the manifest bytes with the KMS key. MessageType DIGEST lets manifests of any size be signed
 * (RAW is limited to 4096 bytes; KMS API Reference, Sign); the signature is the same one a RAW signature would be.
 */
export async function signManifest(kms: KMSClient, keyId: string, manifestBytes: Uint8Array): Promise<Buffer> {
  const digest = Buffer.from(sha256Hex(manifestBytes), 'hex');
  const response = await kms.send(
    new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: SIGNING_ALGORITHM }),
  );
  if (!response.Signature) throw new Error(`kms:Sign returned no signature for ${keyId}`);
  return Buffer.from(response.Signature);
}

/** Checks a DER ECDSA P-256 signature over the manifest bytes with a PEM public key, as `openssl dgst -sha256 -verify` does. */
export function manifestSignatureValid(manifestBytes: Uint8Array, signature: Uint8Array, pem: string): boolean {
  try {
    return verifySignature('sha256', manifestBytes, createPublicKey(pem), signature);
  } catch {
    return false;
  }
}

/** Two PEM (or DER-derived) public keys are the same key. */
export function sameKey(a: string, b: string): boolean {
  try {
    const der = (pem: string): string =>
      createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
    return der(a) === der(b);
  } catch {
    return false;
  }
}
