// report.md: the case report as Markdown, for tickets and chat; same content as the HTML, without the diagrams.
import { evidenceHref, formatBytes, formatDuration, mdCell } from './format';
import type { ReportModel, ReportTarget } from './types';

export interface RenderOptions {
  /** Prefix that turns an evidence key into a relative link from the report's folder (default `../`). */
  readonly linkBase?: string;
}

const link = (key: string, base: string): string => `[${mdCell(key)}](${evidenceHref(key, base)})`;

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  if (rows.length === 0) return ['_none_', ''];
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`),
    '',
  ];
}

function targetSection(target: ReportTarget, base: string): string[] {
  const steps = Object.entries(target.steps)
    .map(([step, status]) => `${step}: ${status}`)
    .join(', ');
  return [
    `### ${target.instanceId} (${target.accountId}, ${target.region}): ${target.status}`,
    '',
    ...(steps ? [`Steps: ${steps}`, ''] : []),
    ...table(
      ['seq', 'at (UTC)', 'phase', 'status', 'what', 'before', 'after'],
      target.actions.map((action) => [
        String(action.seq),
        action.at,
        action.phase,
        action.status,
        action.artifact ? `${action.summary}: ${link(action.artifact, base)}` : action.summary,
        action.before ?? '',
        action.after ?? '',
      ]),
    ),
    ...(target.gaps.length > 0
      ? [
          'Gaps:',
          '',
          ...target.gaps.map((gap) => `- **${gap.step}**: ${gap.reason}${gap.error ? ` (${gap.error})` : ''}`),
          '',
        ]
      : []),
  ];
}

export function renderMarkdown(model: ReportModel, options: RenderOptions = {}): string {
  const base = options.linkBase ?? '../';
  const c = model.case;
  const lines: string[] = [
    `# Custody case ${c.caseId}`,
    '',
    `**Status: ${model.status}** · mode ${c.mode} · region ${model.region} · generated ${model.generatedAt}`,
    '',
    '## Case',
    '',
    ...table(
      ['field', 'value'],
      [
        ['trigger', c.trigger],
        ...(c.finding
          ? [
              ['finding', `${c.finding.type}: ${c.finding.title}`],
              ['severity', `${c.finding.severityLabel} (${c.finding.severity})`],
              ['finding ARN', c.finding.arn],
            ]
          : []),
        ['requested by', c.requestedBy],
        ['reason', c.reason],
        ['opened at', c.openedAt],
        ...(c.resumed ?? []).map((r) => [
          'resumed',
          `${r.at} by ${r.requestedBy}, from execution ${r.resumes}: ${r.reason}`,
        ]),
        ['evidence location', model.location],
      ],
    ),
    '## Phases',
    '',
    ...table(
      ['phase', 'start', 'end', 'duration', 'entries'],
      model.phases.map((p) => [p.phase, p.start, p.end, formatDuration(p.durationMs), String(p.entries)]),
    ),
    '## Targets',
    '',
    ...model.targets.flatMap((target) => targetSection(target, base)),
    '### Case-level actions',
    '',
    ...table(
      ['seq', 'at (UTC)', 'phase', 'status', 'what'],
      model.caseActions.map((a) => [
        String(a.seq),
        a.at,
        a.phase,
        a.status,
        a.artifact ? `${a.summary}: ${link(a.artifact, base)}` : a.summary,
      ]),
    ),
    '## Gaps and failures',
    '',
    ...(model.gaps.length === 0
      ? ['_none_', '']
      : [
          ...model.gaps.map(
            (gap) => `- ${gap.target} · **${gap.step}**: ${gap.reason}${gap.error ? ` (${gap.error})` : ''}`,
          ),
          '',
        ]),
    ...planSection(model),
    ...analysisSection(model, base),
    '## Evidence',
    '',
    ...table(
      ['key', 'bytes', 'SHA-256', 'source', 'seq'],
      model.evidence.map((row) => [
        `${link(row.key, base)}${row.present === false ? ' **MISSING**' : ''}`,
        `${row.bytes} (${formatBytes(row.bytes)})`,
        `\`${row.sha256}\``,
        row.source,
        String(row.seq),
      ]),
    ),
    '## Chain of custody',
    '',
    `${model.custody.entries} entries so far; chain head \`${model.custody.head}\`; ${model.custody.sealed ? 'sealed (manifest.json + manifest.sig)' : 'not sealed yet: SealCase signs the manifest after this report'}.`,
    '',
    'Re-verify:',
    '',
    '```sh',
    ...model.custody.verify,
    '```',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function planSection(model: ReportModel): string[] {
  if (!model.plan) return [];
  const { checks, estimate } = model.plan;
  return [
    '## Dry-run plan',
    '',
    ...table(
      ['target', 'step', 'call', 'verdict', 'reason'],
      checks.map((check) => [check.target, check.step, check.call, check.verdict, check.reason ?? '']),
    ),
    `Estimated data: **${formatBytes(estimate.totalBytes)}** (${estimate.volumes.length} volume(s), ${estimate.memory.length} memory image(s)); estimated time: **${formatDuration(estimate.seconds * 1000)}**.`,
    '',
    ...estimate.assumptions.map((assumption) => `- ${assumption}`),
    '',
  ];
}

function analysisSection(model: ReportModel, base: string): string[] {
  const lines: string[] = [];
  if (model.correlations.length > 0) {
    lines.push('## Correlations', '');
    for (const correlation of model.correlations) {
      lines.push(
        `### ${correlation.title} (${correlation.severity}, ${correlation.count} event(s))`,
        '',
        correlation.question,
        '',
      );
      lines.push(
        ...correlation.evidence
          .slice(0, 10)
          .map((ref) => `- ${ref.datetime} ${mdCell(ref.message)} — ${link(ref.key, base)} line ${ref.line}`),
        '',
      );
    }
  }
  const timeline = model.timeline;
  if (timeline && timeline.events > 0) {
    lines.push(
      '## Timeline highlights',
      '',
      `${timeline.events} events from ${timeline.from} to ${timeline.to} in ${link(timeline.key, base)}.`,
      '',
    );
    lines.push(
      ...table(
        ['datetime', 'source', 'event', 'evidence', 'why'],
        timeline.highlights.map((h) => [
          h.datetime,
          h.source,
          h.message,
          h.evidence ? `${link(h.evidence, base)}${h.line ? `:${h.line}` : ''}` : '',
          h.why,
        ]),
      ),
    );
  }
  return lines;
}
