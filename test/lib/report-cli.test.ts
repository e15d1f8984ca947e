// `custody report CASE_DIR`: re-renders the report from the local case folder into another folder, never into the evidence.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { reportCommand } from '../../cli/commands/report';
import type { ReportModel } from '../../tasks/lib/report';
import { RenderReportInputSchema, renderCaseReport } from '../../tasks/render-report';
import { BUCKET, buildCase } from '../tasks/render-report.helpers';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

describe('custody report', () => {
  it('re-renders report.md/html next to the case folder with the same evidence and gaps, and says where', async () => {
    const built = await buildCase('collect', undefined, {
      failures: { CaptureMemory: { Error: 'AgentOffline', Cause: 'agent offline' } },
    });
    await renderCaseReport(
      RenderReportInputSchema.parse({ case: built.kase, targets: [built.summary] }),
      built.ctx.deps,
    );
    const caseDir = built.ctx.env.sandbox.dir('buckets', BUCKET, 'cases', built.kase.caseId);
    const before = readdirSync(join(caseDir, 'report')).sort();
    const original = JSON.parse(readFileSync(join(caseDir, 'report', 'report.json'), 'utf8')) as ReportModel;
    const { io, out } = capture();

    expect(await reportCommand(caseDir, {}, io)).toBe(0);

    const outDir = join(dirname(caseDir), `${built.kase.caseId}-report`);
    expect(out).toContain(`  ${join(outDir, 'report.html')}`);
    const rerendered = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as ReportModel;
    // The re-render also sees the report's own three artifacts, recorded after the original was rendered.
    expect(rerendered.evidence.filter((row) => !row.key.startsWith('report/report.'))).toEqual(original.evidence);
    expect(rerendered.gaps).toEqual(original.gaps);
    expect(rerendered.targets[0].status).toBe(original.targets[0].status);
    expect(readFileSync(join(outDir, 'report.html'), 'utf8')).toContain(`href="../${built.kase.caseId}/case.json"`);
    expect(readdirSync(join(caseDir, 'report')).sort()).toEqual(before);
  });

  it('refuses to write into the case folder, because evidence is write-once', async () => {
    const built = await buildCase('collect');
    const caseDir = built.ctx.env.sandbox.dir('buckets', BUCKET, 'cases', built.kase.caseId);
    const { io, err } = capture();
    expect(await reportCommand(caseDir, { out: join(caseDir, 'report') }, io)).toBe(2);
    expect(err[0]).toMatch(/inside the case folder/);
    expect(existsSync(join(caseDir, 'report', 'report.html'))).toBe(false);
  });

  it('says a folder that is not a case is bad input', async () => {
    const { io, err } = capture();
    expect(await reportCommand('/nonexistent/case', {}, io)).toBe(2);
    expect(err[0]).toMatch(/not a case folder/);
  });
});
