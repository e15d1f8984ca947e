// Check: manifest.sig is a valid ECDSA P-256 signature over manifest.json's exact bytes, made with the case's signing key.
import { manifestSignatureValid, sameKey } from '../manifest';
import type { CheckResult, VerifyContext, VerifyIssue } from './types';
import { result } from './types';

export async function checkSignature(context: VerifyContext): Promise<CheckResult> {
  const issue = (kind: string, subject: string, message: string): CheckResult =>
    result('signature', [{ check: 'signature', kind, subject, message } satisfies VerifyIssue]);
  if (!context.manifestBytes)
    return issue(
      'missing',
      'manifest.json',
      'manifest.json is missing: the case was never sealed or the manifest was removed',
    );
  if (!context.manifest)
    return issue('invalid', 'manifest.json', 'manifest.json is not a valid Custody manifest (edited or corrupt)');
  if (!context.signature)
    return issue('missing', 'manifest.sig', 'manifest.sig is missing: nothing vouches for the manifest');
  const embedded = context.manifest.signing.publicKeyPem;
  const trusted = context.trustedPublicKeyPem;
  const key = trusted ?? embedded;
  if (manifestSignatureValid(context.manifestBytes, context.signature, key)) {
    return result(
      'signature',
      [],
      trusted
        ? 'signature verified with the pinned key'
        : 'signature verified with the key the manifest names (not pinned)',
    );
  }
  if (
    trusted &&
    !sameKey(trusted, embedded) &&
    manifestSignatureValid(context.manifestBytes, context.signature, embedded)
  ) {
    return issue(
      'wrong-key',
      'manifest.sig',
      `manifest.sig was made with a key other than ${context.manifest.signing.keyId}: the manifest was re-signed`,
    );
  }
  return issue(
    'bad-signature',
    'manifest.sig',
    'manifest.sig does not verify over manifest.json: the manifest was edited or the signature replaced',
  );
}
