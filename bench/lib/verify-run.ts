// The verify benchmark's case: one large artifact and many small ones written through the real case store, sealed with
// SealCase in a disk-backed sandbox, then checked with `verifyCase` on the case folder as `custody verify DIR` does.
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { createSandboxEnvironment } from '../../sandbox';
import { sandboxDeps } from '../../sandbox/deps';
import { CaseSchema } from '../../tasks/lib/case';
import { verifyCase } from '../../tasks/lib/verify';
import { sealCase } from '../../tasks/seal-case';
import { peakRssMiB } from './measure';

const TARGET = { instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' } as const;
const BASE = `${TARGET.accountId}/${TARGET.instanceId}`;

export interface BuiltCase {
  readonly caseDir: string;
  /** NUL-separated paths of the artifact files, for `xargs -0 sha256sum`. */
  readonly listFile: string;
  readonly artifacts: number;
  readonly bytes: number;
}

export interface VerifyRun {
  readonly seconds: number;
  readonly ok: boolean;
  readonly problems: string[];
  readonly peakRssMiB: number;
}

/** Writes `file` as a memory image plus `small` volatile outputs through the case store, then seals the case. */
export async function buildCase(file: string, dir: string, small: number): Promise<BuiltCase> {
  const env = createSandboxEnvironment({ root: join(dir, 'verify-sandbox') });
  const deps = sandboxDeps(env, 'bench-verify');
  const custodyCase = CaseSchema.parse({
    caseId: uuidv4(),
    mode: 'collect',
    trigger: 'manual',
    targets: [TARGET],
    requestedBy: 'bench',
    reason: 'custody verify benchmark',
    options: {},
    openedAt: new Date().toISOString(),
  });
  const store = deps.store(custodyCase.caseId, TARGET.region);
  const keys: string[] = [`${BASE}/memory/memory.lime`];
  await store.putArtifact({
    key: keys[0],
    body: createReadStream(file, { highWaterMark: 1024 * 1024 }),
    source: 'ssm:avml',
    tool: 'avml',
    toolVersion: '0.14.0',
    target: TARGET.instanceId,
  });
  for (let i = 0; i < small; i += 1) {
    const key = `${BASE}/volatile/output-${String(i).padStart(5, '0')}.txt`;
    keys.push(key);
    await store.putArtifact({
      key,
      body: `process ${i}: /usr/sbin/sshd -D pid=${1000 + i}\n`.repeat(1 + (i % 40)),
      source: 'ssm:volatile',
      target: TARGET.instanceId,
    });
  }
  const sealed = await sealCase({ case: custodyCase }, deps);
  if (sealed.gaps.length > 0) throw new Error(`SealCase left gaps: ${JSON.stringify(sealed.gaps)}`);
  const bucket = env.config.regions[TARGET.region].evidenceBucket;
  const caseDir = join(env.sandbox.root, 'buckets', bucket, 'cases', custodyCase.caseId);
  const paths = keys.map((key) => join(caseDir, ...key.split('/')));
  const listFile = join(dir, 'verify-artifacts.list');
  writeFileSync(listFile, paths.join('\0'));
  const bytes = paths.reduce((sum, path) => sum + statSync(path).size, 0);
  return { caseDir, listFile, artifacts: keys.length, bytes };
}

/** One `custody verify` of the case folder, timed, with this process's peak RSS. */
export async function runVerify(caseDir: string): Promise<VerifyRun> {
  const started = process.hrtime.bigint();
  const report = await verifyCase(caseDir);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const problems = report.checks.flatMap((check) => check.issues.map((issue) => issue.message)).slice(0, 5);
  return { seconds, ok: report.ok, problems, peakRssMiB: peakRssMiB() };
}
