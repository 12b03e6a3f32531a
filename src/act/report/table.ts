/** A readable table of flagged domains, strongest first, for people at a terminal. */
import type { Writable } from 'node:stream';
import { escapeName } from '../../dns/name-text.js';
import type { Verdict } from '../../model/verdict.js';
import type { VerdictSink } from '../sink.js';
import { FlowFindings } from './flow-table.js';
import { printable } from './printable.js';

export { printable };

export interface TableOptions {
  /** Rows to print at most; the rest are counted. */
  top: number;
  color: boolean;
  /** Terminal width for the reasons column; null = no wrapping limit. */
  width: number | null;
  holz: boolean;
}

export function tableSink(out: Writable, options: TableOptions): VerdictSink {
  const rows: Verdict[] = [];
  let total = 0;
  const findings = new FlowFindings(options.top);
  return {
    name: 'table',
    verdict(v) {
      total++;
      rows.push(v);
      // Keep memory bounded on huge runs: only the strongest rows can be printed.
      if (rows.length > options.top * 4 + 1000) trim(rows, options.top);
    },
    exposure: (e) => findings.addExposure(e),
    fanOut: (f) => findings.addFanOut(f),
    async close() {
      trim(rows, options.top);
      let text = renderTable(rows, options);
      if (total > rows.length) text += `… and ${total - rows.length} more (--top N shows more, --json shows all)\n`;
      text += findings.render();
      if (text.length > 0 && !out.write(text)) await new Promise<void>((r) => out.once('drain', r));
    },
  };
}

function trim(rows: Verdict[], top: number): void {
  rows.sort(byStrength);
  if (rows.length > top) rows.length = top;
}

function byStrength(a: Verdict, b: Verdict): number {
  return b.score - a.score || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0);
}

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export function renderTable(rows: readonly Verdict[], options: Omit<TableOptions, 'top'>): string {
  if (rows.length === 0) return 'No fast-flux or suspicious domains found.\n';
  const headers = ['SCORE', 'VERDICT', 'FLUX', ...(options.holz ? ['HOLZ'] : []), 'DOMAIN'];
  const cells = rows.map((v) => [
    String(v.score),
    v.tampering === undefined ? v.verdict : `${v.verdict}, ${v.tampering.kind}`,
    v.flux ?? '-',
    ...(options.holz && v.holz !== undefined ? [`${v.holz.score}${v.holz.flagged ? '*' : ''}`] : options.holz ? ['-'] : []),
    escapeName(v.domain) + (v.scope === 'registered_domain' ? ` (${v.features.names} names)` : ''),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const pad = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const indent = widths.reduce((a, b) => a + b + 2, 0);  // every column plus its two-space gap
  const lines = [pad(headers) + '  REASONS'];
  rows.forEach((v, r) => {
    let line = pad(cells[r]!) + '  ';
    if (options.color) {
      const tint = v.verdict === 'fast-flux' ? RED : v.verdict === 'suspicious' ? YELLOW : DIM;
      line = tint + line + RESET;
    }
    // Reasons can quote names from the input: no control character reaches the terminal.
    const found = v.tampering === undefined ? v.reasons : [...v.tampering.reasons.map((r) => `${v.tampering!.kind}: ${r}`), ...v.reasons];
    const reasons = found.length > 0 ? found.map(printable) : ['(no evidence)'];
    lines.push(line + fit(reasons[0]!, options.width, indent));
    for (const more of reasons.slice(1, 3)) lines.push(' '.repeat(indent) + fit(more, options.width, indent));
  });
  if (options.holz) lines.push('', 'HOLZ: flux-score of Holz et al. (NDSS 2008); * = above their threshold 142.38');
  return lines.join('\n') + '\n';
}

function fit(text: string, width: number | null, indent: number): string {
  if (width === null) return text;
  const room = Math.max(20, width - indent);
  return text.length <= room ? text : text.slice(0, room - 1) + '…';
}

