import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeBuilder, UNKNOWN, compareV6, findV4, findV6, overlapsV4 } from './ranges.js';
import type { RangeTable } from './ranges.js';

function v4Table(rows: [number, number, number][]): RangeTable {
  const b = new RangeBuilder(1, 1);
  for (const [s, e, v] of rows) b.add(Uint32Array.of(s, e), v);
  return b.finish();
}

/** IPv6 rows as BigInt bounds, for readable tests. */
function v6Table(rows: [bigint, bigint, number][]): RangeTable {
  const b = new RangeBuilder(4, 1);
  for (const [s, e, v] of rows) b.add(Uint32Array.of(...words(s), ...words(e)), v);
  return b.finish();
}

function words(n: bigint): [number, number, number, number] {
  const w = (i: number) => Number((n >> BigInt(96 - 32 * i)) & 0xffffffffn);
  return [w(0), w(1), w(2), w(3)];
}

function find6(t: RangeTable, n: bigint): number {
  return findV6(t, ...words(n));
}

const MAX128 = (1n << 128n) - 1n;

describe('findV4', () => {
  const t = v4Table([
    [0x01000000, 0x010000ff, 13335], // 1.0.0.0 - 1.0.0.255
    [0x01000200, 0x010003ff, 7], // 1.0.2.0 - 1.0.3.255
    [0x08080800, 0x08080bff, 15169], // 8.8.8.0/22, in another top-16 bucket
    [0xffffff00, 0xffffffff, 9], // the very last addresses
  ]);
  it.each([
    ['first address of a range', 0x01000000, 13335],
    ['last address of a range', 0x010000ff, 13335],
    ['just after a range', 0x01000100, UNKNOWN],
    ['just before a range', 0x010001ff, UNKNOWN],
    ['inside the second range', 0x01000300, 7],
    ['range in a later bucket', 0x08080808, 15169],
    ['below every range', 0, UNKNOWN],
    ['between buckets', 0x05000000, UNKNOWN],
    ['last address of the space', 0xffffffff, 9],
    ['first of the last range', 0xffffff00, 9],
    ['just before the last range', 0xfffffeff, UNKNOWN],
  ])('%s', (_, ip, want) => {
    expect(findV4(t, ip)).toBe(want);
  });

  it('finds a range that spans many top-16 buckets from any of them', () => {
    const wide = v4Table([
      [0x0a000000, 0x0affffff, 1],
      [0x0b000000, 0x0b00ffff, 2],
    ]);
    expect(findV4(wide, 0x0a000000)).toBe(1);
    expect(findV4(wide, 0x0a7f1234)).toBe(1);
    expect(findV4(wide, 0x0affffff)).toBe(1);
    expect(findV4(wide, 0x0b00ffff)).toBe(2);
    expect(findV4(wide, 0x0b010000)).toBe(UNKNOWN);
  });

  it('knows nothing in an empty table', () => {
    expect(findV4(v4Table([]), 0x01020304)).toBe(UNKNOWN);
  });
});

describe('findV6', () => {
  const base = 0x20014860n << 96n; // 2001:4860::
  const t = v6Table([
    [base, base + (1n << 96n) - 1n, 15169], // 2001:4860::/32
    // Bounds that differ only in the lowest word, and across a word carry.
    [base + (1n << 96n) + 0xffffffffn, base + (1n << 96n) + 0x100000000n, 3],
    [MAX128 - 255n, MAX128, 4],
  ]);
  it.each([
    ['first address', base, 15169],
    ['last address', base + (1n << 96n) - 1n, 15169],
    ['one below', base - 1n, UNKNOWN],
    ['one above', base + (1n << 96n), UNKNOWN],
    ['low word all ones', base + (1n << 96n) + 0xffffffffn, 3],
    ['after the carry', base + (1n << 96n) + 0x100000000n, 3],
    ['one past the carry', base + (1n << 96n) + 0x100000001n, UNKNOWN],
    ['last address of the space', MAX128, 4],
    ['zero', 0n, UNKNOWN],
  ])('%s', (_, ip, want) => {
    expect(find6(t, ip)).toBe(want);
  });
});

describe('compareV6', () => {
  it.each([
    [0n, 0n, 0],
    [1n, 0n, 1],
    [0n, 1n, -1],
    [1n << 32n, 0xffffffffn, 1], // a carry into the next word outranks any lower word
    [0x80000000n << 96n, 0x7fffffffn << 96n, 1], // words compare unsigned
    [MAX128, MAX128 - 1n, 1],
  ])('%s vs %s', (a, b, want) => {
    expect(compareV6(Uint32Array.of(...words(a)), 0, ...words(b))).toBe(want);
  });
});

