/**
 * Names → values, looked up by exact name or by label-aligned suffix without
 * allocating: the lookup hashes the name from its last character leftwards
 * and, at each label boundary, the hash so far is the hash of that suffix, so
 * one probe per boundary finds it; no substring, no regex. ASCII letters are
 * compared case-insensitively and one trailing dot is ignored.
 */

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const DOT = 46;

export class SuffixTable {
  static readonly empty = new SuffixTable(0);

  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly keys: string[] = [];
  private readonly hashes: Int32Array;
  private readonly values: Int32Array;
  private maxLength = 0;

  /** capacity: how many keys will be set (the table does not grow). */
  constructor(capacity: number) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    // At most half the slots fill, which keeps probe runs short.
    this.hashes = new Int32Array(size / 2);
    this.values = new Int32Array(size / 2);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Add a key (lower case, no trailing dot); false when it is already there or the table is full. */
  set(key: string, value: number): boolean {
    if (this.keys.length * 2 >= this.slots.length) return false;
    const h = hashFromRight(key, 0, key.length);
    if (this.probe(h, key, 0, key.length) !== -1) return false;
    let slot = h & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.hashes[this.keys.length] = h;
    this.values[this.keys.length] = value;
    this.keys.push(key);
    this.slots[slot] = this.keys.length;
    if (key.length > this.maxLength) this.maxLength = key.length;
    return true;
  }

  /** Value of exactly this name; -1 when absent. */
  exact(name: string): number {
    const end = withoutTrailingDot(name);
    if (end > this.maxLength) return -1;
    return this.probe(hashFromRight(name, 0, end), name, 0, end);
  }

  /** Value of the longest key that name equals or ends with after a dot; -1 when none. */
  longest(name: string): number {
    return this.walk(name, false);
  }

  /** Whether any key matches as in longest(); stops at the first (shortest) match. */
  matches(name: string): boolean {
    return this.walk(name, true) !== -1;
  }

  private walk(name: string, first: boolean): number {
    const end = withoutTrailingDot(name);
    const stop = end - this.maxLength;
    let h = FNV_OFFSET;
    let found = -1;
    for (let i = end - 1; i >= 0 && i >= stop; i--) {
      h = Math.imul(h ^ foldCase(name.charCodeAt(i)), FNV_PRIME);
      if (i > 0 && name.charCodeAt(i - 1) !== DOT) continue;
      const v = this.probe(h, name, i, end);
      if (v !== -1) {
        found = v;
        if (first) break;
      }
    }
    return found;
  }

  /** Value of the key equal to name[from, end) with hash h; -1 when none. */
  private probe(h: number, name: string, from: number, end: number): number {
    const slots = this.slots;
    let slot = h & this.mask;
    for (;;) {
      const k = slots[slot]!;
      if (k === 0) return -1;
      if (this.hashes[k - 1] === h && sameText(this.keys[k - 1]!, name, from, end)) return this.values[k - 1]!;
      slot = (slot + 1) & this.mask;
    }
  }
}

function hashFromRight(s: string, from: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = end - 1; i >= from; i--) h = Math.imul(h ^ foldCase(s.charCodeAt(i)), FNV_PRIME);
  return h;
}

function sameText(key: string, name: string, from: number, end: number): boolean {
  if (key.length !== end - from) return false;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) !== foldCase(name.charCodeAt(from + i))) return false;
  }
  return true;
}

function foldCase(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function withoutTrailingDot(name: string): number {
  const n = name.length;
  return n > 1 && name.charCodeAt(n - 1) === DOT ? n - 1 : n;
}
