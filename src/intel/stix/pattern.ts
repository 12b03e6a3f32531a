/**
 * A reader for the part of the STIX 2.1 patterning language (STIX 2.1 §9)
 * fluxhound can act on: comparisons joined by OR, inside observation
 * expressions joined by OR. It reads the whole grammar's tokens (string,
 * typed and numeric literals, sets, object paths with quoted steps) so that
 * anything else is refused with a reason instead of misread: AND of
 * comparisons or observations, FOLLOWEDBY and the WITHIN/REPEATS/START-STOP
 * qualifiers change what a match means, so a term taken out of them would
 * flag more than the producer meant.
 *
 * Hand-written and bounded (length, terms, nesting), no regexes: patterns come
 * from other people's feeds.
 */

/** One `path op value` of a pattern, as written. */
export interface Comparison {
  /** The object path, e.g. `domain-name:value` or `file:hashes.'SHA-256'`. */
  path: string;
  negated: boolean;
  /** `=`, `!=`, `<`, `>=`, `LIKE`, `MATCHES`, `ISSUBSET`, `ISSUPERSET`, `IN`, ... */
  operator: string;
  /** The string literal's text (escapes undone); null when the value is another literal. */
  value: string | null;
}

export type PatternReading = { ok: true; comparisons: Comparison[] } | { ok: false; reason: string };

/** Pattern text longer than this is refused (real indicators are far shorter). */
export const MAX_PATTERN_LENGTH = 65536;
/** Comparisons one pattern may hold. */
export const MAX_COMPARISONS = 1000;
/** Brackets and parentheses open at once. */
export const MAX_NESTING = 32;

type TokenKind = '[' | ']' | '(' | ')' | ',' | 'string' | 'literal' | 'word' | 'operator' | 'end';
interface Token { kind: TokenKind; text: string; at: number }

const OBSERVATION_JOINS = new Set(['AND', 'FOLLOWEDBY']);
const QUALIFIERS = new Set(['WITHIN', 'REPEATS', 'START', 'STOP']);
const WORD_OPERATORS = new Set(['LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'IN']);

class Refusal {
  constructor(readonly reason: string) {}
}

/** Read a pattern into its comparisons, or say why fluxhound cannot use it. */
export function readPattern(text: string): PatternReading {
  if (text.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `pattern longer than ${MAX_PATTERN_LENGTH} characters` };
  try {
    const reader = new PatternReader(tokenize(text));
    return { ok: true, comparisons: reader.read() };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.reason };
    throw e;
  }
}

function isWordChar(c: number): boolean {
  // Letters, digits and the characters of object paths and numbers: _ - : . * + (1e+5)
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 95 || c === 45 || c === 58 || c === 46 || c === 42 || c === 43;
}

/** Tokens of the pattern; refuses any character the grammar does not have (a NUL, a double quote, ...). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const at = i;
    if (c === 91 || c === 93 || c === 40 || c === 41 || c === 44) {
      tokens.push({ kind: text[i] as TokenKind, text: text[i]!, at });
      i++;
    } else if (c === 39) {
      const [value, next] = readString(text, i);
      tokens.push({ kind: 'string', text: value, at });
      i = next;
    } else if ((c === 116 || c === 104 || c === 98) && text.charCodeAt(i + 1) === 39 && !prevIsWord(text, i)) {
      // t'timestamp', h'hex', b'base64': values fluxhound never matches on, read so they do not break the reading.
      const [, next] = readString(text, i + 1);
      tokens.push({ kind: 'literal', text: text.slice(i, next), at });
      i = next;
    } else if (c === 61 || c === 33 || c === 60 || c === 62) {
      const two = text.slice(i, i + 2);
      const op = two === '!=' || two === '<=' || two === '>=' || two === '<>' ? two : text[i]!;
      if (op === '!') throw new Refusal(`pattern has '!' without '=' at ${at}`);
      tokens.push({ kind: 'operator', text: op, at });
      i += op.length;
    } else if (isWordChar(c)) {
      while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'word', text: text.slice(at, i), at });
    } else {
      throw new Refusal(`pattern has an unexpected character (code ${c}) at ${at}`);
    }
  }
  tokens.push({ kind: 'end', text: '', at: text.length });
  return tokens;
}

function prevIsWord(text: string, i: number): boolean {
  return i > 0 && isWordChar(text.charCodeAt(i - 1));
}

/** A quoted string from text[start] (a quote): its value with \' and \\ undone, and where it ends. */
function readString(text: string, start: number): [string, number] {
  let value = '';
  let from = start + 1;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 39) return [value + text.slice(from, i), i + 1];
    if (c === 92) {
      const next = text.charCodeAt(i + 1);
      // STIX 2.1 §9.2: only the quote and the backslash may be escaped in a string literal.
      if (next !== 39 && next !== 92) throw new Refusal(`pattern string has a bad escape at ${i}`);
      value += text.slice(from, i) + text[i + 1]!;
      i++;
      from = i + 1;
    }
  }
  throw new Refusal(`pattern string is not closed (opened at ${start})`);
}

