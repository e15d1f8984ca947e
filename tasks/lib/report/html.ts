// report.html: one self-contained page (inline CSS and SVG, no scripts, fonts or remote images) that also prints well.
import type { Gap } from '../case';
import { escapeHtml as e, evidenceHref, formatBytes, formatDuration } from './format';
import type { RenderOptions } from './markdown';
import { incidentTimelineSvg, phaseTimelineSvg } from './svg';
import type { ReportModel, ReportTarget } from './types';

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232a; margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #d8dee4; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #d8dee4; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; } td.num { text-align: right; white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: #5b6770; }
.s-complete, .s-done, .s-allowed, .s-ok { background: #2e7d32; } .s-partial, .s-gaps, .s-already, .s-would-do, .s-planned, .s-skipped { background: #a66b00; }
.s-failed, .s-denied, .s-missing { background: #b3261e; } .s-unknown { background: #5b6770; }
.summary { display: grid; grid-template-columns: 170px 1fr; gap: 2px 12px; } .summary dt { color: #57606a; } .summary dd { margin: 0; }
.gap { color: #b3261e; } .muted { color: #57606a; } pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 12px; }
svg.diagram { border: 1px solid #d8dee4; background: #fff; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; } a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } tr, svg.diagram, .target { break-inside: avoid; }
  .badge { border: 1px solid #000; color: #000; background: none !important; }
  pre { white-space: pre-wrap; }
}`;

const badge = (status: string): string => `<span class="badge s-${e(status)}">${e(status)}</span>`;

function table(header: readonly string[], rows: readonly string[][], numeric: readonly number[] = []): string {
  if (rows.length === 0) return '<p class="muted">none</p>';
  const head = `<tr>${header.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

const gapItems = (gaps: readonly Gap[]): string =>
  gaps.length === 0
    ? '<p class="muted">none</p>'
    : `<ul>${gaps.map((g) => `<li class="gap"><strong>${e(g.target)} · ${e(g.step)}</strong>: ${e(g.reason)}${g.error ? ` <code>${e(g.error)}</code>` : ''}</li>`).join('')}</ul>`;

function targetSection(target: ReportTarget, base: string): string {
  const link = (key: string): string => `<a href="${e(evidenceHref(key, base))}"><code>${e(key)}</code></a>`;
  const steps = Object.entries(target.steps)
    .map(([step, status]) => `${e(step)} ${badge(status)}`)
    .join(' ');
  const rows = target.actions.map((a) => [
    String(a.seq),
    `<span class="mono" title="${e(a.at)}">${e(a.at.slice(11, 23))}</span>`,
    e(a.phase),
    badge(a.status),
    `${e(a.summary)}${a.artifact ? `<br>${link(a.artifact)}` : ''}`,
    a.before ? `<code>${e(a.before)}</code>` : '',
    a.after ? `<code>${e(a.after)}</code>` : '',
  ]);
  return `<section class="target"><h3>${e(target.instanceId)} <span class="muted">${e(target.accountId)} · ${e(target.region)}</span> ${badge(target.status)}</h3>
${steps ? `<p>${steps}</p>` : ''}
${table(['seq', 'at (UTC)', 'phase', 'status', 'what', 'before', 'after'], rows, [0])}
${target.gaps.length > 0 ? `<h4>Gaps</h4>${gapItems(target.gaps)}` : ''}</section>`;
}

function caseSection(model: ReportModel): string {
  const c = model.case;
  const items: Array<[string, string]> = [
    ['status', badge(model.status)],
    ['mode', e(c.mode)],
    ['trigger', e(c.trigger)],
    ...(c.finding
      ? ([
          ['finding', `${e(c.finding.type)} — ${e(c.finding.title)}`],
          ['severity', `${e(c.finding.severityLabel)} (${c.finding.severity})`],
          ['finding ARN', `<code>${e(c.finding.arn)}</code>`],
        ] as Array<[string, string]>)
      : []),
    ['requested by', e(c.requestedBy)],
    ['reason', e(c.reason)],
    ['opened at', `<span class="mono">${e(c.openedAt)}</span>`],
    ...(c.resumed ?? []).map((r): [string, string] => [
      'resumed',
      `<span class="mono">${e(r.at)}</span> by ${e(r.requestedBy)}, from execution <code>${e(r.resumes)}</code>: ${e(r.reason)}`,
    ]),
    ['region', e(model.region)],
    ['evidence', `<code>${e(model.location)}</code>`],
  ];
  return `<dl class="summary">${items.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function planSection(model: ReportModel): string {
  if (!model.plan) return '';
  const { checks, estimate } = model.plan;
  return `<h2>Dry-run plan</h2>
${table(
  ['target', 'step', 'call', 'verdict', 'reason'],
  checks.map((c) => [e(c.target), e(c.step), `<code>${e(c.call)}</code>`, badge(c.verdict), e(c.reason ?? '')]),
)}
<p>Estimated data <strong>${e(formatBytes(estimate.totalBytes))}</strong> (${estimate.volumes.length} volume(s), ${estimate.memory.length} memory image(s)); estimated time <strong>${e(formatDuration(estimate.seconds * 1000))}</strong>.</p>
${table(
  ['target', 'volume', 'size'],
  estimate.volumes.map((v) => [e(v.target), e(v.volumeId), `${v.sizeGiB} GiB`]),
  [2],
)}
${table(
  ['target', 'memory'],
  estimate.memory.map((m) => [e(m.target), `${m.memoryMiB} MiB`]),
  [1],
)}
<ul class="muted">${estimate.assumptions.map((a) => `<li>${e(a)}</li>`).join('')}</ul>`;
}

function analysisSection(model: ReportModel, base: string): string {
  const link = (key: string, line?: number): string =>
    `<a href="${e(evidenceHref(key, base))}"><code>${e(key)}${line ? `:${line}` : ''}</code></a>`;
  const parts: string[] = [];
  if (model.timeline && model.timeline.events > 0) {
    const t = model.timeline;
    parts.push(
      `<h2>Incident timeline</h2><p>${t.events} events from <span class="mono">${e(t.from ?? '')}</span> to <span class="mono">${e(t.to ?? '')}</span>, from ${link(t.key)}.</p>`,
    );
    parts.push(incidentTimelineSvg(t));
    parts.push(
      table(
        ['datetime', 'source', 'event', 'evidence', 'why'],
        t.highlights.map((h) => [
          `<span class="mono">${e(h.datetime)}</span>`,
          e(h.source),
          e(h.message),
          h.evidence ? link(h.evidence, h.line) : '',
          e(h.why),
        ]),
      ),
    );
  }
  if (model.correlations.length > 0) {
    parts.push('<h2>Correlations</h2>');
    for (const c of model.correlations) {
      parts.push(
        `<h3>${e(c.title)} ${badge(c.severity)} <span class="muted">${c.count} event(s)</span></h3><p>${e(c.question)}</p>`,
      );
      parts.push(
        table(
          ['datetime', 'event', 'evidence'],
          c.evidence
            .slice(0, 10)
            .map((r) => [`<span class="mono">${e(r.datetime)}</span>`, e(r.message), link(r.key, r.line)]),
        ),
      );
    }
  }
  return parts.join('\n');
}

export function renderHtml(model: ReportModel, options: RenderOptions = {}): string {
  const base = options.linkBase ?? '../';
  const link = (key: string): string => `<a href="${e(evidenceHref(key, base))}"><code>${e(key)}</code></a>`;
  const evidenceRows = model.evidence.map((r) => [
    `${link(r.key)}${r.present === false ? ` ${badge('missing')}` : ''}`,
    `${r.bytes}<br><span class="muted">${e(formatBytes(r.bytes))}</span>`,
    `<code>${e(r.sha256)}</code>`,
    e(r.source),
    String(r.seq),
  ]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Custody case ${e(model.case.caseId)}</title><style>${STYLE}</style></head>
<body>
<h1>Custody case <span class="mono">${e(model.case.caseId)}</span></h1>
<p class="muted">Generated ${e(model.generatedAt)} · ${e(model.region)} · format ${e(model.format)}</p>
<h2>Case</h2>
${caseSection(model)}
<h2>Phases</h2>
${phaseTimelineSvg(model.phases)}
${table(
  ['phase', 'start', 'end', 'duration', 'entries'],
  model.phases.map((p) => [
    e(p.phase),
    `<span class="mono">${e(p.start)}</span>`,
    `<span class="mono">${e(p.end)}</span>`,
    e(formatDuration(p.durationMs)),
    String(p.entries),
  ]),
  [3, 4],
)}
<h2>Targets</h2>
${model.targets.map((target) => targetSection(target, base)).join('\n')}
<h3>Case-level actions</h3>
${table(
  ['seq', 'at (UTC)', 'phase', 'status', 'what'],
  model.caseActions.map((a) => [
    String(a.seq),
    `<span class="mono" title="${e(a.at)}">${e(a.at.slice(11, 23))}</span>`,
    e(a.phase),
    badge(a.status),
    `${e(a.summary)}${a.artifact ? `<br>${link(a.artifact)}` : ''}`,
  ]),
  [0],
)}
<h2>Gaps and failures</h2>
${gapItems(model.gaps)}
${planSection(model)}
${analysisSection(model, base)}
<h2>Evidence</h2>
${table(['key', 'bytes', 'SHA-256', 'source', 'seq'], evidenceRows, [1, 4])}
<h2>Chain of custody</h2>
<p>${model.custody.entries} entries so far; chain head <code>${e(model.custody.head)}</code>; ${model.custody.sealed ? 'sealed (manifest.json and manifest.sig).' : 'not sealed yet: SealCase signs the manifest, which covers this report, after it is written.'}</p>
<p>Re-verify:</p>
<pre>${model.custody.verify.map(e).join('\n')}</pre>
</body></html>
`;
}
