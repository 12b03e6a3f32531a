import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { insertAddress, type AddressTable } from './address-table.js';
import { SuspiciousNetworks } from './suspicious-networks.js';

function table(addresses: number[], provider = -1, asn?: number): AddressTable {
  let t: AddressTable = [];
  for (const a of addresses) t = insertAddress(t, 64, { key: a, asn: asn ?? 100 + (a % 9), country: ['DE', 'US', 'BR', 'IN'][a % 4]!, ttl: 0, provider }, 1000, 1);
  return t;
}

function settings(maxAddresses = 1000) {
  return { ...defaultConfig().networks.suspicious, maxAddresses };
}

describe('SuspiciousNetworks', () => {
  it('joins names sharing addresses into one candidate, and calls it a network at enough registered domains, addresses and ASNs', () => {
    const g = new SuspiciousNetworks(settings());
    const a = g.join('a.one.top', 'one.top', table([1, 2, 3, 4]))!;
    expect(g.isNetwork(a)).toBe(false);
    g.join('b.two.xyz', 'two.xyz', table([4, 5, 6, 7]));
    const c = g.join('c.three.ru', 'three.ru', table([7, 8, 9, 10]))!;
    expect(c.registered.size).toBe(3);
    expect(c.addresses).toBe(10);
    expect(c.members).toEqual(['a.one.top', 'b.two.xyz', 'c.three.ru']);
    expect(g.isNetwork(c)).toBe(true);
    // A name elsewhere stays apart.
    expect(g.join('d.four.top', 'four.top', table([50, 51]))).not.toBe(c);
  });

  it('merges two candidates a name bridges, and counts two names of one registered domain once', () => {
    const g = new SuspiciousNetworks(settings());
    const a = g.join('a.one.top', 'one.top', table([1, 2]))!;
    const b = g.join('www.one.top', 'one.top', table([8, 9]))!;
    expect(a).not.toBe(b);
    const bridge = g.join('c.two.xyz', 'two.xyz', table([2, 9]))!;
    expect(bridge.keys.size).toBe(4);
    expect(bridge.registered.size).toBe(2);
    expect(bridge.members).toHaveLength(3);
  });

  it('never takes known infrastructure or addresses no AS announces', () => {
    const g = new SuspiciousNetworks(settings());
    expect(g.join('a.cdn.top', 'cdn.top', table([1, 2], 0))).toBeNull();
    expect(g.join('a.bogon.top', 'bogon.top', table([3, 4], -1, 0))).toBeNull();
    expect(g.addressCount).toBe(0);
  });

  it('forgets the oldest addresses beyond its cap, and a candidate left with none', () => {
    const g = new SuspiciousNetworks(settings(4));
    const a = g.join('a.one.top', 'one.top', table([1, 2, 3]))!;
    g.join('b.two.xyz', 'two.xyz', table([20, 21, 22]));
    expect(g.addressCount).toBe(4);
    expect(a.keys.size).toBe(1);
    // The distinct count stays what joined over the candidate's life.
    expect(a.addresses).toBe(3);
    // An old address of a, returning with a new name, starts afresh.
    expect(g.join('c.three.ru', 'three.ru', table([1]))).not.toBe(a);
  });
});
