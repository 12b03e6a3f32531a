import { describe, expect, it } from 'vitest';
import { client, domainName, integer, oneOf, someOf, time, timeRange } from './params.js';

const q = (text: string): URLSearchParams => new URLSearchParams(text);

describe('API parameters', () => {
  it.each([
    ['since=1764933600', 1764933600],
    ['since=1764933600.25', 1764933600.25],
    ['since=2025-12-05T11:20:00Z', Date.UTC(2025, 11, 5, 11, 20) / 1000],
    ['since=2025-12-05T11:20:00.5Z', Date.UTC(2025, 11, 5, 11, 20, 0, 500) / 1000],
    ['since=2025-12-05T12:20:00%2B01:00', Date.UTC(2025, 11, 5, 11, 20) / 1000],
    ['since=2025-12-05T11:20', Date.UTC(2025, 11, 5, 11, 20) / 1000],
    ['since=2025-12-05', Date.UTC(2025, 11, 5) / 1000],
    ['', 7],
  ])('reads the time %s as ISO 8601 or epoch seconds', (text, seconds) => {
    expect(time(q(text), 'since', 7)).toBe(seconds);
  });

  it.each(['since=yesterday', 'since=-5', 'since=1e9', 'since=2025-13-45', 'since=2025-02-30T99:00:00Z', 'since=123456789012', 'since=1&since=2'])(
    'refuses the time %s naming the parameter',
    (text) => {
      expect(() => time(q(text), 'since', 0)).toThrow(/^since: /);
    },
  );

  it('refuses a range that ends before it starts', () => {
    expect(() => timeRange(q('since=200&until=100'), { since: 0, until: 1 })).toThrow('since: is after until');
    expect(timeRange(q('since=100'), { since: 0, until: 500 })).toEqual({ since: 100, until: 500 });
  });

  it('bounds whole numbers', () => {
    expect(integer(q(''), 'limit', 50, 1, 500)).toBe(50);
    expect(integer(q('limit=500'), 'limit', 50, 1, 500)).toBe(500);
    for (const bad of ['limit=1e9', 'limit=1000000000', 'limit=0', 'limit=-1', 'limit=2.5', 'limit=ten', 'limit=99999999999999999999']) {
      expect(() => integer(q(bad), 'limit', 50, 1, 500), bad).toThrow(/^limit: /);
    }
  });

  it('takes enums and comma lists only from their values', () => {
    expect(oneOf(q('sort=last_seen'), 'sort', ['score', 'last_seen'], 'score')).toBe('last_seen');
    expect(oneOf(q(''), 'sort', ['score', 'last_seen'], null)).toBeNull();
    expect(() => oneOf(q('sort=<script>'), 'sort', ['score', 'last_seen'], 'score')).toThrow('sort: "<script>" is not one of score, last_seen');
    expect(someOf(q('action=nxdomain,drop,nxdomain'), 'action', ['nxdomain', 'drop', 'pass'])).toEqual(['nxdomain', 'drop']);
    expect(() => someOf(q('action=nxdomain,DROP'), 'action', ['nxdomain', 'drop'])).toThrow(/^action: "DROP" is not one of/);
    expect(() => someOf(q('action=nxdomain,'), 'action', ['nxdomain', 'drop'])).toThrow(/^action: "" is not one of/);
  });

  it('canonicalises names and refuses what is not one', () => {
    expect(domainName('WWW.Example.COM.', 'name')).toBe('www.example.com');
    // The one escaping rule: escapes stay, other bytes become \DDD.
    expect(domainName('a\\".<b>\\\\.example', 'name')).toBe('a\\".<b>\\\\.example');
    expect(domainName('A"<B> \u0000.example', 'name')).toBe('a\\034<b>\\032\\000.example');
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(long).toHaveLength(253);
    expect(domainName(long, 'name')).toBe(long);
    for (const bad of [`${long}x`, '', '.', 'a..b', '.a', `${'a'.repeat(64)}.com`, `${'a'.repeat(60)}\u0000.com`]) expect(() => domainName(bad, 'name'), JSON.stringify(bad)).toThrow(/^name: /);
  });

  it('takes a client as an address or a CIDR network', () => {
    expect(client(q('client=192.0.2.7'), 'client')).toBe('192.0.2.7');
    expect(client(q('client=2001:db8::/32'), 'client')).toBe('2001:db8::/32');
    for (const bad of ['client=192.0.2.0/33', 'client=host.example', 'client=1.2.3.4/x', 'client=::1/129']) expect(() => client(q(bad), 'client'), bad).toThrow(/^client: /);
  });
});
