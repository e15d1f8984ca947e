// The same finding delivered twice, even at the same moment, opens one case and collects its evidence once.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxEnvironment } from '../../sandbox';
import type { SandboxEnvironment } from '../../sandbox';
import { sandboxDeps } from '../../sandbox/deps';
import { loadScenario } from '../../sandbox/scenario';
import type { Scenario } from '../../sandbox/scenario';
import { stageCaptureTools } from '../../sandbox/ssm-agent';
import { runCollectEvidence } from '../../statemachines/runner';
import type { RunResult } from '../../statemachines/runner';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const INSTANCE = 'i-0c0ffee1234567890';

/** The default scenario without its bulk generated logs, so a whole case runs in a few seconds. */
function quickScenario(): Scenario {
  const scenario = loadScenario('compromised-web-server');
  for (const account of scenario.accounts)
    for (const region of Object.values(account.regions)) delete region.generatedLogs;
  return scenario;
}

interface Output {
  case: { caseId: string };
  duplicate?: { Error: string };
  targets?: unknown[];
}

describe('the same GuardDuty finding delivered twice at once', () => {
  let env: SandboxEnvironment;
  let runs: RunResult[];

  beforeAll(async () => {
    const scenario = quickScenario();
    env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-idempotency-')) });
    await stageCaptureTools(env.sandbox, BUCKET);
    runs = await Promise.all([
      runCollectEvidence(scenario.trigger, { deps: sandboxDeps(env, 'delivery-1') }),
      runCollectEvidence(scenario.trigger, { deps: sandboxDeps(env, 'delivery-2') }),
    ]);
  }, 60_000);

  const outputs = (): Output[] => runs.map((run) => run.output as Output);
  const member = () => env.sandbox.regionState('222222222222', 'eu-west-1');

  it('opens one case and ends the other execution at AlreadyOpen', () => {
    expect(runs.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const [first, second] = outputs();
    expect(first.case.caseId).toBe(second.case.caseId);
    expect(outputs().filter((output) => output.duplicate?.Error === 'CaseAlreadyOpenError')).toHaveLength(1);
    expect(outputs().filter((output) => output.targets)).toHaveLength(1);
    expect(readdirSync(join(env.sandbox.root, 'buckets', BUCKET, 'cases'))).toEqual([first.case.caseId]);
  });

  it('writes case.json once', () => {
    const puts = env.sandbox.callsOf('S3', 'PutObject').filter((call) => String(call.input.Key).endsWith('/case.json'));
    expect(puts.filter((call) => !call.error)).toHaveLength(1);
  });

  it('snapshots each volume once and creates no second isolation group', () => {
    const snapshots = member().snapshots.filter((snapshot) => !snapshot.sourceSnapshotId);
    expect(snapshots.map((snapshot) => snapshot.volumeId).sort()).toEqual([
      'vol-0a1b2c3d4e5f60001',
      'vol-0a1b2c3d4e5f60002',
    ]);
    const groups = member().securityGroups.map((group) => group.groupName);
    expect(groups.length).toBe(new Set(groups).size);
    expect(
      env.sandbox.callsOf('SSM', 'SendCommand').filter((call) => JSON.stringify(call.input).includes('MemoryCapture')),
    ).toHaveLength(1);
  });

  it('records the case opening once in the custody log', () => {
    const caseDir = join(env.sandbox.root, 'buckets', BUCKET, 'cases', outputs()[0].case.caseId);
    const entries = readFileSync(join(caseDir, 'custody.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; target?: string });
    expect(entries.filter((entry) => entry.action === 'case.opened')).toHaveLength(1);
    const acquired = entries
      .filter((entry) => entry.action === 'artifact.acquired')
      .map((entry) => JSON.stringify(entry).match(/"key":"([^"]+)"/)?.[1]);
    expect(acquired.length).toBe(new Set(acquired).size);
  });

  it('opens no second case when the finding arrives again after the first case closed', async () => {
    const again = await runCollectEvidence(env.scenario.trigger, { deps: sandboxDeps(env, 'delivery-3') });
    expect((again.output as Output).duplicate?.Error).toBe('CaseAlreadyOpenError');
    expect(member().instances.find((instance) => instance.instanceId === INSTANCE)?.tags['custody:case-id']).toBe(
      outputs()[0].case.caseId,
    );
    expect(member().snapshots.filter((snapshot) => !snapshot.sourceSnapshotId)).toHaveLength(2);
  }, 30_000);
});
