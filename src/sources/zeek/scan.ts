/**
 * Scanning a line's bytes for the TSV hot path: separators, numbers and
 * common mnemonics are read in place, without slicing or allocating. A JS
 * loop over a Buffer is several times faster here than indexOf or
 * charCodeAt on the decoded string.
 */
import { needsDecoding, plainIPv4Value, plainIPv6 } from '../byte-records.js';
import { epochOrInvalid, ttlOrInvalid } from '../values.js';

/** Whether `pattern` occurs in bytes at `at`, within `end`. */
function matchesAt(bytes: Buffer, at: number, end: number, pattern: Buffer): boolean {
  if (at + pattern.length > end) return false;
  for (let j = 1; j < pattern.length; j++) if (bytes[at + j] !== pattern[j]) return false;
  return true;
}

/** Offset of the next `separator` in bytes[from, end), or `end`. */
export function nextSeparator(bytes: Buffer, from: number, end: number, separator: Buffer): number {
  const first = separator[0];
  const single = separator.length === 1;
  for (let i = from; i < end; i++) {
    if (bytes[i] === first && (single || matchesAt(bytes, i, end, separator))) return i;
  }
  return end;
}

/** Number of `separator`-separated elements in bytes[start, end). */
export function countElements(bytes: Buffer, start: number, end: number, separator: Buffer): number {
  let count = 1;
  for (let at = nextSeparator(bytes, start, end, separator); at < end; at = nextSeparator(bytes, at + separator.length, end, separator)) {
    count++;
  }
  return count;
}

/** Whether bytes[start, end) equals `word`. */
export function equalsAt(bytes: Buffer, start: number, end: number, word: Buffer): boolean {
  if (end - start !== word.length) return false;
  for (let j = 0; j < word.length; j++) if (bytes[start + j] !== word[j]) return false;
  return true;
}

/** A shared constant string and its bytes. */
export interface KnownWord {
  readonly text: string;
  readonly bytes: Buffer;
}

export function knownWords(words: readonly string[]): readonly KnownWord[] {
  return words.map((text) => ({ text, bytes: Buffer.from(text) }));
}

/**
 * The constant from `known` equal to bytes[start, end), or null. A shared
 * constant instead of a slice saves an allocation per record and keeps no
 * reference to the chunk text.
 */
export function knownWord(bytes: Buffer, start: number, end: number, known: readonly KnownWord[]): string | null {
  for (let i = 0; i < known.length; i++) {
    const word = known[i]!;
    if (equalsAt(bytes, start, end, word.bytes)) return word.text;
  }
  return null;
}

/**
 * digits[.digits] as epoch seconds, rounded as Number() would round it: the
 * digits form an integer N below 2^53 and N / 10^k is one correctly rounded
 * division. -1 when it is not such a decimal or out of range (Number() alone
 * would also take ' 1', '0x1' or 'Infinity').
 */
export function decimalSeconds(bytes: Buffer, start: number, end: number): number {
  let mantissa = 0;
  let digits = 0;
  let scale = 1;
  let dot = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (dot) scale *= 10;
    } else if (c === 46 && !dot && digits > 0) {
      dot = true;
    } else {
      return -1;
    }
  }
  if (digits === 0 || (dot && scale === 1)) return -1;
  // Past 2^53 the running mantissa is inexact: let Number() round (only absurd values get here).
  const value = mantissa <= Number.MAX_SAFE_INTEGER ? mantissa / scale : Number(bytes.toString('latin1', start, end));
  return epochOrInvalid(value);
}

/** A Zeek `interval` (`300.000000`) as whole TTL seconds; -1 when invalid. */
export function intervalTtl(bytes: Buffer, start: number, end: number): number {
  let value = 0;
  let i = start;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c === 46) break;
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  if (i === start) return -1;
  if (i < end) {
    if (i + 1 === end) return -1;
    for (i++; i < end; i++) {
      const c = bytes[i]!;
      if (c < 48 || c > 57) return -1;
    }
  }
  return ttlOrInvalid(value);
}

/** Non-negative integer of up to 9 digits, -1 otherwise. */
export function smallInteger(bytes: Buffer, start: number, end: number): number {
  if (end - start === 0 || end - start > 9) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * Each element of an answers column bytes[pos, end) as the detector keys an
 * address (IPv4: signed integer; IPv6: RFC 5952), without decoding the
 * record: plain text that is no address (a CNAME target) is left out, escaped
 * text (which may unescape into an address) is noted as null.
 */
export function noteAnswerAddresses(bytes: Buffer, pos: number, end: number, set: Buffer, note: (key: number | string | null) => void): void {
  for (;;) {
    const next = nextSeparator(bytes, pos, end, set);
    const v4 = plainIPv4Value(bytes, pos, next);
    if (v4 >= 0) note(v4 | 0);
    else {
      const v6 = plainIPv6(bytes, pos, next);
      if (v6 !== null) note(v6);
      else if (needsDecoding(bytes, pos, next)) note(null);
    }
    if (next === end) return;
    pos = next + set.length;
  }
}
