/**
 * Where NetFlow/IPFIX datagrams begin and end in a byte stream that is not
 * UDP: raw datagram files (one datagram, or several back to back as `nc -u -l
 * > file` writes them) and the sniffing of such files. A UDP payload is one
 * datagram by definition; a file has to tell its datagrams apart:
 *   - IPFIX: the message length in its header (RFC 7011 §3.1);
 *   - v5: 24 + 48 × count (count 1..30, the most any v5 exporter sends);
 *   - v9 has no length (RFC 3954 §5.1) and its header count is unreliable
 *     (exporters count flowsets, records, or send 0): its flowsets are walked
 *     until one starts with an id below 256 other than 0 and 1, which no
 *     flowset has — the next header (version 5, 9 or 10) or damage — or until
 *     the input ends. A zero flowset header is padding (Palo Alto pads to 1400
 *     bytes): the datagram runs over the zeros.
 * No datagram is longer than 65,535 bytes (UDP); a header that promises more,
 * or a walk that goes past it, is damage.
 */
import { isPlausibleTime } from '../../model/observation.js';

/** The answer when more bytes are needed to tell. */
export const NEED_MORE = -1;
/** The answer when no datagram starts here. */
export const NOT_A_DATAGRAM = -2;

export const MAX_DATAGRAM = 65535;
const V5_HEADER = 24;
const V5_RECORD = 48;
/** Cisco's limit for v5, which softflowd, Juniper and Mikrotik keep. */
const V5_MAX_RECORDS = 30;
const V9_HEADER = 20;
const IPFIX_HEADER = 16;

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * The length of the datagram at b[at..end), NEED_MORE when the bytes so far
 * cannot tell (only while `ended` is false), or NOT_A_DATAGRAM.
 */
export function datagramLength(b: Uint8Array, at: number, end: number, ended: boolean): number {
  if (end - at < 2) return ended ? NOT_A_DATAGRAM : NEED_MORE;
  const version = u16(b, at);
  if (version === 5) return v5Length(b, at, end, ended);
  if (version === 10) return ipfixLength(b, at, end, ended);
  if (version === 9) return v9Length(b, at, end, ended);
  return NOT_A_DATAGRAM;
}

function v5Length(b: Uint8Array, at: number, end: number, ended: boolean): number {
  if (end - at < V5_HEADER) return ended ? NOT_A_DATAGRAM : NEED_MORE;
  const count = u16(b, at + 2);
  // A v5 header has no structure to check but its count and its clock.
  if (count === 0 || count > V5_MAX_RECORDS) return NOT_A_DATAGRAM;
  if (!isPlausibleTime(u32(b, at + 8)) || u32(b, at + 12) >= 1e9) return NOT_A_DATAGRAM;
  const length = V5_HEADER + V5_RECORD * count;
  if (end - at < length) return ended ? NOT_A_DATAGRAM : NEED_MORE;
  return length;
}

function ipfixLength(b: Uint8Array, at: number, end: number, ended: boolean): number {
  if (end - at < 4) return ended ? NOT_A_DATAGRAM : NEED_MORE;
  const length = u16(b, at + 2);
  if (length < IPFIX_HEADER + 4) return NOT_A_DATAGRAM;
  if (end - at < length) return ended ? NOT_A_DATAGRAM : NEED_MORE;
  // The sets must tile the message exactly (RFC 7011 §3.3: padding is inside sets).
  let p = at + IPFIX_HEADER;
  while (p < at + length) {
    if (at + length - p < 4) return NOT_A_DATAGRAM;
    const id = u16(b, p);
    const setLength = u16(b, p + 2);
    if ((id !== 2 && id !== 3 && id < 256) || setLength < 4 || p + setLength > at + length) return NOT_A_DATAGRAM;
    p += setLength;
  }
  return length;
}

function v9Length(b: Uint8Array, at: number, end: number, ended: boolean): number {
  if (end - at < V9_HEADER + 4) return ended ? NOT_A_DATAGRAM : NEED_MORE;
  let p = at + V9_HEADER;
  let sets = 0;
  for (;;) {
    if (p - at > MAX_DATAGRAM) return NOT_A_DATAGRAM;
    if (p === end) return ended ? (sets > 0 ? p - at : NOT_A_DATAGRAM) : NEED_MORE;
    // 1 to 3 bytes at the end of the input: the start of a next datagram, or a flowset header cut short.
    if (end - p < 4) return !ended ? NEED_MORE : sets > 0 && mayStartHeader(b, p, end) ? p - at : NOT_A_DATAGRAM;
    const id = u16(b, p);
    const setLength = u16(b, p + 2);
    if (id === 0 && setLength === 0) {
      if (sets === 0) return NOT_A_DATAGRAM;
      return zeroPadding(b, at, p, end, ended);
    }
    // No flowset has an id of 2..255: the next datagram's version, or damage the next datagram's check reports.
    if (id !== 0 && id !== 1 && id < 256) return sets > 0 ? p - at : NOT_A_DATAGRAM;
    if (setLength < 4) return NOT_A_DATAGRAM;
    if (p + setLength - at > MAX_DATAGRAM) return NOT_A_DATAGRAM;
    if (p + setLength > end) return ended ? NOT_A_DATAGRAM : NEED_MORE;
    p += setLength;
    sets++;
  }
}

/** True when b[p..end), under 4 bytes, may be the start of a datagram header (a version: 00 05, 00 09, 00 0a). */
function mayStartHeader(b: Uint8Array, p: number, end: number): boolean {
  if (b[p] !== 0) return false;
  if (end - p === 1) return true;
  const version = b[p + 1];
  return version === 5 || version === 9 || version === 10;
}

/** A v9 datagram padded with zeros from `p`: it ends one byte before the next non-zero byte (a version's high byte is zero). */
function zeroPadding(b: Uint8Array, at: number, p: number, end: number, ended: boolean): number {
  let q = p;
  while (q < end && b[q] === 0) {
    q++;
    if (q - at > MAX_DATAGRAM) return MAX_DATAGRAM;
  }
  if (q === end) return ended ? end - at : NEED_MORE;
  return Math.max(p, q - 1) - at;
}

/**
 * True when `head` (the first bytes of a file, at most 64 KiB) starts with a
 * datagram whose structure holds: v5 count and clock, IPFIX sets tiling the
 * message, v9 flowsets tiling up to the next header, padding or the end. A
 * text file never starts with a zero byte, nor a pcap or dnstap file with 00 05,
 * 00 09 or 00 0a, so the DNS inputs cannot be taken for it.
 */
export function sniffDatagrams(head: Uint8Array): boolean {
  // The head is all there is unless the sniffer was given its whole 64 KiB.
  const ended = head.length < 64 * 1024;
  const length = datagramLength(head, 0, head.length, ended);
  if (length === NEED_MORE) return !ended && head.length >= V9_HEADER + 4;
  return length > 0;
}
