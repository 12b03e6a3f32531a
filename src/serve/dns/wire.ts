/**
 * The little of the DNS wire format the forwarder's hot path needs beyond
 * src/dns (whose query reader and name text it re-exports): the TTL fields of an answer (to age cached
 * answers), and the few answers it writes itself. Full decoding of upstream
 * answers for detection is src/sources/dns-wire's job.
 */
import { Buffer } from 'node:buffer';
import { FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, OPCODE_MASK, RCODE, TYPE } from '../../dns/constants.js';
import type { QueryInfo } from '../../dns/header.js';
import { readOneName } from '../../dns/name-reader.js';

export { newQueryInfo, readQuery, type QueryInfo } from '../../dns/header.js';

export const RCODE_NOERROR = RCODE.NOERROR;
export const RCODE_FORMERR = RCODE.FORMERR;
export const RCODE_SERVFAIL = RCODE.SERVFAIL;
export const RCODE_NXDOMAIN = RCODE.NXDOMAIN;
export const RCODE_NOTIMP = RCODE.NOTIMP;
export const RCODE_REFUSED = RCODE.REFUSED;

export const TYPE_A = TYPE.A;
export const TYPE_AAAA = TYPE.AAAA;
const TYPE_OPT = TYPE.OPT;

/**
 * The question name of a query readQuery accepted, in the one name text
 * (src/dns, the text the detector's decoder gives the same name, so a
 * flagged name matches whatever bytes it holds); '' for the root.
 */
export function queryName(bytes: Buffer, q: QueryInfo): string {
  const name = readOneName(bytes, 12, 0, q.questionEnd);
  // readQuery checked the question with the reader's own limits, so null cannot come back.
  return name === null || name === '.' ? '' : name;
}

/** Skips one (possibly compressed) name; the offset after it, or -1. */
export function skipName(bytes: Uint8Array, p: number, end: number): number {
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
  out.writeUInt16BE(FLAG_QR | (queryFlags & (OPCODE_MASK | FLAG_RD)) | FLAG_RA | extraFlags | (rcode & 15), 2);
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
