// Checks an S3 presigned URL as S3 does (SigV4 query authentication) before the simulated SSM agent may use it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { awsError } from './errors';
import type { Caller, Sandbox } from './sandbox';

/** What a valid presigned URL grants: one method on one object, as one principal. */
export interface PresignedGrant {
  readonly caller: Caller;
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  /** Query parameters other than the X-Amz-* authentication ones (partNumber, uploadId, versionId, …). */
  readonly params: Readonly<Record<string, string>>;
}

const HOST = /^([a-z0-9][a-z0-9.-]*[a-z0-9])\.s3\.([a-z0-9-]+)\.amazonaws\.com$/;

/** RFC 3986 encoding as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function accessDenied(message: string): Error {
  return awsError('AccessDenied', message, { httpStatusCode: 403 });
}

/**
 * Verifies the signature, the expiry and the credentials of a presigned URL (Authenticating Requests: Using Query
 * Parameters (AWS Signature Version 4), Amazon S3 API Reference): canonical request over the method, the encoded path,
 * the sorted query without X-Amz-Signature, the signed `host` header and UNSIGNED-PAYLOAD.
 */
export function verifyPresignedUrl(sandbox: Sandbox, method: string, url: string, now = new Date()): PresignedGrant {
  const parsed = new URL(url);
  const host = HOST.exec(parsed.hostname);
  if (parsed.protocol !== 'https:' || !host)
    throw awsError('InvalidRequest', `not a virtual-hosted S3 URL: ${parsed.hostname}`);
  const pairs = parsed.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((part) => decodeURIComponent(part.replace(/\+/g, '%20'))) as [string, string?]);
  const query = new Map(pairs.map(([name, value]) => [name, value ?? '']));
  const required = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ];
  for (const name of required) if (!query.has(name)) throw accessDenied(`Query-string authentication requires ${name}`);
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw accessDenied('unsupported X-Amz-Algorithm');
  const [accessKeyId, day, region, service, terminator] = (query.get('X-Amz-Credential') as string).split('/');
  if (service !== 's3' || terminator !== 'aws4_request' || region !== host[2])
    throw accessDenied('The credential scope is malformed');
  const session = sandbox.secretFor(accessKeyId);
  const caller = sandbox.callerFor(accessKeyId);
  if (!session || !caller)
    throw awsError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      httpStatusCode: 403,
    });
  const amzDate = query.get('X-Amz-Date') as string;
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const expires = Number(query.get('X-Amz-Expires'));
  if (!amzDate.startsWith(day) || Number.isNaN(signedAt))
    throw accessDenied('X-Amz-Date does not match the credential scope');
  if (!(expires >= 1 && expires <= 604_800)) throw accessDenied('X-Amz-Expires must be between 1 second and 7 days');
  if (now.getTime() > signedAt + expires * 1000) throw accessDenied('Request has expired');
  if (now.getTime() > session.expiration.getTime())
    throw awsError('ExpiredToken', 'The provided token has expired.', { httpStatusCode: 400 });
  const signedHeaders = query.get('X-Amz-SignedHeaders') as string;
  if (signedHeaders !== 'host') throw accessDenied('the sandbox agent sends only the host header signed');
  const canonicalQuery = [...query.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)])
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    method,
    parsed.pathname,
    canonicalQuery,
    `host:${parsed.hostname}\n`,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${session.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(query.get('X-Amz-Signature') as string, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw awsError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
      { httpStatusCode: 403 },
    );
  }
  const params: Record<string, string> = {};
  for (const [name, value] of query) if (!name.startsWith('X-Amz-')) params[name] = value;
  const key = parsed.pathname.slice(1).split('/').map(decodeURIComponent).join('/');
  return { caller, method, bucket: host[1], key, params };
}
