/**
 * Names → values, looked up by exact name or by label-aligned suffix without
 * allocating: the lookup hashes the name from its last character leftwards
 * and, at each label boundary, the hash so far is the hash of that suffix, so
 * one probe per boundary finds it; no substring, no regex. ASCII letters are
 * compared case-insensitively and one trailing dot is ignored.
 */
import type { StringList } from '../cache.js';

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const DOT = 46;

export class SuffixTable {
  static readonly empty = new SuffixTable(0);

  private readonly slots: Int32Array;
  private readonly mask: number;
  /** An array while set() fills the table; a table from the binary cache decodes a key when a probe first compares it. */
  private readonly keys: StringList;
  /** The keys again while set() may add to them; null for a table from the cache, which is complete. */
  private readonly growing: string[] | null;
  private readonly hashes: Int32Array;
  private readonly values: Int32Array;
  private maxLength = 0;

  /** capacity: how many keys will be set (the table does not grow). */
  constructor(capacity: number, cached?: SuffixTableWords & { keys: StringList }) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    if (cached === undefined) {
      this.growing = [];
      this.keys = this.growing;
      // At most half the slots fill, which keeps probe runs short.
      this.hashes = new Int32Array(size / 2);
      this.values = new Int32Array(size / 2);
      return;
    }
    this.growing = null;
    this.keys = cached.keys;
    this.hashes = cached.hashes;
    this.values = cached.values;
    this.maxLength = cached.maxLength;
    // The slots again, as set() placed them: the same keys in the same order land in the same slots.
    for (let k = 0; k < cached.keys.length; k++) {
      let slot = this.hashes[k]! & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = k + 1;
    }
  }

  /**
   * A table as set() left it, from what words() gave and its keys; null when
   * the parts do not fit together. Rebuilding only the slots from the stored
   * hashes skips hashing and checking every key again at each start.
   */
  static fromWords(words: SuffixTableWords, keys: StringList): SuffixTable | null {
    const n = keys.length;
    if (words.hashes.length !== n || words.values.length !== n || n > words.capacity) return null;
    return new SuffixTable(words.capacity, { ...words, keys });
  }

  /** The hashes, values and longest key length, for the binary cache (keys go separately, as strings). */
  words(): SuffixTableWords {
    const n = this.keys.length;
    // Half the slots: a table of that capacity has as many slots as this one.
    return { hashes: this.hashes.subarray(0, n), values: this.values.subarray(0, n), maxLength: this.maxLength, capacity: this.slots.length / 2 };
  }

  /** The keys in the order they were set. */
  keyList(): StringList {
    return this.keys;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Add a key (lower case, no trailing dot); false when it is already there, or the table is full or came from the cache. */
  set(key: string, value: number): boolean {
    const keys = this.growing;
    if (keys === null || keys.length * 2 >= this.slots.length) return false;
    const h = hashFromRight(key, 0, key.length);
    if (this.probe(h, key, 0, key.length) !== -1) return false;
    let slot = h & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.hashes[keys.length] = h;
    this.values[keys.length] = value;
    keys.push(key);
    this.slots[slot] = keys.length;
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
      if (this.hashes[k - 1] === h && sameText(this.keys.at(k - 1)!, name, from, end)) return this.values[k - 1]!;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** What the binary cache keeps of a table besides its keys. */
export interface SuffixTableWords {
  capacity: number;
  hashes: Int32Array;
  values: Int32Array;
  maxLength: number;
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
