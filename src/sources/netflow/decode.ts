/**
 * One NetFlow v5, v9 (RFC 3954) or IPFIX (RFC 7011) export datagram in, flows
 * out. Pure apart from the template cache the caller owns (one per collector
 * or file). Never throws: every length is checked against the bytes that are
 * there, every loop advances by at least four bytes, and damage is counted.
 */
import type { FlowRecord, SkippedFlow } from '../../model/flow.js';
import { RecordFields, readUnsigned, storeElement } from './fields.js';
import { TemplateCache, VARIABLE_LENGTH, type Template, type TemplateField } from './templates.js';

export interface DecodeCounts {
  /** 5, 9, 10, or 0 when the datagram is not one of them. */
  version: number;
  flows: number;
  skipped: number;
  templates: number;
  optionsTemplates: number;
  withdrawals: number;
  /** Data sets dropped because their template was not (or no longer) known. */
  lostNoTemplate: number;
  /** Elements of an enterprise (IPFIX) skipped, over all records. */
  enterpriseElements: number;
  /** IANA elements fluxhound does not use (or of a length it cannot read), over all records. */
  unusedElements: number;
  /** Options data records read (sampling and other exporter facts). */
  optionsRecords: number;
  /**
   * Data records read whole from data sets with a live template (flows,
   * options data, records skipped for lack of addresses): what an IPFIX
   * exporter's sequence number counts, so a collector can find lost ones.
   */
  dataRecords: number;
  /**
   * Data records lost for want of a template. v9: the header's record count
   * (RFC 3954 §5.1: templates, options templates and data records together)
   * less the templates and records read — exact when the exporter counts as
   * the RFC says; never fewer than one per set lost, the floor it falls to
   * when the exporter counts flowsets instead (Palo Alto, some Cisco). IPFIX
   * has no record count in its header: one per set lost, a floor.
   */
  lostNoTemplateRecords: number;
}

export interface DecodeResult {
  flows: FlowRecord[];
  skipped: SkippedFlow[];
  counts: DecodeCounts;
}

export interface DatagramSource {
  /** 'ip:port' of the exporter; the observation domain is appended: 'ip:port/domain'. */
  exporter: string;
  cache: TemplateCache;
  /** Prefix of positions, e.g. 'export.pcap: datagram 12'. */
  position: string;
  /** Seconds, the clock template lifetimes are measured on (default: the wall clock). */
  now?: number;
}

const V5_HEADER = 24;
const V5_RECORD = 48;
const V9_HEADER = 20;
const IPFIX_HEADER = 16;

export function decodeDatagram(b: Uint8Array, source: DatagramSource): DecodeResult {
  const out: DecodeResult = {
    flows: [],
    skipped: [],
    counts: {
      version: 0, flows: 0, skipped: 0, templates: 0, optionsTemplates: 0, withdrawals: 0,
      lostNoTemplate: 0, enterpriseElements: 0, unusedElements: 0, optionsRecords: 0, dataRecords: 0,
      lostNoTemplateRecords: 0,
    },
  };
  const version = b.length >= 2 ? (b[0]! << 8) | b[1]! : -1;
  if (version === 5) decodeV5(b, source, out);
  else if (version === 9 || version === 10) decodeTemplated(b, version, source, out);
  else skip(out, source.position, b.length < 2 ? 'datagram shorter than a header' : `unknown NetFlow version ${version}`);
  out.counts.flows = out.flows.length;
  out.counts.skipped = out.skipped.length;
  out.counts.lostNoTemplateRecords = lostRecords(b, out.counts);
  return out;
}

function lostRecords(b: Uint8Array, counts: DecodeCounts): number {
  if (counts.lostNoTemplate === 0) return 0;
  if (counts.version !== 9) return counts.lostNoTemplate;
  const count = (b[2]! << 8) | b[3]!;
  const unaccounted = count - counts.templates - counts.optionsTemplates - counts.dataRecords;
  return Math.max(counts.lostNoTemplate, unaccounted);
}

function skip(out: DecodeResult, position: string, reason: string): void {
  out.skipped.push({ position, reason });
}

