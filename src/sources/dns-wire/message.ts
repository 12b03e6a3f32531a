/**
 * Decoding one DNS message (RFC 1035 §4) from bytes into questions and
 * ResourceRecords in the model's presentation forms. Hostile input gives a
 * one-line reason instead of a message; nothing is read outside [start, end).
 */
import type { ResourceRecord } from '../../model/observation.js';
import { ipv4Text, ipv6Text } from './addresses.js';
import { typeName } from './mnemonics.js';
import { lastName, readName, resetNameCache } from './name.js';

export interface DnsQuestion {
  name: string;
  type: number;
  qclass: number;
}

export interface DnsMessage {
  id: number;
  flags: number;
  qr: boolean;
  opcode: number;
  /** The 4-bit header rcode (EDNS extended bits are not added). */
  rcode: number;
  truncated: boolean;
  questions: DnsQuestion[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_PTR = 12;
const TYPE_MX = 15;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;
const TYPE_DNAME = 39;
const TYPE_OPT = 41;

/**
 * A decoded message, or a one-line reason ('answer 2 name: compression loop
 * at offset 40', 'truncated answer 3', ...). A record whose data does not fit
 * its type (an A record of 3 bytes, a bad name in an NS record) is dropped
 * and the rest kept, as text sources do; OPT pseudo-records are left out.
 */
export function decodeMessage(bytes: Uint8Array, start = 0, end = bytes.length): DnsMessage | string {
  if (end > bytes.length) end = bytes.length;
  if (start < 0 || end - start < 12) return 'truncated header';
  resetNameCache(bytes, start);
  const flags = (bytes[start + 2]! << 8) | bytes[start + 3]!;
  const qdcount = (bytes[start + 4]! << 8) | bytes[start + 5]!;
  const message: DnsMessage = {
    id: (bytes[start]! << 8) | bytes[start + 1]!,
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 15,
    rcode: flags & 15,
    truncated: (flags & 0x0200) !== 0,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
  };
  let p = start + 12;
  for (let i = 0; i < qdcount; i++) {
    p = readName(bytes, p, start, end);
    if (p < 0) return `question ${i + 1} name: ${lastName.error}`;
    if (p + 4 > end) return `truncated question ${i + 1}`;
    message.questions.push({ name: lastName.text, type: (bytes[p]! << 8) | bytes[p + 1]!, qclass: (bytes[p + 2]! << 8) | bytes[p + 3]! });
    p += 4;
  }
  p = readSection(bytes, p, start, end, (bytes[start + 6]! << 8) | bytes[start + 7]!, message.answers, 'answer');
  if (p < 0) return sectionError;
  p = readSection(bytes, p, start, end, (bytes[start + 8]! << 8) | bytes[start + 9]!, message.authority, 'authority');
  if (p < 0) return sectionError;
  p = readSection(bytes, p, start, end, (bytes[start + 10]! << 8) | bytes[start + 11]!, message.additional, 'additional');
  if (p < 0) return sectionError;
  return message;
}

/** Why the last readSection failed. */
let sectionError = '';

/**
 * Reads `count` records from `p` into `records`; returns the offset after
 * them, or -1 with sectionError set. Each record takes at least 11 bytes, so
 * a hostile count ends at the data's end.
 */
function readSection(bytes: Uint8Array, p: number, start: number, end: number, count: number, records: ResourceRecord[], section: string): number {
  for (let i = 0; i < count; i++) {
    p = readName(bytes, p, start, end);
    if (p < 0) {
      sectionError = `${section} ${i + 1} name: ${lastName.error}`;
      return -1;
    }
    if (p + 10 > end) {
      sectionError = `truncated ${section} ${i + 1}`;
      return -1;
    }
    const owner = lastName.text;
    const type = (bytes[p]! << 8) | bytes[p + 1]!;
    const ttlBits = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>> 0;
    const rdStart = p + 10;
    const rdEnd = rdStart + ((bytes[p + 8]! << 8) | bytes[p + 9]!);
    if (rdEnd > end) {
      sectionError = `truncated ${section} ${i + 1}`;
      return -1;
    }
    p = rdEnd;
    if (type === TYPE_OPT) continue;
    const data = recordData(type, bytes, rdStart, rdEnd, start);
    if (data === null) continue;
    // RFC 2181 §8: a TTL with the sign bit set counts as 0.
    records.push({ name: owner, type: typeName(type), data, ttl: ttlBits > 0x7fffffff ? 0 : ttlBits });
  }
  return p;
}

/** The record data in presentation form, or null when it does not fit its type. */
function recordData(type: number, bytes: Uint8Array, rdStart: number, rdEnd: number, start: number): string | null {
  const length = rdEnd - rdStart;
  switch (type) {
    case TYPE_A:
      return length === 4 ? ipv4Text(bytes, rdStart) : null;
    case TYPE_AAAA:
      return length === 16 ? ipv6Text(bytes, rdStart) : null;
    case TYPE_NS:
    case TYPE_CNAME:
    case TYPE_PTR:
    case TYPE_DNAME:
      return nameFilling(bytes, rdStart, rdEnd, start);
    case TYPE_MX:
      // Only the exchange, as every source gives it.
      return length < 3 ? null : nameFilling(bytes, rdStart + 2, rdEnd, start);
    case TYPE_SRV:
      return length < 7 ? null : nameFilling(bytes, rdStart + 6, rdEnd, start);
    case TYPE_SOA:
      return soaData(bytes, rdStart, rdEnd, start);
    case TYPE_TXT:
      return txtData(bytes, rdStart, rdEnd);
    default:
      return '';
  }
}

/** A name that fills [from, rdEnd) exactly; null otherwise. */
function nameFilling(bytes: Uint8Array, from: number, rdEnd: number, start: number): string | null {
  return readName(bytes, from, start, rdEnd) === rdEnd ? lastName.text : null;
}

/** 'mname rname serial refresh retry expire minimum', as Suricata writes it. */
function soaData(bytes: Uint8Array, rdStart: number, rdEnd: number, start: number): string | null {
  let p = readName(bytes, rdStart, start, rdEnd);
  if (p < 0) return null;
  const mname = lastName.text;
  p = readName(bytes, p, start, rdEnd);
  if (p < 0 || p + 20 !== rdEnd) return null;
  let text = `${mname} ${lastName.text}`;
  for (let k = 0; k < 5; k++, p += 4) {
    text += ` ${((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0}`;
  }
  return text;
}

/** The character-strings joined by spaces, each byte escapeName would escape as \DDD; null when they do not fill the data. */
function txtData(bytes: Uint8Array, rdStart: number, rdEnd: number): string | null {
  let text = '';
  let p = rdStart;
  while (p < rdEnd) {
    const stringEnd = p + 1 + bytes[p]!;
    if (stringEnd > rdEnd) return null;
    if (p > rdStart) text += ' ';
    for (let i = p + 1; i < stringEnd; i++) {
      const c = bytes[i]!;
      text += c <= 32 || c >= 127 || c === 92 || c === 34 ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c);
    }
    p = stringEnd;
  }
  return text;
}