class PatternReader {
  private at = 0;
  private depth = 0;
  private readonly comparisons: Comparison[] = [];

  constructor(private readonly tokens: Token[]) {}

  read(): Comparison[] {
    this.observationOr();
    const rest = this.peek();
    if (rest.kind !== 'end') throw new Refusal(this.unexpected(rest));
    return this.comparisons;
  }

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private next(): Token {
    const token = this.tokens[this.at]!;
    if (token.kind !== 'end') this.at++;
    return token;
  }

  private unexpected(token: Token): string {
    return token.kind === 'end' ? 'pattern ends too early' : `pattern has unexpected '${token.text.slice(0, 32)}' at ${token.at}`;
  }

  private open(): void {
    if (++this.depth > MAX_NESTING) throw new Refusal(`pattern nests deeper than ${MAX_NESTING}`);
  }

  private expect(kind: TokenKind): void {
    const token = this.next();
    if (token.kind !== kind) throw new Refusal(this.unexpected(token));
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text === word;
  }

  private observationOr(): void {
    this.observation();
    while (this.isWord('OR')) {
      this.next();
      this.observation();
    }
  }

  private observation(): void {
    const token = this.next();
    this.open();
    if (token.kind === '[') {
      this.comparisonOr();
      this.expect(']');
    } else if (token.kind === '(') {
      this.observationOr();
      this.expect(')');
    } else {
      throw new Refusal(this.unexpected(token));
    }
    this.depth--;
    const after = this.peek();
    if (after.kind === 'word' && QUALIFIERS.has(after.text)) throw new Refusal(`qualifier ${after.text} unsupported`);
    if (after.kind === 'word' && OBSERVATION_JOINS.has(after.text)) throw new Refusal(`${after.text} of observations unsupported`);
  }

  private comparisonOr(): void {
    this.comparisonUnit();
    for (;;) {
      if (this.isWord('AND')) throw new Refusal('AND of comparisons unsupported');
      if (!this.isWord('OR')) return;
      this.next();
      this.comparisonUnit();
    }
  }

  private comparisonUnit(): void {
    if (this.peek().kind === '(') {
      this.next();
      this.open();
      this.comparisonOr();
      this.expect(')');
      this.depth--;
      return;
    }
    this.comparison();
  }

  private comparison(): void {
    let path = '';
    // An object path is words and quoted steps (file:hashes.'SHA-256', extensions.'x-foo'.bar).
    for (;;) {
      const token = this.peek();
      if (token.kind === 'word' && token.text !== 'NOT' && !WORD_OPERATORS.has(token.text)) path += token.text;
      else if (token.kind === 'string' && path.length > 0) path += `'${token.text}'`;
      else if (token.kind === '[' && path.length > 0 && this.isListStep()) {
        // A list step, body_multipart[*] or values[0]: three tokens of the path, not an observation.
        path += `[${this.tokens[this.at + 1]!.text}]`;
        this.at += 2;
      } else break;
      this.next();
    }
    if (path.length === 0 || path.indexOf(':') <= 0) throw new Refusal(this.unexpected(this.peek()));
    const negated = this.isWord('NOT');
    if (negated) this.next();
    const op = this.next();
    if (!(op.kind === 'operator' || (op.kind === 'word' && WORD_OPERATORS.has(op.text)))) throw new Refusal(this.unexpected(op));
    const value = this.literal();
    if (this.comparisons.length >= MAX_COMPARISONS) throw new Refusal(`pattern has more than ${MAX_COMPARISONS} comparisons`);
    this.comparisons.push({ path, negated, operator: op.text, value });
  }

  private isListStep(): boolean {
    const index = this.tokens[this.at + 1]!;
    return index.kind === 'word' && this.tokens[this.at + 2]?.kind === ']';
  }

  /** A literal: its text when it is a string, null for any other (number, boolean, typed, set). */
  private literal(): string | null {
    const token = this.next();
    if (token.kind === 'string') return token.text;
    if (token.kind === 'literal' || token.kind === 'word') return null;
    if (token.kind === '(') {
      // A set: ('a', 'b', 1) for IN.
      for (;;) {
        const item = this.next();
        if (item.kind !== 'string' && item.kind !== 'word' && item.kind !== 'literal') throw new Refusal(this.unexpected(item));
        const sep = this.next();
        if (sep.kind === ')') return null;
        if (sep.kind !== ',') throw new Refusal(this.unexpected(sep));
      }
    }
    throw new Refusal(this.unexpected(token));
  }
}