describe('RangeBuilder', () => {
  it('merges a range that continues the previous one with the same value', () => {
    const t = v4Table([
      [10, 19, 5],
      [20, 29, 5],
      [30, 39, 6],
    ]);
    expect(t.length).toBe(2);
    expect(findV4(t, 25)).toBe(5);
  });

  it('merges across an IPv6 word carry', () => {
    const t = v6Table([
      [0n, 0xffffffffn, 1],
      [0x100000000n, 0x1ffffffffn, 1],
    ]);
    expect(t.length).toBe(1);
  });

  it('refuses a range inside the previous one and a reversed one; clips an overlap', () => {
    const b = new RangeBuilder(1);
    expect(b.add(Uint32Array.of(100, 199), 1)).toBe(true);
    expect(b.add(Uint32Array.of(150, 160), 2)).toBe(false);
    expect(b.add(Uint32Array.of(300, 299), 2)).toBe(false);
    expect(b.add(Uint32Array.of(150, 249), 3)).toBe(true);
    const t = b.finish();
    expect([findV4(t, 199), findV4(t, 200), findV4(t, 249), findV4(t, 250)]).toEqual([1, 3, 3, UNKNOWN]);
  });
});

/** The reference: the first row in input order that holds ip. */
function linearFind(rows: readonly [number, number, number][], ip: number): number {
  for (const [s, e, v] of rows) if (s <= ip && ip <= e) return v;
  return UNKNOWN;
}

/** Rows sorted by start, possibly overlapping or adjacent, in a small space so collisions happen. */
const rowsArb = (maxAddress: number) =>
  fc
    .array(
      fc.tuple(fc.nat(maxAddress), fc.nat(64), fc.integer({ min: 1, max: 3 })).map(([s, len, v]) => {
        return [s, Math.min(maxAddress, s + len), v] as [number, number, number];
      }),
      { maxLength: 40 },
    )
    .map((rows) => rows.sort((a, b) => a[0] - b[0]));

describe('binary search agrees with a linear scan', () => {
  it('IPv4, small tables near the top of the space', () => {
    const top = 0xffffffff;
    fc.assert(
      fc.property(rowsArb(1000), fc.array(fc.nat(1100), { minLength: 20, maxLength: 20 }), (rows, probes) => {
        // Shift half the cases to the end of the space to exercise the last bucket.
        const shift = probes[0]! % 2 === 0 ? 0 : top - 1100;
        const shifted = rows.map(([s, e, v]) => [s + shift, e + shift, v] as [number, number, number]);
        const t = v4Table(shifted);
        for (const p of probes) expect(findV4(t, p + shift)).toBe(linearFind(shifted, p + shift));
      }),
    );
  });

  it('IPv6, with ranges straddling 32-bit word boundaries', () => {
    // Rows near 2^64 make bounds differ in the two middle words.
    const origin = (1n << 64n) - 500n;
    fc.assert(
      fc.property(rowsArb(1000), fc.array(fc.nat(1100), { minLength: 20, maxLength: 20 }), (rows, probes) => {
        const t = v6Table(rows.map(([s, e, v]) => [origin + BigInt(s), origin + BigInt(e), v]));
        for (const p of probes) expect(find6(t, origin + BigInt(p))).toBe(linearFind(rows, p));
      }),
    );
  });
});

describe('the top-16 bucket index', () => {
  it('never hides a row, across the whole IPv4 space', () => {
    const row = fc
      .tuple(fc.nat(0xffffffff), fc.nat(1 << 22), fc.integer({ min: 1, max: 3 }))
      .map(([s, len, v]) => [s, Math.min(0xffffffff, s + len), v] as [number, number, number]);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.array(fc.nat(0xffffffff), { maxLength: 20 }), (rows, random) => {
        rows.sort((a, b) => a[0] - b[0]);
        const t = v4Table(rows);
        // Every row edge and its neighbours, where an off-by-one in the index would show.
        const edges = rows.flatMap(([s, e]) => [s - 1, s, e, e + 1]).filter((ip) => ip >= 0 && ip <= 0xffffffff);
        for (const ip of [...edges, ...random]) expect(findV4(t, ip)).toBe(linearFind(rows, ip));
      }),
    );
  });
});

describe('overlapsV4', () => {
  const t = v4Table([
    [100, 199, 1],
    [300, 399, 2],
  ]);
  it('finds a row strictly inside, at either edge, or around the span; none in a gap or past the ends', () => {
    expect(overlapsV4(t, 0, 1000)).toBe(true);
    expect(overlapsV4(t, 150, 160)).toBe(true);
    expect(overlapsV4(t, 199, 250)).toBe(true);
    expect(overlapsV4(t, 250, 300)).toBe(true);
    expect(overlapsV4(t, 200, 299)).toBe(false);
    expect(overlapsV4(t, 0, 99)).toBe(false);
    expect(overlapsV4(t, 400, 0xffffffff)).toBe(false);
  });

  it('agrees with a scan over the rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 200 }), (first, span) => {
        const last = first + span;
        expect(overlapsV4(t, first, last)).toBe((first <= 199 && last >= 100) || (first <= 399 && last >= 300));
      }),
    );
  });
});
