/**
 * Addresses and networks → entry numbers, found by the most specific prefix
 * without allocating: per prefix length a sorted typed array of network
 * addresses (IPv4 one 32-bit word, IPv6 four), searched from the longest
 * length listed to the shortest, one binary search each. An exact address is
 * a /32 or /128. Built once from all the feeds, then read only.
 */

/** Accumulates (network, bits, entry) and freezes into the sorted arrays. */
export class PrefixTableBuilder {
  private readonly words: number[][] = [];
  private readonly entries: number[][] = [];

  /** wordsPerAddress: 1 for IPv4, 4 for IPv6. */
  constructor(private readonly wordsPerAddress: 1 | 4) {
    const lengths = wordsPerAddress * 32 + 1;
    for (let i = 0; i < lengths; i++) {
      this.words.push([]);
      this.entries.push([]);
    }
  }

  /** network: its words; host bits are cleared here. */
  add(network: ArrayLike<number>, bits: number, entry: number): void {
    const w = this.words[bits]!;
    for (let i = 0; i < this.wordsPerAddress; i++) w.push(maskWord(network[i]!, bits - i * 32));
    this.entries[bits]!.push(entry);
  }

  /** The table; a network listed twice keeps the entry added first. duplicates counts the others. */
  build(): { table: PrefixTable; duplicates: number[] } {
    const n = this.wordsPerAddress;
    const levels: PrefixLevel[] = [];
    const duplicates: number[] = [];
    for (let bits = this.words.length - 1; bits >= 0; bits--) {
      const entries = this.entries[bits]!;
      if (entries.length === 0) continue;
      const words = this.words[bits]!;
      const order = sortedOrder(words, entries.length, n);
      const sortedWords = new Uint32Array(order.length * n);
      const sortedEntries = new Int32Array(order.length);
      let kept = 0;
      for (const i of order) {
        if (kept > 0 && compareAt(words, i * n, sortedWords, (kept - 1) * n, n) === 0) {
          duplicates.push(entries[i]!);
          continue;
        }
        for (let k = 0; k < n; k++) sortedWords[kept * n + k] = words[i * n + k]!;
        sortedEntries[kept++] = entries[i]!;
      }
      levels.push({ bits, words: sortedWords.slice(0, kept * n), entries: sortedEntries.slice(0, kept) });
    }
    return { table: new PrefixTable(levels), duplicates };
  }
}

/** Below this many networks of one length, an IPv4 level sorts as packed numbers (word · 2^21 + index < 2^53). */
const PACKED_LIMIT = 2 ** 21;

/**
 * The order of a level's networks, stable: among equal networks the first
 * added comes first (and is kept). IPv4 sorts one Float64Array of
 * word · 2^21 + index with the engine's numeric sort, no comparator: a
 * million-entry feed's 400k addresses sort in tens of ms, not the best part
 * of a second, so a rebuild holds the event loop less.
 */
function sortedOrder(words: readonly number[], count: number, n: number): ArrayLike<number> & Iterable<number> {
  if (n === 1 && count < PACKED_LIMIT) {
    const packed = new Float64Array(count);
    for (let i = 0; i < count; i++) packed[i] = words[i]! * PACKED_LIMIT + i;
    packed.sort();
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = packed[i]! % PACKED_LIMIT;
    return order;
  }
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => compareAt(words, a * n, words, b * n, n) || a - b);
  return order;
}

interface PrefixLevel {
  bits: number;
  words: Uint32Array;
  entries: Int32Array;
}

export class PrefixTable {
  private readonly bits: Int32Array;
  private readonly words: Uint32Array[];
  private readonly entries: Int32Array[];

  constructor(levels: PrefixLevel[]) {
    this.bits = Int32Array.from(levels.map((l) => l.bits));
    this.words = levels.map((l) => l.words);
    this.entries = levels.map((l) => l.entries);
  }

  get size(): number {
    let n = 0;
    for (const e of this.entries) n += e.length;
    return n;
  }

  /** Entry of the most specific network holding an IPv4 address (unsigned 32-bit); -1 when none. */
  lookupV4(ip: number): number {
    for (let l = 0; l < this.bits.length; l++) {
      const bits = this.bits[l]!;
      const key = bits === 0 ? 0 : (ip & (-1 << (32 - bits))) >>> 0;
      const words = this.words[l]!;
      let lo = 0;
      let hi = words.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const w = words[mid]!;
        if (w === key) return this.entries[l]![mid]!;
        if (w < key) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return -1;
  }

  /** The same for IPv6 given as four 32-bit words, most significant first. */
  lookupV6(w0: number, w1: number, w2: number, w3: number): number {
    for (let l = 0; l < this.bits.length; l++) {
      const bits = this.bits[l]!;
      const k0 = maskWord(w0, bits);
      const k1 = maskWord(w1, bits - 32);
      const k2 = maskWord(w2, bits - 64);
      const k3 = maskWord(w3, bits - 96);
      const words = this.words[l]!;
      let lo = 0;
      let hi = words.length / 4 - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const at = mid * 4;
        let c = words[at]! - k0;
        if (c === 0) c = words[at + 1]! - k1;
        if (c === 0) c = words[at + 2]! - k2;
        if (c === 0) c = words[at + 3]! - k3;
        if (c === 0) return this.entries[l]![mid]!;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return -1;
  }
}

/** The first `bits` bits of a 32-bit word (all of it from 32 on, none at 0 or below). */
function maskWord(word: number, bits: number): number {
  if (bits >= 32) return word >>> 0;
  if (bits <= 0) return 0;
  return (word & (-1 << (32 - bits))) >>> 0;
}

function compareAt(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, n: number): number {
  for (let k = 0; k < n; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}
