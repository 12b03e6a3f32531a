import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADDRESS_STRIDE, countTable, findAddress, insertAddress, prefixOf, type AddressTable } from './address-table.js';

describe('address table', () => {
  it('evicts the least recently seen address when full', () => {
    let t: AddressTable = [];
    t = insertAddress(t, 3, 1, 100, 10, 'US', 1, 60);
    t = insertAddress(t, 3, 2, 50, 20, 'DE', 1, 60);
    t = insertAddress(t, 3, 3, 200, 30, 'FR', 1, 60);
    t = insertAddress(t, 3, 4, 300, 40, 'CN', 2, 60);
    expect(t.length).toBe(3 * ADDRESS_STRIDE);
    expect(findAddress(t, 2)).toBe(-1);
    expect(findAddress(t, 4)).toBeGreaterThanOrEqual(0);
  });

  it('counts distinct prefixes, ASNs and countries within a window', () => {
    let t: AddressTable = [];
    // 10.1.0.1 and 10.1.0.2 share a /16; 10.2.0.1 does not.
    t = insertAddress(t, 64, 0x0a010001, 100, 7, 'US', 1, 60);
    t = insertAddress(t, 64, 0x0a010002, 100, 7, 'US', 1, 60);
    t = insertAddress(t, 64, 0x0a020001, 500, 8, 'DE', 2, 60);
    t = insertAddress(t, 64, '2001:db8:1::1', 500, 0, '', 2, 60);
    const all = countTable(t, -Infinity, { addresses: 0, prefixes: 0, asns: 0, countries: 0 });
    expect(all).toEqual({ addresses: 4, prefixes: 3, asns: 2, countries: 2 });
    const recent = countTable(t, 400, { addresses: 0, prefixes: 0, asns: 0, countries: 0 });
    expect(recent).toEqual({ addresses: 2, prefixes: 2, asns: 1, countries: 1 });
  });

  it('gives IPv6 /48 prefixes that never collide with IPv4 /16s', () => {
    expect(prefixOf('2001:db8:1::1')).toBe(prefixOf('2001:db8:1:ffff::2'));
    expect(prefixOf('2001:db8:1::1')).not.toBe(prefixOf('2001:db8:2::1'));
    expect(prefixOf('::1')).toBeLessThan(0);
    expect(prefixOf(0)).toBe(0);
  });

  it('never grows beyond its cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 32 }), fc.array(fc.tuple(fc.integer(), fc.integer({ min: 0, max: 1e6 })), { maxLength: 300 }), (cap, inserts) => {
        let t: AddressTable = [];
        for (const [key, seen] of inserts) {
          if (findAddress(t, key) === -1) t = insertAddress(t, cap, key, seen, 1, 'US', 0, 0);
        }
        return t.length <= cap * ADDRESS_STRIDE && t.length % ADDRESS_STRIDE === 0;
      }),
      { numRuns: 200 },
    );
  });
});
