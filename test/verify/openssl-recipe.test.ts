import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../tasks/lib/paths';
import type { SealedCase } from './sealed-case';
import { BASE, buildCase } from './sealed-case';

/** The shell recipe exactly as docs/evidence-format.md prints it. */
function recipe(): string {
  const doc = readFileSync(join(projectRoot(), 'docs', 'evidence-format.md'), 'utf8');
  const match = /<!-- recipe:verify-by-hand -->\n+```sh\n([\s\S]*?)\n```/.exec(doc);
  if (!match) throw new Error('docs/evidence-format.md has no verify-by-hand recipe');
  return match[1];
}

function runIn(dir: string): { status: number | null; output: string } {
  const result = spawnSync('bash', ['-c', recipe()], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let sealed: SealedCase;
beforeAll(async () => {
  sealed = await buildCase();
});

function copy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'custody-recipe-')), sealed.custodyCase.caseId);
  cpSync(sealed.caseDir, dir, { recursive: true });
  return dir;
}

describe('verifying a case by hand, as docs/evidence-format.md shows', () => {
  it('passes on a sealed case with openssl, sha256sum, jq and python3 only', () => {
    const { status, output } = runIn(copy());
    expect(output).toContain('Verified OK');
    expect(output).toContain(`${BASE}/memory/memory.lime: OK`);
    expect(output).toContain('custody chain OK: 7 entries');
    expect(status).toBe(0);
  });

  it('fails when one byte of an artifact changed', () => {
    const dir = copy();
    const file = join(dir, BASE, 'memory', 'memory.lime');
    const bytes = readFileSync(file);
    bytes[0] ^= 0xff;
    writeFileSync(file, bytes);
    const { status, output } = runIn(dir);
    expect(status).not.toBe(0);
    expect(output).toContain(`${BASE}/memory/memory.lime: FAILED`);
  });

  it('fails when the manifest was edited', () => {
    const dir = copy();
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    writeFileSync(join(dir, 'manifest.json'), text.replace('"COMPLIANCE"', '"GOVERNANCE"'));
    const { status, output } = runIn(dir);
    expect(status).not.toBe(0);
    expect(output).toContain('Verification failure');
  });
});
