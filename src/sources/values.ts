/**
 * Checks on the scalar values every text source reads (timestamps, TTLs,
 * counts, type and rcode mnemonics), so that all formats accept and reject
 * the same things and say so in the same words.
 */

/** 10000-01-01T00:00:00Z: a timestamp at or after it is garbage, not data. */
export const MAX_EPOCH_SECONDS = 253_402_300_800;

/** TTLs are unsigned 32-bit (RFC 1035 §3.2.1). */
const TTL_LIMIT = 4_294_967_296;
/** RFC 2181 §8: a TTL with the most significant bit set is treated as zero. */
const TTL_SIGN_BIT = 2_147_483_648;

/** Seconds since the epoch when `value` is a plausible timestamp, else -1. */
export function epochOrInvalid(value: number): number {
  return value >= 0 && value < MAX_EPOCH_SECONDS ? value : -1;
}

/**
 * A timestamp from JSON: epoch seconds as a number or a decimal string, or an
 * ISO 8601 / RFC 3339 string. -1 when it is none of these or out of range.
 */
export function epochSeconds(value: unknown): number {
  if (typeof value === 'number') return epochOrInvalid(value);
  if (typeof value !== 'string' || value.length === 0 || value.length > 40) return -1;
  const first = value.charCodeAt(0);
  // A decimal string has no '-' after its first character; an ISO date has one at index 4.
  if (first >= 48 && first <= 57 && value.indexOf('-') === -1 && value.indexOf(':') === -1) {
    return DECIMAL.test(value) ? epochOrInvalid(Number(value)) : -1;
  }
  return isoSeconds(value);
}

const DECIMAL = /^\d+(?:\.\d+)?$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * ISO 8601 date-time (`2016-05-26T11:24:34.170604+0200`, `...Z`, no zone = UTC)
 * to epoch seconds, keeping sub-millisecond digits that Date.parse would drop. -1 when invalid.
 */
export function isoSeconds(text: string): number {
  const m = ISO.exec(text);
  if (m === null) return -1;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return -1;
  if (hour > 23 || minute > 59 || second > 60) return -1;
  let seconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
  if (m[7] !== undefined) seconds += Number(m[7]);
  if (m[9] !== undefined) {
    const offset = Number(m[10]) * 3600 + Number(m[11]) * 60;
    if (Number(m[10]) > 23 || Number(m[11]) > 59) return -1;
    seconds += m[9] === '+' ? -offset : offset;
  }
  return epochOrInvalid(seconds);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A TTL in whole seconds, or -1 when it is not a number in 0..2^32-1.
 * Fractions (Zeek writes intervals like `300.000000`) are dropped; values with
 * the sign bit set become 0 as RFC 2181 §8 says.
 */
export function ttlOrInvalid(value: number): number {
  if (!(value >= 0 && value < TTL_LIMIT)) return -1; // also rejects NaN
  return value >= TTL_SIGN_BIT ? 0 : Math.floor(value);
}

/** `count` of a passive-DNS tuple: a positive safe integer, -1 otherwise. */
export function countOrInvalid(value: number): number {
  return Number.isSafeInteger(value) && value >= 1 ? value : -1;
}

const MAX_SHOWN = 40;

/** A value as it is quoted in a skip reason: short, one line. */
export function shown(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) text = 'undefined';
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
  else text = safeJson(value);
  // Control characters would break the one-line error format.
  text = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > MAX_SHOWN ? `'${text.slice(0, MAX_SHOWN)}…'` : `'${text}'`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA',
  29: 'LOC', 33: 'SRV', 35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC',
  48: 'DNSKEY', 50: 'NSEC3', 52: 'TLSA', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 255: 'ANY', 257: 'CAA',
};

/** RFC 3597 mnemonic for a numeric type: 'A' for 1, 'TYPE65534' for unknown ones; null when out of range. */
export function typeNameOf(code: number): string | null {
  if (!Number.isInteger(code) || code < 0 || code > 65535) return null;
  return TYPE_NAMES[code] ?? `TYPE${code}`;
}

const MNEMONIC = /^[A-Za-z][A-Za-z0-9-]{0,15}$/;

/** An RR type from JSON (a mnemonic or a number), upper-case; null when it is neither. */
export function rrType(value: unknown): string | null {
  if (typeof value === 'number') return typeNameOf(value);
  if (typeof value !== 'string' || !MNEMONIC.test(value)) return null;
  return value.toUpperCase();
}

const RCODE_NAMES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED',
  'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE',
];

/** Response code mnemonic from a number or a string; null when absent or unusable. */
export function rcodeName(value: unknown): string | null {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 4095) return null;
    return RCODE_NAMES[value] ?? `RCODE${value}`;
  }
  if (typeof value !== 'string' || !MNEMONIC.test(value)) return null;
  return value.toUpperCase();
}
