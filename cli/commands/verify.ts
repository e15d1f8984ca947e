// `custody verify LOCATION`: recomputes every hash, walks the chain, checks signature and retention; exit 0 only if all hold.
import { readFileSync, statSync } from 'node:fs';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { InvalidInputError } from '../../tasks/lib/errors';
import { formatVerifyReport, verifyCase } from '../../tasks/lib/verify';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';
import { promptMfaCode } from '../mfa';

export interface VerifyCommandOptions {
  readonly json?: boolean;
  readonly region?: string;
  readonly profile?: string;
  /** PEM public key the verifier already trusts: pins the signing key offline. */
  readonly publicKey?: string;
}

export async function verifyCommand(location: string, options: VerifyCommandOptions, io: CliIo): Promise<ExitCode> {
  const publicKeyPem = options.publicKey ? readKey(options.publicKey) : undefined;
  const remote = location.startsWith('s3://');
  if (remote) checkRemote(location, options);
  else checkFolder(location);
  const clientConfig = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { credentials: fromIni({ profile: options.profile, mfaCodeProvider: promptMfaCode }) } : {}),
  };
  const report = await verifyCase(location, {
    publicKeyPem,
    ...(remote ? { s3: new S3Client(clientConfig), kms: publicKeyPem ? undefined : new KMSClient(clientConfig) } : {}),
  });
  if (options.json) io.out(JSON.stringify(report));
  else for (const line of formatVerifyReport(report)) io.out(line);
  return report.ok ? EXIT.ok : EXIT.failed;
}

/** A local case is a folder holding the case's files: anything else is bad input, not a failed verification. */
function checkFolder(location: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(location).isDirectory();
  } catch {
    throw new InvalidInputError(`no case folder at ${location}`);
  }
  if (!isDirectory)
    throw new InvalidInputError(
      `${location} is a file; give the case folder (the one holding manifest.json and custody.jsonl)`,
    );
}

/** Evidence never leaves its region, so the bucket's region must be named rather than guessed from the environment. */
function checkRemote(location: string, options: VerifyCommandOptions): void {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/.test(location))
    throw new InvalidInputError(`${location} is not an s3://<bucket>/cases/<caseId>/ location`);
  if (!options.region && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION)
    throw new InvalidInputError(`verifying ${location} needs the bucket's region: pass --region`);
}

function readKey(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new InvalidInputError(`cannot read public key file ${path}`);
  }
}
