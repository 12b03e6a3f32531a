/**
 * The one name writer: presentation text to wire bytes, the exact inverse of
 * the reader (name-reader.ts). It understands every spelling RFC 1035 §5.1
 * allows, not only the reader's: \DDD, \X for any printable X, and plain
 * characters (past ASCII: their UTF-8 bytes). Case is kept; the reader folds
 * it. Hostile or mistaken text throws WireError with the reason.
 */
import { MAX_LABEL, MAX_NAME_WIRE, WireError } from './constants.js';
import { readOneName } from './name-reader.js';

/** One name's wire form is built here and copied out once. */
const scratch = new Uint8Array(MAX_NAME_WIRE + MAX_LABEL + 8);

/**
 * `text` in uncompressed wire form. Text without a trailing dot is relative:
 * `origin` (absolute text, the root by default) follows it; '@' is the origin
 * itself, '.' and '' the root.
 */
export function nameToWire(text: string, origin = '.'): Uint8Array {
  if (text === '@') return nameToWire(origin);
  if (text === '.' || text === '') return Uint8Array.of(0);
  const { length, absolute } = writeLabels(text);
  if (absolute) return scratch.slice(0, length);
  if (origin === '.') {
    scratch[length] = 0;
    return scratch.slice(0, length + 1);
  }
  const labels = scratch.slice(0, length);
  // The origin is written into the same scratch, so the labels are copied out first.
  const tail = nameToWire(origin);
  if (length + tail.length > MAX_NAME_WIRE) throw new WireError(`name longer than 255 octets: '${shown(text)}'`);
  const out = new Uint8Array(length + tail.length);
  out.set(labels);
  out.set(tail, length);
  return out;
}

/** Octets `text` takes on the wire as an absolute name (escapes count as one octet); throws WireError. */
export function wireLength(text: string): number {
  if (text === '.' || text === '') return 1;
  const { length, absolute } = writeLabels(text);
  return absolute ? length : length + 1;
}

/** A name's one text, as the reader writes it, and facts about it. */
export interface NameText {
  /** The reader's text: lower-case, the one escaping rule, no trailing dot. */
  text: string;
  /** Octets on the wire as an absolute name. */
  wire: number;
  labels: number;
}

/**
 * The one text of the name any presentation spelling stands for
 * ('Fx\032Space.test.', 'fx\ space.test' → 'fx\032space.test'), or null when
 * the text is not a name (an empty label, a label over 63 octets, over 255
 * octets, a broken escape). The root is not a name here.
 */
export function nameText(text: string): NameText | null {
  let length: number;
  try {
    const written = writeLabels(text);
    length = written.absolute ? written.length - 1 : written.length;
  } catch {
    return null;
  }
  if (length + 1 > MAX_NAME_WIRE) return null;
  scratch[length] = 0;
  let labels = 0;
  for (let p = 0; scratch[p] !== 0; p += scratch[p]! + 1) labels++;
  if (labels === 0) return null;
  const read = readOneName(scratch, 0, 0, length + 1);
  return read === null ? null : { text: read, wire: length + 1, labels };
}

/**
 * Writes the labels of `text` into scratch, without the root label: the
 * octets written, and whether the text ended in a dot (absolute; the root
 * octet is then written too and counted).
 */
function writeLabels(text: string): { length: number; absolute: boolean } {
  let out = 0;
  let labelStart = 0;
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c === 46) {
      closeLabel(text, labelStart, out);
      labelStart = out;
      if (i === text.length - 1) absolute = true;
      continue;
    }
    if (out === labelStart) out++; // room for the length octet
    if (c === 92) {
      const a = text.charCodeAt(i + 1);
      if (a >= 48 && a <= 57) {
        const b = text.charCodeAt(i + 2);
        const d = text.charCodeAt(i + 3);
        if (!(b >= 48 && b <= 57 && d >= 48 && d <= 57)) throw new WireError(`bad \\DDD escape in '${shown(text)}'`);
        c = (a - 48) * 100 + (b - 48) * 10 + (d - 48);
        if (c > 255) throw new WireError(`escape above \\255 in '${shown(text)}'`);
        i += 3;
      } else if (i + 1 < text.length) {
        i++;
        c = text.charCodeAt(i);
        if (c >= 128) {
          out = writeUtf8(text, i, out, labelStart);
          if (text.codePointAt(i)! > 0xffff) i++;
          continue;
        }
      } else {
        throw new WireError(`dangling escape in '${shown(text)}'`);
      }
    } else if (c >= 128) {
      out = writeUtf8(text, i, out, labelStart);
      if (text.codePointAt(i)! > 0xffff) i++;
      continue;
    }
    if (out - labelStart > MAX_LABEL) throw new WireError(`label longer than 63 octets in '${shown(text)}'`);
    scratch[out++] = c;
  }
  if (absolute) {
    scratch[out] = 0;
    return { length: out + 1, absolute: true };
  }
  closeLabel(text, labelStart, out);
  return { length: out, absolute: false };
}

/** Sets the length octet of the label that starts at `labelStart`; throws for an empty label or a name too long. */
function closeLabel(text: string, labelStart: number, out: number): void {
  if (out === labelStart) throw new WireError(`empty label in '${shown(text)}'`);
  scratch[labelStart] = out - labelStart - 1;
  if (out + 1 > MAX_NAME_WIRE) throw new WireError(`name longer than 255 octets: '${shown(text)}'`);
}

/** The UTF-8 octets of the code point at text[i]. */
function writeUtf8(text: string, i: number, out: number, labelStart: number): number {
  const bytes = Buffer.from(String.fromCodePoint(text.codePointAt(i)!), 'utf8');
  if (out + bytes.length - labelStart > MAX_LABEL + 1) throw new WireError(`label longer than 63 octets in '${shown(text)}'`);
  scratch.set(bytes, out);
  return out + bytes.length;
}

/** The start of a hostile text, for a message. */
function shown(text: string): string {
  return JSON.stringify(text.slice(0, 80)).slice(1, -1);
}
