/**
 * A whole DNS message from the model's records (presentation text): what the
 * corpus writes into its packet captures and dnstap files. It is the exact
 * inverse of the decoder (sources/dns-wire): every record a DnsObservation
 * can hold is written so that the decoder reads back the same owner, type,
 * TTL and data text. Names go through the one name writer and the
 * compressing byte writer; record data that RFC 3597 §4 forbids compressing
 * (DNAME, SRV) is written whole.
 */
import type { ResourceRecord } from '../model/observation.js';
import { parseIPv4, parseIPv6 } from '../model/names.js';
import { ByteWriter } from './byte-writer.js';
import { CLASS_IN, TYPE, WireError } from './constants.js';
import { typeCode } from './mnemonics.js';
import { nameToWire } from './name-writer.js';

export interface MessageParts {
  id: number;
  /** Second header word without the rcode: FLAG_QR, FLAG_RD, FLAG_RA, ... */
  flags: number;
  /** 0..15 (extended rcodes need EDNS and are not written). */
  rcode: number;
  qname: string;
  qtype: number;
  answers?: readonly ResourceRecord[];
  authority?: readonly ResourceRecord[];
  additional?: readonly ResourceRecord[];
  /** When set, an OPT record (RFC 6891) offering this UDP payload size ends the additional section. */
  ednsSize?: number;
}

const NONE: readonly ResourceRecord[] = [];
/** One writer for every message: its buffer and compression table are reused (done() copies out). */
const writer = new ByteWriter({ compress: true });

/**
 * Wire forms of recent names: a generated day asks a few thousand names a
 * million times. Bounded; emptied when full (the next names refill it).
 */
const WIRE_CACHE = 16_384;
const wireCache = new Map<string, Uint8Array>();

function wireOf(text: string): Uint8Array {
  let wire = wireCache.get(text);
  if (wire === undefined) {
    wire = nameToWire(text);
    if (wireCache.size >= WIRE_CACHE) wireCache.clear();
    wireCache.set(text, wire);
  }
  return wire;
}

/** The message's wire bytes; throws WireError for a name or record data that has no wire form. */
export function writeMessage(m: MessageParts): Uint8Array {
  const answers = m.answers ?? NONE;
  const authority = m.authority ?? NONE;
  const additional = m.additional ?? NONE;
  const w = writer.reset();
  w.u16(m.id).u16((m.flags & ~0xf) | (m.rcode & 0xf));
  w.u16(1).u16(answers.length).u16(authority.length).u16(additional.length + (m.ednsSize === undefined ? 0 : 1));
  w.name(wireOf(m.qname)).u16(m.qtype).u16(CLASS_IN);
  for (const r of answers) writeRecord(w, r);
  for (const r of authority) writeRecord(w, r);
  for (const r of additional) writeRecord(w, r);
  if (m.ednsSize !== undefined) w.u8(0).u16(TYPE.OPT).u16(m.ednsSize).u32(0).u16(0);
  return w.done();
}

function writeRecord(w: ByteWriter, r: ResourceRecord): void {
  const type = typeCode(r.type);
  if (type === null) throw new WireError(`record ${r.name}: unknown type '${r.type}'`);
  w.name(wireOf(r.name)).u16(type).u16(CLASS_IN).u32(r.ttl ?? 0);
  const lengthAt = w.length;
  w.u16(0);
  writeData(w, type, r);
  w.patch16(lengthAt, w.length - lengthAt - 2);
}

/** Record data from the decoder's presentation forms (sources/dns-wire/rdata.ts). */
function writeData(w: ByteWriter, type: number, r: ResourceRecord): void {
  const data = r.data;
  switch (type) {
    case TYPE.A: {
      const v4 = parseIPv4(data);
      if (v4 < 0) throw new WireError(`record ${r.name}: A data '${data}' is not an IPv4 address`);
      w.u32(v4);
      return;
    }
    case TYPE.AAAA: {
      const groups = parseIPv6(data);
      if (groups === null) throw new WireError(`record ${r.name}: AAAA data '${data}' is not an IPv6 address`);
      for (const g of groups) w.u16(g);
      return;
    }
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
      w.name(wireOf(data));
      return;
    case TYPE.DNAME:
      w.bytes(wireOf(data));
      return;
    case TYPE.MX:
      // The model keeps the exchange only; the preference is not part of what is compared.
      w.u16(10).name(wireOf(data));
      return;
    case TYPE.SRV:
      w.u16(0).u16(0).u16(0).bytes(wireOf(data));
      return;
    case TYPE.SOA:
      writeSoa(w, r);
      return;
    case TYPE.TXT:
      writeTxt(w, data);
      return;
    default:
      // The decoder keeps no data for other types: only empty data has a faithful wire form.
      if (data !== '') throw new WireError(`record ${r.name}: no wire form for ${r.type} data`);
  }
}

/** 'mname rname serial refresh retry expire minimum'. */
function writeSoa(w: ByteWriter, r: ResourceRecord): void {
  const parts = r.data.split(' ');
  const numbers = parts.slice(2).map(Number);
  if (parts.length !== 7 || !numbers.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) {
    throw new WireError(`record ${r.name}: SOA data '${r.data}' is not 'mname rname serial refresh retry expire minimum'`);
  }
  w.name(wireOf(parts[0]!)).name(wireOf(parts[1]!));
  for (const n of numbers) w.u32(n);
}

/** Character-strings separated by spaces, each byte the decoder escapes written as \DDD (a space inside a string included). */
function writeTxt(w: ByteWriter, data: string): void {
  for (const part of data.split(' ')) {
    const bytes: number[] = [];
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c === 92 && /^[0-9]{3}$/.test(part.slice(i + 1, i + 4))) {
        const v = Number(part.slice(i + 1, i + 4));
        if (v > 255) throw new WireError(`TXT escape above \\255 in '${data}'`);
        bytes.push(v);
        i += 3;
      } else if (c > 255) {
        throw new WireError(`TXT data '${data}' is not bytes`);
      } else {
        bytes.push(c);
      }
    }
    if (bytes.length > 255) throw new WireError(`TXT string of ${bytes.length} bytes (255 at most)`);
    w.u8(bytes.length).bytes(Uint8Array.from(bytes));
  }
}