function decodeV5(b: Uint8Array, source: DatagramSource, out: DecodeResult): void {
  out.counts.version = 5;
  if (b.length < V5_HEADER) return skip(out, source.position, 'truncated v5 header');
  const count = (b[2]! << 8) | b[3]!;
  const uptime = readUnsigned(b, 4, 4);
  const exportTime = readUnsigned(b, 8, 4) + readUnsigned(b, 12, 4) / 1e9;
  const engine = (b[20]! << 8) | b[21]!;
  const interval = ((b[22]! << 8) | b[23]!) & 0x3fff;
  const samplingRate = interval > 0 ? interval : 1;
  const exporter = `${source.exporter}/${engine}`;
  const fit = Math.floor((b.length - V5_HEADER) / V5_RECORD);
  const n = Math.min(count, fit);
  if (count > fit) skip(out, source.position, `v5 header counts ${count} records, ${fit} fit`);
  out.counts.dataRecords = n;
  const f = new RecordFields();
  for (let r = 0; r < n; r++) {
    const at = V5_HEADER + r * V5_RECORD;
    f.reset();
    storeElement(f, 8, b, at, 4);
    storeElement(f, 12, b, at + 4, 4);
    f.packets = readUnsigned(b, at + 16, 4);
    f.bytes = readUnsigned(b, at + 20, 4);
    f.startUptime = readUnsigned(b, at + 24, 4);
    f.endUptime = readUnsigned(b, at + 28, 4);
    f.srcPort = (b[at + 32]! << 8) | b[at + 33]!;
    f.dstPort = (b[at + 34]! << 8) | b[at + 35]!;
    f.proto = b[at + 38]!;
    out.flows.push(toFlow(f, uptime, exportTime, samplingRate, exporter, `${source.position} record ${r + 1}`));
  }
}

function decodeTemplated(b: Uint8Array, version: 9 | 10, source: DatagramSource, out: DecodeResult): void {
  out.counts.version = version;
  const headerLength = version === 9 ? V9_HEADER : IPFIX_HEADER;
  if (b.length < headerLength) return skip(out, source.position, `truncated v${version} header`);
  let uptime = 0;
  let exportTime: number;
  let domain: number;
  let end = b.length;
  if (version === 9) {
    uptime = readUnsigned(b, 4, 4);
    exportTime = readUnsigned(b, 8, 4);
    domain = readUnsigned(b, 16, 4);
  } else {
    const length = (b[2]! << 8) | b[3]!;
    if (length < IPFIX_HEADER) return skip(out, source.position, `IPFIX message length ${length} shorter than its header`);
    if (length > b.length) skip(out, source.position, `IPFIX message length ${length} past the datagram's ${b.length} bytes`);
    else end = length;
    exportTime = readUnsigned(b, 4, 4);
    domain = readUnsigned(b, 12, 4);
  }
  const now = source.now ?? Date.now() / 1000;
  const domainKey = `${source.exporter}/${domain}`;
  const ctx: SetContext = { b, version, source, out, domainKey, now, uptime, exportTime, fields: new RecordFields() };
  let at = headerLength;
  let setNumber = 0;
  while (at + 4 <= end) {
    setNumber++;
    const id = (b[at]! << 8) | b[at + 1]!;
    const length = (b[at + 2]! << 8) | b[at + 3]!;
    const position = `${source.position} set ${setNumber}`;
    if (length < 4) {
      // v9 exporters pad datagrams with zeros: a zero set header there is padding, not damage.
      if (!(id === 0 && length === 0 && isZero(b, at, end))) skip(out, position, `set length ${length} shorter than its header`);
      return;
    }
    if (at + length > end) {
      skip(out, position, `set length ${length} past the end of the datagram`);
      return;
    }
    const body = at + 4;
    const bodyEnd = at + length;
    if (version === 9 ? id === 0 : id === 2) readTemplates(ctx, body, bodyEnd, false, position);
    else if (version === 9 ? id === 1 : id === 3) readTemplates(ctx, body, bodyEnd, true, position);
    else if (id >= 256) readData(ctx, id, body, bodyEnd, position);
    else skip(out, position, `reserved set id ${id}`);
    at = bodyEnd;
  }
  // Fewer than 4 bytes left: zeros are padding, anything else a set header cut short.
  if (at < end && !isZero(b, at, end)) skip(out, `${source.position} set ${setNumber + 1}`, `${end - at} bytes after the last set`);
}

function isZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

