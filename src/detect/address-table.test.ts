import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADDRESS_STRIDE, countTable, distinctAsns, findAddress, insertAddress, newCounts, prefixOf, type AddressEntry, type AddressTable } from './address-table.js';

const e = (key: number | string, asn: number, country: string, provider = -1): AddressEntry => ({ key, asn, country, ttl: 60, provider });

describe('address table', () => {
  it('evicts the least recently seen address when full', () => {
    let t: AddressTable = [];
    t = insertAddress(t, 3, e(1, 10, 'US'), 100, 1);
    t = insertAddress(t, 3, e(2, 20, 'DE'), 50, 1);
    t = insertAddress(t, 3, e(3, 30, 'FR'), 200, 1);
    t = insertAddress(t, 3, e(4, 40, 'CN'), 300, 2);
    expect(t.length).toBe(3 * ADDRESS_STRIDE);
    expect(findAddress(t, 2)).toBe(-1);
    expect(findAddress(t, 4)).toBeGreaterThanOrEqual(0);
  });

  it('counts distinct prefixes, ASNs and countries within a window', () => {
    let t: AddressTable = [];
    // 10.1.0.1 and 10.1.0.2 share a /16; 10.2.0.1 does not.
    t = insertAddress(t, 64, e(0x0a010001, 7, 'US'), 100, 1);
    t = insertAddress(t, 64, e(0x0a010002, 7, 'US'), 100, 1);
    t = insertAddress(t, 64, e(0x0a020001, 8, 'DE'), 500, 2);
    t = insertAddress(t, 64, e('2001:db8:1::1', 0, ''), 500, 2);
    const all = countTable(t, -Infinity, newCounts());
    expect(all).toEqual({ addresses: 4, known: 0, prefixes: 3, asns: 2, countries: 2 });
    const recent = countTable(t, 400, newCounts());
    expect(recent).toEqual({ addresses: 2, known: 0, prefixes: 2, asns: 1, countries: 1 });
  });

  it('leaves addresses of known CDNs and clouds out of diversity, unless asked to include them', () => {
    let t: AddressTable = [];
    t = insertAddress(t, 64, e(0x0a010001, 7, 'US'), 100, 1);
    t = insertAddress(t, 64, e(0x17000001, 54113, 'SE', 3), 100, 1);
    t = insertAddress(t, 64, e(0x17010001, 54113, 'JP', 3), 100, 1);
    expect(countTable(t, -Infinity, newCounts())).toEqual({ addresses: 3, known: 2, prefixes: 1, asns: 1, countries: 1 });
    expect(countTable(t, -Infinity, newCounts(), true)).toEqual({ addresses: 3, known: 2, prefixes: 3, asns: 2, countries: 3 });
  });

  it('counts distinct ASNs as countTable does, over random tables with known and unknown slots', () => {
    const slot = fc.record({
      key: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom('2001:db8::1', '2001:db8:1::2', '::1')),
      // Few ASNs, so that tables repeat them; 0 is unknown.
      asn: fc.integer({ min: 0, max: 12 }),
      country: fc.constantFrom('', 'US', 'DE', 'RU'),
      provider: fc.constantFrom(-1, -1, -1, 0, 4),
    });
    fc.assert(
      fc.property(fc.array(slot, { maxLength: 80 }), fc.integer({ min: 4, max: 64 }), (slots, cap) => {
        let t: AddressTable = [];
        slots.forEach((s, i) => {
          if (findAddress(t, s.key) < 0) t = insertAddress(t, cap, e(s.key, s.asn, s.country, s.provider), i, i);
        });
        expect(distinctAsns(t)).toBe(countTable(t, -Infinity, newCounts()).asns);
      }),
      { numRuns: 500 },
    );
    expect(distinctAsns(null)).toBe(0);
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
          if (findAddress(t, key) === -1) t = insertAddress(t, cap, e(key, 1, 'US'), seen, 0);
        }
        return t.length <= cap * ADDRESS_STRIDE && t.length % ADDRESS_STRIDE === 0;
      }),
      { numRuns: 200 },
    );
  });

  it('holds exactly the slots a plain model of inserts and evictions gives, and never shares the array it was given while small (property)', () => {
    const key = fc.oneof(fc.integer(), fc.constantFrom('2001:db8::1', '2001:db8::2', '2a00::9'));
    const insert = fc.record({ key, asn: fc.nat(70_000), country: fc.constantFrom('', 'US', 'DE'), ttl: fc.integer({ min: -1, max: 600 }), provider: fc.integer({ min: -1, max: 3 }), seen: fc.nat(1e6) });
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 16 }), fc.array(insert, { maxLength: 60 }), (cap, inserts) => {
        let t: AddressTable = [];
        const model: (number | string)[][] = [];
        for (const [n, x] of inserts.entries()) {
          if (findAddress(t, x.key) !== -1) continue;
          const before = t;
          const beforeText = JSON.stringify(before);
          t = insertAddress(t, cap, { key: x.key, asn: x.asn, country: x.country, ttl: x.ttl, provider: x.provider }, x.seen, n);
          const slot = [x.key, x.seen, x.asn, x.country, n, x.ttl, x.provider];
          if (model.length < cap) model.push(slot);
          else {
            let oldest = 0;
            for (let i = 1; i < model.length; i++) if ((model[i]![1] as number) < (model[oldest]![1] as number)) oldest = i;
            model[oldest] = slot;
          }
          // A small table is copied: the array it was handed stays as it was.
          if (before.length < 8 * ADDRESS_STRIDE && before.length < cap * ADDRESS_STRIDE) expect(JSON.stringify(before)).toBe(beforeText);
          expect(t).toEqual(model.flat());
        }
      }),
      { numRuns: 300 },
    );
  });
});
