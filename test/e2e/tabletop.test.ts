import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../sandbox/scenario';
import { custody } from '../helpers/cli';

interface Summary {
  caseId: string;
  status: string;
  caseDir: string;
  gaps: { target: string; step: string; reason: string }[];
}

function lastJson(lines: string[]): Summary {
  return JSON.parse(lines[lines.length - 1]) as Summary;
}

describe('custody tabletop on the default scenario', () => {
  const out = mkdtempSync(join(tmpdir(), 'custody-tabletop-'));
  let summary: Summary;
  let stdout: string[];

  beforeAll(async () => {
    const run = await custody('tabletop', '--out', out, '--json');
    stdout = run.stdout;
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    summary = lastJson(run.stdout);
  });

  it('ends with a JSON summary naming the case, its status and its folder', () => {
    expect(summary.caseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(['complete', 'partial']).toContain(summary.status);
    expect(summary.caseDir).toBe(
      join(out, 'buckets', 'custody-evidence-333333333333-eu-west-1', 'cases', summary.caseId),
    );
  });

  it('shows progress per phase', () => {
    expect(stdout).toEqual(expect.arrayContaining(['== triage', '== collect', '== report']));
    expect(stdout.some((line) => /ok\s+PreserveInstance \[target 1\]/.test(line))).toBe(true);
  });

  it('leaves the case folder with the case, the preserved metadata, the custody log and a signed manifest', () => {
    const dir = summary.caseDir;
    const caseJson = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { caseId: string };
    expect(caseJson.caseId).toBe(summary.caseId);
    const describe = JSON.parse(
      readFileSync(join(dir, '222222222222', 'i-0c0ffee1234567890', 'metadata', 'describe-instance.json'), 'utf8'),
    );
    expect(JSON.stringify(describe)).toContain('i-0c0ffee1234567890');
    expect(existsSync(join(dir, 'custody.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    expect(existsSync(join(dir, 'manifest.sig'))).toBe(true);
  });

  it("indexes every target's snapshots in the case-root snapshots.json, listed in the signed manifest", () => {
    const dir = summary.caseDir;
    const index = JSON.parse(readFileSync(join(dir, 'snapshots.json'), 'utf8')) as {
      caseId: string;
      targets: { target: { instanceId: string }; key: string; volumes: unknown[] }[];
    };
    const perTarget = JSON.parse(
      readFileSync(join(dir, '222222222222', 'i-0c0ffee1234567890', 'snapshots.json'), 'utf8'),
    ) as { volumes: unknown[] };
    expect(index.caseId).toBe(summary.caseId);
    expect(index.targets).toEqual([
      {
        target: { instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' },
        key: '222222222222/i-0c0ffee1234567890/snapshots.json',
        volumes: perTarget.volumes,
      },
    ]);
    expect(perTarget.volumes.length).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { artifacts: { key: string }[] };
    expect(manifest.artifacts.map((artifact) => artifact.key)).toContain('snapshots.json');
  });

  it('tags the instance with the case id in the simulated account', () => {
    const state = JSON.parse(readFileSync(join(out, 'sandbox-state.json'), 'utf8')) as ReturnType<typeof loadScenario>;
    const instance = state.accounts[1].regions['eu-west-1'].instances[0];
    expect(instance.tags['custody:case-id']).toBe(summary.caseId);
    expect(instance.disableApiTermination).toBe(true);
  });

  it('produces a case that custody verify accepts', async () => {
    const run = await custody('verify', summary.caseDir);
    expect(run.code).toBe(0);
    expect(run.stdout[run.stdout.length - 1]).toMatch(/^RESULT: OK/);
  });

  it('captures memory, volatile data, logs and the report as evidence', () => {
    const instance = join(summary.caseDir, '222222222222', 'i-0c0ffee1234567890');
    for (const file of [
      'memory/memory.lime',
      'volatile/processes.txt',
      'volatile/sockets.txt',
      'logs/cloudtrail.jsonl',
      'logs/vpc-flow.log',
      'snapshots.json',
    ]) {
      expect({ file, present: existsSync(join(instance, file)) }).toEqual({ file, present: true });
    }
    for (const file of ['report/report.html', 'report/report.json', 'report/timeline.jsonl', 'report/findings.json']) {
      expect({ file, present: existsSync(join(summary.caseDir, file)) }).toEqual({ file, present: true });
    }
  });

  it('names a tampered artifact and exits 1', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'custody-tampered-'));
    cpSync(join(out), copy, { recursive: true });
    const dir = summary.caseDir.replace(out, copy);
    const console = join(dir, '222222222222', 'i-0c0ffee1234567890', 'metadata', 'console-output.txt');
    const bytes = readFileSync(console);
    bytes[0] ^= 0x01;
    writeFileSync(console, bytes);
    const run = await custody('verify', dir, '--json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout[run.stdout.length - 1]) as {
      ok: boolean;
      artifacts: { key: string; status: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.artifacts.filter((artifact) => artifact.status !== 'ok')).toEqual([
      expect.objectContaining({
        key: '222222222222/i-0c0ffee1234567890/metadata/console-output.txt',
        status: 'altered',
      }),
    ]);
  });
});

describe('custody tabletop --dry-run', () => {
  it('changes nothing in the simulated organisation', async () => {
    const out = mkdtempSync(join(tmpdir(), 'custody-dryrun-'));
    const run = await custody('tabletop', '--out', out, '--dry-run', '--json');
    expect(run.code).toBe(0);
    const state = JSON.parse(readFileSync(join(out, 'sandbox-state.json'), 'utf8')) as { accounts: unknown };
    const before = loadScenario();
    const member = (accounts: unknown) =>
      JSON.stringify((accounts as { accountId: string }[]).filter((a) => a.accountId === '222222222222'));
    expect(member(state.accounts)).toBe(member(before.accounts));
  });

  it('exits 2 for an unknown scenario', async () => {
    const run = await custody('tabletop', '--scenario', 'no-such-scenario');
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toMatch(/no scenario named no-such-scenario/);
  });
});

describe('custody tabletop on a scenario whose finding is not about an EC2 instance', () => {
  let run: Awaited<ReturnType<typeof custody>>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custody-tabletop-rejected-'));
    const scenario = loadScenario('compromised-web-server');
    const trigger = scenario.trigger as { detail: { resource: Record<string, unknown> } };
    trigger.detail.resource = { resourceType: 'S3Bucket', s3BucketDetails: [{ name: 'customer-exports' }] };
    const file = join(dir, 's3-finding.json');
    writeFileSync(file, JSON.stringify(scenario));
    run = await custody('tabletop', '--scenario', file, '--out', join(dir, 'out'), '--json');
  });

  it('exits 2 and says in the summary why triage rejected it', () => {
    expect(run.code).toBe(2);
    const summary = lastJson(run.stdout) as Summary & { error: string };
    expect(summary.status).toBe('rejected');
    expect(summary.error).toBe(
      'CaseRejected: GuardDuty finding is about resource type "S3Bucket", not an EC2 instance; Custody only collects from EC2 instances',
    );
  });

  it('shows the Triage failure once, not followed by an "ok"', () => {
    const triage = run.stdout.filter((line) => /^\s+(ok|failed)\s+Triage\b/.test(line));
    expect(triage).toEqual([expect.stringMatching(/^\s+failed\s+Triage: UnsupportedEventError: /)]);
  });
});
