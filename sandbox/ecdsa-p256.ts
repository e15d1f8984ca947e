// ECDSA over P-256 on a precomputed digest, for KMS Sign/Verify with MessageType DIGEST: node:crypto always hashes the
// message itself, while KMS signs the 32-byte digest it is given as-is (KMS Sign: MessageType DIGEST).
import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const A = P - 3n;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

function mod(value: bigint, m: bigint): bigint {
  const r = value % m;
  return r >= 0n ? r : r + m;
}

function inverse(value: bigint, m: bigint): bigint {
  let [a, b, x0, x1] = [mod(value, m), m, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [x0, x1] = [x1, x0 - q * x1];
  }
  return mod(x0, m);
}

function add(p1: Point | undefined, p2: Point | undefined): Point | undefined {
  if (!p1) return p2;
  if (!p2) return p1;
  if (p1.x === p2.x && mod(p1.y + p2.y, P) === 0n) return undefined;
  const slope =
    p1.x === p2.x && p1.y === p2.y
      ? mod((3n * p1.x * p1.x + A) * inverse(2n * p1.y, P), P)
      : mod((p2.y - p1.y) * inverse(p2.x - p1.x, P), P);
  const x = mod(slope * slope - p1.x - p2.x, P);
  return { x, y: mod(slope * (p1.x - x) - p1.y, P) };
}

function multiply(point: Point, scalar: bigint): Point | undefined {
  let result: Point | undefined;
  let addend: Point | undefined = point;
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const toBigInt = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const fromBase64Url = (text: string | undefined): bigint => toBigInt(Buffer.from(text ?? '', 'base64url'));

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }`, the signature format KMS returns for ECDSA. */
function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function parseDerSignature(signature: Uint8Array): { r: bigint; s: bigint } | undefined {
  const der = Buffer.from(signature);
  if (der[0] !== 0x30 || der[1] !== der.length - 2 || der[2] !== 0x02) return undefined;
  const rLength = der[3];
  const r = toBigInt(der.subarray(4, 4 + rLength));
  if (der[4 + rLength] !== 0x02) return undefined;
  const sLength = der[5 + rLength];
  if (6 + rLength + sLength !== der.length) return undefined;
  return { r, s: toBigInt(der.subarray(6 + rLength, 6 + rLength + sLength)) };
}

export function signDigest(privateKey: KeyObject, digest: Uint8Array): Buffer {
  const d = fromBase64Url(privateKey.export({ format: 'jwk' }).d);
  const z = toBigInt(digest);
  for (;;) {
    const k = mod(toBigInt(randomBytes(40)), N - 1n) + 1n;
    const point = multiply(G, k);
    const r = point ? mod(point.x, N) : 0n;
    const s = mod(inverse(k, N) * (z + r * d), N);
    if (r !== 0n && s !== 0n) return derSignature(r, s);
  }
}

export function verifyDigest(publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const parsed = parseDerSignature(signature);
  if (!parsed || parsed.r <= 0n || parsed.r >= N || parsed.s <= 0n || parsed.s >= N) return false;
  const jwk = publicKey.export({ format: 'jwk' });
  const q: Point = { x: fromBase64Url(jwk.x), y: fromBase64Url(jwk.y) };
  const w = inverse(parsed.s, N);
  const point = add(multiply(G, mod(toBigInt(digest) * w, N)), multiply(q, mod(parsed.r * w, N)));
  return point !== undefined && mod(point.x, N) === parsed.r;
}
