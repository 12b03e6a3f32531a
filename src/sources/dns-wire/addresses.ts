/**
 * Address text from wire bytes, with a small direct-mapped cache: the same
 * answers and clients come back all day, and formatting plus allocating a
 * string per record costs more than a lookup.
 */

import { longestZeroRun } from '../../model/names.js';
import { byteText } from '../../dns/byte-text.js';

const V4_SLOTS = 4096;
const v4Keys = new Uint32Array(V4_SLOTS);
const v4Texts: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS);
/** The last address that missed in each slot: a text is kept only when its address comes back (see README, admission). */
const v4Seen = new Uint32Array(V4_SLOTS);

/** Dotted-quad text of the 4 bytes at `at`. */
export function ipv4Text(bytes: Uint8Array, at: number): string {
  const value = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const slot = (Math.imul(value, 0x9e3779b1) >>> 18) & (V4_SLOTS - 1);
  const known = v4Texts[slot];
  if (known !== undefined && v4Keys[slot] === value) return known;
  const text = dottedQuad(value);
  if (v4Seen[slot] !== value) {
    v4Seen[slot] = value;
    return text;
  }
  v4Keys[slot] = value;
  v4Texts[slot] = text;
  return text;
}

/** The decimal digits of 0..255, three bytes each, left-aligned; the digit count in DECIMAL_LENGTHS. */
const DECIMAL_DIGITS = new Uint8Array(256 * 3);
const DECIMAL_LENGTHS = new Uint8Array(256);
for (let n = 0; n < 256; n++) {
  const digits = String(n);
  DECIMAL_LENGTHS[n] = digits.length;
  for (let i = 0; i < digits.length; i++) DECIMAL_DIGITS[n * 3 + i] = digits.charCodeAt(i);
}
const v4Scratch = Buffer.alloc(15);

/**
 * a.b.c.d written into one scratch buffer and made one string: a template
 * literal makes a string per number and per join on every cache miss.
 */
function dottedQuad(value: number): string {
  let out = 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    const n = (value >>> shift) & 255;
    if (shift !== 24) v4Scratch[out++] = 46;
    const length = DECIMAL_LENGTHS[n]!;
    for (let i = 0; i < length; i++) v4Scratch[out++] = DECIMAL_DIGITS[n * 3 + i]!;
  }
  return byteText(v4Scratch, out);
}

const HEX = '0123456789abcdef';
const HEX_CODES = Uint8Array.from(HEX, (c) => c.charCodeAt(0));
const v6Scratch = Buffer.alloc(40);

/**
 * RFC 5952 text of eight groups, as formatIPv6 (model/names.ts) writes it,
 * but into one scratch buffer and one string: no string per group.
 */
export function formatGroups(g: Uint16Array): string {
  const run = longestZeroRun(g);
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLength = run < 0 ? 1 : run & 15;
  let out = 0;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      v6Scratch[out++] = 58;
      v6Scratch[out++] = 58;
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) v6Scratch[out++] = 58;
    const v = g[i]!;
    if (v >= 0x1000) v6Scratch[out++] = HEX_CODES[v >>> 12]!;
    if (v >= 0x100) v6Scratch[out++] = HEX_CODES[(v >>> 8) & 15]!;
    if (v >= 0x10) v6Scratch[out++] = HEX_CODES[(v >>> 4) & 15]!;
    v6Scratch[out++] = HEX_CODES[v & 15]!;
  }
  return byteText(v6Scratch, out);
}

const V6_SLOTS = 1024;
/** Each slot's address as four 32-bit words. */
const v6Keys = new Int32Array(V6_SLOTS * 4);
const v6Texts: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS);
const groups = new Uint16Array(8);
/** The hash of the last address that missed in each slot (admission, as for IPv4). */
const v6Seen = new Int32Array(V6_SLOTS);

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

/** RFC 5952 text of the 16 bytes at `at`. */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  // Hashed and compared as four words rather than sixteen bytes.
  const w0 = word(bytes, at);
  const w1 = word(bytes, at + 4);
  const w2 = word(bytes, at + 8);
  const w3 = word(bytes, at + 12);
  let hash = Math.imul(Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ w0, 0x01000193) ^ w1, 0x01000193) ^ w2, 0x01000193) ^ w3, 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  const slot = (hash ^ (hash >>> 13)) & (V6_SLOTS - 1);
  const known = v6Texts[slot];
  const base = slot * 4;
  if (known !== undefined && v6Keys[base] === w0 && v6Keys[base + 1] === w1 && v6Keys[base + 2] === w2 && v6Keys[base + 3] === w3) return known;
  for (let g = 0; g < 8; g++) groups[g] = (bytes[at + 2 * g]! << 8) | bytes[at + 2 * g + 1]!;
  const text = formatGroups(groups);
  if (v6Seen[slot] !== hash) {
    v6Seen[slot] = hash;
    return text;
  }
  v6Keys[base] = w0;
  v6Keys[base + 1] = w1;
  v6Keys[base + 2] = w2;
  v6Keys[base + 3] = w3;
  v6Texts[slot] = text;
  return text;
}
