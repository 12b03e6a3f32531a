import { describe, expect, it } from 'vitest';
import { insertAddress, type AddressTable } from './address-table.js';
import { FluxNetworks, newOverlap } from './networks.js';
import { linearCount } from './state.js';

function table(addresses: number[], asn = 100, provider = -1): AddressTable {
  let t: AddressTable = [];
  for (const a of addresses) t = insertAddress(t, 64, { key: a, asn: asn + (a % 7), country: a % 2 ? 'DE' : 'US', ttl: 60, provider }, 1000, 1);
  return t;
}

describe('FluxNetworks', () => {
  it('puts domains that share addresses into one network and keeps others apart', () => {
    const n = new FluxNetworks(1000);
    const a = n.join('a.evil', table([1, 2, 3]), 100, 200, -1);
    const b = n.join('b.evil', table([3, 4, 5]), 150, 300, -1);
    const c = n.join('c.other', table([10, 11]), 50, 60, -1);
    expect(n.find(a)).toBe(n.find(b));
    expect(n.find(c)).not.toBe(n.find(a));
    const [big, small] = n.summaries();
    expect(big).toMatchObject({ id: 'fn-1', domains: 2, sample_domains: ['a.evil', 'b.evil'], addresses: 5, countries: 2 });
    expect(big!.first_seen).toBe(new Date(100_000).toISOString());
    expect(big!.last_seen).toBe(new Date(300_000).toISOString());
    expect(small).toMatchObject({ id: 'fn-2', domains: 1, addresses: 2 });
  });

  it('merges two networks when a domain bridges them, keeping the older id', () => {
    const n = new FluxNetworks(1000);
    n.join('a', table([1, 2]), 0, 0, -1);
    n.join('b', table([8, 9]), 0, 0, -1);
    const bridge = n.join('c', table([2, 9]), 0, 0, -1);
    expect(n.label(bridge)).toBe('fn-1');
    expect(n.summaries()).toHaveLength(1);
    expect(n.summaries()[0]).toMatchObject({ domains: 3, addresses: 4 });
  });

  it('counts a domain once however often it rejoins with new addresses', () => {
    const n = new FluxNetworks(1000);
    const id = n.join('a', table([1, 2]), 0, 0, -1);
    n.join('a', table([1, 2, 3, 4]), 0, 0, id);
    expect(n.summaries()[0]).toMatchObject({ domains: 1, addresses: 4 });
  });

  it('recognises a new domain resolving into a known network', () => {
    const n = new FluxNetworks(1000);
    n.join('a', table([1, 2, 3]), 0, 0, -1);
    const out = newOverlap();
    n.overlap(table([3, 2, 77]), out);
    expect(out.hits).toBe(2);
    expect(n.label(out.network)).toBe('fn-1');
    n.overlap(table([70, 71]), out);
    expect(out).toMatchObject({ hits: 0, network: -1 });
  });

  it('never lets CDN or cloud addresses join or match a network', () => {
    const n = new FluxNetworks(1000);
    n.join('a', table([1, 2]).concat(table([500], 13335, 0)), 0, 0, -1);
    expect(n.networkOf(500)).toBe(-1);
    const out = newOverlap();
    n.overlap(table([1], 100, 0), out);
    expect(out.hits).toBe(0);
  });

  it('forgets the oldest addresses beyond its cap', () => {
    const n = new FluxNetworks(3);
    n.join('a', table([1, 2, 3, 4, 5]), 0, 0, -1);
    expect(n.addressCount).toBe(3);
    expect(n.networkOf(1)).toBe(-1);
    expect(n.networkOf(5)).toBe(0);
  });
});

