/** isoTime's fast path against what Date itself writes, for every kind of input. */
import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

/** What isoTime gave before the fast path. */
function viaDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

let seed = 20260617;
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}

describe('isoTime', () => {
  it('writes edge times exactly as Date#toISOString, and nothing for no valid time', () => {
    const edges = [
      0, -0, 1e-10, 0.0004, 0.0005, 0.001, 0.9999, 1, -0.0004, -0.001, -1, -1.5, 86_399.9995, 86_400, 86_400.0001,
      951_782_400, 951_868_799.999, 1_700_000_000, 1_764_115_200.052061, 1_764_115_199.9999999, 4_102_444_800,
      253_402_300_799.999, 253_402_300_800, 253_402_300_800.5, 8.64e12, 8.64e12 + 0.001, -8.64e12, -8.64e12 - 0.001,
      -62_167_219_200, -62_167_219_200.001, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
      Infinity, -Infinity, NaN,
    ];
    for (const s of edges) expect(isoTime(s), String(s)).toBe(viaDate(s));
    expect(isoTime(1_764_115_200.052061)).toBe('2025-11-26T00:00:00.052Z');
    expect(isoTime(NaN)).toBe('');
    expect(isoTime(9e12)).toBe('');
  });

  it('agrees with Date over random capture-like, whole, day-boundary and far times, in any order', () => {
    let wrong = 0;
    let checked = 0;
    const check = (s: number): void => {
      checked++;
      if (isoTime(s) !== viaDate(s)) wrong++;
    };
    for (let i = 0; i < 200_000; i++) {
      // Microsecond capture times over a few days around now (the day cache hit and missed alternately).
      check(1_764_115_200 + Math.floor(random() * 3 * 86_400 * 1e6) / 1e6);
      // Whole seconds anywhere from 1970 to 9999, and around every kind of boundary.
      check(Math.floor(random() * 253_402_300_800));
      const day = Math.floor(random() * 2_932_896) * 86_400;
      check(day + (random() < 0.5 ? -1 : 1) * Math.floor(random() * 2000) / 1000);
      // Arbitrary doubles: negative, tiny, beyond the Date range.
      check((random() - 0.5) * 10 ** Math.floor(random() * 30 - 10));
    }
    expect(checked).toBe(800_000);
    expect(wrong).toBe(0);
  });
});
