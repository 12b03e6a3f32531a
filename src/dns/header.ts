/**
 * The header and question of a message (RFC 1035 §4.1.1, §4.1.2): the
 * reader a server runs on every query before anything else. It checks, and
 * turns nothing into text: a cache hit never needs the name (readOneName
 * reads it when something must look it up).
 */
import { FLAG_QR, HEADER_LENGTH, MAX_LABEL, MAX_NAME_WIRE, TYPE } from './constants.js';

/** The id and second header word, or null for a message shorter than a header. */
export function readHeader(msg: Uint8Array): { id: number; flags: number } | null {
  if (msg.length < HEADER_LENGTH) return null;
  return { id: (msg[0]! << 8) | msg[1]!, flags: (msg[2]! << 8) | msg[3]! };
}

/** What a server reads from a query; one object reused for every query. */
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
 * The question name is checked with the reader's limits (labels of 63
 * octets, 255 in all) and, as nothing precedes it, may not be compressed.
 */
export function readQuery(bytes: Uint8Array, length: number, out: QueryInfo): string | null {
  if (length < HEADER_LENGTH) return 'header';
  const flags = (bytes[2]! << 8) | bytes[3]!;
  out.id = (bytes[0]! << 8) | bytes[1]!;
  out.flags = flags;
  out.opcode = (flags >>> 11) & 15;
  if ((flags & FLAG_QR) !== 0) return 'response';
  if (out.opcode !== 0) return 'opcode';
  if (bytes[4] !== 0 || bytes[5] !== 1) return 'qdcount';
  let p = HEADER_LENGTH;
  let wire = 1;
  for (;;) {
    if (p >= length) return 'question';
    const len = bytes[p]!;
    if (len === 0) break;
    if (len > MAX_LABEL) return 'question';
    wire += len + 1;
    if (wire > MAX_NAME_WIRE || p + 1 + len > length) return 'question';
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
    if (p + 11 <= length && bytes[p] === 0 && ((bytes[p + 1]! << 8) | bytes[p + 2]!) === TYPE.OPT) {
      const size = (bytes[p + 3]! << 8) | bytes[p + 4]!;
      out.udpSize = size < 512 ? 512 : size > 4096 ? 4096 : size;
      out.edns = (bytes[p + 7]! & 0x80) !== 0 ? 3 : 1;
    }
  }
  return null;
}
