import { describe, expect, it } from 'vitest';
import { Recency } from './recency.js';

describe('Recency', () => {
  it('gives back the least recently used first; use() refreshes, peek() does not', () => {
    const r = new Recency<number>();
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) r.add(k, v);
    expect(r.use('a')).toBe(1);
    expect(r.peek('b')).toBe(2);
    expect([...r.values()]).toEqual([2, 3, 1]);
    expect(r.shift()).toBe(2);
    expect(r.delete('a')).toBe(true);
    expect(r.delete('a')).toBe(false);
    expect(r.oldest()).toBe(3);
    expect(r.size).toBe(1);
    r.clear();
    expect(r.shift()).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it('stays consistent over many evictions (the order a Map-as-queue gets slow at)', () => {
    const r = new Recency<number>();
    for (let i = 0; i < 10_000; i++) {
      if (r.size >= 100) r.shift();
      r.add(`k${i}`, i);
      if (i % 3 === 0) r.use(`k${i - 50}`);
    }
    const values = [...r.values()];
    expect(values).toHaveLength(100);
    expect(new Set(values).size).toBe(100);
    expect(values.at(-1)).toBe(9999 - 50);
  });
});
