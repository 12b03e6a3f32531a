/**
 * `nfdump -o csv` output to FlowRecords. Columns are found by the header line
 * (nfdump 1.7.1: ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,...,tr),
 * so a version that adds columns still reads. Times are printed in the
 * process's local zone without an offset, to the second ('2017-04-03
 * 12:40:51'; td has the milliseconds): read here as UTC (run nfdump with
 * TZ=UTC); fractional seconds are accepted too. The trailing 'Summary' block
 * and 'No matching flows' are ignored. ICMP: 1.7.1 prints sp 0 and dp
 * type*256+code (2048 for an echo request, real output in
 * test/fixtures/flows/nfdump-real.csv); a 'type.code' dp is accepted too.
 */
import type { FlowRecord } from '../../model/flow.js';
import { isoSeconds } from '../values.js';
import { parseFlowLines } from './frame.js';
import type { FlowLineParser, FlowLineResult, FlowParse } from './frame.js';
import { bad, flowAddress, flowCount, flowPort, flowProto, isIcmp } from './values.js';

const REQUIRED = ['ts', 'te', 'sa', 'da', 'sp', 'dp', 'pr', 'ipkt', 'ibyt'] as const;

class NfdumpCsv implements FlowLineParser {
  private columns: Map<string, number> | null = null;
  /** Why data lines cannot be read: no header yet, or a header without a needed column (a file cut inside it). */
  private unusable = 'data before the nfdump csv header';
  private done = false;

  constructor(private readonly file: string) {}

  line(text: string, position: string): FlowLineResult {
    if (this.done || text.trim().length === 0) return null;
    // A header line, or what is left of one in a file cut inside it ('t', 'ts'): the header itself is not
    // a record, so its problems are reported on the data lines it leaves unreadable, one skip per record.
    if (text.startsWith('ts,') || (text.length < 3 && 'ts,'.startsWith(text))) {
      const names = text.split(',');
      this.columns = new Map(names.map((name, i) => [name.trim(), i]));
      const missing = REQUIRED.find((name) => !this.columns?.has(name));
      if (missing !== undefined) {
        this.columns = null;
        this.unusable = `no '${missing}' in the csv header`;
      }
      return null;
    }
    if (text.startsWith('Summary')) {
      this.done = true;
      return null;
    }
    // 1.7.1 prints 'No matching flows' when nothing matched (older: 'No matched flows').
    if (text.startsWith('No matching flows') || text.startsWith('No matched flows')) return null;
    const columns = this.columns;
    if (columns === null) return this.unusable;
    const values = text.split(',');
    const get = (name: string): string | undefined => {
      const at = columns.get(name);
      return at === undefined ? undefined : values[at]?.trim();
    };
    if (values.length < columns.size) return `${values.length} fields where the header has ${columns.size}`;
    const start = nfdumpTime(get('ts'));
    if (start < 0) return bad('ts', get('ts'));
    const end = nfdumpTime(get('te'));
    if (end < 0 || end < start) return bad('te', get('te'));
    const src = flowAddress(get('sa'));
    if (src === null) return bad('sa', get('sa'));
    const dst = flowAddress(get('da'));
    if (dst === null) return bad('da', get('da'));
    const proto = flowProto(get('pr'));
    if (proto < 0) return bad('pr', get('pr'));
    let srcPort = flowPort(get('sp'));
    if (srcPort < 0) return bad('sp', get('sp'));
    let dstPort: number;
    const dp = get('dp') ?? '';
    if (isIcmp(proto) && dp.indexOf('.') !== -1) {
      const [type, code] = dp.split('.');
      const t = flowPort(type);
      const c = flowPort(code);
      if (t < 0 || t > 255 || c < 0 || c > 255) return bad('dp', dp);
      srcPort = t * 256 + c;
      dstPort = 0;
    } else {
      dstPort = flowPort(dp);
      if (dstPort < 0) return bad('dp', dp);
      if (isIcmp(proto)) {
        srcPort = dstPort;
        dstPort = 0;
      }
    }
    const packets = counted(get, 'ipkt', 'opkt');
    if (typeof packets === 'string') return packets;
    const bytes = counted(get, 'ibyt', 'obyt');
    if (typeof bytes === 'string') return bytes;
    const record: FlowRecord = {
      start, end, src, srcPort, dst, dstPort, proto, bytes, packets,
      samplingRate: 1, exporter: this.file, position,
    };
    return record;
  }
}

/** In + out counts: out is non-zero only for bidirectional (NSEL/biflow) records, summed as for eve `flow`. */
function counted(get: (name: string) => string | undefined, inbound: string, outbound: string): number | string {
  const a = flowCount(get(inbound));
  if (a < 0) return bad(inbound, get(inbound));
  const outText = get(outbound);
  if (outText === undefined || outText === '') return a;
  const b = flowCount(outText);
  return b < 0 ? bad(outbound, outText) : a + b;
}

/** '2024-03-12 09:15:02.123' (local time printed without zone, read as UTC) to epoch seconds, or -1. */
function nfdumpTime(text: string | undefined): number {
  if (text === undefined || text.length < 19) return -1;
  return isoSeconds(`${text}Z`);
}

export function parseNfdumpCsv(input: string | Buffer, file: string): FlowParse {
  return parseFlowLines(input, file, nfdumpCsvParser(file));
}

/** The first non-blank line is nfdump's csv header. */
export function sniffNfdumpCsv(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 4096)).replace(/^\uFEFF/, '').trimStart();
  return /^ts,te,td,sa,da,sp,dp,pr,/.test(text);
}

/** A fresh line parser for one input (it keeps that input's header state), for FlowLineDecoder. */
export function nfdumpCsvParser(file: string): FlowLineParser {
  return new NfdumpCsv(file);
}
