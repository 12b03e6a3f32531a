/**
 * NameTable: an open-addressing hash table from domain names to states.
 *
 * Why not Map: names arrive as fresh strings on every record, and a Map
 * lookup of a fresh string among a few hundred thousand keys costs about
 * 1 µs on this hardware (hashing in the runtime, then reading the header of
 * every candidate key in the chain: cache misses). Here the 32-bit hashes sit
 * in one dense Int32Array, so a lookup touches one cache line of hashes and
 * compares a key string only when the hash matches.
 *
 * Linear probing, load factor ≤ 1/2, backward-shift deletion (no tombstones).
 * Iteration is in slot order, which is deterministic for a given input.
 */

const EMPTY = 0;

export class NameTable<V> {
  private hashes: Int32Array;
  private keys: (string | undefined)[];
  private slotValues: (V | undefined)[];
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.hashes = new Int32Array(capacity);
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.slotValues = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slots in the table (for clock-style sweeps). */
  get capacity(): number {
    return this.mask + 1;
  }

  get(key: string): V | undefined {
    const h = hashName(key);
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const stored = hashes[i]!;
      if (stored === EMPTY) return undefined;
      if (stored === h && this.keys[i] === key) return this.slotValues[i];
    }
  }

  /** Insert or replace. */
  set(key: string, value: V): void {
    if ((this.count + 1) * 2 > this.capacity) this.grow();
    const h = hashName(key);
    const mask = this.mask;
    let i = h & mask;
    for (; this.hashes[i] !== EMPTY; i = (i + 1) & mask) {
      if (this.hashes[i] === h && this.keys[i] === key) {
        this.slotValues[i] = value;
        return;
      }
    }
    this.hashes[i] = h;
    this.keys[i] = key;
    this.slotValues[i] = value;
    this.count++;
  }

  delete(key: string): boolean {
    const h = hashName(key);
    const mask = this.mask;
    for (let i = h & mask; this.hashes[i] !== EMPTY; i = (i + 1) & mask) {
      if (this.hashes[i] === h && this.keys[i] === key) {
        this.removeAt(i);
        return true;
      }
    }
    return false;
  }

  /** The value in slot i, or undefined when the slot is empty. */
  valueAt(slot: number): V | undefined {
    return this.slotValues[slot];
  }

  keyAt(slot: number): string | undefined {
    return this.keys[slot];
  }

  /**
   * Empty slot i, shifting later entries of the same probe run back so that
   * lookups never stop early. An entry may move into slot i (or earlier):
   * a sweep that removes at i should look at i again.
   */
  removeAt(slot: number): void {
    const mask = this.mask;
    let hole = slot;
    for (let j = (slot + 1) & mask; this.hashes[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.hashes[j]! & mask;
      // Entry j may fill the hole unless its home lies cyclically in (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.hashes[hole] = this.hashes[j]!;
        this.keys[hole] = this.keys[j];
        this.slotValues[hole] = this.slotValues[j];
        hole = j;
      }
    }
    this.hashes[hole] = EMPTY;
    this.keys[hole] = undefined;
    this.slotValues[hole] = undefined;
    this.count--;
  }

  *values(): IterableIterator<V> {
    for (let i = 0; i <= this.mask; i++) {
      const v = this.slotValues[i];
      if (v !== undefined) yield v;
    }
  }

  clear(): void {
    this.hashes.fill(EMPTY);
    this.keys.fill(undefined);
    this.slotValues.fill(undefined);
    this.count = 0;
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldKeys = this.keys;
    const oldValues = this.slotValues;
    const capacity = oldHashes.length * 2;
    this.hashes = new Int32Array(capacity);
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.slotValues = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let i = 0; i < oldHashes.length; i++) {
      const h = oldHashes[i]!;
      if (h === EMPTY) continue;
      let j = h & this.mask;
      while (this.hashes[j] !== EMPTY) j = (j + 1) & this.mask;
      this.hashes[j] = h;
      this.keys[j] = oldKeys[i];
      this.slotValues[j] = oldValues[i];
    }
  }
}

/** FNV-1a over the UTF-16 code units, never 0 (0 marks an empty slot). */
export function hashName(name: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  // Final avalanche so that the low bits (the slot) depend on every character.
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h === EMPTY ? 1 : h;
}
