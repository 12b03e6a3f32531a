/**
 * The little of the DNS wire format the forwarder's hot path needs: the
 * header and question of a query, the TTL fields of an answer (to age cached
 * answers), and the few answers it writes itself. Full decoding of upstream
 * answers for detection is src/sources/dns-wire's job.
 */
import { Buffer } from 'node:buffer';

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
const TYPE_OPT = 41;

const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;

/** What the forwarder reads from a query; one object reused for every query. */
export interface QueryInfo {
  id: number;
  flags: number;
  opcode: number;
  /** Offset just past the (single) question. */
  questionEnd: number;
  qtype: number;
  qclass: number;
  /** The UDP payload the client accepts: its EDNS size (512..4096), or 512 without EDNS. */
  udpSize: number;
  /** 0 without EDNS, 1 with EDNS, 3 with EDNS and the DO bit: part of the cache key. */
  edns: number;
}

export function newQueryInfo(): QueryInfo {
  return { id: 0, flags: 0, opcode: 0, questionEnd: 0, qtype: 0, qclass: 0, udpSize: 512, edns: 0 };
}

/**
 * Reads the header and the one question of a query into `out`. Returns null,
 * or why the message cannot be answered normally: 'response' (QR set: never
 * answered, so no reflection loops), 'header', 'opcode', 'qdcount', 'question'.
 * The name is checked but not turned into text: a cache hit never needs it
 * (queryName does that when the policy has flagged names to look up).
 */
export function readQuery(bytes: Buffer, length: number, out: QueryInfo): string | null {
  if (length < 12) return 'header';
  const flags = (bytes[2]! << 8) | bytes[3]!;
  out.id = (bytes[0]! << 8) | bytes[1]!;
  out.flags = flags;
  out.opcode = (flags >>> 11) & 15;
  if ((flags & FLAG_QR) !== 0) return 'response';
  if (out.opcode !== 0) return 'opcode';
  if (bytes[4] !== 0 || bytes[5] !== 1) return 'qdcount';
  let p = 12;
  let wire = 1;
  for (;;) {
    if (p >= length) return 'question';
    const len = bytes[p]!;
    if (len === 0) break;
    // A query's one question has nothing to point back at: no compression.
    if (len > 63) return 'question';
    wire += len + 1;
    if (wire > 255 || p + 1 + len > length) return 'question';
    p += len + 1;
  }
  p++;
  if (p + 4 > length) return 'question';
  out.qtype = (bytes[p]! << 8) | bytes[p + 1]!;
  out.qclass = (bytes[p + 2]! << 8) | bytes[p + 3]!;
  p += 4;
  out.questionEnd = p;
  out.udpSize = 512;
  out.edns = 0;
  // EDNS: an OPT record first in the additional section (answer and authority empty, as in any query).
  if (bytes[6] === 0 && bytes[7] === 0 && bytes[8] === 0 && bytes[9] === 0 && (bytes[10]! | bytes[11]!) !== 0) {
    if (p + 11 <= length && bytes[p] === 0 && ((bytes[p + 1]! << 8) | bytes[p + 2]!) === TYPE_OPT) {
      const size = (bytes[p + 3]! << 8) | bytes[p + 4]!;
      out.udpSize = size < 512 ? 512 : size > 4096 ? 4096 : size;
      out.edns = (bytes[p + 7]! & 0x80) !== 0 ? 3 : 1;
    }
  }
  return null;
}

/**
 * The question name of a query readQuery accepted: lower-case presentation
 * form, no trailing dot ('' for the root); bytes that would confuse it are
 * \\DDD-escaped.
 */
export function queryName(bytes: Buffer, q: QueryInfo): string {
  let name = '';
  let upper = false;
  let p = 12;
  for (let len = bytes[p]!; len !== 0; len = bytes[p]!) {
    let plain = true;
    for (let i = p + 1; i <= p + len; i++) {
      const c = bytes[i]!;
      if (c <= 32 || c >= 127 || c === 46 || c === 92) plain = false;
      else if (c >= 65 && c <= 90) upper = true;
    }
    if (name.length > 0) name += '.';
    // One slice per label; the byte-by-byte form only for labels that need escapes.
    name += plain ? bytes.toString('latin1', p + 1, p + 1 + len) : escapedLabel(bytes, p + 1, p + 1 + len);
    p += len + 1;
    if (p >= q.questionEnd) break;
  }
  return upper ? name.toLowerCase() : name;
}

/** '.' and '\\' inside a label, and unprintable bytes, as \\DDD: 'a.b' as one label must not equal a.b. */
function escapedLabel(bytes: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    text += c <= 32 || c >= 127 || c === 46 || c === 92 ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c);
  }
  return text;
}

