/**
 * Zeek dns.log in Zeek's tab-separated ASCII format. This is the hot path
 * (the pipeline target is 1M records/s), so it reads the line's bytes and
 * never decodes a chunk to text: separators are found four bytes at a time,
 * column bounds go to reused typed arrays, numbers and common mnemonics are
 * read in place, and names and addresses are checked on the bytes and
 * become strings only when kept (byte-records.ts). What the byte readers
 * leave alone (escapes, non-ASCII, odd text) goes through the string
 * functions of answers.ts, which decide the same way. Per record only the
 * observation, its records, their arrays (at their exact size) and the kept
 * strings are allocated.
 */
import { isAscii } from 'node:buffer';
import { endianness } from 'node:os';
import type { DnsObservation, ResourceRecord } from '../../model/observation.js';
import { parseIPv4 } from '../../model/names.js';
import type { ObservationSink } from '../source.js';
import { ByteLineDecoder } from '../line-decoder.js';
import { needsDecoding, plainIPv4, plainIPv6, plainName } from '../byte-records.js';
import { plausibleName } from '../records.js';
import { RecordGatherer } from '../record-gatherer.js';
import { rcodeName, shown, typeNameOf } from '../values.js';
import { nameAnswerType, zeekAdditional, zeekAnswer, zeekAuthority, zeekQueryType, zeekRcode } from './answers.js';
import { ZeekHeader, unescapeZeek } from './header.js';
import type { ZeekLayout } from './header.js';
import type { KnownWord } from './scan.js';
import { countElements, decimalSeconds, equalsAt, intervalTtl, knownWord, knownWords, nextSeparator, noteAnswerAddresses, smallInteger } from './scan.js';

