// A case that failed part-way is resumed on purpose: it ends sealed and verifiable, and nothing it had finished is done again.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCommand } from '../../cli/commands/start';
import { statusCommand } from '../../cli/commands/status';
import { loadScenario } from '../../sandbox/scenario';
import type { Scenario } from '../../sandbox/scenario';
import { stageCaptureTools } from '../../sandbox/ssm-agent';
import { releasePlan } from '../../tasks/lib/containment/release-plan';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { caseIdForFinding } from '../../tasks/triage';
import { cliWorld } from '../cli/start-helpers';
import type { CliWorld } from '../cli/start-helpers';
import { custody } from '../helpers/cli';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const INSTANCE = 'i-0c0ffee1234567890';
const EXECUTIONS = 'arn:aws:states:eu-west-1:111111111111:execution:custody-collect-evidence';
/** SealCase's first read; failing it on every attempt (1 + 6 ASL retries) fails the execution at CaseNotSealed. */
const SEAL_ATTEMPTS = 7;

/** The default scenario without its bulk logs, and with S3 failing every attempt of SealCase in the first execution. */
function failingSealScenario(): Scenario {
  const scenario = loadScenario('compromised-web-server');
  for (const account of scenario.accounts)
    for (const region of Object.values(account.regions)) delete region.generatedLogs;
  scenario.faults.push({
    service: 'S3',
    operation: 'GetObject',
    error: 'InternalError',
    message: 'We encountered an internal error. Please try again.',
    match: 'manifest.sig',
    times: SEAL_ATTEMPTS,
  });
  return scenario;
}

