/**
 * What a router needs to know of a Zeek TSV dns.log line before any decoder
 * sees it (detect/parallel hands each worker only its own lines): the query
 * name exactly as ZeekTsvDecoder reads it, the answer addresses as the
 * detector keys them, and the name servers its NS answers and auth set
 * name. Read from the bytes with the decoder's own byte readers; nothing is
 * decoded into an observation. Where a line is not what the decoder would
 * keep, the query name is null and the decoder that gets the line decides
 * (and reports) why; addresses and servers may name more than the decoder
 * would keep, never less: a router may over-route a server lookup or
 * over-note an address (both only cost), but must not miss one.
 */
import { isAscii } from 'node:buffer';
import { plainIPv4Value, plainIPv6, plainName } from '../byte-records.js';
import { plausibleName } from '../records.js';
import { typeNameOf } from '../values.js';
import { zeekAnswer, zeekAuthority, zeekQueryType } from './answers.js';
import { ZeekHeader, unescapeZeek, type ZeekLayout } from './header.js';
import { equalsAt, nextSeparator, noteAnswerAddresses, smallInteger } from './scan.js';

const NS = Buffer.from('NS');
const NO_BYTES = Buffer.alloc(0);

export class ZeekLineFacts {
  private readonly header = new ZeekHeader();
  private layout: ZeekLayout = this.header.layout;
  private starts = new Int32Array(32);
  private ends = new Int32Array(32);
  /** The line last read (the caller's bytes, or its UTF-8 re-encoding when it is not ASCII); let go by forget(). */
  private bytes: Buffer = NO_BYTES;
  private qname = '';

  /** A line the decoder reads as a header directive (it starts with '#'): every decoder must see it. */
  isDirective(bytes: Buffer, start: number, end: number): boolean {
    return end > start && bytes[start] === 35;
  }

  directive(bytes: Buffer, start: number, end: number): void {
    this.header.directive(bytes.toString('utf8', start, end));
    this.layout = this.header.layout;
  }

  /**
   * Read a data line: false when the decoder will skip it before its name
   * (an unusable header, a wrong column count). Then queryName(), addresses()
   * and servers() read the same line.
   */
  read(bytes: Buffer, start: number, end: number, ascii: boolean): boolean {
    const layout = this.layout;
    this.bytes = NO_BYTES;
    if (layout.unusable !== null) return false;
    if (!ascii && !isAscii(bytes.subarray(start, end))) {
      // As the decoder does: separators and fields are matched on the decoded text.
      bytes = Buffer.from(bytes.toString('utf8', start, end));
      start = 0;
      end = bytes.length;
    }
    this.bytes = bytes;
    if (this.split(start, end) !== layout.fieldCount) {
      this.bytes = NO_BYTES;
      return false;
    }
    const queryStart = this.starts[layout.query]!;
    const queryEnd = this.ends[layout.query]!;
    const absent = this.isAbsent(queryStart, queryEnd);
    this.queryStart = absent ? -1 : queryStart;
    this.queryEnd = absent ? -1 : queryEnd;
    return true;
  }

  /** The bytes of the line read (the caller's, or its UTF-8 re-encoding). */
  get lineBytes(): Buffer {
    return this.bytes;
  }

  /**
   * The query column of the line read when the decoder tries it as a plain
   * name first (not absent: -1 otherwise): the same bytes always give the
   * same name, so a router may memoise by them.
   */
  queryStart = -1;
  queryEnd = -1;

  /** The query name of the line read as ZeekTsvDecoder reads it, or null (it skips the line). */
  queryName(): string | null {
    const layout = this.layout;
    let qname = this.queryStart === -1 ? null : plainName(this.bytes, this.queryStart, this.queryEnd);
    if (qname === null) {
      const query = this.field(layout.query);
      qname = query === null ? null : query === '' ? '.' : plausibleName(query);
    }
    if (qname !== null) this.qname = qname;
    return qname;
  }

  /** The line's query name is known (a router's memo). */
  named(qname: string): void {
    this.qname = qname;
  }

  /** Each answer address of the line read, as the detector keys it (IPv4: signed integer; IPv6: RFC 5952); null for an escaped answer. */
  addresses(note: (key: number | string | null) => void): void {
    const layout = this.layout;
    if (this.bytes === NO_BYTES || layout.answers === -1) return;
    const bytes = this.bytes;
    const end = this.ends[layout.answers]!;
    let pos = this.starts[layout.answers]!;
    if (this.isAbsent(pos, end)) return;
    noteAnswerAddresses(bytes, pos, end, layout.setSeparatorBytes, note);
  }

