/**
 * Zeek dns.log in Zeek's tab-separated ASCII format. This is the hot path
 * (the pipeline target is 1M records/s): separators are found by a loop over
 * the line's bytes, column bounds go to reused typed arrays, numbers and
 * common mnemonics are read from the bytes in place, and only names and
 * addresses become strings (slices of the chunk's decoded text). Per record
 * only the observation and its records are allocated.
 */
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import { parseIPv4 } from '../../model/names.js';
import type { ObservationSink } from '../source.js';
import { LineDecoder } from '../line-decoder.js';
import { plausibleName } from '../records.js';
import { rcodeName, shown, typeNameOf } from '../values.js';
import { zeekAdditional, zeekAnswer, zeekAuthority, zeekQueryType, zeekRcode } from './answers.js';
import { ZeekHeader, unescapeZeek } from './header.js';
import type { ZeekLayout } from './header.js';
import type { KnownWord } from './scan.js';
import { countElements, decimalSeconds, equalsAt, intervalTtl, knownWord, knownWords, nextSeparator, smallInteger } from './scan.js';

const COMMON_QTYPES = knownWords(['A', 'AAAA', 'HTTPS', 'PTR', 'CNAME', 'NS', 'MX', 'TXT', 'SOA', 'SRV']);
const COMMON_RCODES = knownWords(['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'FORMERR', 'NOTIMP']);
const NO_BYTES = Buffer.alloc(0);

export class ZeekTsvDecoder extends LineDecoder {
  private readonly header = new ZeekHeader();
  /** Bounds of each column of the current line, reused from line to line. */
  private starts = new Int32Array(32);
  private ends = new Int32Array(32);
  /**
   * The line being decoded: its bytes, and the decoded text at the same
   * offsets when there is one (else fields are decoded from the bytes).
   * Both are let go after each line so that no chunk is retained.
   */
  private bytes: Buffer = NO_BYTES;
  private text: string | null = null;

  constructor(file: string, sink: ObservationSink) {
    super('zeek', file, sink);
  }

  line(text: string, start: number, end: number, lineNumber: number, aligned: Buffer | null): void {
    if (start === end) return;
    if (text.charCodeAt(start) === 35 /* # */) {
      this.header.directive(text.slice(start, end));
      return;
    }
    const layout = this.header.layout;
    if (layout.unusable !== null) {
      this.skip(lineNumber, layout.unusable);
      return;
    }
    let result: DnsObservation | string;
    if (aligned !== null) {
      this.bytes = aligned;
      this.text = text;
      result = this.record(start, end, layout);
    } else {
      // Multi-byte characters: offsets in text and bytes differ, so work on the line's own bytes.
      this.bytes = Buffer.from(text.slice(start, end));
      this.text = null;
      result = this.record(0, this.bytes.length, layout);
    }
    this.bytes = NO_BYTES;
    this.text = null;
    if (typeof result === 'string') this.skip(lineNumber, result);
    else this.sink.observe(result);
  }

  private record(start: number, end: number, layout: ZeekLayout): DnsObservation | string {
    const columns = this.splitColumns(start, end, layout);
    if (columns !== layout.fieldCount) return `expected ${layout.fieldCount} fields, got ${columns}`;

    const ts = decimalSeconds(this.bytes, this.starts[layout.ts]!, this.ends[layout.ts]!);
    if (ts < 0) return `bad timestamp ${shown(this.raw(layout.ts))}`;

    const query = this.field(layout.query);
    if (query === null) return 'no query name';
    // The root is logged as an empty string.
    const qname = query === '' ? '.' : plausibleName(query);
    if (qname === null) return `bad query name ${shown(query)}`;

    const qtype = this.mnemonic(layout.qtypeName, layout.qtype, COMMON_QTYPES, zeekQueryType, typeNameOf);
    if (qtype === null) return 'no query type';

    const answers: ResourceRecord[] = [];
    const reason = this.readAnswers(layout, qname, qtype, answers);
    if (reason !== null) return reason;

    return {
      ts,
      qname,
      qtype,
      rcode: this.mnemonic(layout.rcodeName, layout.rcode, COMMON_RCODES, zeekRcode, rcodeName),
      client: this.client(layout.client),
      answers,
      authority: this.readSet(layout.auth, qname, zeekAuthority),
      additional: this.readSet(layout.addl, qname, zeekAdditional),
      count: 1,
      firstSeen: ts,
    };
  }

  /** Record column bounds; returns the number of columns. */
  private splitColumns(start: number, end: number, layout: ZeekLayout): number {
    if (this.starts.length < layout.fieldCount) {
      this.starts = new Int32Array(layout.fieldCount);
      this.ends = new Int32Array(layout.fieldCount);
    }
    const bytes = this.bytes;
    const starts = this.starts;
    const ends = this.ends;
    const sep = layout.separatorBytes;
    const capacity = starts.length;
    let column = 0;
    let pos = start;
    if (sep.length === 1) {
      // One pass, no call per column: this loop is most of the decoder's time.
      const tab = sep[0];
      for (let i = start; i < end; i++) {
        if (bytes[i] !== tab) continue;
        if (column < capacity) {
          starts[column] = pos;
          ends[column] = i;
        }
        column++;
        pos = i + 1;
      }
    } else {
      for (let next = nextSeparator(bytes, pos, end, sep); next < end; next = nextSeparator(bytes, pos, end, sep)) {
        if (column < capacity) {
          starts[column] = pos;
          ends[column] = next;
        }
        column++;
        pos = next + sep.length;
      }
    }
    if (column < capacity) {
      starts[column] = pos;
      ends[column] = end;
    }
    return column + 1;
  }

  /**
   * A mnemonic column (qtype_name, rcode_name), with its numeric twin (qtype,
   * rcode) for when it is unset or missing.
   */
  private mnemonic(
    nameColumn: number,
    codeColumn: number,
    common: readonly KnownWord[],
    fromName: (name: string) => string,
    fromCode: (code: number) => string | null,
  ): string | null {
    if (nameColumn !== -1) {
      const shared = knownWord(this.bytes, this.starts[nameColumn]!, this.ends[nameColumn]!, common);
      if (shared !== null) return shared;
      const name = this.field(nameColumn);
      if (name !== null && name !== '') return fromName(name);
    }
    const code = codeColumn === -1 ? -1 : smallInteger(this.bytes, this.starts[codeColumn]!, this.ends[codeColumn]!);
    return code < 0 ? null : fromCode(code);
  }

  private client(column: number): string | null {
    const text = this.field(column);
    return text !== null && (parseIPv4(text) >= 0 || text.indexOf(':') !== -1) ? text : null;
  }

  /**
   * Answers and their TTLs, walked in step. Both vectors must have the same
   * length: a difference means a damaged line, not data to guess at.
   */
  private readAnswers(layout: ZeekLayout, qname: string, qtype: string, out: ResourceRecord[]): string | null {
    const bytes = this.bytes;
    const set = layout.setSeparatorBytes;
    const aStart = layout.answers === -1 ? 0 : this.starts[layout.answers]!;
    const aEnd = layout.answers === -1 ? 0 : this.ends[layout.answers]!;
    const withTtls = layout.ttls !== -1;
    const tEnd = withTtls ? this.ends[layout.ttls]! : 0;
    let t = withTtls ? this.starts[layout.ttls]! : 0;
    const noAnswers = layout.answers === -1 || this.isAbsent(aStart, aEnd, layout);
    const noTtls = !withTtls || this.isAbsent(t, tEnd, layout);
    if (noAnswers || (withTtls && noTtls)) {
      return noAnswers && noTtls ? null : this.lengthMismatch(layout, noAnswers, noTtls);
    }
    let a = aStart;
    for (;;) {
      const aNext = nextSeparator(bytes, a, aEnd, set);
      let ttl: number | null = null;
      if (withTtls) {
        if (t > tEnd) return this.lengthMismatch(layout, false, false);
        const tNext = nextSeparator(bytes, t, tEnd, set);
        ttl = intervalTtl(bytes, t, tNext);
        if (ttl < 0) return `bad TTL ${shown(this.slice(t, tNext))}`;
        t = tNext + set.length;
      }
      const record = zeekAnswer(qname, qtype, unescapeZeek(this.slice(a, aNext)), ttl);
      if (record !== null) out.push(record);
      if (aNext === aEnd) break;
      a = aNext + set.length;
    }
    return withTtls && t <= tEnd ? this.lengthMismatch(layout, false, false) : null;
  }

  private lengthMismatch(layout: ZeekLayout, noAnswers: boolean, noTtls: boolean): string {
    const count = (column: number): number =>
      countElements(this.bytes, this.starts[column]!, this.ends[column]!, layout.setSeparatorBytes);
    const answers = noAnswers ? 0 : count(layout.answers);
    const ttls = noTtls ? 0 : count(layout.ttls);
    return `answers and TTLs differ in length (${answers} vs ${ttls})`;
  }

  private readSet(column: number, qname: string, toRecord: (owner: string, data: string) => ResourceRecord | null): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    if (column === -1) return out;
    const layout = this.header.layout;
    const end = this.ends[column]!;
    let pos = this.starts[column]!;
    if (this.isAbsent(pos, end, layout)) return out;
    const set = layout.setSeparatorBytes;
    for (;;) {
      const next = nextSeparator(this.bytes, pos, end, set);
      const record = toRecord(qname, unescapeZeek(this.slice(pos, next)));
      if (record !== null) out.push(record);
      if (next === end) return out;
      pos = next + set.length;
    }
  }

  /** Unset, empty or zero-length: a vector or set with no elements. */
  private isAbsent(start: number, end: number, layout: ZeekLayout): boolean {
    return start === end || equalsAt(this.bytes, start, end, layout.unsetBytes) || equalsAt(this.bytes, start, end, layout.emptyBytes);
  }

  /** A string column, unescaped; null when absent or unset, '' when empty. */
  private field(column: number): string | null {
    if (column === -1) return null;
    const layout = this.header.layout;
    const start = this.starts[column]!;
    const end = this.ends[column]!;
    if (equalsAt(this.bytes, start, end, layout.unsetBytes)) return null;
    if (equalsAt(this.bytes, start, end, layout.emptyBytes)) return '';
    return unescapeZeek(this.slice(start, end));
  }

  private raw(column: number): string {
    return this.slice(this.starts[column]!, this.ends[column]!);
  }

  private slice(start: number, end: number): string {
    return this.text !== null ? this.text.slice(start, end) : this.bytes.toString('utf8', start, end);
  }
}
