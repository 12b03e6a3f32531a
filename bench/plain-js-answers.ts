/**
 * The byte-level readers the floor (plain-js-features.ts) needs inside one
 * Zeek TSV field, each giving what the DuckDB feature query's casts give
 * (duckdb-features.ts): an address as the SQL's 128-bit integer, a TTL as
 * TRY_CAST(... AS DOUBLE), a timestamp in an order-preserving form. No
 * strings are made on the common path; odd text falls back to Number().
 */

import { latin1Slice } from './zeek-tsv.js';

const DOT = 46;
const COLON = 58;
const ZERO = 48;

/** The address parseAddress read: four big-endian words, IPv4 as ::ffff:a.b.c.d as the SQL maps it. */
export const address = new Uint32Array(4);
const groups = new Uint32Array(8);

/** What an answer was: an address (in `address`), something else (a CNAME target), or address-like text that does not parse. */
export const ADDRESS = 1;
export const NOT_ADDRESS = 0;
export const BAD_ADDRESS = -1;

/**
 * An answer as the SQL's ip_int() reads it: with a ':' it is IPv6, four dotted
 * groups of 1-3 digits IPv4, anything else no address. Text the SQL turns into
 * NULL (an octet over 255, a hex group over four digits, an embedded dotted
 * quad) is BAD_ADDRESS here; so is IPv6 text without '::' and not eight
 * groups, which the SQL folds into some number (no real log holds it).
 */
export function parseAddress(buf: Uint8Array, a: number, b: number): number {
  for (let i = a; i < b; i++) if (buf[i] === COLON) return parseV6(buf, a, b);
  return parseV4(buf, a, b);
}

function parseV4(buf: Uint8Array, a: number, b: number): number {
  let ip = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let tooBig = false;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c === DOT) {
      if (digits === 0 || dots === 3) return NOT_ADDRESS;
      if (octet > 255) tooBig = true;
      ip = ip * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= ZERO && c <= ZERO + 9 && digits < 3) {
      octet = octet * 10 + c - ZERO;
      digits++;
    } else {
      return NOT_ADDRESS;
    }
  }
  if (dots !== 3 || digits === 0) return NOT_ADDRESS;
  if (tooBig || octet > 255) return BAD_ADDRESS;
  address[0] = 0;
  address[1] = 0;
  address[2] = 0xffff;
  address[3] = ip * 256 + octet;
  return ADDRESS;
}

function hexDigit(c: number): number {
  if (c >= ZERO && c <= ZERO + 9) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

function parseV6(buf: Uint8Array, a: number, b: number): number {
  let n = 0;
  let gap = -1;
  let i = a;
  if (buf[i] === COLON) {
    if (buf[i + 1] !== COLON || i + 1 >= b) return BAD_ADDRESS;
    gap = 0;
    i += 2;
  }
  while (i < b) {
    let group = 0;
    let digits = 0;
    for (; i < b; i++) {
      const d = hexDigit(buf[i]!);
      if (d < 0) break;
      group = group * 16 + d;
      digits++;
    }
    if (digits === 0 || digits > 4 || n === 8) return BAD_ADDRESS;
    groups[n++] = group;
    if (i === b) break;
    if (buf[i] !== COLON || ++i === b) return BAD_ADDRESS; // a dot (embedded IPv4), junk, or a trailing ':'
    if (buf[i] === COLON) {
      if (gap >= 0) return BAD_ADDRESS;
      gap = n;
      i++;
    }
  }
  if (gap < 0 ? n !== 8 : n > 8) return BAD_ADDRESS;
  // The SQL expands '::' to 8 - n zero groups, none when n is already 8.
  const zeros = 8 - n;
  for (let w = 0; w < 4; w++) {
    const hi = groupAt(2 * w, gap, zeros);
    const lo = groupAt(2 * w + 1, gap, zeros);
    address[w] = ((hi << 16) | lo) >>> 0;
  }
  return ADDRESS;
}

/** Group k of the eight once '::' (at `gap`, -1 when none) stands for `zeros` zero groups. */
function groupAt(k: number, gap: number, zeros: number): number {
  if (gap < 0 || k < gap) return groups[k]!;
  if (k < gap + zeros) return 0;
  return groups[k - zeros]!;
}

/** TRY_CAST(text AS DOUBLE); NaN for the SQL's NULL. Zeek's TTLs ("300.000000") never leave the fast path. */
export function parseDecimal(buf: Uint8Array, a: number, b: number): number {
  let whole = 0;
  let i = a;
  for (; i < b && i - a < 15; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > ZERO + 9) break;
    whole = whole * 10 + c - ZERO;
  }
  if (i > a) {
    if (i === b) return whole;
    if (buf[i] === DOT) {
      let j = i + 1;
      while (j < b && buf[j] === ZERO) j++;
      if (j === b) return whole; // only zeros after the point
    }
  }
  return numberOrNull(buf, a, b);
}

/**
 * A Zeek timestamp ("1743638400.929933") as whole microseconds, which orders
 * as the SQL's DOUBLE does (doubles near 1.7e9 are 2^-22 s apart, finer than
 * a microsecond); NaN for the SQL's NULL. Only the order is ever used.
 */
export function parseMicros(buf: Uint8Array, a: number, b: number): number {
  let whole = 0;
  let i = a;
  for (; i < b && i - a < 12; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > ZERO + 9) break;
    whole = whole * 10 + c - ZERO;
  }
  if (i > a && (i === b || buf[i] === DOT)) {
    let fraction = 0;
    let scale = 1_000_000;
    let j = i + 1;
    for (; j < b && scale > 1; j++) {
      const c = buf[j]!;
      if (c < ZERO || c > ZERO + 9) break;
      scale /= 10;
      fraction += (c - ZERO) * scale;
    }
    if (i === b || j === b) return whole * 1_000_000 + fraction;
  }
  return numberOrNull(buf, a, b) * 1_000_000;
}

function numberOrNull(buf: Uint8Array, a: number, b: number): number {
  const text = latin1Slice.call(buf, a, b).trim();
  if (text === '') return Number.NaN;
  const n = Number(text);
  return Number.isFinite(n) ? n : Number.NaN;
}
