import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { examineEvidence } from '../../tasks/examine-evidence';
import { createCaseStore } from '../../tasks/lib/case-store';
import type { Case } from '../../tasks/lib/case';
import type { TestContext } from '../helpers/deps';
import { makeTestContext } from '../helpers/deps';
import { BASE, TARGET, newCase } from '../verify/sealed-case';

const LABEL = `${TARGET.accountId}/${TARGET.region}/${TARGET.instanceId}`;

/** A case that collected everything its options planned for the one target. */
async function collected(
  custodyCase: Case = newCase(),
): Promise<{ ctx: TestContext; custodyCase: Case; caseDir: string }> {
  const ctx = makeTestContext();
  const store = ctx.deps.store(custodyCase.caseId, TARGET.region);
  await store.putArtifact({
    key: 'case.json',
    body: JSON.stringify(custodyCase),
    source: 'custody:triage',
    target: 'case',
  });
  for (const [category, name] of [
    ['metadata', 'describe-instance.json'],
    ['memory', 'memory.lime'],
    ['volatile', 'processes.txt'],
    ['logs', 'cloudtrail.jsonl'],
  ]) {
    await store.putArtifact({
      key: `${BASE}/${category}/${name}`,
      body: `${category} bytes`,
      source: `test:${category}`,
      target: TARGET.instanceId,
    });
  }
  await store.record({
    action: 'snapshot.created',
    target: TARGET.instanceId,
    details: { snapshotId: 'snap-0123456789abcdef0', volumeId: 'vol-0a1b2c3d4e5f60001' },
  });
  const bucket = ctx.env.config.regions[TARGET.region].evidenceBucket;
  return { ctx, custodyCase, caseDir: join(ctx.env.sandbox.root, 'buckets', bucket, 'cases', custodyCase.caseId) };
}

function readLog(ctx: TestContext, caseId: string) {
  return createCaseStore({
    caseId,
    region: TARGET.region,
    config: ctx.env.config,
    clients: ctx.deps.clients,
    actor: ctx.deps.actor,
    now: () => new Date(),
  }).readEntries();
}

