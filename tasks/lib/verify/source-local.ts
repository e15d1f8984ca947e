// A case as a local folder: a sandbox bucket's case prefix (with its Object Lock metadata) or a copy taken out of S3.
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { currentVersion, metaDir, readObjectMeta } from '../../../sandbox/s3-meta';
import type { EvidenceSource, ObjectRetention, SourceObject } from './types';

export function localSource(folder: string): EvidenceSource {
  const root = resolve(folder);
  const file = (key: string): string => join(root, ...key.split('/'));
  const present = (key: string): boolean => existsSync(file(key)) && statSync(file(key)).isFile();
  return {
    location: root,
    caseId: basename(root),
    async list() {
      return walk(root).map((path): SourceObject => ({
        key: relative(root, path).split(sep).join('/'),
        size: statSync(path).size,
      }));
    },
    async read(key) {
      return present(key) ? readFileSync(file(key)) : undefined;
    },
    localPath: (key) => (present(key) ? file(key) : undefined),
    async open(key) {
      // 1 MiB reads rather than the default 64 KiB: a multi-GiB memory image is read in a sixteenth of the calls.
      return present(key) ? createReadStream(file(key), { highWaterMark: 1024 * 1024 }) : undefined;
    },
    ...sandboxRetention(root),
  };
}

/** Files under a folder, sorted, so a listing is stable. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/**
 * A folder at <root>/buckets/<bucket>/cases/<caseId> is a sandbox bucket: its Object Lock state is in the sandbox's S3
 * metadata (sandbox/s3-meta.ts). Any other folder has no retention to check.
 */
function sandboxRetention(caseDir: string): { retention?: (key: string) => Promise<ObjectRetention | undefined> } {
  const casesDir = dirname(caseDir);
  const bucketPath = dirname(casesDir);
  const bucketsDir = dirname(bucketPath);
  const sandboxRoot = dirname(bucketsDir);
  const bucket = basename(bucketPath);
  if (basename(casesDir) !== 'cases' || basename(bucketsDir) !== 'buckets' || !existsSync(metaDir(sandboxRoot, bucket)))
    return {};
  const prefix = `cases/${basename(caseDir)}/`;
  return {
    retention: async (key) => {
      const version = currentVersion(readObjectMeta(sandboxRoot, bucket, `${prefix}${key}`));
      if (!version) return undefined;
      return { mode: version.lock?.mode, retainUntil: version.lock ? new Date(version.lock.retainUntil) : undefined };
    },
  };
}
