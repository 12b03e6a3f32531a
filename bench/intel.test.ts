import { describe, expect, it } from 'vitest';
import { parseList } from '../src/intel/list.js';
import { parseRpz } from '../src/intel/rpz.js';
import { benchIntelPeer, formatIntelPeer, rpzZoneText } from './intel-peer.js';
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

describe('intel bench against Unbound (bench/intel-peer.ts)', () => {
  it('writes the feed as an RPZ zone that fluxhound reads back to the same entries as the plain list', () => {
    const list = feedText(400).text;
    const zone = rpzZoneText(list);
    expect(zone).toMatch(/^fx0\.example-0\.com CNAME \.$/m);
    expect(zone).toMatch(/^32(\.[0-9]+){4}\.rpz-ip CNAME \.$/m);
    expect(zone).toMatch(/^48\.zz(\.[0-9a-f]+){3}\.rpz-ip CNAME \.$/m);
    const fromZone = parseRpz(zone, 'z.rpz');
    expect(fromZone.skipped).toEqual([]);
    expect(fromZone.entries.map((e) => [e.kind, e.value])).toEqual(parseList(list, 'l.txt').entries.map((e) => [e.kind, e.value]));
  });

  it('runs side by side at a tiny size: Unbound answers a listed name with the policy, fluxhound indexes every trigger', async () => {
    const figures = await benchIntelPeer({ entries: 2000, runs: 1, timeoutMs: 60_000 }, () => {});
    expect(figures.runs).toHaveLength(1);
    expect(figures.runs[0]!.rpzAccepted).toBe(2000);
    expect(figures.unboundReadyMs).toBeGreaterThan(0);
    expect(Number.isFinite(figures.ratio)).toBe(true);
    expect(figures.unboundCpuMs).not.toBeNull();
    expect(figures.fluxhoundRpzCpuMs).toBeGreaterThan(0);
    expect(formatIntelPeer(figures)).toMatch(/intel feed vs Unbound \S+ \(RPZ, 2,000 triggers, .*\n.*Unbound: spawn to the policy's answer .*\n.*fluxhound: read \+ parse \+ index the same zone .*\n.*ratio \(Unbound \/ fluxhound, RPZ\): [0-9.]+ wall time, [0-9.]+ CPU time$/);
  }, 90_000);
});
