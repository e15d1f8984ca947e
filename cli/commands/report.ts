// `custody report CASE_DIR [--out DIR]`: re-renders a case's report from its local folder into another folder (evidence is write-once).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Gap } from '../../tasks/lib/case';
import { buildReportModel, renderReport, REPORT_FORMAT } from '../../tasks/lib/report';
import type { InstanceSize, ReportModel, TargetSummaryInput } from '../../tasks/lib/report';
import { loadModelInput } from '../../tasks/lib/report/load';
import { localSource } from '../../tasks/lib/verify/source-local';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';

/** The report RenderReport wrote, if any: its target summaries and gaps came from the run and are not in the log alone. */
function priorReport(caseDir: string): ReportModel | undefined {
  const path = join(caseDir, 'report', 'report.json');
  if (!existsSync(path)) return undefined;
  try {
    const model = JSON.parse(readFileSync(path, 'utf8')) as ReportModel;
    return model.format === REPORT_FORMAT ? model : undefined;
  } catch {
    return undefined;
  }
}

function regionOf(caseDir: string): string | undefined {
  for (const file of ['case.json', 'manifest.json']) {
    const path = join(caseDir, file);
    if (!existsSync(path)) continue;
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as {
        region?: string;
        targets?: Array<{ region?: string }>;
      };
      const region = parsed.region ?? parsed.targets?.[0]?.region;
      if (region) return region;
    } catch {
      // unreadable: try the next file, then say so
    }
  }
  return undefined;
}

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(`${parent}${sep}`);

export async function reportCommand(caseDir: string, options: { out?: string }, io: CliIo): Promise<ExitCode> {
  const dir = resolve(caseDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    io.err(`custody: ${caseDir} is not a case folder`);
    return EXIT.badInput;
  }
  const region = regionOf(dir);
  if (!region) {
    io.err(`custody: ${caseDir} has no readable case.json or manifest.json: not a case folder`);
    return EXIT.badInput;
  }
  const caseId = basename(dir);
  const out = resolve(options.out ?? join(dirname(dir), `${caseId}-report`));
  if (inside(out, dir)) {
    io.err(
      `custody: ${out} is inside the case folder; evidence is write-once, so the report is re-rendered elsewhere (--out DIR)`,
    );
    return EXIT.badInput;
  }
  const prior = priorReport(dir);
  const summaries: TargetSummaryInput[] | undefined = prior?.targets.map((t) => ({
    target: { instanceId: t.instanceId, accountId: t.accountId, region: t.region },
    status: t.status,
    steps: t.steps,
    gaps: t.gaps,
  }));
  const targetGaps = new Set(prior?.targets.flatMap((t) => t.gaps.map((gap) => JSON.stringify(gap))) ?? []);
  // Missing-evidence gaps are recomputed from the folder as it is now; the others are carried over from the run.
  const extraGaps: Gap[] = (prior?.gaps ?? []).filter(
    (gap) => !targetGaps.has(JSON.stringify(gap)) && gap.error !== 'missing',
  );
  const instances: InstanceSize[] = (prior?.plan?.estimate.volumes ?? []).reduce<InstanceSize[]>((list, volume) => {
    const existing = list.find((item) => item.instanceId === volume.target);
    if (existing)
      (existing.volumes as Array<{ volumeId: string; sizeGiB: number }>).push({
        volumeId: volume.volumeId,
        sizeGiB: volume.sizeGiB,
      });
    else
      list.push({
        instanceId: volume.target,
        volumes: [{ volumeId: volume.volumeId, sizeGiB: volume.sizeGiB }],
        memoryMiB: prior?.plan?.estimate.memory.find((m) => m.target === volume.target)?.memoryMiB,
      });
    return list;
  }, []);
  const input = await loadModelInput(localSource(dir), {
    region,
    generatedAt: new Date().toISOString(),
    ...(summaries ? { summaries, extraGaps } : {}),
    instances,
  });
  const model = buildReportModel(input);
  const rendered = renderReport(model, { linkBase: `${relative(out, dir).split(sep).join('/')}/` });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), rendered.json);
  writeFileSync(join(out, 'report.md'), rendered.md);
  writeFileSync(join(out, 'report.html'), rendered.html);
  io.out(
    `report of case ${model.case.caseId} (${model.status}, ${model.evidence.length} artifacts, ${model.gaps.length} gaps) written to:`,
  );
  for (const file of ['report.html', 'report.md', 'report.json']) io.out(`  ${join(out, file)}`);
  return EXIT.ok;
}
