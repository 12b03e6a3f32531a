import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../model/names.js';
import { findV4, findV6 } from '../ranges.js';
import { cidrBounds, loadCidrs } from './cidrs.js';
import { ProviderTable } from './providers.js';
import { parseReferenceText } from './reference-file.js';

function bounds(text: string): number[] | string {
  const b = new Uint32Array(8);
  const width = cidrBounds(text, b);
  return typeof width === 'string' ? width : [...b.subarray(0, 2 * width)];
}

describe('cidrBounds', () => {
  it.each([
    ['23.235.32.0/20', [0x17eb2000, 0x17eb2fff]],
    ['1.1.1.1/32', [0x01010101, 0x01010101]],
    ['0.0.0.0/0', [0, 0xffffffff]],
    ['2a04:4e42::/32', [0x2a044e42, 0, 0, 0, 0x2a044e42, 0xffffffff, 0xffffffff, 0xffffffff]],
    ['2600:1f00:8000::/36', [0x26001f00, 0x80000000, 0, 0, 0x26001f00, 0x8fffffff, 0xffffffff, 0xffffffff]],
    ['::/0', [0, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]],
    ['2001:db8::1/128', [0x20010db8, 0, 0, 1, 0x20010db8, 0, 0, 1]],
  ])('%s', (cidr, want) => {
    expect(bounds(cidr)).toEqual(want);
  });

  it.each([
    ['1.2.3.4', 'no prefix length'],
    ['1.2.3.0/33', 'bad prefix length /33'],
    ['1.2.3.0/x', 'bad prefix length /x'],
    ['1.2.3.1/24', 'host bits set'],
    ['2001:db8::1/64', 'host bits set'],
    ['2001:db8::/129', 'bad prefix length /129'],
    ['example.com/24', 'not an address'],
  ])('refuses %s: %s', (cidr, why) => {
    expect(bounds(cidr)).toBe(why);
  });
});

describe('loadCidrs', () => {
  const load = (body: string) => loadCidrs(parseReferenceText(body, 'cidrs.txt'), new ProviderTable());

  it('merges adjacent prefixes of one provider and keeps the rest apart', () => {
    const t = load('# date: 2026-01-02\n10.0.0.0/25 a cdn\n10.0.0.128/25 a cdn\n10.0.1.0/24 b cloud\n2001:db8::/32 a cdn\n');
    expect(t.v4.length).toBe(2);
    expect(t.linesV4).toBe(3);
    expect(t.linesV6).toBe(1);
    expect(findV4(t.v4, 0x0a000080)).toBe(1);
    expect(findV4(t.v4, 0x0a000101)).toBe(2);
    expect(findV6(t.v6, 0x20010db8, 5, 0, 0)).toBe(1);
  });

  it.each([
    ['10.0.0.0/24 a cdn\n10.0.0.0/25 a cdn\n', 'cidrs.txt:2: 10.0.0.0/25 overlaps or precedes'],
    ['10.0.1.0/24 a cdn\n10.0.0.0/24 a cdn\n', 'cidrs.txt:2: 10.0.0.0/24 overlaps or precedes'],
    ['2001:db8::/32 a cdn\n10.0.0.0/24 a cdn\n', 'cidrs.txt:2: 10.0.0.0/24 overlaps or precedes'],
    ['2001:db8::/32 a cdn\n2001:db8:1::/48 a cdn\n', 'cidrs.txt:2: 2001:db8:1::/48 overlaps'],
    ['10.0.0.0/24 a cdn\n10.0.1.0/24 a cloud\n', 'cidrs.txt:2: provider a is cloud here but cdn before'],
    ['10.0.0.0/24 a edge\n', 'cidrs.txt:1: class "edge" is neither cdn nor cloud'],
    ['\n# x\n10.0.0.0/24 a\n', 'cidrs.txt:3: want 3 fields, got 2'],
    ['10.0.0.1/24 a cdn\n', 'cidrs.txt:1: bad CIDR "10.0.0.1/24": host bits set'],
  ])('refuses bad input, naming the line: %s', (body, message) => {
    expect(() => load(body)).toThrow(message);
  });

  it('agrees with a naive scan of the prefixes on random addresses', () => {
    const prefix = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 8, max: 32 }));
    fc.assert(
      fc.property(fc.uniqueArray(prefix, { maxLength: 40, selector: ([n]) => n }), fc.array(fc.nat(0xffffffff), { maxLength: 50 }), (raw, probes) => {
        const cidrs = disjointPrefixes(raw);
        const body = cidrs.map(([s, len], i) => `${formatIPv4(s)}/${len} p${i % 3} cdn`).join('\n');
        const t = load(body);
        const edges = cidrs.flatMap(([s, len]) => [s, s - 1, end(s, len), end(s, len) + 1]).filter((a) => a >= 0 && a <= 0xffffffff);
        for (const ip of [...probes, ...edges]) {
          const at = cidrs.findIndex(([s, len]) => ip >= s && ip <= end(s, len));
          expect(findV4(t.v4, ip) - 1).toBe(at === -1 ? -1 : providerIndex(cidrs, at));
        }
      }),
    );
  });
});

function end(start: number, len: number): number {
  return start + 2 ** (32 - len) - 1;
}

/** Sorted prefixes from (seed, length) pairs, dropping any that overlaps one kept before. */
function disjointPrefixes(raw: [number, number][]): [number, number][] {
  const kept: [number, number][] = [];
  for (const [seed, len] of raw) {
    const size = 2 ** (32 - len);
    const start = Math.floor((seed * 65537) / size) * size;
    if (kept.every(([s, l]) => end(start, len) < s || start > end(s, l))) kept.push([start, len]);
  }
  return kept.sort((a, b) => a[0] - b[0]);
}

/** Index the ProviderTable gives p(at % 3): providers are interned in order of first appearance. */
function providerIndex(cidrs: [number, number][], at: number): number {
  const order: number[] = [];
  for (let i = 0; i < cidrs.length; i++) if (!order.includes(i % 3)) order.push(i % 3);
  return order.indexOf(at % 3);
}
