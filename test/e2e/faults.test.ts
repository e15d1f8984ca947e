// The `faults` scenario: one case under every fault the issue names finishes, keeps what it collected, and reports each loss.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createSandboxEnvironment } from '../../sandbox';
import type { SandboxEnvironment } from '../../sandbox';
import { sandboxDeps } from '../../sandbox/deps';
import { loadScenario } from '../../sandbox/scenario';
import { stageCaptureTools } from '../../sandbox/ssm-agent';
import { runCollectEvidence } from '../../statemachines/runner';
import type { ProgressEvent, RunResult } from '../../statemachines/runner';
import type { Gap } from '../../tasks/lib/case';
import { custody } from '../helpers/cli';

const WEB3 = 'i-0c0ffee1234567890';
const WEB4 = 'i-0c0ffee1234567891';
const BUCKET = 'custody-evidence-333333333333-eu-west-1';

interface Output {
  case: { caseId: string };
  targets: { target: { instanceId: string }; status: string; gapCount: number }[];
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('a case under every fault of the faults scenario', () => {
  const scenario = loadScenario('faults');
  let env: SandboxEnvironment;
  let result: RunResult;
  let output: Output;
  let caseDir: string;
  const progress: ProgressEvent[] = [];
  // A target's gaps are in its `target.summarised` custody entry; the Map's output only counts them.
  const gapsOf = (instanceId: string): Gap[] => {
    const entries = readFileSync(join(caseDir, 'custody.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { action: string; target?: string; details?: { gaps?: Gap[] } });
    const summarised = entries.filter((entry) => entry.action === 'target.summarised' && entry.target === instanceId);
    const gaps = summarised.at(-1)?.details?.gaps ?? [];
    expect(output.targets.find((t) => t.target.instanceId === instanceId)?.gapCount).toBe(gaps.length);
    return gaps;
  };

  beforeAll(async () => {
    env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-faults-')) });
    await stageCaptureTools(env.sandbox, BUCKET);
    result = await runCollectEvidence(scenario.trigger, {
      deps: sandboxDeps(env, 'faults'),
      onProgress: (event) => progress.push(event),
      timeoutOverrides: scenario.stateTimeouts,
    });
    output = result.output as Output;
    caseDir = join(env.sandbox.root, 'buckets', BUCKET, 'cases', output.case.caseId);
  }, 60_000);

  it('finishes the case with both targets summarised: the first whole (its faults were retried), the second partial', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(output.targets.map((t) => [t.target.instanceId, t.status])).toEqual([
      [WEB3, 'complete'],
      [WEB4, 'partial'],
    ]);
  });

  it('retries an EC2 throttling burst with the ASL back-off until the instance is preserved', () => {
    const describes = env.sandbox.callsOf('EC2', 'DescribeInstances').map((call) => call.error ?? 'ok');
    expect(describes.slice(0, 4)).toEqual([
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      'ok',
    ]);
    const retried = progress.filter((e) => e.kind === 'retried' && e.state === 'PreserveInstance');
    expect(retried).toHaveLength(3);
    expect(gapsOf(WEB3).some((gap) => gap.step === 'PreserveInstance')).toBe(false);
    expect(readFileSync(join(caseDir, '222222222222', WEB3, 'metadata', 'describe-instance.json'), 'utf8')).toContain(
      WEB3,
    );
  });

  it('retries SSM SendCommand throttling and still captures the first server memory', () => {
    const sends = env.sandbox.callsOf('SSM', 'SendCommand').map((call) => call.error ?? 'ok');
    expect(sends.slice(0, 3)).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
    expect(progress.filter((e) => e.kind === 'retried' && e.state === 'CaptureMemory')).toHaveLength(2);
    expect(statSync(join(caseDir, '222222222222', WEB3, 'memory', 'memory.lime')).size).toBe(64 * 1024 * 1024);
  });

  it('writes the console output again after S3 failed the first write once', () => {
    const puts = env.sandbox
      .callsOf('S3', 'PutObject')
      .filter((call) => String(call.input.Key).endsWith('console-output.txt'));
    expect(puts.map((call) => call.error ?? 'ok').sort()).toEqual(['InternalError', 'ok', 'ok']);
    expect(
      gapsOf(WEB3)
        .concat(gapsOf(WEB4))
        .some((gap) => gap.step === 'console-output'),
    ).toBe(false);
  });

  it('records a task that outlives its timeout as a gap after one retry', () => {
    const timedOut = progress.filter((e) => e.state === 'DetachFromFleet' && e.error?.startsWith('States.Timeout'));
    expect(timedOut).toHaveLength(2);
    expect(gapsOf(WEB4)).toContainEqual(expect.objectContaining({ step: 'DetachFromFleet', error: 'States.Timeout' }));
  });

  it('keeps the hashes of the parts an agent uploaded before it died and reports the memory capture as incomplete', () => {
    const output = readFileSync(join(caseDir, '222222222222', WEB4, 'memory', 'command-output.txt'), 'utf8');
    expect(output).toMatch(/part object=memory\.lime n=1 bytes=\d+ sha256=/);
    expect(gapsOf(WEB4)).toContainEqual(
      expect.objectContaining({
        step: 'CaptureMemory',
        reason: expect.stringMatching(/did not report a complete upload/),
      }),
    );
  });

  it('reports the snapshot that ended in error and the copy the volume key did not allow', () => {
    const gaps = gapsOf(WEB4);
    expect(gaps).toContainEqual(
      expect.objectContaining({ step: 'CheckSnapshots', reason: expect.stringContaining('vol-0a1b2c3d4e5f60004') }),
    );
    expect(
      gaps.some(
        (gap) => /vol-0a1b2c3d4e5f60003/.test(gap.reason) && /not accessible/.test(`${gap.reason} ${gap.error ?? ''}`),
      ),
    ).toBe(true);
  });

  it('lists every object it wrote in the manifest, and custody verify accepts the case', async () => {
    const manifest = JSON.parse(readFileSync(join(caseDir, 'manifest.json'), 'utf8')) as {
      artifacts: { key: string }[];
    };
    const listed = new Set(manifest.artifacts.map((artifact) => artifact.key));
    const ledger = /^(custody\.jsonl|manifest\.(json|sig)|custody\/)/;
    const written = files(caseDir)
      .map((path) => relative(caseDir, path))
      .filter((key) => !ledger.test(key) && !key.includes('.sandbox'));
    expect(written.filter((key) => !listed.has(key))).toEqual([]);
    const run = await custody('verify', caseDir);
    expect(run.code).toBe(0);
  });
});

describe('the retry policy the faults rely on', () => {
  interface Retrier {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxAttempts?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }
  interface State {
    Type: string;
    Retry?: Retrier[];
    ItemProcessor?: { States: Record<string, State> };
  }
  const definition = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'statemachines', 'collect-evidence.asl.json'), 'utf8'),
  ) as { States: Record<string, State> };
  const tasks = (states: Record<string, State>): [string, State][] =>
    Object.entries(states).flatMap(([name, state]) => [
      ...(state.Type === 'Task' ? [[name, state] as [string, State]] : []),
      ...(state.ItemProcessor ? tasks(state.ItemProcessor.States) : []),
    ]);

