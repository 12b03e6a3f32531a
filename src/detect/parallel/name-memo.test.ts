import { describe, expect, it } from 'vitest';
import { NameMemo } from './name-memo.js';

describe('NameMemo', () => {
  it('finds a name by its bytes wherever they stand, and only the same bytes', () => {
    const memo = new NameMemo();
    const line = Buffer.from('x\twww.example.com\ty');
    expect(memo.find(line, 2, 17)).toBe(-1);
    memo.add(line, 2, 17, 1, 'www.example.com');
    const other = Buffer.from('www.example.com');
    const slot = memo.find(other, 0, other.length);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect([memo.partition(slot), memo.name(slot)]).toEqual([1, 'www.example.com']);
    // Case differs: other bytes, another entry (the decoder lower-cases; the memo keys what it was given).
    const upper = Buffer.from('WWW.example.com');
    expect(memo.find(upper, 0, upper.length)).toBe(-1);
    expect(memo.find(other, 0, 14)).toBe(-1);
  });

  it('starts over when full and still answers right', () => {
    const memo = new NameMemo();
    const names = Array.from({ length: 300_000 }, (_, i) => Buffer.from(`host${i}.example`));
    for (const [i, name] of names.entries()) {
      if (memo.find(name, 0, name.length) === -1) memo.add(name, 0, name.length, i % 7, `host${i}.example`);
    }
    // The last names are held (the memo started over past 262,144), with their own partitions.
    for (const i of [299_999, 280_000]) {
      const slot = memo.find(names[i]!, 0, names[i]!.length);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect([memo.partition(slot), memo.name(slot)]).toEqual([i % 7, `host${i}.example`]);
    }
    expect(memo.find(names[0]!, 0, names[0]!.length)).toBe(-1);
  });
});
