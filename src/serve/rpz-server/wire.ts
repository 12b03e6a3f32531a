/**
 * The DNS wire format, as much as an RPZ primary needs beyond src/dns (whose
 * constants, name reader and writer and byte writer it uses and re-exports
 * under the names the server has always imported): the request parse (header, one
 * question, the IXFR SOA, EDNS, TSIG — which must come last) and the
 * record and message writers. Input is hostile: every read is bounds
 * checked and throws WireError, never anything else.
 */
import type { RpzSoa } from '../../act/rpz/types.js';
import { ByteWriter } from '../../dns/byte-writer.js';
import { CLASS_ANY, FLAG_AA, FLAG_QR, FLAG_RD, OPCODE_MASK, TYPE, WireError } from '../../dns/constants.js';
import { lastName, nameWire, readOneName } from '../../dns/name-reader.js';
import { nameToWire } from '../../dns/name-writer.js';
import { parseIPv4, parseIPv6 } from '../../model/names.js';

export { CLASS_ANY, CLASS_IN, FLAG_AA, FLAG_QR, FLAG_RD, FLAG_TC, OPCODE_NOTIFY, OPCODE_QUERY, RCODE, TYPE, WireError } from '../../dns/constants.js';
export { ByteWriter } from '../../dns/byte-writer.js';
export { readHeader } from '../../dns/header.js';
export { nameToWire } from '../../dns/name-writer.js';

export interface WireName {
  /** The one name text (src/dns), absolute with a trailing dot ('.' for the root). */
  text: string;
  /** Uncompressed, lower-cased wire form (canonical, as TSIG and comparisons need). */
  wire: Uint8Array;
  /** Uncompressed wire form as sent (case kept), to echo a question exactly. */
  raw: Uint8Array;
}

/**
 * Reads a possibly compressed name at `offset` with the one name reader
 * (src/dns: loops, overlong names and truncation refused); returns it and the
 * offset after it in the message. Throws WireError with the reader's reason.
 */
export function readName(msg: Uint8Array, offset: number): { name: WireName; end: number } {
  const text = readOneName(msg, offset, 0, msg.length);
  if (text === null) throw new WireError(`name: ${lastName.error}`);
  const end = lastName.end;
  const raw = nameWire(msg, offset, 0);
  return { name: { text: text === '.' ? '.' : `${text}.`, wire: lowerWire(raw), raw }, end };
}

/** Lower-cases ASCII letters of a wire name (canonical form for TSIG and comparison). */
export function lowerWire(wire: Uint8Array): Uint8Array {
  const out = Uint8Array.from(wire);
  // Label length bytes are at most 63, below 'A', so lower-casing every byte in A..Z is safe.
  for (let i = 0; i < out.length; i++) if (out[i]! >= 65 && out[i]! <= 90) out[i]! += 32;
  return out;
}

export function sameName(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]!;
    let y = b[i]!;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** The TSIG record of a message, with where it starts (the MAC covers the bytes before it). */
export interface TsigRecord {
  /** Offset of the TSIG record in the message. */
  start: number;
  keyName: WireName;
  algorithm: WireName;
  /** Seconds since the epoch (48-bit). */
  timeSigned: number;
  fudge: number;
  mac: Uint8Array;
  originalId: number;
  error: number;
  other: Uint8Array;
}

export interface Question {
  name: WireName;
  type: number;
  class: number;
}

export interface Request {
  id: number;
  /** The second header word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE. */
  flags: number;
  opcode: number;
  isResponse: boolean;
  question: Question;
  /** The serial of the SOA in the authority section (IXFR, RFC 1995); null when absent. */
  ixfrSerial: number | null;
  /** EDNS UDP payload size from an OPT record; null without EDNS. */
  ednsSize: number | null;
  tsig: TsigRecord | null;
  answerCount: number;
}

