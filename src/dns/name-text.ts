/**
 * The one escaping rule for names in presentation form (RFC 1035 §5.1),
 * used by every path that turns name bytes into text (README.md, "The name
 * text"): a label byte stands for itself when it is printable ASCII (0x21 to
 * 0x7e) and none of the master-file specials . \ " ( ) ; @ $, with A-Z
 * folded to a-z; every other byte is \DDD (three decimal digits). So the
 * text is safe in a zone file (nothing ends a field, starts a comment, a
 * directive or a quoted string), a log line and a terminal, and it has
 * exactly one spelling per lower-cased wire name.
 */
import { domainToASCII } from 'node:url';

/** The character a label byte is written as, or 0 when it is written \DDD. */
export const NAME_TEXT = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) NAME_TEXT[c] = c >= 65 && c <= 90 ? c + 32 : c;
for (const special of '.\\"();@$') NAME_TEXT[special.charCodeAt(0)] = 0;

/** The \DDD escape of a byte. */
export function decimalEscape(byte: number): string {
  return `\\${String(byte).padStart(3, '0')}`;
}

/** True when `c` (a character code of presentation text) may follow a backslash as \X. */
function isEscapable(c: number): boolean {
  return c >= 0x21 && c < 0x7f;
}

/**
 * Text safe to echo to a terminal, log or zone, in the one escaping rule:
 * what the rule writes as itself stays, an escape already in the text (\DDD
 * or \X) stays, so a name text from the reader comes back unchanged;
 * every other byte (UTF-8 for characters past ASCII) becomes \DDD. Letters
 * keep their case: this shows text, it does not make names canonical.
 */
export function escapeName(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      const skip = escapeLength(text, i);
      if (skip === 0) return escapeFrom(text, i);
      i += skip - 1;
    } else if (c >= 128 || (NAME_TEXT[c] === 0 && c !== 46)) {
      return escapeFrom(text, i);
    }
  }
  return text;
}

/** Characters of the escape at text[i] ('\' then three digits up to 255, or one printable character); 0 when it is none. */
function escapeLength(text: string, i: number): number {
  const a = text.charCodeAt(i + 1);
  if (a >= 48 && a <= 57) {
    const b = text.charCodeAt(i + 2);
    const c = text.charCodeAt(i + 3);
    if (b >= 48 && b <= 57 && c >= 48 && c <= 57 && (a - 48) * 100 + (b - 48) * 10 + (c - 48) <= 255) return 4;
    return 0;
  }
  return isEscapable(a) ? 2 : 0;
}

function escapeFrom(text: string, start: number): string {
  let out = text.slice(0, start);
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      const skip = escapeLength(text, i);
      if (skip > 0) {
        out += text.slice(i, i + skip);
        i += skip - 1;
        continue;
      }
      out += decimalEscape(92);
    } else if (c < 128) {
      out += NAME_TEXT[c] !== 0 || c === 46 ? text[i]! : decimalEscape(c);
    } else {
      // A character past ASCII: its UTF-8 bytes, each escaped (a surrogate pair is one code point).
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += decimalEscape(b);
    }
  }
  return out;
}

/**
 * An internationalised name as its A-labels (xn--), as it is asked on the
 * wire; '' when it has none (domainToASCII refuses it); ASCII text as it is.
 * The one IDN rule: list entries, API names and intel feeds all pass it, so
 * a name typed in Unicode anywhere has the text detection sees.
 */
export function aLabels(text: string): string {
  let unicode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) unicode = true;
    // domainToASCII reads its input as a URL host: '/', '?', '#', '@' or ':' would end or split the host
    // ('ü/x.example' gives 'xn--tda'), so a Unicode name with any ASCII but a label's letters is none.
    else if (!IDN_ASCII[c]) return unicode || hasNonAscii(text, i) ? '' : text;
  }
  return unicode ? domainToASCII(text) : text;
}

/** ASCII a Unicode name may hold beside its Unicode: letters, digits, '-', '_' and the dot. */
const IDN_ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  IDN_ASCII[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46 ? 1 : 0;
}

function hasNonAscii(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) if (text.charCodeAt(i) > 127) return true;
  return false;
}
