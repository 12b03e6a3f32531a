/**
 * Address text from wire bytes, with a small direct-mapped cache: the same
 * answers and clients come back all day, and formatting plus allocating a
 * string per record costs more than a lookup.
 */

import { longestZeroRun } from '../../model/names.js';

const V4_SLOTS = 16384;
const v4Keys = new Uint32Array(V4_SLOTS);
const v4Texts: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS);

/** Dotted-quad text of the 4 bytes at `at`. */
export function ipv4Text(bytes: Uint8Array, at: number): string {
  const value = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const slot = (Math.imul(value, 0x9e3779b1) >>> 18) & (V4_SLOTS - 1);
  const known = v4Texts[slot];
  if (known !== undefined && v4Keys[slot] === value) return known;
  const text = `${bytes[at]!}.${bytes[at + 1]!}.${bytes[at + 2]!}.${bytes[at + 3]!}`;
  v4Keys[slot] = value;
  v4Texts[slot] = text;
  return text;
}

const HEX = '0123456789abcdef';
const HEX_CODES = Uint8Array.from(HEX, (c) => c.charCodeAt(0));
const v6Scratch = Buffer.alloc(40);
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Buffer, start: number, end: number): string }).latin1Slice;

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
  return latin1Slice.call(v6Scratch, 0, out);
}

const V6_SLOTS = 4096;
const v6Keys = new Uint8Array(V6_SLOTS * 16);
const v6Texts: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS);
const groups = new Uint16Array(8);

/** RFC 5952 text of the 16 bytes at `at`. */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < 16; i++) hash = Math.imul(hash ^ bytes[at + i]!, 0x01000193);
  const slot = (hash >>> 0) & (V6_SLOTS - 1);
  const known = v6Texts[slot];
  const base = slot * 16;
  if (known !== undefined) {
    let i = 0;
    while (i < 16 && v6Keys[base + i] === bytes[at + i]) i++;
    if (i === 16) return known;
  }
  for (let g = 0; g < 8; g++) groups[g] = (bytes[at + 2 * g]! << 8) | bytes[at + 2 * g + 1]!;
  const text = formatGroups(groups);
  for (let i = 0; i < 16; i++) v6Keys[base + i] = bytes[at + i]!;
  v6Texts[slot] = text;
  return text;
}