interface SetContext {
  b: Uint8Array;
  version: 9 | 10;
  source: DatagramSource;
  out: DecodeResult;
  domainKey: string;
  now: number;
  uptime: number;
  exportTime: number;
  fields: RecordFields;
}

/** Template and options-template sets; a template that does not fit ends the set. */
function readTemplates(ctx: SetContext, at: number, end: number, options: boolean, position: string): void {
  const { b, version, out } = ctx;
  // Header of one template: id, then (v9 options) scope and option byte lengths, or (IPFIX) field count [, scope count].
  const headerLength = version === 9 ? (options ? 6 : 4) : options ? 6 : 4;
  while (at + headerLength <= end) {
    const id = (b[at]! << 8) | b[at + 1]!;
    let fieldCount: number;
    let scopeCount = 0;
    if (version === 9 && options) {
      const scopeBytes = (b[at + 2]! << 8) | b[at + 3]!;
      const optionBytes = (b[at + 4]! << 8) | b[at + 5]!;
      scopeCount = scopeBytes >> 2;
      fieldCount = scopeCount + (optionBytes >> 2);
    } else {
      fieldCount = (b[at + 2]! << 8) | b[at + 3]!;
      if (options) scopeCount = (b[at + 4]! << 8) | b[at + 5]!;
    }
    at += headerLength;
    if (id < 256) {
      // Padding at the end of a set (RFC 7011 §3.3.1) reads as id 0.
      if (id !== 0) skip(out, position, `template id ${id} below 256`);
      return;
    }
    if (version === 10 && fieldCount === 0) {
      ctx.source.cache.withdraw(ctx.domainKey, id);
      out.counts.withdrawals++;
      continue;
    }
    const fields: TemplateField[] = [];
    let minLength = 0;
    for (let i = 0; i < fieldCount; i++) {
      if (at + 4 > end) {
        skip(out, position, `template ${id} runs past its set`);
        return;
      }
      let fieldId = (b[at]! << 8) | b[at + 1]!;
      const length = (b[at + 2]! << 8) | b[at + 3]!;
      at += 4;
      let enterprise = 0;
      if (version === 10 && fieldId & 0x8000) {
        if (at + 4 > end) {
          skip(out, position, `template ${id} runs past its set`);
          return;
        }
        fieldId &= 0x7fff;
        enterprise = readUnsigned(b, at, 4);
        at += 4;
      }
      fields.push({ id: fieldId, enterprise, length });
      minLength += length === VARIABLE_LENGTH ? 1 : length;
    }
    if (minLength === 0) {
      skip(out, position, `template ${id} has records of zero bytes`);
      continue;
    }
    if (scopeCount > fieldCount) scopeCount = fieldCount;
    ctx.source.cache.set(ctx.domainKey, id, { fields, scopeCount, minLength, seen: ctx.now } satisfies Template);
    if (options) out.counts.optionsTemplates++;
    else out.counts.templates++;
  }
}

function readData(ctx: SetContext, id: number, at: number, end: number, position: string): void {
  const { b, out, source } = ctx;
  const template = source.cache.get(ctx.domainKey, id, ctx.now);
  if (template === undefined) {
    out.counts.lostNoTemplate++;
    skip(out, position, `no template ${id}`);
    return;
  }
  const f = ctx.fields;
  let record = 0;
  // Fewer bytes than one record left: padding (RFC 3954 §5.3, RFC 7011 §3.3.1).
  while (at + template.minLength <= end) {
    record++;
    f.reset();
    let ok = true;
    for (const field of template.fields) {
      let length = field.length;
      if (length === VARIABLE_LENGTH) {
        if (at >= end) { ok = false; break; }
        length = b[at]!;
        at++;
        if (length === 255) {
          if (at + 2 > end) { ok = false; break; }
          length = (b[at]! << 8) | b[at + 1]!;
          at += 2;
        }
      }
      if (at + length > end) { ok = false; break; }
      if (field.enterprise !== 0) out.counts.enterpriseElements++;
      else if (!storeElement(f, field.id, b, at, length)) out.counts.unusedElements++;
      at += length;
    }
    const recordPosition = `${position} record ${record}`;
    if (!ok) {
      skip(out, recordPosition, `record of template ${id} runs past its set`);
      return;
    }
    out.counts.dataRecords++;
    if (template.scopeCount > 0) {
      out.counts.optionsRecords++;
      if (f.sampling > 0) source.cache.setSampling(ctx.domainKey, samplingRate(f));
      if (f.systemInit > 0) source.cache.setSystemInit(ctx.domainKey, f.systemInit);
      continue;
    }
    if (f.src === '' || f.dst === '') {
      skip(out, recordPosition, 'no source or destination address');
      continue;
    }
    const rate = f.sampling > 0 ? samplingRate(f) : source.cache.samplingOf(ctx.domainKey);
    if (ctx.version === 10) ipfixUptimes(f, source.cache.systemInitOf(ctx.domainKey));
    out.flows.push(toFlow(f, ctx.uptime, ctx.exportTime, rate, ctx.domainKey, recordPosition));
  }
}

