// CRC32 helpers for evidence uploads: S3's CRC32 encoding and combining part CRCs into the full-object CRC without a re-read.
import { crc32 } from 'node:zlib';

/** S3's encoding of a CRC32: base64 of the 4 big-endian bytes (Checking object integrity in Amazon S3). */
export function crc32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

export function crc32Of(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}

function times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0, v = vector >>> 0; v !== 0; i += 1, v >>>= 1) if (v & 1) sum ^= matrix[i];
  return sum >>> 0;
}

function square(target: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n += 1) target[n] = times(matrix, matrix[n]);
}

/**
 * The CRC32 of A‖B from crc(A), crc(B) and len(B) — zlib's crc32_combine (GF(2) matrix powers), so the full-object
 * checksum of a multipart upload costs nothing beyond the per-part CRCs.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n += 1, row <<= 1) odd[n] = row >>> 0;
  square(even, odd);
  square(odd, even);
  let crc = crcA >>> 0;
  let remaining = lengthB;
  for (;;) {
    square(even, odd);
    if (remaining % 2 === 1) crc = times(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    square(odd, even);
    if (remaining % 2 === 1) crc = times(odd, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