describe('FluxNetworks shared hosting', () => {
  it('stops counting an address that many unrelated registered domains resolved to alone', () => {
    const n = new FluxNetworks(1000, 8);
    n.join('a', table([1, 2, 3]), 0, 0, -1);
    const out = newOverlap();
    for (let d = 0; d < 4; d++) n.noteTouch(2, d * 0x9e3779b1);
    n.overlap(table([2]), out);
    expect(out.hits).toBe(1);
    for (let d = 0; d < 32; d++) n.noteTouch(2, d);
    expect(n.isSharedHost(2)).toBe(true);
    n.overlap(table([2, 3]), out);
    expect(out).toMatchObject({ hits: 1, key: 3 });
    // Only network addresses are tracked.
    n.noteTouch(99, 5);
    expect(n.touchesOf(99)).toBe(0);
  });
});

describe('FluxNetworks overlap through its address filter', () => {
  it('counts what the graph holds, through 100k random joins, forgets, shared-host flips and tables', () => {
    // A small cap over a wide key range: the oldest addresses are forgotten all the time and the
    // filter is rebuilt as the graph grows, so its buckets fill, empty and share keys.
    const n = new FluxNetworks(3000, 2);
    const held = n['byAddress'];
    let s = 99;
    const random = (): number => {
      s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
      return s / 2 ** 32;
    };
    const key = (): number => (0xc0000000 + Math.floor(random() * 40_000) * 613) | 0;
    // Keys joined lately (held, or forgotten since), for touches and tables that hit the graph.
    const recent: number[] = [];
    const recentKey = (): number => recent[Math.floor(random() * recent.length)]!;
    const out = newOverlap();
    let hits = 0;
    let misses = 0;
    let shared = 0;
    for (let step = 0; step < 100_000; step++) {
      const op = random();
      if (op < 0.2) {
        const keys: number[] = [];
        for (let i = Math.floor(random() * 6); i >= 0; i--) keys.push(key());
        n.join(`d${step}.flux`, table([...new Set(keys)]), step, step, -1);
        for (const k of keys) recent[recent.length < 400 ? recent.length : Math.floor(random() * 400)] = k;
      } else if (op < 0.3) {
        // Touch a held address (most often) so that some become shared hosting.
        n.noteTouch(recent.length > 0 && random() < 0.8 ? recent[Math.floor(random() * Math.min(recent.length, 40))]! : key(), Math.floor(random() * 2 ** 31));
      }
      const keys: number[] = [];
      for (let i = Math.floor(random() * 8); i >= 0; i--) keys.push(random() < 0.3 && recent.length > 0 ? recentKey() : key());
      const t = table([...new Set(keys)], 100, random() < 0.05 ? 3 : -1);
      n.overlap(t, out);
      let expected = 0;
      let first = -1;
      for (let i = 0; i < t.length; i += 7) {
        const k = t[i] as number;
        if ((t[i + 6] as number) >= 0) continue;
        if (held.has(k) && !n.isSharedHost(k)) {
          if (expected++ === 0) first = n.find(held.get(k)!);
        }
        if (held.has(k) !== n.networkOf(k) >= 0) throw new Error(`networkOf(${k}) disagrees with the graph at step ${step}`);
        if (held.has(k) && n.isSharedHost(k)) shared++;
      }
      expect(out.hits).toBe(expected);
      expect(out.network).toBe(first);
      if (expected > 0) hits++;
      else misses++;
    }
    expect(held.size).toBe(3000);
    // Both answers were compared many times, and shared hosts were among the held addresses asked about.
    expect(hits).toBeGreaterThan(10_000);
    expect(misses).toBeGreaterThan(10_000);
    expect(shared).toBeGreaterThan(100);
  });
});

describe('linearCount', () => {
  it('estimates distinct items from the clear bits of a sketch, 0 when empty and its ceiling when full', () => {
    expect(linearCount(64, 64)).toBe(0);
    // One item sets one bit: -64 ln(63/64) = 1.008.
    expect(linearCount(63, 64)).toBe(1);
    expect(linearCount(16, 32)).toBe(22);
    expect(linearCount(0, 64)).toBe(266);
    expect(linearCount(0, 32)).toBe(111);
  });
});
