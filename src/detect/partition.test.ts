import { describe, expect, it } from 'vitest';
import { fnv1a, partitionKey, partitionOf } from './partition.js';

describe('partitionOf', () => {
  it('puts every name of one registered domain in one partition', () => {
    for (const count of [2, 3, 8]) {
      const p = partitionOf('evil.example.com', count);
      for (const name of ['example.com', 'a.example.com', 'x.y.z.example.com']) expect(partitionOf(name, count)).toBe(p);
    }
    expect(partitionKey('a.b.github.io')).toBe('b.github.io');
    expect(partitionKey('com')).toBe('com');
  });
  it('is FNV-1a (stable across processes) and one partition for count 1', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(partitionOf('anything.org', 1)).toBe(0);
  });
  it('spreads domains over partitions', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[partitionOf(`d${i}.com`, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
