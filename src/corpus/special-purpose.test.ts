import { BlockList, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SPECIAL_PURPOSE_ROWS } from '../model/special-purpose.js';
import { Prng } from './prng.js';
import { addressIn, registryBlocks } from './special-purpose.js';

describe('addressIn', () => {
  // Every registry row, and Teredo (2001::/32, inside 2001::/23), which the injected class forges.
  it.each([...SPECIAL_PURPOSE_ROWS.map(([cidr]) => [cidr]), ['2001::/32']])('draws addresses inside %s and nowhere else', (cidr) => {
    const [net, bits] = cidr.split('/') as [string, string];
    const family = isIPv6(net) ? 'ipv6' : 'ipv4';
    const block = new BlockList();
    block.addSubnet(net, Number(bits), family);
    const rng = new Prng(42);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const a = addressIn(cidr, rng);
      expect(block.check(a, family), `${a} in ${cidr}`).toBe(true);
      seen.add(a);
    }
    // Wide blocks give many different addresses; a single address gives itself.
    if (Number(bits) === (family === 'ipv6' ? 128 : 32)) expect(seen.size).toBe(1);
    else expect(seen.size).toBeGreaterThan(100);
  });
});

describe('registryBlocks', () => {
  it('passes the non-routable rows of the registry table through, in order', () => {
    expect(registryBlocks('240.0.0.0/4', 'fc00::/7')).toEqual(['240.0.0.0/4', 'fc00::/7']);
  });

  it('refuses a prefix the table lacks, or one it marks reachable', () => {
    expect(() => registryBlocks('8.8.8.0/24')).toThrow(/no non-routable row/);
    expect(() => registryBlocks('192.0.0.9/32')).toThrow(/no non-routable row/);
  });
});
