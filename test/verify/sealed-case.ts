// Builds a finished case in a fresh sandbox (a few artifacts, custody entries, sealed) for the verify and seal tests.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import type { Case } from '../../tasks/lib/case';
import { CaseSchema } from '../../tasks/lib/case';
import type { SealCaseOutput } from '../../tasks/seal-case';
import { sealCase } from '../../tasks/seal-case';
import type { TestContext } from '../helpers/deps';
import { makeTestContext } from '../helpers/deps';

export const TARGET = { instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' } as const;
export const BASE = `${TARGET.accountId}/${TARGET.instanceId}`;

export function newCase(overrides: Partial<Case> = {}): Case {
  return CaseSchema.parse({
    caseId: uuidv4(),
    mode: 'collect',
    trigger: 'manual',
    targets: [TARGET],
    requestedBy: 'alice@example.com',
    reason: 'INC-1234 crypto-mining',
    options: {},
    openedAt: new Date().toISOString(),
    ...overrides,
  });
}

export interface SealedCase {
  readonly ctx: TestContext;
  readonly custodyCase: Case;
  readonly bucket: string;
  /** <sandbox root>/buckets/<bucket>/cases/<caseId> */
  readonly caseDir: string;
  readonly sealed: SealCaseOutput;
  readonly memory: Buffer;
}

/** Writes artifacts the way the tasks do (through the case store) and records actions, then seals. */
export async function buildCase(seal = true): Promise<SealedCase> {
  const ctx = makeTestContext();
  const custodyCase = newCase();
  const store = ctx.deps.store(custodyCase.caseId, TARGET.region);
  await store.putArtifact({
    key: 'case.json',
    body: JSON.stringify(custodyCase),
    source: 'custody:triage',
    target: 'case',
  });
  await store.record({ action: 'case.opened', target: 'case', details: { mode: 'collect' } });
  await store.putArtifact({
    key: `${BASE}/metadata/describe-instance.json`,
    body: '{"InstanceId":"i-0c0ffee1234567890"}',
    source: 'ec2:DescribeInstances',
    target: TARGET.instanceId,
  });
  await store.record({
    action: 'instance.isolated',
    target: TARGET.instanceId,
    details: { prior: { groups: ['sg-0web00000000000001'] } },
  });
  const memory = randomBytes(256 * 1024);
  await store.putArtifact({
    key: `${BASE}/memory/memory.lime`,
    body: memory,
    source: 'ssm:avml',
    tool: 'avml',
    toolVersion: '0.14.0',
    target: TARGET.instanceId,
  });
  await store.putArtifact({
    key: `${BASE}/logs/cloudtrail.jsonl`,
    body: '{"eventName":"RunInstances"}\n',
    source: 'cloudtrail:LookupEvents',
    target: TARGET.instanceId,
  });
  const bucket = ctx.env.config.regions[TARGET.region].evidenceBucket;
  const sealed = seal
    ? await sealCase({ case: custodyCase }, ctx.deps)
    : { caseId: custodyCase.caseId, sealed: [], gaps: [] };
  return {
    ctx,
    custodyCase,
    bucket,
    caseDir: join(ctx.env.sandbox.root, 'buckets', bucket, 'cases', custodyCase.caseId),
    sealed,
    memory,
  };
}
