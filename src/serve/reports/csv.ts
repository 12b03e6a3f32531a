/**
 * The report as CSV (RFC 4180): a header row, then one row per reported
 * name; CRLF line ends; a field holding a comma, a double quote, CR or LF is
 * quoted, its quotes doubled. A spreadsheet runs a cell that starts with
 * = + - @ (or a tab or CR before one) as a formula, and a hostile name or
 * reason could start so: such a cell gets a leading apostrophe, which makes
 * it text (OWASP, "CSV Injection").
 */
import { connectedWhy, type ConnectedDomain } from './connections.js';
import type { ReportItem, TransparencyReport } from './report.js';

const COLUMNS: readonly [string, (item: ReportItem, report: TransparencyReport) => string | number | null][] = [
  ['customer', (_i, r) => r.customer.id],
  ['name', (i) => i.name],
  ['domain', (i) => i.domain],
  ['kind', (i) => i.kind],
  ['first', (i) => i.first],
  ['last', (i) => i.last],
  ['count', (i) => i.count],
  ['devices', (i) => i.devices],
  ['device_list', (i) => i.device_list.join(' ')],
  ['actions', (i) => Object.entries(i.actions).map(([a, n]) => `${a}:${n}`).join(' ')],
  ['rule', (i) => i.rule],
  ['verdict', (i) => i.verdict?.label ?? null],
  ['flux', (i) => i.verdict?.flux ?? null],
  ['score', (i) => i.verdict?.score ?? null],
  ['verdict_recorded', (i) => i.verdict?.recorded ?? null],
  ['denied_by', (i) => (i.basis?.rule === 'denylist' ? i.basis.by : null)],
  ['denied_at', (i) => (i.basis?.rule === 'denylist' ? i.basis.at : null)],
  ['why', (i) => i.why],
  ['reasons', (i) => i.verdict?.reasons.join(' | ') ?? null],
  ['addresses', (i) => i.evidence?.addresses.map((a) => (a.asn === null ? a.address : `${a.address}/AS${a.asn}`)).join(' ') ?? null],
  ['ips', (i) => i.evidence?.ips ?? null],
  ['asns', (i) => i.evidence?.asns ?? null],
  ['countries', (i) => i.evidence?.countries ?? null],
  ['name_servers', (i) => i.evidence?.name_servers.join(' ') ?? null],
  ['advice', (i) => i.advice.join(' ')],
  // Filled on the rows of kind 'connected' only (hosts that connected to flux, from flow data).
  ['bypass', () => null],
  ['bytes', () => null],
];

/**
 * A row of the section "Hosts that connected to flux" in the same columns:
 * kind 'connected', rule 'flow', count = flows, devices = hosts (outbound
 * and inbound), bypass and bytes filled; the other columns empty.
 */
function connectedRow(d: ConnectedDomain, report: TransparencyReport): string {
  const cells: Record<string, string | number | null> = {
    customer: report.customer.id,
    name: d.domain,
    domain: d.domain,
    kind: 'connected',
    first: d.first,
    last: d.last,
    count: d.flows,
    devices: d.hosts + d.inbound,
    device_list: d.device_list.join(' '),
    rule: 'flow',
    why: connectedWhy(d),
    bypass: d.bypass,
    bytes: d.bytes,
  };
  return COLUMNS.map(([column]) => csvField(cells[column] ?? null)).join(',');
}


/** A cell a spreadsheet would evaluate: starts with = + - @, or with a tab or CR. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: neutralised against formulas, then quoted when RFC 4180 says so. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportCsv(report: TransparencyReport): string {
  const rows = [COLUMNS.map(([name]) => name).join(',')];
  for (const item of report.items) rows.push(COLUMNS.map(([, cell]) => csvField(cell(item, report))).join(','));
  for (const d of report.connections.domains) rows.push(connectedRow(d, report));
  return rows.join('\r\n') + '\r\n';
}
