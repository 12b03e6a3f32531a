/**
 * The checks of records.ts (plausibleName, IPv4, canonicalIPv6) read
 * straight from the bytes of a line, for the Zeek TSV hot path. Each reader
 * takes only plain ASCII: anything it does not accept (escapes, non-ASCII,
 * a name with a ':', text that is neither) returns null, and the caller
 * decides on the unescaped string with the string functions, so both paths
 * give the same answers.
 *
 * Strings are made only for what is kept, as fresh flat copies that share
 * nothing with the chunk (downstream keeps names as long-lived map keys).
 * IPv4 texts are interned in a small table keyed by the address: the same
 * resolvers, clients and CDN addresses come back all day, and a hit is an
 * integer compare instead of an allocation. Names are not: at ~175k
 * distinct query names per million records, a table big enough to hit
 * often misses the CPU caches and costs as much as the copy it saves.
 */
import { canonicalIPv6 } from './records.js';

type Latin1Slicing = Buffer & { latin1Slice(start: number, end: number): string };
/**
 * Buffer#latin1Slice is what toString('latin1', start, end) calls after
 * checking its arguments and looking up the encoding, which for short
 * strings costs about as much as the copy. Not in @types/node, hence the check.
 */
const HAS_LATIN1_SLICE = typeof (Buffer.prototype as Partial<Latin1Slicing>).latin1Slice === 'function';

/** bytes[start, end) as a fresh flat string, one character per byte. */
export function latin1(bytes: Buffer, start: number, end: number): string {
  return HAS_LATIN1_SLICE ? (bytes as Latin1Slicing).latin1Slice(start, end) : bytes.toString('latin1', start, end);
}

/**
 * Recent dotted-quad texts by address, direct-mapped: a colliding address
 * replaces the old one. 2^13 slots measured faster than 2^11 (misses) and
 * 2^16 (the table falls out of the CPU caches). Every slot starts as the
 * true pair (0, '0.0.0.0'), so none is ever empty.
 */
const IPV4_BITS = 13;
const ipv4Keys = new Int32Array(1 << IPV4_BITS);
const ipv4Texts: string[] = new Array<string>(1 << IPV4_BITS).fill('0.0.0.0');

/**
 * canonicalName + isPlausibleName of bytes[start, end) in one pass: the
 * lower-cased name without its trailing dot, or null when it is not a plain
 * plausible name (or has a '\', ':' or non-ASCII byte: the string path decides those).
 */
export function plainName(bytes: Buffer, start: number, end: number): string | null {
  // canonicalName drops one trailing dot, except from the root itself.
  const stop = end - start > 1 && bytes[end - 1] === 46 ? end - 1 : end;
  const length = stop - start;
  if (length === 0 || length > 253) return null;
  if (length === 1 && bytes[start] === 46) return '.';
  let label = 0;
  let upper = false;
  for (let i = start; i < stop; i++) {
    const c = bytes[i]!;
    if (c === 46) {
      if (label === 0) return null;
      label = 0;
    } else {
      if (c <= 32 || c >= 127 || c === 92 || c === 58) return null;
      if (++label > 63) return null;
      if (c <= 90 && c >= 65) upper = true;
    }
  }
  if (label === 0) return null;
  const text = latin1(bytes, start, stop);
  return upper ? text.toLowerCase() : text;
}

/**
 * bytes[start, end) when it is a dotted-quad IPv4 address as parseIPv4
 * takes it (no leading zeros, each part ≤ 255), else null. Such a text is
 * its own canonical form.
 */
export function plainIPv4(bytes: Buffer, start: number, end: number): string | null {
  const value = plainIPv4Value(bytes, start, end);
  if (value < 0) return null;
  const key = value | 0;
  const slot = Math.imul(key, 0x9e3779b1) >>> (32 - IPV4_BITS);
  if (ipv4Keys[slot] === key) return ipv4Texts[slot]!;
  const text = latin1(bytes, start, end);
  ipv4Keys[slot] = key;
  ipv4Texts[slot] = text;
  return text;
}

/** The address plainIPv4 would read from bytes[start, end) as a number (parseIPv4's), -1 when it would return null. */
export function plainIPv4Value(bytes: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/**
 * The RFC 5952 form of bytes[start, end) when it is an IPv6 address, else
 * null. Only text of hex digits, ':' and '.' with a ':' can be one; the rest
 * is canonicalIPv6's (and its cache's) work.
 */
export function plainIPv6(bytes: Buffer, start: number, end: number): string | null {
  const length = end - start;
  if (length < 2 || length > 45) return null;
  let colon = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 58) colon = true;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46)) return null;
  }
  return colon ? canonicalIPv6(latin1(bytes, start, end)) : null;
}

/** Whether bytes[start, end) has a '\' (a Zeek escape) or a non-ASCII byte: text the readers above leave to the string path. */
export function needsDecoding(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 92 || c >= 128) return true;
  }
  return false;
}
