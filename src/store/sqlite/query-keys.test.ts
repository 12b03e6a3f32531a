import { describe, expect, it } from 'vitest';
import { addressKey, clientMatch, reversedName, subtreeRange } from './query-keys.js';

const hex = (b: Buffer | null) => b?.toString('hex') ?? null;

describe('query-log keys', () => {
  it.each([
    ['www.example.com', 'com.example.www.'],
    ['example.com', 'com.example.'],
    ['com', 'com.'],
    ['a\\.b.example.com', 'com.example.a\\.b.'],
    ['a\\046b.example.com', 'com.example.a\\046b.'],
    ['back\\\\.example', 'example.back\\\\.'],
    ['', ''],
  ])('reverses the labels of %s, an escaped dot staying in its label', (name, key) => {
    expect(reversedName(name)).toBe(key);
  });

  it('makes a subtree one range that holds the name and its descendants and nothing else', () => {
    const [low, high] = subtreeRange('Example.COM.');
    const inside = (name: string) => {
      const k = reversedName(name);
      return k >= low && k < high;
    };
    expect(['example.com', 'www.example.com', 'a.b.example.com', 'a-b.example.com'].map(inside)).toEqual([true, true, true, true]);
    expect(['notexample.com', 'example.com.evil', 'example-com', 'xample.com', 'example.co', 'com'].map(inside)).toEqual([false, false, false, false, false, false]);
    expect(subtreeRange('.')[0]).toBe('');
  });

  it('keys IPv4 as IPv4-mapped IPv6, so a dual-stack client is the same key', () => {
    expect(hex(addressKey('192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(hex(addressKey('::ffff:192.0.2.1'))).toBe(hex(addressKey('192.0.2.1')));
    expect(hex(addressKey('2001:db8::1'))).toBe('20010db8000000000000000000000001');
    expect(hex(addressKey('fe80::1%eth0'))).toBe('fe800000000000000000000000000001');
    expect(addressKey('example.com')).toBeNull();
    expect(addressKey('1.2.3')).toBeNull();
  });

  it('turns a CIDR into the inclusive range of its keys, and a full-length prefix into one key', () => {
    expect(clientMatch('10.1.0.0/16')).toEqual({ low: addressKey('10.1.0.0'), high: addressKey('10.1.255.255') });
    expect(clientMatch('10.1.2.3/16')).toEqual({ low: addressKey('10.1.0.0'), high: addressKey('10.1.255.255') });
    expect(clientMatch('10.1.2.3/32')).toEqual({ exact: addressKey('10.1.2.3') });
    expect(clientMatch(' 10.1.2.3 ')).toEqual({ exact: addressKey('10.1.2.3') });
    expect(clientMatch('0.0.0.0/0')).toEqual({ low: addressKey('0.0.0.0'), high: addressKey('255.255.255.255') });
    expect(clientMatch('2001:db8::/32')).toEqual({ low: addressKey('2001:db8::'), high: addressKey('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff') });
    expect(clientMatch('2001:db8::/35')).toEqual({ low: addressKey('2001:db8::'), high: addressKey('2001:db8:1fff:ffff:ffff:ffff:ffff:ffff') });
    for (const bad of ['', 'x', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '2001:db8::/129', '10.0.0.0/8/8', "1.2.3.4' OR 1=1"]) {
      expect(() => clientMatch(bad), bad).toThrow(/^store: client filter .* is not an address or CIDR$/);
    }
  });
});