describe('ExamineEvidence', () => {
  it('re-reads every recorded artifact, finds them intact and complete, and records the examination', async () => {
    const { ctx, custodyCase } = await collected();
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output).toEqual({
      caseId: custodyCase.caseId,
      examined: 5,
      ok: 5,
      chainIssues: 0,
      altered: [],
      missing: [],
      incomplete: [],
      gaps: [],
    });
    const gets = ctx.env.sandbox
      .callsOf('S3', 'GetObject')
      .filter((call) => !String(call.input.Key).includes('/custody/'));
    expect(gets).toHaveLength(5);
    expect(gets.every((call) => call.input.ChecksumMode === 'ENABLED')).toBe(true);
    const last = (await readLog(ctx, custodyCase.caseId)).at(-1)!;
    expect(last).toMatchObject({
      action: 'evidence.examined',
      target: 'case',
      details: { examined: 5, ok: 5, problemCount: 0, entries: 6 },
    });
  });

  it('names an artifact whose stored bytes changed since acquisition', async () => {
    const { ctx, custodyCase, caseDir } = await collected();
    writeFileSync(join(caseDir, BASE, 'memory', 'memory.lime'), 'memory bytez');
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output.altered).toEqual([`${BASE}/memory/memory.lime`]);
    expect(output.gaps).toEqual([
      {
        target: `${BASE}/memory/memory.lime`,
        step: 'ExamineEvidence',
        reason: expect.stringContaining('no longer match'),
        error: 'altered',
      },
    ]);
  });

  it('names an artifact the log recorded but the bucket does not hold', async () => {
    const { ctx, custodyCase } = await collected();
    const artifact = {
      key: `${BASE}/volatile/sockets.txt`,
      bytes: 3,
      sha256: 'b'.repeat(64),
      source: 'ssm:ss',
      tool: 'ss',
      toolVersion: '1',
    };
    await ctx.deps
      .store(custodyCase.caseId, TARGET.region)
      .record({ action: 'artifact.acquired', target: TARGET.instanceId, artifact });
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output).toMatchObject({ examined: 6, ok: 5, missing: [`${BASE}/volatile/sockets.txt`] });
  });

  it('names an object whose bucket checksum disagrees with the custody record', async () => {
    const { ctx, custodyCase } = await collected();
    const bucket = ctx.env.config.regions[TARGET.region].evidenceBucket;
    const metaFile = join(
      ctx.env.sandbox.root,
      '.s3meta',
      bucket,
      'objects',
      `${encodeURIComponent(`cases/${custodyCase.caseId}/${BASE}/logs/cloudtrail.jsonl`)}.json`,
    );
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    meta.versions[0].checksum = { ...meta.versions[0].checksum, value: Buffer.alloc(32, 7).toString('base64') };
    writeFileSync(metaFile, JSON.stringify(meta));
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output.gaps).toEqual([
      expect.objectContaining({ target: `${BASE}/logs/cloudtrail.jsonl`, error: 'checksum-mismatch' }),
    ]);
  });

  it('checks a multipart memory image against the full-object CRC32 the bucket verified', async () => {
    const { ctx, custodyCase } = await collected();
    const image = Buffer.alloc(17 * 1024 * 1024, 0x5a);
    await ctx.deps
      .store(custodyCase.caseId, TARGET.region)
      .putArtifact({ key: `${BASE}/memory/memory.raw`, body: image, source: 'ssm:avml', target: TARGET.instanceId });
    expect(ctx.env.sandbox.callsOf('S3', 'CompleteMultipartUpload')).toHaveLength(1);
    expect((await examineEvidence({ case: custodyCase }, ctx.deps)).gaps).toEqual([]);
    const bucket = ctx.env.config.regions[TARGET.region].evidenceBucket;
    const metaFile = join(
      ctx.env.sandbox.root,
      '.s3meta',
      bucket,
      'objects',
      `${encodeURIComponent(`cases/${custodyCase.caseId}/${BASE}/memory/memory.raw`)}.json`,
    );
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    expect(meta.versions[0].checksum).toMatchObject({ algorithm: 'CRC32', type: 'FULL_OBJECT' });
    meta.versions[0].checksum.value = 'AAAAAA==';
    writeFileSync(metaFile, JSON.stringify(meta));
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output.gaps).toEqual([
      expect.objectContaining({ target: `${BASE}/memory/memory.raw`, error: 'checksum-mismatch' }),
    ]);
  });

  it('reports each planned category a target lacks, and not the ones the options turned off', async () => {
    const custodyCase = newCase({
      options: {
        isolate: true,
        memory: true,
        volatile: false,
        logs: true,
        snapshots: true,
        logWindowHours: 24,
        isolationPolicy: 'capture-first',
      },
    });
    const ctx = makeTestContext();
    await ctx.deps.store(custodyCase.caseId, TARGET.region).putArtifact({
      key: `${BASE}/metadata/describe-instance.json`,
      body: '{}',
      source: 'ec2:DescribeInstances',
      target: TARGET.instanceId,
    });
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output.incomplete).toEqual([
      { target: LABEL, category: 'snapshots' },
      { target: LABEL, category: 'memory' },
      { target: LABEL, category: 'logs' },
    ]);
    expect(output.gaps.map((gap) => gap.reason)).toContain('no memory evidence was recorded for this target');
  });

  it('does not call a dry-run case incomplete for evidence it never meant to write', async () => {
    const custodyCase = newCase({ mode: 'dry-run' });
    const ctx = makeTestContext();
    await ctx.deps.store(custodyCase.caseId, TARGET.region).record({ action: 'case.opened', target: 'case' });
    const output = await examineEvidence({ case: custodyCase }, ctx.deps);
    expect(output).toMatchObject({ examined: 0, incomplete: [], gaps: [] });
  });
});
