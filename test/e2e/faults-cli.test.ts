// `custody tabletop --scenario faults`: the responder's view of the fault drill, from the command line to `custody verify`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { custody } from '../helpers/cli';

interface Summary {
  caseId: string;
  status: string;
  caseDir: string;
  gaps: { target: string; step: string; reason: string }[];
}

describe('custody tabletop --scenario faults', () => {
  let run: Awaited<ReturnType<typeof custody>>;
  let summary: Summary;

  beforeAll(async () => {
    run = await custody(
      'tabletop',
      '--scenario',
      'faults',
      '--out',
      mkdtempSync(join(tmpdir(), 'custody-faults-cli-')),
      '--json',
    );
    summary = JSON.parse(run.stdout[run.stdout.length - 1]) as Summary;
  }, 60_000);

  it('finishes with exit 0 and a partial case', () => {
    expect(run.code).toBe(0);
    expect(summary.status).toBe('partial');
  });

  it('lists each lost or partial item as a gap with its target, step and reason', () => {
    for (const gap of summary.gaps)
      expect(gap).toEqual(
        expect.objectContaining({ target: expect.any(String), step: expect.any(String), reason: expect.any(String) }),
      );
    const onWeb4 = summary.gaps.filter((gap) => gap.target.endsWith('i-0c0ffee1234567891')).map((gap) => gap.step);
    expect(onWeb4).toEqual(expect.arrayContaining(['CaptureMemory', 'CheckSnapshots']));
  });

  it('leaves a case that custody verify accepts', async () => {
    const verify = await custody('verify', summary.caseDir);
    expect(verify.code).toBe(0);
  });
});
