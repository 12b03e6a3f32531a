/**
 * Zeek conn.log, TSV (with its #separator/#fields header) and JSON lines, to
 * FlowRecords. Bytes are IP-level (orig_ip_bytes + resp_ip_bytes, as NetFlow
 * counts) when the log has them, else payload bytes; packets both directions.
 * Zeek's ICMP flows put the type in id.orig_p and the code in id.resp_p.
 */
import { DEFAULT_SEPARATORS, unescapeZeek } from '../zeek/header.js';
import { isJsonObject, parseJsonObject } from '../line-decoder.js';
import { epochOrInvalid, epochSeconds } from '../values.js';
import { parseFlowLines } from './frame.js';
import type { FlowLineParser, FlowLineResult, FlowParse } from './frame.js';
import { bad, flowAddress, flowCount, flowPort, flowProto, isIcmp } from './values.js';

/** Zeek 6's conn.log columns, used when data comes before any #fields line. */
export const ZEEK_CONN_FIELDS: readonly string[] = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration',
  'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history',
  'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
];

/** The fields a conn record is read from, by name, whatever the source (TSV column or JSON key). */
type Get = (name: string) => unknown;

/** One conn record from its fields, or the reason it is skipped. Unset values come as undefined. */
export function connRecord(get: Get, file: string, position: string): FlowLineResult {
  const ts = get('ts');
  const start = typeof ts === 'string' ? epochSeconds(ts) : typeof ts === 'number' ? epochOrInvalid(ts) : -1;
  if (start < 0) return bad('ts', ts);
  const src = flowAddress(get('id.orig_h'));
  if (src === null) return bad('id.orig_h', get('id.orig_h'));
  const dst = flowAddress(get('id.resp_h'));
  if (dst === null) return bad('id.resp_h', get('id.resp_h'));
  const proto = flowProto(get('proto'));
  if (proto < 0) return bad('proto', get('proto'));
  let srcPort = flowPort(get('id.orig_p'));
  if (srcPort < 0) return bad('id.orig_p', get('id.orig_p'));
  let dstPort = flowPort(get('id.resp_p'));
  if (dstPort < 0) return bad('id.resp_p', get('id.resp_p'));
  if (isIcmp(proto)) {
    if (srcPort > 255 || dstPort > 255) return bad('ICMP type/code', `${srcPort}/${dstPort}`);
    srcPort = srcPort * 256 + dstPort;
    dstPort = 0;
  }
  const durationValue = get('duration');
  let duration = 0;
  if (durationValue !== undefined) {
    duration = typeof durationValue === 'string' ? Number(durationValue) : typeof durationValue === 'number' ? durationValue : NaN;
    if (!Number.isFinite(duration) || duration < 0 || (typeof durationValue === 'string' && durationValue.trim() === '')) {
      return bad('duration', durationValue);
    }
  }
  const ipBytes = sum(get, 'orig_ip_bytes', 'resp_ip_bytes');
  if (typeof ipBytes === 'string') return ipBytes;
  const payloadBytes = ipBytes === null ? sum(get, 'orig_bytes', 'resp_bytes') : 0;
  if (typeof payloadBytes === 'string') return payloadBytes;
  const packets = sum(get, 'orig_pkts', 'resp_pkts');
  if (typeof packets === 'string') return packets;
  return {
    start, end: start + duration, src, srcPort, dst, dstPort, proto,
    bytes: ipBytes ?? payloadBytes ?? 0, packets: packets ?? 0,
    samplingRate: 1, exporter: file, position,
    initiator: 'src', // id.orig_h is the connection's originator
  };
}

/** a + b where unset counts 0; null when both are unset; a reason when either is bad. */
function sum(get: Get, a: string, b: string): number | string | null {
  const va = get(a);
  const vb = get(b);
  if (va === undefined && vb === undefined) return null;
  const na = va === undefined ? 0 : flowCount(va);
  if (na < 0) return bad(a, va);
  const nb = vb === undefined ? 0 : flowCount(vb);
  if (nb < 0) return bad(b, vb);
  return na + nb;
}

/** The columns connRecord reads; the others of a line are counted, never copied. */
const READ_COLUMNS: readonly string[] = [
  'ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration',
  'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts', 'orig_ip_bytes', 'resp_ip_bytes',
];

/** conn.log TSV: directive lines change the layout; data lines are read by column name. */
class ZeekConnTsv implements FlowLineParser {
  private separator = DEFAULT_SEPARATORS.separator;
  private unset = DEFAULT_SEPARATORS.unsetField;
  private empty = DEFAULT_SEPARATORS.emptyField;
  private columns = columnsOf(ZEEK_CONN_FIELDS);
  private fieldCount = ZEEK_CONN_FIELDS.length;
  /** Per column: read it (connRecord needs it) or only count it. */
  private wanted = wantedOf(this.columns, this.fieldCount);
  /** The current line's read columns, reused from line to line (the hot path allocates only the slices). */
  private readonly values: (string | undefined)[] = [];
  /** Set when a #fields line names another log (a dns.log concatenated in): its data lines are skipped. */
  private unusable: string | null = null;
  private readonly get: Get = (name) => {
    const at = this.columns.get(name);
    if (at === undefined) return undefined;
    const raw = this.values[at];
    return raw === undefined || raw === this.unset || raw === this.empty ? undefined : unescapeZeek(raw);
  };

