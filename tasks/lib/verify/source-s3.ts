// A case in its evidence bucket (s3://bucket/cases/<caseId>/), read through the SDK: streamed, never downloaded whole.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { listObjects } from '../case-store';
import { InvalidInputError, errorName } from '../errors';
import type { EvidenceSource, ObjectRetention } from './types';

const ABSENT = ['NoSuchKey', 'NotFound'];

export function parseS3Location(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(url);
  if (!match) throw new InvalidInputError(`${url} is not an s3://bucket/cases/<caseId>/ location`);
  return { bucket: match[1], prefix: `${match[2]}/` };
}

export function s3Source(s3: S3Client, url: string): EvidenceSource {
  const { bucket, prefix } = parseS3Location(url);
  // GetObject already answers with the object's lock (ObjectLockMode, ObjectLockRetainUntilDate): keep it, skip a HEAD.
  const locks = new Map<string, ObjectRetention>();
  const get = async (key: string): Promise<Readable | undefined> => {
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${key}` }));
      locks.set(key, { mode: response.ObjectLockMode, retainUntil: response.ObjectLockRetainUntilDate });
      return response.Body as Readable | undefined;
    } catch (error) {
      if (ABSENT.includes(errorName(error))) return undefined;
      throw error;
    }
  };
  return {
    location: `s3://${bucket}/${prefix}`,
    caseId: prefix.split('/').filter(Boolean).pop(),
    async list() {
      return (await listObjects(s3, bucket, prefix)).map((object) => ({
        key: object.key.slice(prefix.length),
        size: object.size,
      }));
    },
    open: get,
    async read(key) {
      const body = await get(key);
      if (!body) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks);
    },
    async retention(key) {
      const known = locks.get(key);
      if (known) return known;
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}${key}` }));
        return { mode: head.ObjectLockMode, retainUntil: head.ObjectLockRetainUntilDate };
      } catch (error) {
        if (ABSENT.includes(errorName(error))) return undefined;
        throw error;
      }
    },
  };
}
