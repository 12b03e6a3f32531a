import { describe, expect, it } from 'vitest';
import { benchIntel, feedText, formatIntel } from './intel.js';

describe('intel bench', () => {
  it('runs end to end at a tiny size: every generated entry indexed, half the lookups hit', () => {
    const figures = benchIntel({ entries: 2000, lookups: 1000 }, () => {});
    expect(figures.accepted).toBe(2000);
    expect(figures.skipped + figures.refused).toBe(0);
    // Half the domain queries and half the address queries are under listed values.
    expect(figures.hits).toBe(1000);
    expect(figures.domainLookupsPerSec).toBeGreaterThan(0);
    expect(formatIntel(figures)).toMatch(/intel feed: 2,000 entries .* 2,000 indexed, 0 refused, 0 skipped/);
  });

  it('generates half domains and half addresses and networks, IPv4 and IPv6', () => {
    const lines = feedText(40).text.trim().split('\n').slice(1);
    expect(lines).toHaveLength(40);
    expect(lines.slice(0, 20).every((l) => /^fx[0-9a-z]+\.example-/.test(l))).toBe(true);
    expect(lines.slice(20).some((l) => l.includes('/'))).toBe(true);
    expect(lines.slice(20).some((l) => l.includes(':'))).toBe(true);
  });
});
