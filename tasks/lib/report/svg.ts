// The report's two diagrams as inline SVG (no scripts, no network): the case's phases over time, and events per source.
import { escapeHtml, formatDuration } from './format';
import type { PhaseSpan, TimelineSummary } from './types';

const WIDTH = 960;
const LABEL = 110;
const RIGHT = 150;
const ROW = 26;
const COLOURS: Readonly<Record<string, string>> = {
  case: '#5b6770',
  preserve: '#2f6fb3',
  isolate: '#b3452f',
  snapshot: '#7a4fb3',
  memory: '#b38a2f',
  volatile: '#2f9c8f',
  logs: '#4f8f2f',
  examine: '#2f4fb3',
  analyze: '#8f2f6f',
  report: '#6f6f2f',
  seal: '#222222',
  cloudtrail: '#2f6fb3',
  'vpc-flow': '#4f8f2f',
  dns: '#b38a2f',
  config: '#7a4fb3',
  finding: '#b3452f',
  custody: '#5b6770',
};
const colour = (name: string): string => COLOURS[name] ?? '#4a5a6a';

function axis(x0: number, x1: number, y: number, from: number, to: number): string {
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i += 1) {
    const x = x0 + ((x1 - x0) * i) / 4;
    const label = new Date(from + ((to - from) * i) / 4).toISOString().slice(11, 19);
    ticks.push(`<line x1="${x.toFixed(1)}" y1="${y}" x2="${x.toFixed(1)}" y2="${y + 4}" stroke="#888"/>`);
    ticks.push(
      `<text x="${x.toFixed(1)}" y="${y + 16}" font-size="11" text-anchor="middle" fill="#444">${label}</text>`,
    );
  }
  return `<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#888"/>${ticks.join('')}`;
}

/** A Gantt of the case's phases: each bar runs from the phase's first custody entry to its last (UTC). */
export function phaseTimelineSvg(phases: readonly PhaseSpan[]): string {
  if (phases.length === 0) return '';
  const from = Math.min(...phases.map((p) => Date.parse(p.start)));
  const to = Math.max(from + 1000, ...phases.map((p) => Date.parse(p.end)));
  const x0 = LABEL;
  const x1 = WIDTH - RIGHT;
  const scale = (at: number): number => x0 + ((at - from) / (to - from)) * (x1 - x0);
  const height = phases.length * ROW + 40;
  const rows = phases.map((phase, i) => {
    const y = 10 + i * ROW;
    const start = scale(Date.parse(phase.start));
    const width = Math.max(3, scale(Date.parse(phase.end)) - start);
    const title = `${phase.phase}: ${phase.start} → ${phase.end} (${formatDuration(phase.durationMs)}, ${phase.entries} entries)`;
    return [
      `<text x="${LABEL - 8}" y="${y + 15}" font-size="12" text-anchor="end" fill="#222">${escapeHtml(phase.phase)}</text>`,
      `<rect x="${start.toFixed(1)}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 8}" rx="3" fill="${colour(phase.phase)}"><title>${escapeHtml(title)}</title></rect>`,
      `<text x="${x1 + 8}" y="${y + 15}" font-size="11" fill="#444">${escapeHtml(`${formatDuration(phase.durationMs)} · ${phase.entries}`)}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="diagram" role="img" aria-label="Case phases over time" viewBox="0 0 ${WIDTH} ${height}" width="100%">${rows.join('')}${axis(x0, x1, height - 28, from, to)}</svg>`;
}

/** Events per source over the incident window: one row of bars per source, heights on a square-root scale. */
export function incidentTimelineSvg(timeline: TimelineSummary): string {
  if (timeline.events === 0 || !timeline.from || !timeline.to) return '';
  const from = Date.parse(timeline.from);
  const to = Math.max(from + 1, Date.parse(timeline.to));
  const x0 = LABEL;
  const x1 = WIDTH - RIGHT;
  const rowHeight = 36;
  const height = timeline.sources.length * rowHeight + 40;
  const rows = timeline.sources.map((series, i) => {
    const y = 8 + i * rowHeight;
    const max = Math.max(1, ...series.buckets);
    const step = (x1 - x0) / series.buckets.length;
    const bars = series.buckets
      .map((count, b) => {
        if (count === 0) return '';
        const h = Math.max(2, Math.sqrt(count / max) * (rowHeight - 8));
        const at = new Date(from + b * timeline.bucketMs).toISOString();
        return `<rect x="${(x0 + b * step).toFixed(1)}" y="${(y + rowHeight - 6 - h).toFixed(1)}" width="${Math.max(1, step - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour(series.source)}"><title>${escapeHtml(`${series.source}: ${count} event(s) from ${at}`)}</title></rect>`;
      })
      .join('');
    return [
      `<text x="${LABEL - 8}" y="${y + rowHeight - 10}" font-size="12" text-anchor="end" fill="#222">${escapeHtml(series.source)}</text>`,
      `<line x1="${x0}" y1="${y + rowHeight - 6}" x2="${x1}" y2="${y + rowHeight - 6}" stroke="#ddd"/>`,
      bars,
      `<text x="${x1 + 8}" y="${y + rowHeight - 10}" font-size="11" fill="#444">${series.events} event(s)</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="diagram" role="img" aria-label="Incident events per source over time" viewBox="0 0 ${WIDTH} ${height}" width="100%">${rows.join('')}${axis(x0, x1, height - 28, from, to)}</svg>`;
}
