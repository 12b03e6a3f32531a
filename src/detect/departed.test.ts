import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, T0 } from '../../test/helpers/observations.js';
import { defaultConfig } from '../config/schema.js';
import type { Verdict } from '../model/verdict.js';
import { DepartedAddresses, isNovel, MAX_DEPARTED } from './departed.js';
import { Detector } from './detector.js';

function finals(feed: (d: Detector) => void): Verdict[] {
  const out: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFinal: (v) => out.push(v), reportBenign: true });
  feed(detector);
  detector.flush();
  return out;
}

const v4 = (i: number): string => `${20 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.7`;
const v6 = (i: number): string => `2a00:db8:${(i % 50).toString(16)}::${i.toString(16)}`;

describe('DepartedAddresses', () => {
  it('tells a returning address from a new one, IPv4 exactly and IPv6 by fingerprint', () => {
    const d = new DepartedAddresses();
    d.add(0x0a000001, 100);
    d.add('2001:db8::1', 200);
    expect(d.has(0x0a000001)).toBe(true);
    expect(d.has(0x0a000002)).toBe(false);
    expect(d.has('2001:db8::1')).toBe(true);
    expect(d.has('2001:db8::2')).toBe(false);
    expect(d.lastSeen).toBe(200);
    expect(isNovel(null, 1)).toBe(true);
    expect(isNovel(d, 0x0a000001)).toBe(false);
    expect(isNovel(d, 0x0a000002)).toBe(true);
  });

  it('stops recording at MAX_DEPARTED; from then on nothing unknown is counted new', () => {
    const d = new DepartedAddresses();
    for (let i = 0; i < MAX_DEPARTED; i++) d.add(i, i);
    expect(d.full).toBe(false);
    d.add(MAX_DEPARTED, MAX_DEPARTED);
    expect(d.full).toBe(true);
    expect(d.size).toBe(MAX_DEPARTED);
    expect(isNovel(d, 999_999)).toBe(false);
  });

  it('counts addresses that leave the table and come back once, IPv4 and IPv6 alike', () => {
    const [v] = finals((d) => {
      // 200 addresses (100 of each family), each answer 4 of them, the whole set seen 10 times over.
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 50; i++) {
          const at = T0 + (round * 50 + i) * 600;
          d.observe(aResponse(at, 'www.rotating.example', [v4(2 * i), v4(2 * i + 1), v6(2 * i), v6(2 * i + 1)], 60));
        }
      }
    });
    expect(v!.features.ips).toBe(200);
    expect(v!.lower_bounds).toBeUndefined();
    expect(v!.reasons.join(' ')).not.toContain('at least');
  });

  it('reports a count beyond what it can remember as a lower bound, in the reasons and lower_bounds', () => {
    const distinct = 3 * MAX_DEPARTED;
    const [v] = finals((d) => {
      for (let i = 0; i < distinct; i += 4) d.observe(aResponse(T0 + i * 60, 'dl.huge-flux.example', [v4(i), v4(i + 1), v4(i + 2), v4(i + 3)], 60));
    });
    expect(v!.lower_bounds).toEqual(expect.arrayContaining(['ips', 'ips_per_hour']));
    expect(v!.features.ips).toBeGreaterThanOrEqual(MAX_DEPARTED);
    expect(v!.features.ips).toBeLessThanOrEqual(distinct);
    expect(v!.reasons[0]).toMatch(new RegExp(`^at least ${v!.features.ips} IPs in`));
  });
});
