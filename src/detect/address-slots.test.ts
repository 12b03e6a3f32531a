import { describe, expect, it } from 'vitest';
import { AddressSlots } from './address-slots.js';
import { ADDRESS_STRIDE, findAddress, insertAddress, type AddressKey, type AddressTable } from './address-table.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('AddressSlots', () => {
  it('answers findAddress exactly for random tables, keys and sizes', () => {
    const random = prng(7);
    const slots = new AddressSlots();
    let found = 0;
    let missed = 0;
    for (let round = 0; round < 2_000; round++) {
      // Sizes past the first 256-slot index force it to grow; a narrow key range gives collisions.
      const size = 1 + Math.floor(random() * (round % 50 === 0 ? 600 : 64));
      const range = 1 + Math.floor(random() * 4 * size);
      const keyOf = (): AddressKey => {
        const r = random();
        if (r < 0.05) return `2001:db8::${Math.floor(random() * range).toString(16)}`;
        return (0x80000000 + Math.floor(random() * range) * 65_537) | 0;
      };
      let table: AddressTable = [];
      for (let i = 0; i < size; i++) {
        const key = keyOf();
        if (findAddress(table, key) === -1) table = insertAddress(table, 1024, { key, asn: 1, country: '', ttl: 60, provider: -1 }, i, 1);
      }
      // A duplicate key (insertAddress never makes one, a stray table might): the first slot wins, as in findAddress.
      if (round % 7 === 0 && table.length > 0) table.push(...table.slice(0, ADDRESS_STRIDE));
      slots.index(table);
      for (let q = 0; q < 40; q++) {
        const key = q % 2 === 0 && table.length > 0 ? table[ADDRESS_STRIDE * Math.floor(random() * (table.length / ADDRESS_STRIDE))]! : keyOf();
        const want = findAddress(table, key);
        expect(slots.find(key)).toBe(want);
        if (want >= 0) found++;
        else missed++;
      }
    }
    expect(found).toBeGreaterThan(30_000);
    expect(missed).toBeGreaterThan(5_000);
  });

  it('forgets the previous table at each index', () => {
    const slots = new AddressSlots();
    const one = insertAddress([], 8, { key: 5, asn: 1, country: '', ttl: 1, provider: -1 }, 0, 0);
    const two = insertAddress([], 8, { key: 6, asn: 1, country: '', ttl: 1, provider: -1 }, 0, 0);
    slots.index(one);
    expect(slots.find(5)).toBe(0);
    slots.index(two);
    expect(slots.find(5)).toBe(-1);
    expect(slots.find(6)).toBe(0);
    // Not a 32-bit integer: looked up linearly, never confused with its truncation.
    expect(slots.find(6.5)).toBe(-1);
  });
});
