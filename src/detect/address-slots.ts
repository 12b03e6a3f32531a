/**
 * An address table's slots by key, for a caller that looks up many keys in
 * one table that does not change meanwhile (tampering.inspect looks up every
 * answer address; a flux name's table holds up to maxAddressesPerDomain).
 * findAddress is a linear scan; this is one pass to index, then O(1) per key.
 *
 * One reused open-addressing table (linear probing) over IPv4 keys: a build
 * stamps its slots with a fresh generation, so nothing is cleared or
 * allocated per build. IPv6 keys (strings) are rare in the tables and are
 * left to findAddress (as is any number that is not a 32-bit integer). The answer is findAddress's exactly: the first slot
 * holding the key, or -1.
 */
import { ADDRESS_STRIDE, findAddress, type AddressKey, type AddressTable } from './address-table.js';

export class AddressSlots {
  private keys = new Int32Array(256);
  private slots = new Int32Array(256);
  private stamps = new Uint32Array(256);
  private mask = 255;
  private generation = 0;
  private table: AddressTable = [];

  /** Index `table` (until the next index call); the table must not change while looked up. */
  index(table: AddressTable): void {
    this.table = table;
    const addresses = table.length / ADDRESS_STRIDE;
    // At most half full, so probes stay short.
    if (addresses * 2 > this.keys.length) {
      let size = this.keys.length;
      while (addresses * 2 > size) size *= 2;
      this.keys = new Int32Array(size);
      this.slots = new Int32Array(size);
      this.stamps = new Uint32Array(size);
      this.mask = size - 1;
      this.generation = 0;
    }
    if (this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 0;
    }
    const generation = ++this.generation;
    const keys = this.keys;
    const stamps = this.stamps;
    for (let i = 0; i < table.length; i += ADDRESS_STRIDE) {
      const key = table[i];
      if (!isInt32(key)) continue;
      let at = hash(key) & this.mask;
      while (stamps[at] === generation) {
        // findAddress answers the first slot: a later duplicate is not indexed.
        if (keys[at] === key) break;
        at = (at + 1) & this.mask;
      }
      if (stamps[at] === generation) continue;
      stamps[at] = generation;
      keys[at] = key;
      this.slots[at] = i;
    }
  }

  /** findAddress(table, key) of the indexed table. */
  find(key: AddressKey): number {
    if (!isInt32(key)) return findAddress(this.table, key);
    const generation = this.generation;
    let at = hash(key) & this.mask;
    while (this.stamps[at] === generation) {
      if (this.keys[at] === key) return this.slots[at]!;
      at = (at + 1) & this.mask;
    }
    return -1;
  }
}

/** IPv4 keys are signed 32-bit integers; anything else is looked up linearly. */
function isInt32(key: AddressKey | undefined): key is number {
  return typeof key === 'number' && (key | 0) === key;
}

/** Fibonacci hashing of a 32-bit key (the high bits mix best: take them). */
function hash(key: number): number {
  const h = Math.imul(key, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}
