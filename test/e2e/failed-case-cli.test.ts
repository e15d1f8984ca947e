// `custody tabletop --json` on a case that fails after it was opened: the summary still names the case and its folder, so the
// responder can inspect the evidence already collected and release the isolated instance.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../sandbox/scenario';
import { custody } from '../helpers/cli';

interface Summary {
  caseId: string | null;
  status: string;
  caseDir: string | null;
  error?: string;
}

describe('custody tabletop on a case that cannot be sealed', () => {
  let run: Awaited<ReturnType<typeof custody>>;
  let summary: Summary;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custody-failed-case-'));
    const scenario = loadScenario('compromised-web-server');
    for (const account of scenario.accounts)
      for (const region of Object.values(account.regions)) delete region.generatedLogs;
    // KMS throttles every Sign: SealCase's retries run out and the execution ends at CaseNotSealed.
    scenario.faults.push({ service: 'KMS', operation: 'Sign', error: 'ThrottlingException', message: 'Rate exceeded' });
    const file = join(dir, 'seal-throttled.json');
    writeFileSync(file, JSON.stringify(scenario));
    run = await custody('tabletop', '--scenario', file, '--out', join(dir, 'out'), '--json');
    summary = JSON.parse(run.stdout[run.stdout.length - 1]) as Summary;
  }, 60_000);

  it('exits 1 with a failed status and the reason', () => {
    expect(run.code).toBe(1);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/^CaseNotSealed: /);
  });

  it('names the case it opened and the folder holding its evidence and custody log', () => {
    expect(summary.caseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(summary.caseDir).toMatch(new RegExp(`/cases/${summary.caseId}$`));
    const caseDir = summary.caseDir as string;
    expect(JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')).caseId).toBe(summary.caseId);
    expect(existsSync(join(caseDir, 'custody'))).toBe(true);
    expect(existsSync(join(caseDir, 'manifest.sig'))).toBe(false);
  });
});