  it.each(tasks(definition.States))(
    '%s retries throttling and 5xx with exponential back-off and full jitter',
    (_name, state) => {
      const transient = state.Retry?.find((retrier) => retrier.ErrorEquals.includes('ThrottlingException'));
      expect(transient?.ErrorEquals).toEqual(
        expect.arrayContaining(['RequestLimitExceeded', 'SlowDown', 'InternalError', 'RequestTimeout']),
      );
      expect(transient?.BackoffRate).toBeGreaterThanOrEqual(2);
      expect(transient?.JitterStrategy).toBe('FULL');
      expect(transient?.MaxDelaySeconds).toBeGreaterThan(0);
      expect(state.Retry?.find((retrier) => retrier.ErrorEquals.includes('States.Timeout'))?.MaxAttempts).toBe(1);
    },
  );

  it('ships a faults scenario with every fault kind of the drill', () => {
    const scenario = loadScenario('faults');
    const instances = scenario.accounts.flatMap((account) =>
      Object.values(account.regions).flatMap((region) => region.instances),
    );
    const volumes = scenario.accounts.flatMap((account) =>
      Object.values(account.regions).flatMap((region) => region.volumes),
    );
    expect(scenario.faults.map((fault) => fault.error)).toEqual([
      'RequestLimitExceeded',
      'ThrottlingException',
      'InternalError',
      'RequestTimeout',
    ]);
    expect(scenario.faults.find((fault) => fault.delayMs)?.delayMs).toBeGreaterThan(
      (scenario.stateTimeouts?.DetachFromFleet ?? 0) * 1000,
    );
    expect(instances.map((instance) => instance.ssm.behaviour)).toContain('dies-mid-capture');
    expect(volumes.filter((volume) => volume.snapshotFails).map((volume) => volume.volumeId)).toEqual([
      'vol-0a1b2c3d4e5f60004',
    ]);
  });
});
