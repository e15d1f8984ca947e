import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../sandbox/scenario';
import { custody } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'custody-cli-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('custody triage', () => {
  it('prints the case a GuardDuty finding opens, as JSON', async () => {
    const event = file('finding.json', JSON.stringify(loadScenario().trigger));
    const run = await custody('triage', '--event', event);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout.join('\n')) as { caseId: string; targets: unknown[]; trigger: string };
    expect(printed.trigger).toBe('guardduty');
    expect(printed.targets).toEqual([
      { instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' },
    ]);
  });

  it.each([
    ['an empty file', ''],
    ['malformed JSON', '{"detail-type": '],
    [
      'a finding about an S3 bucket',
      JSON.stringify({
        ...loadScenario().trigger,
        detail: { ...(loadScenario().trigger.detail as object), resource: { resourceType: 'S3Bucket' } },
      }),
    ],
  ])('rejects %s with exit 2 and a one-line reason, no stack', async (_name, text) => {
    const run = await custody('triage', '--event', file(`bad-${_name.length}.json`, text));
    expect(run.code).toBe(2);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(/^custody: /);
    expect(run.stderr[0]).not.toMatch(/\n\s+at /);
  });

  it('rejects a missing event file with exit 2', async () => {
    const run = await custody('triage', '--event', join(dir, 'no-such-file.json'));
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toMatch(/cannot read event file/);
  });

  it('refuses an unknown command with exit 2', async () => {
    const run = await custody('frobnicate');
    expect(run.code).toBe(2);
  });
});
