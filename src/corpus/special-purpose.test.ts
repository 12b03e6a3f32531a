import { BlockList, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';
import { SPECIAL_V4, SPECIAL_V6, addressIn, specialBlock } from './special-purpose.js';

describe('addressIn', () => {
  it.each([...SPECIAL_V4, ...SPECIAL_V6].map((b) => [b.cidr]))('draws addresses inside %s and nowhere else', (cidr) => {
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
    // Wide blocks give many different addresses; a /128 gives itself.
    if (Number(bits) === 128) expect(seen.size).toBe(1);
    else expect(seen.size).toBeGreaterThan(100);
  });

  it('names each block by its registry use and refuses one it does not know', () => {
    expect(specialBlock('240.0.0.0/4').use).toBe('reserved');
    expect(() => specialBlock('8.8.8.0/24')).toThrow(/not in the tables/);
  });
});
