// KMS keys of the sandbox: resolving key ids, ARNs and aliases, who may use a key, and the real key pairs of signing keys.
import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from './sandbox';
import type { KmsKeyState } from './scenario';

export interface ResolvedKey {
  readonly key: KmsKeyState;
  readonly ownerAccountId: string;
  readonly region: string;
}

const KEY_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

/**
 * Finds a key the way KMS resolves a KeyId parameter (Key identifiers (KeyId)): key id, key ARN, alias name or alias ARN.
 * A bare key id or alias name means the caller's own account in the given region; ARNs name their account and region.
 */
export function resolveKey(
  sandbox: Sandbox,
  callerAccountId: string,
  region: string,
  keyRef: string,
): ResolvedKey | undefined {
  const keyArn = KEY_ARN.exec(keyRef);
  const aliasArn = ALIAS_ARN.exec(keyRef);
  const [accountId, keyRegion, match] = keyArn
    ? [keyArn[2], keyArn[1], (key: KmsKeyState) => key.keyId === keyArn[3]]
    : aliasArn
      ? [aliasArn[2], aliasArn[1], (key: KmsKeyState) => key.aliases.includes(aliasArn[3])]
      : keyRef.startsWith('alias/')
        ? [callerAccountId, region, (key: KmsKeyState) => key.aliases.includes(keyRef)]
        : [callerAccountId, region, (key: KmsKeyState) => key.keyId === keyRef];
  const account = sandbox.account(accountId);
  const key = account?.regions[keyRegion]?.kmsKeys.find(match);
  return key ? { key, ownerAccountId: accountId, region: keyRegion } : undefined;
}

/**
 * Whether an account may use a key: its owner always; another account only when the key policy shares it (`sharedWith`)
 * and the key is customer managed — AWS managed keys' policies cannot be changed, so they are never usable cross-account.
 * `region` is needed only for a bare key id or alias name (ARNs carry theirs).
 */
export function canUseKey(sandbox: Sandbox, callerAccountId: string, keyArnOrAlias: string, region?: string): boolean {
  const fallbackRegion = region ?? KEY_ARN.exec(keyArnOrAlias)?.[1] ?? ALIAS_ARN.exec(keyArnOrAlias)?.[1] ?? '';
  const resolved = resolveKey(sandbox, callerAccountId, fallbackRegion, keyArnOrAlias);
  if (!resolved) return false;
  if (resolved.ownerAccountId === callerAccountId) return true;
  return !resolved.key.awsManaged && resolved.key.sharedWith.includes(callerAccountId);
}

/** The curve of each asymmetric signing key spec the sandbox models (node:crypto names). */
const CURVES: Readonly<Record<string, string>> = { ECC_NIST_P256: 'prime256v1' };

export function signingCurve(keySpec: string): string | undefined {
  return CURVES[keySpec];
}

/**
 * The key pair of an asymmetric key: generated on first use and kept under `<root>/.kms/` (PKCS#8 PEM, mode 0600), so a
 * signature made in one run still verifies after the process restarts.
 */
export function keyPair(sandbox: Sandbox, key: KmsKeyState): { privateKey: KeyObject; publicKey: KeyObject } {
  const curve = signingCurve(key.keySpec);
  if (!curve) throw new Error(`the sandbox has no key material for key spec ${key.keySpec}`);
  const file = join(sandbox.dir('.kms'), `${encodeURIComponent(key.arn)}.pem`);
  if (!existsSync(file)) {
    const generated = generateKeyPairSync('ec', { namedCurve: curve });
    try {
      writeFileSync(file, generated.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first: use theirs, a key never changes once made.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
