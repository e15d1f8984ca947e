import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyCommand, GetPublicKeyCommand, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { createSandboxEnvironment } from '../../sandbox';
import { canUseKey } from '../../sandbox/kms-keys';

const SIGNING_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const EVIDENCE_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/0b7e4c1a-5d2f-4c3e-9a8b-1f2e3d4c5b6a';
const SNAPSHOT_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/5c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';

function setup(root = mkdtempSync(join(tmpdir(), 'custody-kms-'))) {
  const env = createSandboxEnvironment({ root });
  return { env, root, kms: env.clients('custody-kms-test').forensics('eu-west-1').kms() };
}

const manifest = Buffer.from(
  JSON.stringify({ caseId: 'c1', artifacts: [{ key: 'case.json', sha256: 'ab'.repeat(32) }] }),
);

describe('sandbox KMS', () => {
  it('signs a manifest and verifies the signature, and node:crypto verifies it with the published public key', async () => {
    const { kms } = setup();
    const signed = await kms.send(
      new SignCommand({
        KeyId: 'alias/custody-manifest-signing',
        Message: manifest,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(signed).toMatchObject({ KeyId: SIGNING_KEY, SigningAlgorithm: 'ECDSA_SHA_256' });
    const verified = await kms.send(
      new VerifyCommand({
        KeyId: SIGNING_KEY,
        Message: manifest,
        MessageType: 'RAW',
        Signature: signed.Signature,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(verified.SignatureValid).toBe(true);
    const published = await kms.send(new GetPublicKeyCommand({ KeyId: SIGNING_KEY }));
    expect(published).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    });
    const publicKey = createPublicKey({ key: Buffer.from(published.PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', manifest, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signed.Signature!))).toBe(
      true,
    );
    expect(
      verify(
        'sha256',
        Buffer.from('another manifest'),
        { key: publicKey, dsaEncoding: 'der' },
        Buffer.from(signed.Signature!),
      ),
    ).toBe(false);
  });

  it('signs a SHA-256 digest as given (MessageType DIGEST), verifiable over the original message', async () => {
    const { kms } = setup();
    const digest = createHash('sha256').update(manifest).digest();
    const signed = await kms.send(
      new SignCommand({
        KeyId: SIGNING_KEY,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    const published = await kms.send(new GetPublicKeyCommand({ KeyId: SIGNING_KEY }));
    const publicKey = createPublicKey({ key: Buffer.from(published.PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', manifest, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signed.Signature!))).toBe(
      true,
    );
    const rawSigned = await kms.send(
      new SignCommand({ KeyId: SIGNING_KEY, Message: manifest, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const verified = await kms.send(
      new VerifyCommand({
        KeyId: SIGNING_KEY,
        Message: digest,
        MessageType: 'DIGEST',
        Signature: rawSigned.Signature,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(verified.SignatureValid).toBe(true);
  });

  it('answers a signature that does not match with KMSInvalidSignatureException', async () => {
    const { kms } = setup();
    const signed = await kms.send(
      new SignCommand({ KeyId: SIGNING_KEY, Message: manifest, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const altered = Buffer.from(manifest.toString().replace('c1', 'c2'));
    await expect(
      kms.send(
        new VerifyCommand({
          KeyId: SIGNING_KEY,
          Message: altered,
          MessageType: 'RAW',
          Signature: signed.Signature,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
  });

  it('keeps the same key pair after a restart, so old signatures still verify', async () => {
    const first = setup();
    const signed = await first.kms.send(
      new SignCommand({ KeyId: SIGNING_KEY, Message: manifest, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const before = await first.kms.send(new GetPublicKeyCommand({ KeyId: SIGNING_KEY }));
    const second = setup(first.root);
    const after = await second.kms.send(new GetPublicKeyCommand({ KeyId: SIGNING_KEY }));
    expect(Buffer.from(after.PublicKey!).equals(Buffer.from(before.PublicKey!))).toBe(true);
    const verified = await second.kms.send(
      new VerifyCommand({
        KeyId: SIGNING_KEY,
        Message: manifest,
        MessageType: 'RAW',
        Signature: signed.Signature,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(verified.SignatureValid).toBe(true);
  });

  it('describes a key found by alias, id or ARN', async () => {
    const { kms } = setup();
    for (const keyId of ['alias/custody-manifest-signing', 'mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0', SIGNING_KEY]) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(described.KeyMetadata).toMatchObject({
        Arn: SIGNING_KEY,
        AWSAccountId: '333333333333',
        KeyUsage: 'SIGN_VERIFY',
        KeySpec: 'ECC_NIST_P256',
        MultiRegion: true,
        KeyState: 'Enabled',
      });
    }
  });

  it('refuses unknown keys, keys of other accounts and keys used for the wrong purpose', async () => {
    const { env, kms } = setup();
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/no-such-key' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    const member = env.clients().member('222222222222', 'eu-west-1').kms();
    await expect(member.send(new GetPublicKeyCommand({ KeyId: SIGNING_KEY }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(
      kms.send(
        new SignCommand({
          KeyId: EVIDENCE_KEY,
          Message: manifest,
          MessageType: 'RAW',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
    await expect(
      kms.send(
        new SignCommand({
          KeyId: SIGNING_KEY,
          Message: Buffer.alloc(31),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('tells other tasks which accounts may use a key: owners, accounts it is shared with, never an AWS managed key abroad', () => {
    const { env } = setup();
    expect(canUseKey(env.sandbox, '333333333333', EVIDENCE_KEY)).toBe(true);
    expect(canUseKey(env.sandbox, '222222222222', SNAPSHOT_KEY)).toBe(true);
    expect(canUseKey(env.sandbox, '222222222222', EVIDENCE_KEY)).toBe(false);
    expect(canUseKey(env.sandbox, '222222222222', 'alias/aws/ebs', 'eu-west-1')).toBe(true);
    expect(canUseKey(env.sandbox, '333333333333', 'arn:aws:kms:eu-west-1:222222222222:key/aws-ebs-default')).toBe(
      false,
    );
    expect(canUseKey(env.sandbox, '333333333333', 'arn:aws:kms:eu-west-1:333333333333:key/missing')).toBe(false);
  });
});