  /**
   * Each name server the line's records name (NS answers to an NS query, the
   * auth set), as the decoder would read it: `plain` is offered the bytes of
   * an element that is no address (it returns false when they are not a
   * plain name, plainName's test), `text` gets a server read from escaped or
   * other text.
   */
  servers(plain: (bytes: Buffer, start: number, end: number) => boolean, text: (server: string) => void): void {
    const layout = this.layout;
    if (this.bytes === NO_BYTES) return;
    if (layout.answers !== -1 && this.asksNs()) this.names(layout.answers, true, plain, text);
    if (layout.auth !== -1) this.names(layout.auth, false, plain, text);
  }

  /** Drop the reference to the caller's bytes. */
  forget(): void {
    this.bytes = NO_BYTES;
  }

  private names(column: number, answers: boolean, plain: (bytes: Buffer, start: number, end: number) => boolean, text: (server: string) => void): void {
    const bytes = this.bytes;
    const end = this.ends[column]!;
    let pos = this.starts[column]!;
    if (this.isAbsent(pos, end)) return;
    const set = this.layout.setSeparatorBytes;
    for (;;) {
      const next = nextSeparator(bytes, pos, end, set);
      // As ZeekTsvDecoder.element decides: an address first, then a plain name, then the unescaped text.
      if (plainIPv4Value(bytes, pos, next) < 0 && plainIPv6(bytes, pos, next) === null) {
        if (!plain(bytes, pos, next)) {
          const data = unescapeZeek(bytes.toString('utf8', pos, next));
          const record = answers ? zeekAnswer(this.qname, 'NS', data, null) : zeekAuthority(this.qname, data);
          if (record !== null && record.type === 'NS') text(record.data);
        }
      }
      if (next === end) return;
      pos = next + set.length;
    }
  }

  /** Is the query type NS (as the decoder's mnemonic() reads qtype_name, else qtype)? */
  private asksNs(): boolean {
    const layout = this.layout;
    if (layout.qtypeName !== -1) {
      const start = this.starts[layout.qtypeName]!;
      const end = this.ends[layout.qtypeName]!;
      if (equalsAt(this.bytes, start, end, NS)) return true;
      const name = this.field(layout.qtypeName);
      if (name !== null && name !== '') return zeekQueryType(name) === 'NS';
    }
    const code = layout.qtype === -1 ? -1 : smallInteger(this.bytes, this.starts[layout.qtype]!, this.ends[layout.qtype]!);
    return code >= 0 && typeNameOf(code) === 'NS';
  }

  /** Column bounds of bytes[start, end); the number of columns. */
  private split(start: number, end: number): number {
    const layout = this.layout;
    if (this.starts.length < layout.fieldCount) {
      this.starts = new Int32Array(layout.fieldCount);
      this.ends = new Int32Array(layout.fieldCount);
    }
    const bytes = this.bytes;
    const sep = layout.separatorBytes;
    const capacity = this.starts.length;
    let column = 0;
    let pos = start;
    if (sep.length === 1) {
      const tab = sep[0]!;
      for (let i = start; i < end; i++) {
        if (bytes[i] !== tab) continue;
        if (column < capacity) {
          this.starts[column] = pos;
          this.ends[column] = i;
        }
        column++;
        pos = i + 1;
      }
    } else {
      for (let next = nextSeparator(bytes, pos, end, sep); next < end; next = nextSeparator(bytes, pos, end, sep)) {
        if (column < capacity) {
          this.starts[column] = pos;
          this.ends[column] = next;
        }
        column++;
        pos = next + sep.length;
      }
    }
    if (column < capacity) {
      this.starts[column] = pos;
      this.ends[column] = end;
    }
    return column + 1;
  }

  private isAbsent(start: number, end: number): boolean {
    const layout = this.layout;
    return start === end || equalsAt(this.bytes, start, end, layout.unsetBytes) || equalsAt(this.bytes, start, end, layout.emptyBytes);
  }

  /** A string column, unescaped; null when unset, '' when empty (as the decoder's field()). */
  private field(column: number): string | null {
    const layout = this.layout;
    const start = this.starts[column]!;
    const end = this.ends[column]!;
    if (equalsAt(this.bytes, start, end, layout.unsetBytes)) return null;
    if (equalsAt(this.bytes, start, end, layout.emptyBytes)) return '';
    return unescapeZeek(this.bytes.toString('utf8', start, end));
  }
}
