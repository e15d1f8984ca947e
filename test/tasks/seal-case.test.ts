import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { parseJsonl, verifyChain } from '../../tasks/lib/custody-log';
import { parseManifest } from '../../tasks/lib/manifest';
import { sealCase } from '../../tasks/seal-case';
import { BASE, TARGET, buildCase } from '../verify/sealed-case';

describe('SealCase', () => {
  it('writes custody.jsonl, manifest.json and a manifest.sig that the KMS public key verifies', async () => {
    const { ctx, caseDir, sealed, custodyCase } = await buildCase();
    const signingKeyArn = ctx.env.config.regions[TARGET.region].signingKeyArn;
    expect(sealed.gaps).toEqual([]);
    const manifestBytes = readFileSync(join(caseDir, 'manifest.json'));
    const manifest = parseManifest(manifestBytes)!;
    expect(manifest.caseId).toBe(custodyCase.caseId);
    expect(manifest.artifacts.map((artifact) => artifact.key)).toEqual([
      `${BASE}/logs/cloudtrail.jsonl`,
      `${BASE}/memory/memory.lime`,
      `${BASE}/metadata/describe-instance.json`,
      'case.json',
    ]);
    const memory = manifest.artifacts.find((artifact) => artifact.key.endsWith('memory.lime'))!;
    expect(memory.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(caseDir, BASE, 'memory', 'memory.lime')))
        .digest('hex'),
    );

    const jsonl = readFileSync(join(caseDir, 'custody.jsonl'));
    const { entries } = parseJsonl(jsonl.toString());
    expect(verifyChain(entries)).toEqual([]);
    expect(entries.map((entry) => entry.action)).toEqual([
      'artifact.acquired',
      'case.opened',
      'artifact.acquired',
      'instance.isolated',
      'artifact.acquired',
      'artifact.acquired',
      'case.sealed',
    ]);
    expect(manifest.custody).toMatchObject({
      entries: 7,
      head: entries[6].hash,
      sha256: createHash('sha256').update(jsonl).digest('hex'),
    });
    expect(manifest.custody.actions).toEqual({
      'artifact.acquired': 4,
      'case.opened': 1,
      'instance.isolated': 1,
      'case.sealed': 1,
    });

    const kmsKey = await ctx.deps.clients
      .forensics(TARGET.region)
      .kms()
      .send(new GetPublicKeyCommand({ KeyId: signingKeyArn }));
    const publicKey = createPublicKey({ key: Buffer.from(kmsKey.PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', manifestBytes, publicKey, readFileSync(join(caseDir, 'manifest.sig')))).toBe(true);
    expect(manifest.signing).toMatchObject({
      keyId: signingKeyArn,
      algorithm: 'ECDSA_SHA_256',
      messageType: 'DIGEST',
      signatureEncoding: 'DER',
    });
    expect(ctx.env.sandbox.callsOf('KMS', 'Sign')[0].input).toMatchObject({
      KeyId: signingKeyArn,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
  });

  it('writes each ledger object once (If-None-Match), encrypted with SSE-KMS and locked in COMPLIANCE mode', async () => {
    const { ctx, sealed } = await buildCase();
    const puts = ctx.env.sandbox
      .callsOf('S3', 'PutObject')
      .filter((call) => /(custody\.jsonl|manifest\.(json|sig))$/.test(String(call.input.Key)));
    expect(puts).toHaveLength(3);
    for (const put of puts)
      expect(put.input).toMatchObject({
        IfNoneMatch: '*',
        ObjectLockMode: 'COMPLIANCE',
        ServerSideEncryption: 'aws:kms',
      });
    expect(sealed.sealed[0]).toMatchObject({ region: TARGET.region, entries: 7, artifacts: 4 });
  });

  it('reports an already sealed case as it stands instead of sealing it twice', async () => {
    const { ctx, custodyCase, sealed } = await buildCase();
    const again = await sealCase({ case: custodyCase }, ctx.deps);
    expect(again.sealed).toEqual(sealed.sealed);
    expect(ctx.env.sandbox.callsOf('KMS', 'Sign')).toHaveLength(1);
  });

  it('records a gap, not a crash, when the signing key cannot be used', async () => {
    const { ctx, custodyCase } = await buildCase(false);
    ctx.env.scenario.accounts.find((account) => account.accountId === '333333333333')!.roles[0].deny.push('kms:Sign');
    const output = await sealCase({ case: custodyCase }, ctx.deps);
    expect(output.sealed).toEqual([]);
    expect(output.gaps).toEqual([
      expect.objectContaining({ step: 'SealCase', error: expect.stringContaining('AccessDenied') }),
    ]);
  });
});