const COMMON_QTYPES = knownWords(['A', 'AAAA', 'HTTPS', 'PTR', 'CNAME', 'NS', 'MX', 'TXT', 'SOA', 'SRV']);
const COMMON_RCODES = knownWords(['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'FORMERR', 'NOTIMP']);
const NO_BYTES = Buffer.alloc(0);
const NO_WORDS = new Uint32Array(0);
/** The absent auth or addl set of most lines: one shared empty list (frozen: nothing may add to it). */
const NO_RECORDS = Object.freeze([]) as unknown as ResourceRecord[];
const LITTLE_ENDIAN = endianness() === 'LE';

/** The set an element comes from: it decides what a name or other text in it becomes. */
const ANSWERS = 0;
const AUTHORITY = 1;
const ADDITIONAL = 2;
type Section = typeof ANSWERS | typeof AUTHORITY | typeof ADDITIONAL;

export class ZeekTsvDecoder extends ByteLineDecoder {
  private readonly header = new ZeekHeader();
  private readonly gathered = new RecordGatherer();
  /** Bounds of each column of the current line, reused from line to line. */
  private starts = new Int32Array(32);
  private ends = new Int32Array(32);
  /**
   * The line being decoded: the caller's chunk when the line is ASCII, else
   * the line decoded from UTF-8 (bad sequences become U+FFFD) and encoded
   * again, so that separators and fields are matched on the decoded text as
   * every other format does. Let go after each line.
   */
  private bytes: Buffer = NO_BYTES;
  /**
   * The chunk last split, as aligned 32-bit words: byte i of `wordsOf` is in
   * words[(i + wordDelta) >> 2]. A view, not a copy; let go at the end.
   */
  private wordsOf: Buffer = NO_BYTES;
  private words: Uint32Array<ArrayBufferLike> = NO_WORDS;
  private wordDelta = 0;

  constructor(file: string, sink: ObservationSink) {
    super('zeek', file, sink);
  }

  line(bytes: Buffer, start: number, end: number, lineNumber: number, ascii: boolean): void {
    if (start === end) return;
    if (bytes[start] === 35 /* # */) {
      this.header.directive(bytes.toString('utf8', start, end));
      return;
    }
    const layout = this.header.layout;
    if (layout.unusable !== null) {
      this.skip(lineNumber, layout.unusable);
      return;
    }
    let result: DnsObservation | string | null;
    if (ascii || isAscii(bytes.subarray(start, end))) {
      this.bytes = bytes;
      result = this.record(start, end, layout);
    } else {
      this.bytes = Buffer.from(bytes.toString('utf8', start, end));
      result = this.record(0, this.bytes.length, layout);
    }
    this.bytes = NO_BYTES;
    if (typeof result === 'string') this.skip(lineNumber, result);
    else if (result !== null) this.sink.observe(result);
  }

  protected override finish(): void {
    this.wordsOf = NO_BYTES;
    this.words = NO_WORDS;
  }

  /** The observation, why the line is skipped, or null: the sink does not admit its name. */
  private record(start: number, end: number, layout: ZeekLayout): DnsObservation | string | null {
    const columns = this.splitColumns(start, end, layout);
    if (columns !== layout.fieldCount) return `expected ${layout.fieldCount} fields, got ${columns}`;

    const ts = decimalSeconds(this.bytes, this.starts[layout.ts]!, this.ends[layout.ts]!);
    if (ts < 0) return `bad timestamp ${shown(this.raw(layout.ts))}`;

    const queryStart = this.starts[layout.query]!;
    const queryEnd = this.ends[layout.query]!;
    let qname = this.isAbsent(queryStart, queryEnd, layout) ? null : plainName(this.bytes, queryStart, queryEnd);
    if (qname === null) {
      const query = this.field(layout.query);
      if (query === null) return 'no query name';
      // The root is logged as an empty string.
      qname = query === '' ? '.' : plausibleName(query);
      if (qname === null) return `bad query name ${shown(query)}`;
    }
    if (this.sink.admit !== undefined && !this.sink.admit(qname)) {
      if (this.sink.refusedAddress !== undefined) this.refusedAddresses(layout, this.sink.refusedAddress);
      return null;
    }

    const qtype = this.mnemonic(layout.qtypeName, layout.qtype, COMMON_QTYPES, zeekQueryType, typeNameOf);
    if (qtype === null) return 'no query type';

    const answers = this.readAnswers(layout, qname, qtype);
    if (typeof answers === 'string') return answers;

    return {
      ts,
      qname,
      qtype,
      rcode: this.mnemonic(layout.rcodeName, layout.rcode, COMMON_RCODES, zeekRcode, rcodeName),
      client: this.client(layout.client, layout),
      answers,
      authority: this.readSet(layout.auth, qname, AUTHORITY),
      additional: this.readSet(layout.addl, qname, ADDITIONAL),
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
      // This is most of the decoder's time: one pass, no call per column.
      const tab = sep[0]!;
      let i = start;
      if (LITTLE_ENDIAN) {
        // Four bytes at a time (measured ~3% faster overall): a word without the
        // separator is a few operations instead of four compares.
        if (bytes !== this.wordsOf) this.viewWords(bytes);
        const words = this.words;
        const delta = this.wordDelta;
        const pattern = Math.imul(tab, 0x01010101);
        // The first word may begin before the line: its bytes before `start` are masked out.
        let at = start - ((start + delta) & 3);
        let keep = -1 << (((start + delta) & 3) << 3);
        for (; at + 4 <= end; at += 4) {
          const w = words[(at + delta) >>> 2]! ^ pattern;
          // The high bit of each byte that is zero, i.e. was the separator (exact, no false hits).
          let found = ~(((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w | 0x7f7f7f7f) & keep;
          keep = -1;
          while (found !== 0) {
            const tabAt = at + ((31 - Math.clz32(found & -found)) >>> 3);
            if (column < capacity) {
              starts[column] = pos;
              ends[column] = tabAt;
            }
            column++;
            pos = tabAt + 1;
            found &= found - 1;
          }
        }
        if (at > i) i = at;
      }
      for (; i < end; i++) {
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

  /** Views `bytes` as the aligned 32-bit words that hold it (the first and last may hold bytes around it). */
  private viewWords(bytes: Buffer): void {
    const base = bytes.byteOffset & ~3;
    this.wordsOf = bytes;
    this.wordDelta = bytes.byteOffset - base;
    this.words = new Uint32Array(bytes.buffer, base, (bytes.byteOffset + bytes.length - base) >>> 2);
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

  private client(column: number, layout: ZeekLayout): string | null {
    if (column === -1) return null;
    const start = this.starts[column]!;
    const end = this.ends[column]!;
    const address = this.isAbsent(start, end, layout) ? null : plainIPv4(this.bytes, start, end);
    if (address !== null) return address;
    const text = this.field(column);
    return text !== null && (parseIPv4(text) >= 0 || text.indexOf(':') !== -1) ? text : null;
  }

  /**
   * Answers and their TTLs, walked in step, or why the line is skipped. Both
   * vectors must have the same length: a difference means a damaged line,
   * not data to guess at.
   */
  private readAnswers(layout: ZeekLayout, qname: string, qtype: string): ResourceRecord[] | string {
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
      return noAnswers && noTtls ? [] : this.lengthMismatch(layout, noAnswers, noTtls);
    }
    const gathered = this.gathered;
    let a = aStart;
    for (;;) {
      const aNext = nextSeparator(bytes, a, aEnd, set);
      let ttl: number | null = null;
      if (withTtls) {
        if (t > tEnd) {
          gathered.drop();
          return this.lengthMismatch(layout, false, false);
        }
        const tNext = nextSeparator(bytes, t, tEnd, set);
        ttl = intervalTtl(bytes, t, tNext);
        if (ttl < 0) {
          gathered.drop();
          return `bad TTL ${shown(this.slice(t, tNext))}`;
        }
        t = tNext + set.length;
      }
      const record = this.element(ANSWERS, qname, qtype, a, aNext, ttl);
      if (record !== null) gathered.add(record);
      if (aNext === aEnd) break;
      a = aNext + set.length;
    }
    const answers = gathered.take();
    return withTtls && t <= tEnd ? this.lengthMismatch(layout, false, false) : answers;
  }

  /**
   * The answer addresses of a record admit() refused, without decoding it
   * (no strings for IPv4): a partition reading the whole input learns what
   * the other partitions' names resolve to (ObservationSink.refusedAddress).
   */
  private refusedAddresses(layout: ZeekLayout, note: (key: number | string | null) => void): void {
    if (layout.answers === -1) return;
    const bytes = this.bytes;
    const end = this.ends[layout.answers]!;
    let pos = this.starts[layout.answers]!;
    if (this.isAbsent(pos, end, layout)) return;
    // Plain text that is no address stays none (as element() decides for addl); escaped text may unescape into one.
    noteAnswerAddresses(bytes, pos, end, layout.setSeparatorBytes, note);
  }

  private lengthMismatch(layout: ZeekLayout, noAnswers: boolean, noTtls: boolean): string {
    const count = (column: number): number =>
      countElements(this.bytes, this.starts[column]!, this.ends[column]!, layout.setSeparatorBytes);
    const answers = noAnswers ? 0 : count(layout.answers);
    const ttls = noTtls ? 0 : count(layout.ttls);
    return `answers and TTLs differ in length (${answers} vs ${ttls})`;
  }

  private readSet(column: number, qname: string, section: Section): ResourceRecord[] {
    if (column === -1) return NO_RECORDS;
    const layout = this.header.layout;
    const end = this.ends[column]!;
    let pos = this.starts[column]!;
    if (this.isAbsent(pos, end, layout)) return NO_RECORDS;
    const gathered = this.gathered;
    const set = layout.setSeparatorBytes;
    for (;;) {
      const next = nextSeparator(this.bytes, pos, end, set);
      const record = this.element(section, qname, '', pos, next, null);
      if (record !== null) gathered.add(record);
      if (next === end) return gathered.take();
      pos = next + set.length;
    }
  }

  /**
   * One element of answers, auth or addl. Plain addresses and names are read
   * from the bytes; anything else is unescaped and left to answers.ts, which
   * decides the same way on text. `qtype` is only read for answers.
   */
  private element(section: Section, owner: string, qtype: string, start: number, end: number, ttl: number | null): ResourceRecord | null {
    const bytes = this.bytes;
    const v4 = plainIPv4(bytes, start, end);
    if (v4 !== null) return { name: owner, type: 'A', data: v4, ttl };
    const v6 = plainIPv6(bytes, start, end);
    if (v6 !== null) return { name: owner, type: 'AAAA', data: v6, ttl };
    if (section !== ADDITIONAL) {
      const target = plainName(bytes, start, end);
      if (target !== null) return { name: owner, type: section === ANSWERS ? nameAnswerType(qtype) : 'NS', data: target, ttl };
    } else if (!needsDecoding(bytes, start, end)) {
      // Plain text that is no address: not glue.
      return null;
    }
    const data = unescapeZeek(this.slice(start, end));
    if (section === ANSWERS) return zeekAnswer(owner, qtype, data, ttl);
    return section === AUTHORITY ? zeekAuthority(owner, data) : zeekAdditional(owner, data);
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
    return this.bytes.toString('utf8', start, end);
  }
}
