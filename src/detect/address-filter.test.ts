/**
 * AddressFilter never says "not held" for a key the set holds, through adds,
 * removals and buckets that fill up; and it does filter misses.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../corpus/prng.js';
import { AddressFilter } from './address-filter.js';

describe('AddressFilter', () => {
  it('holds every key of a model set through random adds and removals', () => {
    const filter = new AddressFilter();
    const model = new Set<number>();
    const prng = new Prng(11);
    const random = (): number => prng.next();
    let misses = 0;
    let filtered = 0;
    let rebuilds = 0;
    for (let step = 0; step < 200_000; step++) {
      // Keys from a 2^18 range, signed like the detector's IPv4 keys.
      const key = (0x80000000 + Math.floor(random() * 2 ** 18) * 4099) | 0;
      if (random() < 0.55) {
        if (!model.has(key)) {
          model.add(key);
          filter.add(key);
          // As FluxNetworks does: grown from the set's keys when it outgrows the filter.
          if (filter.needsRebuild()) {
            filter.rebuild(model);
            rebuilds++;
          }
        }
      } else if (model.has(key)) {
        model.delete(key);
        filter.remove(key);
      }
      const probe = (0x80000000 + Math.floor(random() * 2 ** 18) * 4099) | 0;
      if (model.has(probe)) expect(filter.mayHold(probe)).toBe(true);
      else {
        misses++;
        if (!filter.mayHold(probe)) filtered++;
      }
    }
    for (const key of model) expect(filter.mayHold(key)).toBe(true);
    expect(model.size).toBeGreaterThan(10_000);
    expect(rebuilds).toBeGreaterThanOrEqual(3);
    // Nearly every miss stops at the filter (87% did on counts alone here; the fingerprint of a lone key stops most of the rest).
    expect(filtered / misses).toBeGreaterThan(0.97);
  });

  it('keeps a bucket that reached its limit (never a false "not held")', () => {
    const filter = new AddressFilter();
    // 260 keys of one bucket (found by search; the filter's own bucket function), more than a bucket counts.
    const bucketOf = (k: number): number => Math.imul(k, 0x9e3779b1) >>> 20; // 2^12 buckets: the first size
    const target = bucketOf(1);
    const same: number[] = [];
    for (let k = 1; same.length < 260; k++) if (bucketOf(k) === target) same.push(k);
    for (const k of same) filter.add(k);
    // Remove all but one: counting down from the limit would reach 0 with a key still held.
    for (const k of same.slice(1)) filter.remove(k);
    expect(filter.mayHold(same[0]!)).toBe(true);
  });

  it('tells a lone key of a bucket from the others by its fingerprint, and counts two exactly', () => {
    const filter = new AddressFilter();
    const bucketOf = (k: number): number => Math.imul(k, 0x9e3779b1) >>> 20;
    const fingerprintOf = (k: number): number => Math.imul(k, 0x85ebca6b) >>> 28;
    const target = bucketOf(7);
    const same: number[] = [];
    for (let k = 8; same.length < 40; k++) if (bucketOf(k) === target) same.push(k);
    const other = same.find((k) => fingerprintOf(k) !== fingerprintOf(7))!;
    const twin = same.find((k) => fingerprintOf(k) === fingerprintOf(7))!;
    filter.add(7);
    expect(filter.mayHold(7)).toBe(true);
    expect(filter.mayHold(other)).toBe(false);
    // Same bucket, same fingerprint: the filter cannot tell, the Map will.
    expect(filter.mayHold(twin)).toBe(true);
    filter.add(other);
    expect(filter.mayHold(7)).toBe(true);
    expect(filter.mayHold(other)).toBe(true);
    // Back to one key: its fingerprint is exact again.
    filter.remove(7);
    expect(filter.mayHold(other)).toBe(true);
    expect(filter.mayHold(7)).toBe(fingerprintOf(7) === fingerprintOf(other));
    filter.remove(other);
    expect(filter.mayHold(other)).toBe(false);
  });

  it('lets IPv6 keys through and says "not held" before any key', () => {
    const filter = new AddressFilter();
    expect(filter.mayHold(5)).toBe(false);
    expect(filter.mayHold('2001:db8::1')).toBe(true);
    filter.add(5);
    expect(filter.mayHold(5)).toBe(true);
    filter.remove(5);
    expect(filter.mayHold(5)).toBe(false);
  });
});