/** Skips one (possibly compressed) name; the offset after it, or -1. */
function skipName(bytes: Uint8Array, p: number, end: number): number {
  for (let labels = 0; labels < 128; labels++) {
    if (p >= end) return -1;
    const len = bytes[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= end ? p + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    p += len + 1;
  }
  return -1;
}

/** TTL fields of an answer, for aging a cached copy. */
export interface TtlMap {
  /** Offsets of the 32-bit TTL fields of every record except OPT. */
  offsets: number[];
  /** Their values when received. */
  ttls: number[];
  /** The smallest of them; -1 when there are no records. */
  min: number;
}

/** The TTL fields of a response (whose question ends at `questionEnd`); null when its records do not parse. */
export function scanTtls(bytes: Uint8Array, length: number, questionEnd: number): TtlMap | null {
  const count = ((bytes[6]! << 8) | bytes[7]!) + ((bytes[8]! << 8) | bytes[9]!) + ((bytes[10]! << 8) | bytes[11]!);
  const map: TtlMap = { offsets: [], ttls: [], min: -1 };
  let p = questionEnd;
  for (let i = 0; i < count; i++) {
    p = skipName(bytes, p, length);
    if (p < 0 || p + 10 > length) return null;
    const type = (bytes[p]! << 8) | bytes[p + 1]!;
    const rdLength = (bytes[p + 8]! << 8) | bytes[p + 9]!;
    if (type !== TYPE_OPT) {
      const raw = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>> 0;
      // RFC 2181 §8: a TTL with the top bit set is 0.
      const ttl = raw > 0x7fffffff ? 0 : raw;
      map.offsets.push(p + 4);
      map.ttls.push(ttl);
      if (map.min < 0 || ttl < map.min) map.min = ttl;
    }
    p += 10 + rdLength;
    if (p > length) return null;
  }
  return map;
}

export function writeTtl(bytes: Uint8Array, offset: number, ttl: number): void {
  bytes[offset] = ttl >>> 24;
  bytes[offset + 1] = (ttl >>> 16) & 255;
  bytes[offset + 2] = (ttl >>> 8) & 255;
  bytes[offset + 3] = ttl & 255;
}

/** The header of an answer to `query`: same id, opcode and RD, RA set. */
function answerHeader(out: Buffer, query: Uint8Array, rcode: number, extraFlags: number, questions: number, answers: number): void {
  const queryFlags = (query[2]! << 8) | query[3]!;
  out.writeUInt16BE((query[0]! << 8) | query[1]!, 0);
  out.writeUInt16BE(FLAG_QR | (queryFlags & (0x7800 | FLAG_RD)) | FLAG_RA | extraFlags | (rcode & 15), 2);
  out.writeUInt16BE(questions, 4);
  out.writeUInt16BE(answers, 6);
  out.writeUInt32BE(0, 8);
}

/** An answer with no records: rcode (NXDOMAIN, SERVFAIL, REFUSED, NODATA as NOERROR...) and the question when it was read. */
export function emptyAnswer(query: Uint8Array, questionEnd: number, rcode: number, truncated = false): Buffer {
  const withQuestion = questionEnd > 12;
  const out = Buffer.allocUnsafe(withQuestion ? questionEnd : 12);
  answerHeader(out, query, rcode, truncated ? FLAG_TC : 0, withQuestion ? 1 : 0, 0);
  if (withQuestion) out.set(query.subarray(12, questionEnd), 12);
  return out;
}

/** A one-record address answer (the sinkhole): the question, then qname A/AAAA `address` with `ttl`. */
export function addressAnswer(query: Uint8Array, questionEnd: number, type: number, address: Uint8Array, ttl: number): Buffer {
  const out = Buffer.allocUnsafe(questionEnd + 12 + address.length);
  answerHeader(out, query, RCODE_NOERROR, 0, 1, 1);
  out.set(query.subarray(12, questionEnd), 12);
  let p = questionEnd;
  out.writeUInt16BE(0xc00c, p); // pointer to the question name
  out.writeUInt16BE(type, p + 2);
  out.writeUInt16BE(1, p + 4);
  out.writeUInt32BE(ttl, p + 6);
  out.writeUInt16BE(address.length, p + 10);
  p += 12;
  out.set(address, p);
  return out;
}

/** True when the questions of a query and its answer are the same bytes (names compared case-insensitively). */
export function sameQuestion(query: Uint8Array, answer: Uint8Array, questionEnd: number): boolean {
  if (answer.length < questionEnd || answer[4] !== 0 || answer[5] !== 1) return false;
  const nameEnd = questionEnd - 4;
  for (let i = 12; i < questionEnd; i++) {
    const a = query[i]!;
    const b = answer[i]!;
    if (a === b) continue;
    // Only letters of the name may differ, and only in case (resolvers may echo 0x20-mixed case).
    if (i >= nameEnd || (a | 32) !== (b | 32) || (a | 32) < 97 || (a | 32) > 122) return false;
  }
  return true;
}

export function setId(bytes: Uint8Array, id: number): void {
  bytes[0] = id >>> 8;
  bytes[1] = id & 255;
}

export function isTruncated(bytes: Uint8Array): boolean {
  return (bytes[2]! & 0x02) !== 0;
}

export function rcodeOf(bytes: Uint8Array): number {
  return bytes[3]! & 15;
}

export function isResponse(bytes: Uint8Array): boolean {
  return (bytes[2]! & 0x80) !== 0;
}
