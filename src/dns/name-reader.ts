/**
 * The one name reader: a (possibly compressed) domain name from a DNS
 * message to its one presentation text, safely:
 * compression pointers must point strictly backwards (so no loop can exist)
 * and at most MAX_JUMPS are followed, labels are at most 63 octets, the name
 * at most 255 octets in wire form, and nothing is read past `end`.
 *
 * The name is written into one reusable scratch buffer and turned into a
 * string once: the escaping rule of name-text.ts (lower-case ASCII, \DDD for
 * every byte that is not a plain printable character, a dot inside a label
 * included), no trailing dot, the root as '.'. name-writer.ts is its inverse.
 */
import { byteText } from './byte-text.js';
import { NAME_TEXT } from './name-text.js';

const MAX_JUMPS = 127;
/** FNV-1a over the text's 32-bit words, for the intern table. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** The character each label byte stands for, or 0 for \DDD (a local name: the compiler sees one constant table). */
const TEXT = NAME_TEXT;

/**
 * 255 octets of wire name at most 4 characters each (\DDD), and 4 bytes of
 * zeros after the text: the intern table hashes and compares whole 32-bit
 * words (scratchWords, the same memory), four characters at a time.
 */
const scratch = Buffer.alloc(255 * 4 + 4);
const scratchWords = new Int32Array(scratch.buffer, scratch.byteOffset, scratch.length >> 2);

/**
 * Where the last readName ended, or why it failed. Module state instead of a
 * returned object: this runs for every name of every record. The text is
 * what readName returns: a string stored into long-lived state would cost a
 * write barrier whenever it is new, the offset (a small integer) costs none.
 */
export const lastName = { end: 0, error: '' };

/**
 * Names decoded in the current message by the offset they start at: owner
 * names are nearly always a pointer to the question (0xc00c), which is then
 * a lookup instead of a second decode.
 */
const cacheOffsets = new Int32Array(16);
const cacheTexts: string[] = new Array<string>(16).fill('');
let cacheSize = 0;
let cacheStart = -1;
let cacheBytes: Uint8Array | null = null;

/** Forget the names of the previous message (call once per message). */
export function resetNameCache(bytes: Uint8Array, start: number): void {
  // Stored only when it changes: a young buffer stored into long-lived module state costs a write barrier.
  if (cacheBytes !== bytes) cacheBytes = bytes;
  cacheStart = start;
  cacheSize = 0;
}

/**
 * readName for a caller outside a message decode (one name at a time): the
 * names cached for the last message are forgotten first, so a buffer reused
 * with new bytes can never be answered from them.
 */
export function readOneName(bytes: Uint8Array, pos: number, start: number, end: number): string | null {
  cacheBytes = null;
  return readFullName(bytes, pos, start, end);
}

/**
 * The uncompressed wire form, case kept, of the name at `pos` that readName
 * has just accepted (so every label and pointer on its way was checked):
 * what a server echoes in a question and signs in TSIG.
 */
export function nameWire(bytes: Uint8Array, pos: number, start: number): Uint8Array {
  const out = new Uint8Array(255);
  let n = 0;
  let p = pos;
  for (let jumps = 0; jumps <= MAX_JUMPS; ) {
    const len = bytes[p]!;
    if (len >= 0xc0) {
      p = start + (((len & 0x3f) << 8) | bytes[p + 1]!);
      jumps++;
      continue;
    }
    if (n + len + 1 > 255) break;
    out.set(bytes.subarray(p, p + len + 1), n);
    n += len + 1;
    if (len === 0) return out.slice(0, n);
    p += len + 1;
  }
  throw new Error('nameWire: the name was not accepted by readName');
}

function cached(offset: number): string | null {
  for (let i = 0; i < cacheSize; i++) if (cacheOffsets[i] === offset) return cacheTexts[i]!;
  return null;
}

/**
 * Reads the name at `pos` of the message that starts at `start`; labels may
 * not run past `end`. Returns its text, with lastName.end the offset just
 * after the name where it was read (after the first pointer when compressed);
 * or null, with lastName.error set.
 *
 * Most owner names are one backward pointer to a name this message already
 * gave (0xc00c), or the root: those cases are answered here, small enough for
 * the compiler to inline into the record loop, and readFullName is not called
 * at all. They are exactly readFullName's first step (the same checks).
 */
export function readName(bytes: Uint8Array, pos: number, start: number, end: number): string | null {
  if (pos < end) {
    const first = bytes[pos]!;
    // The root (the owner of every OPT record): readFullName's first step when the length byte is 0.
    if (first === 0) {
      lastName.end = pos + 1;
      return '.';
    }
    if (first >= 0xc0 && pos + 1 < end && bytes === cacheBytes && start === cacheStart) {
      const target = start + (((first & 0x3f) << 8) | bytes[pos + 1]!);
      if (target < pos) {
        const known = cached(target);
        if (known !== null) {
          lastName.end = pos + 2;
          return known;
        }
      }
    }
  }
  return readFullName(bytes, pos, start, end);
}

