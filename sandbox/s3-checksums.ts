// Checksums the sandbox S3 computes while streaming, in the encodings S3 uses (base64 of the big-endian digest).
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc64NvmeJs } from '@aws-sdk/checksums/crc';

/** The algorithms the sandbox verifies; S3 also has CRC32C and SHA1, which Custody does not use. */
export type ChecksumAlgorithm = 'SHA256' | 'CRC32' | 'CRC64NVME';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['SHA256', 'CRC32', 'CRC64NVME'];

/** COMPOSITE: checksum of the part checksums, suffixed `-N`; FULL_OBJECT: checksum of all bytes (CRC algorithms only). */
export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

export interface StoredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Base64, with `-N` for a composite multipart checksum, as S3 returns it. */
  readonly value: string;
  readonly type: ChecksumType;
}

/** An incremental digest; `digest()` may be called once. */
export interface Digest {
  update(chunk: Uint8Array): void;
  digest(): Promise<Buffer>;
}

class Crc32Digest implements Digest {
  private value = 0;
  public update(chunk: Uint8Array): void {
    this.value = crc32(chunk, this.value);
  }
  public async digest(): Promise<Buffer> {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out;
  }
}

class HashDigest implements Digest {
  private readonly hash: Hash;
  public constructor(algorithm: string) {
    this.hash = createHash(algorithm);
  }
  public update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  public async digest(): Promise<Buffer> {
    return this.hash.digest();
  }
}

class Crc64Digest implements Digest {
  private readonly crc = new Crc64NvmeJs();
  public update(chunk: Uint8Array): void {
    this.crc.update(chunk);
  }
  public async digest(): Promise<Buffer> {
    return Buffer.from(await this.crc.digest());
  }
}

export function newDigest(algorithm: ChecksumAlgorithm | 'MD5'): Digest {
  if (algorithm === 'CRC32') return new Crc32Digest();
  if (algorithm === 'CRC64NVME') return new Crc64Digest();
  return new HashDigest(algorithm === 'SHA256' ? 'sha256' : 'md5');
}

/** The SDK input/output field that carries an algorithm's checksum (`ChecksumSHA256`, …). */
export function checksumField(algorithm: ChecksumAlgorithm): 'ChecksumSHA256' | 'ChecksumCRC32' | 'ChecksumCRC64NVME' {
  return `Checksum${algorithm}` as 'ChecksumSHA256' | 'ChecksumCRC32' | 'ChecksumCRC64NVME';
}

/** The checksum a request supplies, if any: the first `Checksum<ALG>` field present. */
export function suppliedChecksum(
  input: Readonly<Record<string, unknown>>,
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = input[checksumField(algorithm)];
    if (typeof value === 'string' && value.length > 0) return { algorithm, value };
  }
  return undefined;
}

/** S3's composite multipart checksum: the algorithm over the concatenated raw part digests, then `-<part count>`. */
export async function compositeChecksum(algorithm: ChecksumAlgorithm, partValues: readonly string[]): Promise<string> {
  const digest = newDigest(algorithm);
  for (const value of partValues) digest.update(Buffer.from(value, 'base64'));
  return `${(await digest.digest()).toString('base64')}-${partValues.length}`;
}

/** Checksum fields for an SDK output (`{ ChecksumSHA256, ChecksumType }`). */
export function checksumOutput(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [checksumField(checksum.algorithm)]: checksum.value, ChecksumType: checksum.type };
}
