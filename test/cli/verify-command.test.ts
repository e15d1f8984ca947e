// `custody verify` on a location that is not a case: exit 2 (bad input) and a message naming what is wrong, never a report.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { custody } from '../helpers/cli';

describe('custody verify with a location that is not a case', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custody-verify-input-'));

  it('exits 2 for a folder that does not exist, printing no verification report', async () => {
    const run = await custody('verify', join(dir, 'nowhere'));
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toContain(`no case folder at ${join(dir, 'nowhere')}`);
    expect(run.stdout.join('\n')).not.toMatch(/PASS|FAIL/);
  });

  it('exits 2 for a file, and says to give the case folder', async () => {
    const file = join(dir, 'manifest.json');
    writeFileSync(file, '{}');
    const run = await custody('verify', file);
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toContain('give the case folder');
  });

  it.each([['s3://'], ['s3://Bad_Bucket/cases/x/'], ['s3://bucket-only']])(
    'exits 2 for the malformed S3 location %s',
    async (location) => {
      const run = await custody('verify', location, '--region', 'eu-west-1');
      expect(run.code).toBe(2);
      expect(run.stderr.join('\n')).toContain('is not an s3://<bucket>/cases/<caseId>/ location');
    },
  );

  it('exits 2 for an S3 case when no region is given, before any AWS call', async () => {
    const saved = { region: process.env.AWS_REGION, fallback: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const run = await custody('verify', 's3://custody-evidence-333333333333-eu-west-1/cases/abc/');
      expect(run.code).toBe(2);
      expect(run.stderr.join('\n')).toContain("needs the bucket's region: pass --region");
    } finally {
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
      if (saved.fallback !== undefined) process.env.AWS_DEFAULT_REGION = saved.fallback;
    }
  });

  it('exits 2 with a clear message when the named profile does not exist', async () => {
    const saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE };
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
    try {
      const run = await custody(
        'verify',
        's3://custody-evidence-333333333333-eu-west-1/cases/abc/',
        '--region',
        'eu-west-1',
        '--profile',
        'no-such-profile',
      );
      expect(run.code).toBe(2);
      expect(run.stderr.join('\n')).toMatch(/no usable AWS credentials: .*no-such-profile/);
    } finally {
      for (const [name, value] of [
        ['AWS_CONFIG_FILE', saved.config],
        ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });
});