function readFullName(bytes: Uint8Array, pos: number, start: number, end: number): string | null {
  const useCache = bytes === cacheBytes && start === cacheStart;
  let out = 0;
  let wire = 0;
  let jumps = 0;
  let after = -1;
  let p = pos;
  for (;;) {
    if (p >= end) return fail('truncated', p, start);
    const len = bytes[p]!;
    if (len === 0) {
      p++;
      break;
    }
    if (len >= 0xc0) {
      if (p + 1 >= end) return fail('truncated pointer', p, start);
      const target = start + (((len & 0x3f) << 8) | bytes[p + 1]!);
      if (target >= p) return fail('pointer not backwards', p, start);
      if (++jumps > MAX_JUMPS) return fail('compression loop', p, start);
      if (after < 0) after = p + 2;
      if (out === 0 && useCache) {
        const known = cached(target);
        if (known !== null) {
          lastName.end = after;
          return known;
        }
      }
      p = target;
      continue;
    }
    if (len > 63) return fail('bad label type', p, start);
    wire += len + 1;
    if (wire > 254) return fail('name longer than 255 octets', p, start);
    const labelEnd = p + 1 + len;
    if (labelEnd > end) return fail('truncated label', p, start);
    if (out > 0) scratch[out++] = 46;
    for (let i = p + 1; i < labelEnd; i++) {
      const c = bytes[i]!;
      let t = TEXT[c]!;
      if (t === 0) {
        // \DDD: the backslash and the first two digits here, the last below.
        scratch[out++] = 92;
        scratch[out++] = 48 + ((c / 100) | 0);
        scratch[out++] = 48 + (((c / 10) | 0) % 10);
        t = 48 + (c % 10);
      }
      scratch[out++] = t;
    }
    p = labelEnd;
  }
  const text = out === 0 ? '.' : interned(out);
  if (useCache && cacheSize < cacheOffsets.length) {
    cacheOffsets[cacheSize] = pos;
    cacheTexts[cacheSize++] = text;
  }
  lastName.end = after >= 0 ? after : p;
  return text;
}

/**
 * Recent names by their text bytes, direct-mapped: popular names come back
 * all day, and one shared string per name saves making it again and lets the
 * detector's maps reuse its cached hash. Names over INTERN_BYTES are not kept.
 * A slot is one row of INTERN_ROW words — the hash, the length, then the text
 * zero-padded to whole words — so a lookup reads one place, and a name is
 * returned only for exactly the same bytes.
 *
 * Admission: a name that misses is kept only when it missed in the same slot
 * last time too, so a name seen once (a random label, a one-off lookup) never
 * takes the place of one that comes back, and the strings the table holds
 * mostly outlive the young generation instead of being copied by every
 * scavenge on their way out.
 */
const INTERN_SLOTS = 2048;
/** Words per row: hash, length and 14 words of text (56 bytes). */
const INTERN_ROW = 16;
const INTERN_BYTES = (INTERN_ROW - 2) * 4;
const internTexts: string[] = new Array<string>(INTERN_SLOTS).fill('');
const internRows = new Int32Array(INTERN_SLOTS * INTERN_ROW);
/** The hash of the last name that missed in each slot. */
const internSeen = new Int32Array(INTERN_SLOTS);

/** The text of scratch[0, length), shared with the last identical name when it is still in the table. */
function interned(length: number): string {
  if (length > INTERN_BYTES) return byteText(scratch, length);
  // Zeros after the text, so that its last word holds nothing from an earlier name.
  scratch[length] = scratch[length + 1] = scratch[length + 2] = 0;
  const words = (length + 3) >> 2;
  let hash = FNV_OFFSET ^ length;
  for (let w = 0; w < words; w++) hash = Math.imul(hash ^ scratchWords[w]!, FNV_PRIME);
  // A multiply carries low bits upwards only: mix the high bits back down (murmur3's finaliser).
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  const slot = hash & (INTERN_SLOTS - 1);
  const row = slot * INTERN_ROW;
  if (internRows[row] === hash && internRows[row + 1] === length) {
    let w = 0;
    while (w < words && internRows[row + 2 + w] === scratchWords[w]) w++;
    if (w === words) return internTexts[slot]!;
  }
  const text = byteText(scratch, length);
  if (internSeen[slot] !== hash) {
    internSeen[slot] = hash;
    return text;
  }
  internTexts[slot] = text;
  internRows[row] = hash;
  internRows[row + 1] = length;
  for (let w = 0; w < words; w++) internRows[row + 2 + w] = scratchWords[w]!;
  return text;
}

function fail(reason: string, at: number, start: number): null {
  lastName.error = `${reason} at offset ${at - start}`;
  return null;
}
