/**
 * Interned ISO 3166-1 alpha-2 codes. Index 0 is '' (unknown), so a range
 * value doubles as an index and 0 keeps meaning "no data".
 */
export class CountryCodes {
  private readonly codes: string[] = [''];
  /** Letter pair (26 * first + second) → index in codes; 0 when not seen yet. */
  private readonly byPair = new Uint16Array(26 * 26);

  /** Index of the two-letter code in bytes[start, end); -1 when it is not one. */
  intern(bytes: Uint8Array, start: number, end: number): number {
    if (end - start !== 2) return -1;
    const a = letter(bytes[start]!);
    const b = letter(bytes[start + 1]!);
    if (a < 0 || b < 0) return -1;
    return this.internPair(a, b);
  }

  /** Index of a code given as text (MMDB records); -1 when it is not two letters. */
  internText(code: string): number {
    if (code.length !== 2) return -1;
    const a = letter(code.charCodeAt(0));
    const b = letter(code.charCodeAt(1));
    if (a < 0 || b < 0) return -1;
    return this.internPair(a, b);
  }

  list(): readonly string[] {
    return this.codes;
  }

  private internPair(a: number, b: number): number {
    const pair = a * 26 + b;
    let index = this.byPair[pair]!;
    if (index === 0) {
      index = this.codes.length;
      this.codes.push(String.fromCharCode(65 + a, 65 + b));
      this.byPair[pair] = index;
    }
    return index;
  }
}

/** 0..25 for A-Z or a-z (codes are stored upper-case); -1 otherwise. */
function letter(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 97;
  return -1;
}
