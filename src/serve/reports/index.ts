/**
 * Per-customer transparency reports: `buildReport` reads a customer's blocks
 * over a period from the store, `renderReport` writes them as JSON, CSV or
 * HTML. The API (GET /api/v1/customers/{id}/report), `fluxhound report` and
 * the scheduled reports service (service.ts) all call these two.
 */
import { reportCsv } from './csv.js';
import { reportHtml } from './html.js';
import type { TransparencyReport } from './report.js';

export { buildReport, buildReportYielding, ReportBuilder, DEFAULT_LIMITS, REPORT_ACTIONS } from './report.js';
export type { ReportItem, ReportLimits, TransparencyReport } from './report.js';
export { REPORT_CSP } from './html.js';
export { parseReportTime } from './period.js';

export type ReportFormat = 'json' | 'csv' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'csv', 'json'];

/** The report in one format, with its media type. */
export function renderReport(report: TransparencyReport, format: ReportFormat): { type: string; text: string } {
  switch (format) {
    case 'json':
      return { type: 'application/json; charset=utf-8', text: JSON.stringify(report, null, 2) + '\n' };
    case 'csv':
      return { type: 'text/csv; charset=utf-8; header=present', text: reportCsv(report) };
    case 'html':
      return { type: 'text/html; charset=utf-8', text: reportHtml(report) };
  }
}