describe('resuming a case whose execution failed at SealCase', () => {
  let world: CliWorld;
  let caseId: string;
  let caseDir: string;
  let firstCode: number;
  let resumeCode: number;
  let firstRunLines: string[];
  let resumeLines: string[];
  let before: { memory: number; volatile: number; groups: string[]; snapshots: string[]; copies: string[] };
  const snapshotIds = (accountId: string) =>
    world.env.sandbox.regionState(accountId, 'eu-west-1').snapshots.map((snapshot) => snapshot.snapshotId);
  const member = () => world.env.sandbox.regionState('222222222222', 'eu-west-1');
  const sends = (document: string) =>
    world.env.sandbox.callsOf('SSM', 'SendCommand').filter((call) => JSON.stringify(call.input).includes(document));
  const entries = (): CustodyEntry[] =>
    readFileSync(join(caseDir, 'custody.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as CustodyEntry);

  beforeAll(async () => {
    world = cliWorld(failingSealScenario());
    await stageCaptureTools(world.env.sandbox, BUCKET);
    caseId = caseIdForFinding((world.env.scenario.trigger as { detail: { arn: string } }).detail.arn);
    caseDir = join(world.env.sandbox.root, 'buckets', BUCKET, 'cases', caseId);
    const options = { config: world.configFile, profile: 'incident', wait: true };
    firstCode = await startCommand({ ...options, event: world.eventFile }, world.io, world.commandEnv);
    firstRunLines = world.stdout.splice(0);
    before = {
      memory: sends('MemoryCapture').length,
      volatile: sends('VolatileData').length,
      groups: member().securityGroups.map((group) => group.groupId),
      snapshots: snapshotIds('222222222222'),
      copies: snapshotIds('333333333333'),
    };
    resumeCode = await startCommand(
      { ...options, resume: caseId, reason: 'INC-4711 seal failed', requestedBy: 'alice' },
      world.io,
      world.commandEnv,
    );
    resumeLines = world.stdout.splice(0);
  }, 120_000);

  it('fails the first execution at CaseNotSealed with all evidence collected but no manifest', () => {
    expect(firstCode).toBe(1);
    expect(firstRunLines).toContain(`Case ${caseId}: FAILED`);
    const seals = world.env.sandbox
      .callsOf('S3', 'GetObject')
      .filter((call) => String(call.input.Key).endsWith('manifest.sig'));
    expect(seals.slice(0, SEAL_ATTEMPTS).map((call) => call.error)).toEqual(Array(SEAL_ATTEMPTS).fill('InternalError'));
    expect(before.memory).toBe(1);
    expect(before.volatile).toBe(1);
    expect(existsSync(join(caseDir, '222222222222', INSTANCE, 'memory', 'memory.lime'))).toBe(true);
  });

  it('starts the resume as a new execution whose input is the original input plus the resume marker', () => {
    const executions = world.env.sandbox.account('111111111111')!.executions!;
    expect(executions.map((execution) => [execution.name, execution.status])).toEqual([
      [caseId, 'FAILED'],
      [`${caseId}-resume-1`, 'SUCCEEDED'],
    ]);
    const input = JSON.parse(executions[1].input) as { resume: Record<string, unknown>; input: unknown };
    expect(input.input).toEqual(JSON.parse(executions[0].input));
    expect(input.resume).toMatchObject({
      caseId,
      resumes: `${EXECUTIONS}:${caseId}`,
      status: 'FAILED',
      error: 'CaseNotSealed',
      requestedBy: 'alice',
      reason: 'INC-4711 seal failed',
    });
    expect(resumeLines).toContain(`Resuming case ${caseId} from ${EXECUTIONS}:${caseId} (FAILED)`);
  });

  it('ends with the case sealed, and custody verify accepts it as one unbroken chain', async () => {
    expect(resumeCode).toBe(0);
    expect(resumeLines).toContain(`Case ${caseId}: SUCCEEDED`);
    expect(existsSync(join(caseDir, 'manifest.json'))).toBe(true);
    expect(existsSync(join(caseDir, 'manifest.sig'))).toBe(true);
    const run = await custody('verify', caseDir);
    expect(run.stdout.join('\n')).not.toMatch(/FAIL/);
    expect(run.code).toBe(0);
  });

  it('records the resume in the chain: who, why and which execution it resumes, and opens the case once', () => {
    const log = entries();
    expect(log.filter((entry) => entry.action === 'case.opened')).toHaveLength(1);
    const resumed = log.filter((entry) => entry.action === 'case.resumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].details).toMatchObject({
      resumes: `${EXECUTIONS}:${caseId}`,
      requestedBy: 'alice',
      reason: 'INC-4711 seal failed',
      principal: expect.stringContaining(':assumed-role/'),
    });
    expect(resumed[0].actor.execution).toContain(`${caseId}-resume-1`);
  });

  it('captures memory and volatile data once, and creates no second isolation group', () => {
    expect(sends('MemoryCapture')).toHaveLength(1);
    expect(sends('VolatileData')).toHaveLength(before.volatile);
    expect(member().securityGroups.map((group) => group.groupId)).toEqual(before.groups);
    const names = member().securityGroups.map((group) => group.groupName);
    expect(names.length).toBe(new Set(names).size);
  });

  it('makes no second snapshot or evidence copy: the resumed tasks take up those of the first run by their tags', () => {
    expect(before.snapshots.length).toBeGreaterThan(0);
    expect(snapshotIds('222222222222')).toEqual(before.snapshots);
    expect(snapshotIds('333333333333')).toEqual(before.copies);
    const reused = entries().filter((entry) => entry.action === 'snapshot.created' && entry.details?.reused === true);
    expect(reused.map((entry) => entry.details?.snapshotId).sort()).toEqual(
      entries()
        .filter((entry) => entry.action === 'snapshot.created' && entry.details?.reused !== true)
        .map((entry) => entry.details?.snapshotId)
        .sort(),
    );
  });

  it('writes no evidence object twice: one successful PutObject or multipart upload per key', () => {
    const prefix = `cases/${caseId}/`;
    const writes = new Map<string, number>();
    for (const operation of ['PutObject', 'CreateMultipartUpload'])
      for (const call of world.env.sandbox.callsOf('S3', operation)) {
        const key = String(call.input.Key);
        if (call.error || !key.startsWith(prefix) || key.startsWith(`${prefix}custody/`)) continue;
        writes.set(key, (writes.get(key) ?? 0) + 1);
      }
    expect([...writes].filter(([, count]) => count > 1)).toEqual([]);
    const acquired = entries().flatMap((entry) => (entry.artifact ? [entry.artifact.key] : []));
    expect(acquired.length).toBe(new Set(acquired).size);
  });

  it('keeps the first memory image as the evidence, byte for byte as recorded', () => {
    const memory = entries().find((entry) => entry.artifact?.key.endsWith('/memory/memory.lime'))!;
    const bytes = readFileSync(join(caseDir, '222222222222', INSTANCE, 'memory', 'memory.lime'));
    expect(memory.artifact!.bytes).toBe(bytes.length);
    expect(memory.artifact!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('writes a new report that says the case was resumed and from which execution', () => {
    const report = readFileSync(join(caseDir, 'report', 'resume-1', 'report.md'), 'utf8');
    expect(report).toContain(`from execution ${EXECUTIONS}:${caseId}`);
    expect(report).toContain('INC-4711 seal failed');
    expect(existsSync(join(caseDir, 'report', 'report.md'))).toBe(true);
  });

  it('keeps the pre-incident state for custody release: the original groups and Auto Scaling group', () => {
    const plan = releasePlan(entries(), INSTANCE);
    expect([...plan.networkInterfaces]).toEqual([['eni-0a1b2c3d4e5f60001', ['sg-0web00000000000001']]]);
    expect(plan.autoScalingGroup?.name).toBe('web-asg');
    expect(plan.revokePolicies).toHaveLength(1);
  });

  it('shows the resumed run, not the failed one, when custody status is given the case id', async () => {
    world.stdout.splice(0);
    const code = await statusCommand(caseId, { config: world.configFile }, world.io, world.commandEnv);
    expect(code).toBe(0);
    expect(world.stdout).toEqual(
      expect.arrayContaining([
        `Case:    ${caseId}`,
        `Run:     ${caseId}-resume-1 (a resume of the case)`,
        expect.stringMatching(/^Status: {2}SUCCEEDED /),
      ]),
    );
    world.stdout.splice(0);
  });

  it('refuses to resume the case again once it is sealed, starting nothing', async () => {
    const started = world.env.sandbox.callsOf('SFN', 'StartExecution').length;
    await expect(
      startCommand({ config: world.configFile, profile: 'incident', resume: caseId }, world.io, world.commandEnv),
    ).rejects.toMatchObject({ name: 'ResumeRefusedError', message: expect.stringContaining('already sealed') });
    expect(world.env.sandbox.callsOf('SFN', 'StartExecution')).toHaveLength(started);
  });
});
