// The exact bytes Custody hashes and signs: RFC 8785 (JSON Canonicalization Scheme) text and SHA-256 helpers.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import canonicalize from 'canonicalize';

/** A JSON value as it survives a JSON round trip (no undefined, no Date, no functions). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Drops what JSON cannot hold (undefined, functions) and turns Dates into ISO strings, as JSON.stringify does. */
export function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** RFC 8785 canonical JSON: sorted keys, no whitespace, ECMAScript number form — the same bytes on every machine. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(toJson(value));
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The SHA-256 and length of a stream, read chunk by chunk so an artifact of any size never sits in memory. */
export async function hashStream(
  stream: Readable | AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    hash.update(data);
    bytes += data.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** S3's ChecksumSHA256 form (base64 of the raw digest) of a hex SHA-256. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
