// KMS in the sandbox: DescribeKey, GetPublicKey, Sign and Verify with real ECDSA P-256 key pairs kept under <root>/.kms/.
import { createHash, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import type {
  DescribeKeyCommandInput,
  DescribeKeyCommandOutput,
  GetPublicKeyCommandInput,
  GetPublicKeyCommandOutput,
  SignCommandInput,
  SignCommandOutput,
  VerifyCommandInput,
  VerifyCommandOutput,
} from '@aws-sdk/client-kms';
import { signDigest, verifyDigest } from '../ecdsa-p256';
import { awsError } from '../errors';
import type { ResolvedKey } from '../kms-keys';
import { canUseKey, keyPair, resolveKey, signingCurve } from '../kms-keys';
import type { CallContext } from '../sandbox';

const SIGNING_ALGORITHMS = ['ECDSA_SHA_256'];

/** The key a request names, if the caller may use it (NotFoundException / AccessDeniedException as KMS answers). */
function usableKey(ctx: CallContext, keyId: string | undefined): ResolvedKey {
  if (!keyId) throw awsError('ValidationException', 'KeyId is required');
  const resolved = resolveKey(ctx.sandbox, ctx.caller.accountId, ctx.region, keyId);
  if (!resolved) {
    const what = keyId.includes('alias/') ? `Alias ${keyId}` : `Key '${keyId}'`;
    throw awsError('NotFoundException', `${what} does not exist`);
  }
  if (!canUseKey(ctx.sandbox, ctx.caller.accountId, resolved.key.arn)) {
    throw awsError(
      'AccessDeniedException',
      `User: ${ctx.caller.arn} is not authorized to perform: kms:${ctx.operation} on resource: ${resolved.key.arn} because no resource-based policy allows the kms:${ctx.operation} action`,
    );
  }
  return resolved;
}

/** A SIGN_VERIFY key with key material the sandbox models; InvalidKeyUsageException otherwise (KMS Sign: Errors). */
function signingKey(ctx: CallContext, keyId: string | undefined, algorithm: string | undefined): ResolvedKey {
  const resolved = usableKey(ctx, keyId);
  if (resolved.key.keyUsage !== 'SIGN_VERIFY' || !signingCurve(resolved.key.keySpec)) {
    throw awsError(
      'InvalidKeyUsageException',
      `${resolved.key.arn} key usage is ${resolved.key.keyUsage} which is not valid for ${ctx.operation}.`,
    );
  }
  if (algorithm !== undefined && !SIGNING_ALGORITHMS.includes(algorithm)) {
    throw awsError(
      'InvalidKeyUsageException',
      `Algorithm ${algorithm} is incompatible with key spec ${resolved.key.keySpec}.`,
    );
  }
  return resolved;
}

/** The 32-byte digest to sign: MessageType RAW hashes up to 4096 bytes; DIGEST must already be a SHA-256 digest. */
function digestOf(message: Uint8Array | undefined, messageType: string | undefined): { raw?: Buffer; digest: Buffer } {
  const bytes = Buffer.from(message ?? new Uint8Array());
  if (messageType === 'DIGEST') {
    if (bytes.length !== 32)
      throw awsError('ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
    return { digest: bytes };
  }
  if (bytes.length === 0 || bytes.length > 4096)
    throw awsError('ValidationException', 'Message must be between 1 and 4096 bytes for MessageType RAW.');
  return { raw: bytes, digest: createHash('sha256').update(bytes).digest() };
}

function describeKey(ctx: CallContext, input: DescribeKeyCommandInput): Partial<DescribeKeyCommandOutput> {
  const { key, ownerAccountId } = usableKey(ctx, input.KeyId);
  return {
    KeyMetadata: {
      KeyId: key.keyId,
      Arn: key.arn,
      AWSAccountId: ownerAccountId,
      Enabled: true,
      KeyState: 'Enabled',
      KeyUsage: key.keyUsage,
      KeySpec: key.keySpec as never,
      CustomerMasterKeySpec: key.keySpec as never,
      KeyManager: key.awsManaged ? 'AWS' : 'CUSTOMER',
      Origin: 'AWS_KMS',
      MultiRegion: key.keyId.startsWith('mrk-'),
      Description: key.aliases.join(', '),
      CreationDate: new Date('2026-01-01T00:00:00Z'),
      ...(key.keyUsage === 'SIGN_VERIFY'
        ? { SigningAlgorithms: SIGNING_ALGORITHMS as never }
        : { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] as never }),
    },
  };
}

function getPublicKey(ctx: CallContext, input: GetPublicKeyCommandInput): Partial<GetPublicKeyCommandOutput> {
  const { key } = usableKey(ctx, input.KeyId);
  if (!signingCurve(key.keySpec))
    throw awsError('UnsupportedOperationException', `${key.arn} is not an asymmetric key the sandbox models.`);
  const { publicKey } = keyPair(ctx.sandbox, key);
  return {
    KeyId: key.arn,
    PublicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    KeySpec: key.keySpec as never,
    CustomerMasterKeySpec: key.keySpec as never,
    KeyUsage: key.keyUsage,
    SigningAlgorithms: SIGNING_ALGORITHMS as never,
  };
}

function sign(ctx: CallContext, input: SignCommandInput): Partial<SignCommandOutput> {
  const { key } = signingKey(ctx, input.KeyId, input.SigningAlgorithm);
  const { raw, digest } = digestOf(input.Message, input.MessageType);
  const { privateKey } = keyPair(ctx.sandbox, key);
  const signature = raw
    ? nodeSign('sha256', raw, { key: privateKey, dsaEncoding: 'der' })
    : signDigest(privateKey, digest);
  return { KeyId: key.arn, Signature: new Uint8Array(signature), SigningAlgorithm: 'ECDSA_SHA_256' };
}

function verify(ctx: CallContext, input: VerifyCommandInput): Partial<VerifyCommandOutput> {
  const { key } = signingKey(ctx, input.KeyId, input.SigningAlgorithm);
  const { raw, digest } = digestOf(input.Message, input.MessageType);
  const { publicKey } = keyPair(ctx.sandbox, key);
  const signature = Buffer.from(input.Signature ?? new Uint8Array());
  let valid = false;
  try {
    valid = raw
      ? nodeVerify('sha256', raw, { key: publicKey, dsaEncoding: 'der' }, signature)
      : verifyDigest(publicKey, digest, signature);
  } catch {
    valid = false;
  }
  // KMS Verify: an invalid signature is an error, never SignatureValid: false.
  if (!valid) throw awsError('KMSInvalidSignatureException', 'The signature is not valid for this message and key.');
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' };
}

export const kms = {
  DescribeKey: describeKey,
  GetPublicKey: getPublicKey,
  Sign: sign,
  Verify: verify,
};
