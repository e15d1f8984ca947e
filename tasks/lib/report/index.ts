// renderReport: the one pure entry point the RenderReport task and `custody report` share.
import { renderHtml } from './html';
import type { RenderOptions } from './markdown';
import { renderMarkdown } from './markdown';
import type { ReportModel } from './types';

export interface RenderedReport {
  readonly json: string;
  readonly md: string;
  readonly html: string;
}

export function renderReport(model: ReportModel, options: RenderOptions = {}): RenderedReport {
  return {
    json: `${JSON.stringify(model, null, 2)}\n`,
    md: renderMarkdown(model, options),
    html: renderHtml(model, options),
  };
}

export type { RenderOptions } from './markdown';
export type { ReportModel } from './types';
export { REPORT_FORMAT } from './types';
export { buildReportModel } from './model';
export type { ModelInput, ReportCase, TargetSummaryInput, InstanceSize } from './model';