class Reader {
  constructor(
    readonly msg: Uint8Array,
    public pos = 0,
  ) {}
  need(n: number): void {
    if (this.pos + n > this.msg.length) throw new WireError('message truncated');
  }
  u16(): number {
    this.need(2);
    const v = (this.msg[this.pos]! << 8) | this.msg[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const m = this.msg;
    const p = this.pos;
    this.pos += 4;
    return ((m[p]! << 24) >>> 0) + ((m[p + 1]! << 16) | (m[p + 2]! << 8) | m[p + 3]!);
  }
  name(): WireName {
    const { name, end } = readName(this.msg, this.pos);
    this.pos = end;
    return name;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.msg.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** Parses a request. Throws WireError on anything malformed (the caller answers FORMERR or drops). */
export function parseRequest(msg: Uint8Array): Request {
  const r = new Reader(msg);
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16();
  const an = r.u16();
  const ns = r.u16();
  const ar = r.u16();
  if (qd !== 1) throw new WireError(`${qd} questions`);
  const question: Question = { name: r.name(), type: r.u16(), class: r.u16() };
  let ixfrSerial: number | null = null;
  let ednsSize: number | null = null;
  let tsig: TsigRecord | null = null;
  // Every record takes at least 11 bytes, so a huge count runs out of message quickly.
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = r.pos;
    const owner = r.name();
    const type = r.u16();
    const cls = r.u16();
    r.u32(); // TTL
    const rdlength = r.u16();
    r.need(rdlength);
    const rdataStart = r.pos;
    const inAuthority = i >= an && i < an + ns;
    if (tsig !== null) throw new WireError('TSIG is not the last record');
    if (type === TYPE.SOA && inAuthority && ixfrSerial === null) {
      const rd = new Reader(msg.subarray(0, rdataStart + rdlength), rdataStart);
      rd.name();
      rd.name();
      ixfrSerial = rd.u32();
    } else if (type === TYPE.OPT && i >= an + ns) {
      if (owner.wire.length !== 1) throw new WireError('OPT owner is not the root');
      if (ednsSize !== null) throw new WireError('two OPT records');
      ednsSize = cls;
    } else if (type === TYPE.TSIG) {
      if (i !== total - 1) throw new WireError('TSIG is not the last record');
      if (cls !== CLASS_ANY) throw new WireError('TSIG class is not ANY');
      const rd = new Reader(msg.subarray(0, rdataStart + rdlength), rdataStart);
      const algorithm = rd.name();
      const hi = rd.u16();
      const lo = rd.u32();
      const fudge = rd.u16();
      const mac = rd.bytes(rd.u16());
      const originalId = rd.u16();
      const error = rd.u16();
      const other = rd.bytes(rd.u16());
      if (rd.pos !== rdataStart + rdlength) throw new WireError('TSIG rdata length mismatch');
      tsig = { start, keyName: owner, algorithm, timeSigned: hi * 2 ** 32 + lo, fudge, mac, originalId, error, other };
    }
    r.pos = rdataStart + rdlength;
  }
  if (r.pos !== msg.length) throw new WireError('trailing bytes after the last record');
  return {
    id,
    flags,
    opcode: (flags >> 11) & 0xf,
    isResponse: (flags & FLAG_QR) !== 0,
    question,
    ixfrSerial,
    ednsSize,
    tsig,
    answerCount: an,
  };
}

/** One resource record in wire form, owner uncompressed. */
export function encodeRecord(owner: Uint8Array, type: number, cls: number, ttl: number, rdata: Uint8Array): Uint8Array {
  if (rdata.length > 65535) throw new WireError('rdata longer than 65535 bytes');
  return new ByteWriter().bytes(owner).u16(type).u16(cls).u32(ttl).u16(rdata.length).bytes(rdata).done();
}

/** SOA fields, as the zone builder produces them. */
export type SoaData = RpzSoa;

export function soaRdata(soa: SoaData): Uint8Array {
  return new ByteWriter()
    .bytes(nameToWire(soa.mname))
    .bytes(nameToWire(soa.rname))
    .u32(soa.serial >>> 0)
    .u32(soa.refresh >>> 0)
    .u32(soa.retry >>> 0)
    .u32(soa.expire >>> 0)
    .u32(soa.minimum >>> 0)
    .done();
}

/** Presentation-form rdata of the types an RPZ carries → wire rdata. Throws WireError. */
export function rdataOf(type: 'CNAME' | 'NS' | 'A' | 'AAAA' | 'TXT', data: string, origin: string): Uint8Array {
  switch (type) {
    case 'CNAME':
    case 'NS':
      return nameToWire(data, origin);
    case 'A': {
      const v = parseIPv4(data);
      if (v < 0) throw new WireError(`not an IPv4 address: '${data}'`);
      return new ByteWriter().u32(v).done();
    }
    case 'AAAA': {
      const g = parseIPv6(data);
      if (g === null) throw new WireError(`not an IPv6 address: '${data}'`);
      const w = new ByteWriter();
      for (const x of g) w.u16(x);
      return w.done();
    }
    case 'TXT':
      return txtRdata(data);
  }
}

/** One or more quoted (or bare) character-strings, with \X and \DDD escapes, each at most 255 bytes. */
function txtRdata(data: string): Uint8Array {
  const b = Buffer.from(data, 'utf8');
  const w = new ByteWriter();
  let i = 0;
  let strings = 0;
  while (i < b.length) {
    if (b[i] === 32 || b[i] === 9) {
      i++;
      continue;
    }
    const quoted = b[i] === 34;
    if (quoted) i++;
    const chars: number[] = [];
    for (; i < b.length; i++) {
      const c = b[i]!;
      if (quoted ? c === 34 : c === 32 || c === 9) break;
      if (c === 92 && i + 1 < b.length) {
        const d = b.subarray(i + 1, i + 4);
        if (d.length === 3 && d.every((x) => x >= 48 && x <= 57)) {
          chars.push(((d[0]! - 48) * 100 + (d[1]! - 48) * 10 + (d[2]! - 48)) & 0xff);
          i += 3;
        } else {
          chars.push(b[++i]!);
        }
        continue;
      }
      chars.push(c);
    }
    if (quoted) {
      if (i >= b.length) throw new WireError(`unterminated TXT string: ${data}`);
      i++;
    }
    for (let s = 0; s < chars.length || s === 0; s += 255) {
      const part = chars.slice(s, s + 255);
      w.u8(part.length).bytes(Uint8Array.from(part));
    }
    strings++;
  }
  if (strings === 0) w.u8(0);
  return w.done();
}

export interface MessageHeader {
  id: number;
  /** Second header word (QR, opcode, AA, ..., RCODE). */
  flags: number;
}

/** Header + question + sections of already-encoded records. */
export function encodeMessage(header: MessageHeader, question: Question | null, answers: readonly Uint8Array[], authority: readonly Uint8Array[] = [], additional: readonly Uint8Array[] = []): Uint8Array {
  const w = new ByteWriter()
    .u16(header.id)
    .u16(header.flags)
    .u16(question === null ? 0 : 1)
    .u16(answers.length)
    .u16(authority.length)
    .u16(additional.length);
  if (question !== null) w.bytes(question.name.raw).u16(question.type).u16(question.class);
  for (const rr of answers) w.bytes(rr);
  for (const rr of authority) w.bytes(rr);
  for (const rr of additional) w.bytes(rr);
  return w.done();
}

/** Response flags: QR, the request's opcode and RD, AA when authoritative, and the RCODE. */
export function responseFlags(requestFlags: number, rcode: number, authoritative: boolean): number {
  return FLAG_QR | (requestFlags & OPCODE_MASK) | (requestFlags & FLAG_RD) | (authoritative ? FLAG_AA : 0) | (rcode & 0xf);
}

/** An OPT record announcing our UDP payload size (RFC 6891). */
export function optRecord(udpSize: number): Uint8Array {
  return encodeRecord(Uint8Array.of(0), TYPE.OPT, udpSize, 0, new Uint8Array(0));
}