/**
 * The sampling rate a record (data or options) states, for one rule on both
 * paths: samplingInterval (IE 34) / samplerRandomInterval (50) is 1-in-N;
 * samplingPacketInterval (305) packets taken, then samplingPacketSpace (306)
 * passed over, is (interval + space) / interval (RFC 5476 count-based
 * systematic sampling). Only called when f.sampling > 0.
 */
function samplingRate(f: RecordFields): number {
  return f.samplingSpace >= 0 ? (f.sampling + f.samplingSpace) / f.sampling : f.sampling;
}

/**
 * IPFIX has no uptime in its header: flow{Start,End}SysUpTime count from the
 * boot time the exporter announces in options data (IE 160). Without it they
 * cannot be placed, and the record falls back to other times or the export time.
 */
function ipfixUptimes(f: RecordFields, systemInit: number): void {
  const boot = f.systemInit > 0 ? f.systemInit : systemInit;
  if (boot > 0) {
    if (f.start < 0 && f.startUptime >= 0) f.start = boot + f.startUptime / 1000;
    if (f.end < 0 && f.endUptime >= 0) f.end = boot + f.endUptime / 1000;
  }
  f.startUptime = f.endUptime = -1;
}

function toFlow(f: RecordFields, uptime: number, exportTime: number, samplingRate: number, exporter: string, position: string): FlowRecord {
  // Router uptime wraps at 2^32 ms (49.7 days): the signed 32-bit difference survives the wrap.
  let end = f.end >= 0 ? f.end : f.endUptime >= 0 ? exportTime - ((uptime - f.endUptime) | 0) / 1000 : -1;
  let start = f.start >= 0 ? f.start : f.startUptime >= 0 ? exportTime - ((uptime - f.startUptime) | 0) / 1000 : -1;
  if (end < 0) end = f.observed >= 0 ? f.observed : start >= 0 ? start : exportTime;
  if (start < 0) start = end;
  const icmp = f.proto === 1 || f.proto === 58;
  let srcPort = f.srcPort;
  let dstPort = f.dstPort;
  if (icmp && srcPort <= 0) {
    if (f.icmpTypeCode >= 0 || f.icmpType >= 0) {
      srcPort = f.icmpTypeCode >= 0 ? f.icmpTypeCode : f.icmpType * 256 + Math.max(0, f.icmpCode);
    } else if (dstPort > 0) {
      // NetFlow v5 (and v9 without an ICMP element) carries type*256+code in the
      // destination port (softflowd, Cisco; nfdump reads it there too): the
      // contract keeps it in srcPort for every input, as Zeek, eve and nfdump csv do.
      srcPort = dstPort;
      dstPort = 0;
    }
  }
  const flow: FlowRecord = {
    start,
    end,
    src: f.src,
    // An ICMP type/code wider than 16 bits (a damaged template) does not fit a port: none.
    srcPort: srcPort > 0xffff ? 0 : Math.max(0, srcPort),
    dst: f.dst,
    dstPort: Math.max(0, dstPort),
    proto: Math.max(0, f.proto),
    bytes: f.bytes >= 0 ? f.bytes : Math.max(0, f.outBytes),
    packets: f.packets >= 0 ? f.packets : Math.max(0, f.outPackets),
    samplingRate,
    exporter,
    position,
  };
  // Only biflowDirection 1 says who connected (the source); a unidirectional record leaves the analytics to guess from the ports.
  if (f.biflowDirection === 1) flow.initiator = 'src';
  return flow;
}
