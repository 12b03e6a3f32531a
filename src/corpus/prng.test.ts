import { describe, expect, it } from 'vitest';
import { Prng, WeightedIndex, hashString, zipfWeights } from './prng.js';

describe('Prng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const seqA = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.u32())).not.toEqual(seqA);
  });

  it('keeps int, range and next inside their bounds', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 10_000; i++) {
      const f = rng.next();
      expect(f >= 0 && f < 1).toBe(true);
      const n = rng.int(10);
      expect(n >= 0 && n < 10 && Number.isInteger(n)).toBe(true);
      const r = rng.range(3, 5);
      expect(r >= 3 && r <= 5).toBe(true);
    }
  });

  it('derives streams without moving its own, the same for the same state and purpose', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const derived = a.derive('x');
    expect(a.u32()).toBe(b.u32());
    expect(derived.u32()).toBe(new Prng(5).derive('x').u32());
    expect(new Prng(5).derive('x').u32()).not.toBe(new Prng(5).derive('y').u32());
  });

  it('gives forks that do not depend on what the other forks drew', () => {
    const first = new Prng(1);
    const fa = first.fork('a');
    const fb = first.fork('b');
    fa.u32();
    fa.u32();
    const second = new Prng(1);
    second.fork('a');
    const fb2 = second.fork('b');
    expect(fb2.u32()).toBe(fb.u32());
  });

  it('hashes strings stably', () => {
    expect(hashString('example.com')).toBe(hashString('example.com'));
    expect(hashString('example.com')).not.toBe(hashString('example.net'));
  });
});

describe('WeightedIndex', () => {
  it('draws in proportion to the weights', () => {
    const index = new WeightedIndex([1, 2, 7, 0]);
    const rng = new Prng(3);
    const counts = [0, 0, 0, 0];
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[index.draw(rng)]!++;
    expect(counts[0]! / n).toBeCloseTo(0.1, 1);
    expect(counts[1]! / n).toBeCloseTo(0.2, 1);
    expect(counts[2]! / n).toBeCloseTo(0.7, 1);
    expect(counts[3]).toBe(0);
  });

  it('follows Zipf popularity: rank 1 about twice rank 2', () => {
    const index = new WeightedIndex(zipfWeights(1000, 1));
    const rng = new Prng(5);
    const counts = new Array<number>(1000).fill(0);
    for (let i = 0; i < 200_000; i++) counts[index.draw(rng)]!++;
    expect(counts[0]! / counts[1]!).toBeGreaterThan(1.8);
    expect(counts[0]! / counts[1]!).toBeLessThan(2.2);
  });

  it('rejects empty and all-zero weights', () => {
    expect(() => new WeightedIndex([])).toThrow(/no weights/);
    expect(() => new WeightedIndex([0, 0])).toThrow(/sum to zero/);
  });
});
