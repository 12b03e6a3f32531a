/**
 * The flow findings of a run as two short sections under the verdict table:
 * exposures (who talked to flux hosts) and fan-out (who contacted numerous
 * distinct addresses). Bounded like the verdict table: the strongest `top`
 * rows of each are kept, the rest counted.
 */
import { escapeName } from '../../dns/name-text.js';
import type { Exposure, FanOut } from '../../model/flow.js';
import { printable } from './printable.js';

/** The strongest findings seen so far, at most `top` of each (plus slack, trimmed in batches). */
export class FlowFindings {
  private readonly exposures: Exposure[] = [];
  private readonly fanOuts: FanOut[] = [];
  exposureTotal = 0;
  fanOutTotal = 0;

  constructor(private readonly top: number) {}

  addExposure(e: Exposure): void {
    this.exposureTotal++;
    this.exposures.push(e);
    if (this.exposures.length > this.top * 4 + 1000) keepStrongest(this.exposures, byExposure, this.top);
  }

  addFanOut(f: FanOut): void {
    this.fanOutTotal++;
    this.fanOuts.push(f);
    if (this.fanOuts.length > this.top * 4 + 1000) keepStrongest(this.fanOuts, byFanOut, this.top);
  }

  /** The two sections, or '' when the run found neither. */
  render(): string {
    keepStrongest(this.exposures, byExposure, this.top);
    keepStrongest(this.fanOuts, byFanOut, this.top);
    let text = '';
    if (this.exposures.length > 0) {
      text += '\n' + exposureTable(this.exposures);
      if (this.exposureTotal > this.exposures.length) text += `… and ${this.exposureTotal - this.exposures.length} more exposures (--json shows all)\n`;
    }
    if (this.fanOuts.length > 0) {
      text += '\n' + fanOutTable(this.fanOuts);
      if (this.fanOutTotal > this.fanOuts.length) text += `… and ${this.fanOutTotal - this.fanOuts.length} more fan-out hosts (--json shows all)\n`;
    }
    return text;
  }
}

function keepStrongest<T>(rows: T[], order: (a: T, b: T) => number, top: number): void {
  rows.sort(order);
  if (rows.length > top) rows.length = top;
}

/** DNS bypass first (the client went around the monitored resolvers), then the most traffic. */
function byExposure(a: Exposure, b: Exposure): number {
  return Number(b.bypass) - Number(a.bypass) || b.flows - a.flows || b.bytes - a.bytes || compare(a.client, b.client) || compare(a.domain, b.domain);
}

function byFanOut(a: FanOut, b: FanOut): number {
  return b.flux - a.flux || b.distinct - a.distinct || compare(a.host, b.host);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function exposureTable(rows: readonly Exposure[]): string {
  const headers = ['CLIENT', 'CUSTOMER', 'DIRECTION', 'ADDRESS', 'DOMAIN', 'FLOWS', 'BYTES', 'FIRST', 'NOTE'];
  const cells = rows.map((e) => [
    e.client,
    e.customer === null ? '-' : printable(e.customer),
    e.direction,
    e.address,
    escapeName(e.domain) + (e.network === null ? '' : ` (${e.network})`),
    String(e.flows),
    bytes(e.bytes) + (e.sampled ? '~' : ''),
    e.first.slice(0, 19).replace('T', ' '),
    e.bypass ? 'DNS bypass' : '',
  ]);
  return 'EXPOSURES: clients that exchanged traffic with flux hosts (~ = estimated from sampled flows)\n' + columns(headers, cells);
}

export function fanOutTable(rows: readonly FanOut[]): string {
  const headers = ['HOST', 'CUSTOMER', 'DISTINCT', 'FLUX', 'WINDOW', 'FIRST', 'REASON'];
  const cells = rows.map((f) => [
    f.host,
    f.customer === null ? '-' : printable(f.customer),
    String(f.distinct),
    String(f.flux),
    `${f.window} s`,
    f.first.slice(0, 19).replace('T', ' '),
    printable(f.reasons[0] ?? ''),
  ]);
  return 'FAN-OUT: hosts that contacted numerous distinct external addresses\n' + columns(headers, cells);
}

function columns(headers: string[], cells: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const pad = (cols: string[]): string => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [pad(headers), ...cells.map(pad)].join('\n') + '\n';
}

function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