  constructor(private readonly file: string) {}

  line(text: string, position: string): FlowLineResult {
    if (text.length === 0) return null;
    if (text.charCodeAt(0) === 35 /* # */) return this.directive(text);
    if (this.unusable !== null) return this.unusable;
    const separator = this.separator;
    const values = this.values;
    let count = 0;
    let start = 0;
    for (;;) {
      const at = separator.length === 0 ? -1 : text.indexOf(separator, start);
      const end = at === -1 ? text.length : at;
      if (count < this.fieldCount) values[count] = this.wanted[count] === true ? text.slice(start, end) : undefined;
      count++;
      if (at === -1) break;
      start = at + separator.length;
    }
    if (count !== this.fieldCount) return `${count} fields where #fields has ${this.fieldCount}`;
    return connRecord(this.get, this.file, position);
  }

  private directive(text: string): null {
    if (text.startsWith('#separator') && (text.charCodeAt(10) === 32 || text.charCodeAt(10) === 9)) {
      this.separator = unescapeZeek(text.slice(11));
      this.unset = DEFAULT_SEPARATORS.unsetField;
      this.empty = DEFAULT_SEPARATORS.emptyField;
      this.setFields(ZEEK_CONN_FIELDS);
      return null;
    }
    const cut = this.separator.length === 0 ? -1 : text.indexOf(this.separator);
    if (cut === -1) return null;
    const value = text.slice(cut + this.separator.length);
    const key = text.slice(1, cut);
    if (key === 'unset_field') this.unset = unescapeZeek(value);
    else if (key === 'empty_field') this.empty = unescapeZeek(value);
    else if (key === 'fields') this.setFields(value.split(this.separator));
    return null;
  }

  private setFields(fields: readonly string[]): void {
    this.columns = columnsOf(fields);
    this.fieldCount = fields.length;
    this.wanted = wantedOf(this.columns, this.fieldCount);
    const missing = ['ts', 'id.orig_h', 'id.resp_h', 'proto'].find((name) => !this.columns.has(name));
    // A dns.log has ts, addresses and proto too: one column only conn has tells them apart.
    const connOnly = ['conn_state', 'orig_pkts', 'orig_bytes', 'duration'].some((name) => this.columns.has(name));
    if (missing !== undefined) this.unusable = `no '${missing}' in #fields (not a conn.log?)`;
    else this.unusable = connOnly ? null : 'no conn_state, orig_pkts, orig_bytes or duration in #fields (not a conn.log?)';
  }
}

function wantedOf(columns: ReadonlyMap<string, number>, count: number): boolean[] {
  const wanted: boolean[] = new Array<boolean>(count).fill(false);
  for (const name of READ_COLUMNS) {
    const at = columns.get(name);
    if (at !== undefined) wanted[at] = true;
  }
  return wanted;
}

function columnsOf(fields: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  fields.forEach((name, i) => map.set(name, i));
  return map;
}

class ZeekConnJson implements FlowLineParser {
  constructor(private readonly file: string) {}

  line(text: string, position: string): FlowLineResult {
    if (text.trim().length === 0) return null;
    const object = parseJsonObject(text);
    if (typeof object === 'string') return object;
    return connRecord((name) => (object[name] === null ? undefined : object[name]), this.file, position);
  }
}

export function parseZeekConnTsv(input: string | Buffer, file: string): FlowParse {
  return parseFlowLines(input, file, zeekConnTsvParser(file));
}

export function parseZeekConnJson(input: string | Buffer, file: string): FlowParse {
  return parseFlowLines(input, file, zeekConnJsonParser(file));
}

/** A conn.log TSV: a '#path conn' line or a #fields line with conn's columns (a dns.log has 'query' instead). */
export function sniffZeekConnTsv(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 65536));
  if (/^#path\tconn\s*$/m.test(text)) return true;
  const fields = /^#fields\t(.*)$/m.exec(text);
  return fields !== null && /\bconn_state\b|\borig_pkts\b/.test(fields[1] ?? '') && /\bid\.resp_h\b/.test(fields[1] ?? '');
}

/** Zeek conn JSON: the first JSON line has id.orig_h and conn-only keys (conn_state or orig_pkts), no 'query'. */
export function sniffZeekConnJson(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 65536));
  const first = text.split('\n').find((line) => line.trim().length > 0);
  if (first === undefined) return false;
  try {
    const value: unknown = JSON.parse(first);
    return isJsonObject(value) && 'id.orig_h' in value && !('query' in value) && ('conn_state' in value || 'orig_pkts' in value || 'duration' in value);
  } catch {
    return false;
  }
}

/** A fresh line parser for one input (it keeps that input's header state), for FlowLineDecoder. */
export function zeekConnTsvParser(file: string): FlowLineParser {
  return new ZeekConnTsv(file);
}

/** A fresh line parser for one input (it keeps that input's header state), for FlowLineDecoder. */
export function zeekConnJsonParser(file: string): FlowLineParser {
  return new ZeekConnJson(file);
}
