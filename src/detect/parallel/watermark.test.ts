import { describe, expect, it } from 'vitest';
import { abortAll, Aborted, advance, byPlace, reached, sharedCounters, waitFor } from './watermark.js';

describe('watermarks', () => {
  it.each([
    [10, 10, true],
    [11, 10, true],
    [9, 10, false],
    // Past 2^31 the slots wrap: a mark just past the wrap is still ahead of an index just before it.
    [(2 ** 31 + 5) | 0, 2 ** 31 - 5, true],
    [2 ** 31 - 5, (2 ** 31 + 5) | 0, false],
  ])('reached(%i, %i) = %s', (mark, index, want) => {
    expect(reached(mark, index)).toBe(want);
  });

  it('waitFor returns at once for a mark already past, and throws Aborted once aborted', () => {
    const c = sharedCounters(2);
    advance(c, 1, 100);
    expect(() => waitFor(c, 1, 100)).not.toThrow();
    abortAll(c);
    expect(() => waitFor(c, 1, 101)).toThrow(Aborted);
  });

  it('advance wakes a waiter only once its mark reaches the index waited for', () => {
    const c = sharedCounters(2);
    // As waitFor leaves it: someone waits for worker 1 to reach 10.
    Atomics.store(c.waiting, 1, 10);
    advance(c, 1, 9);
    expect(Atomics.load(c.waiting, 1)).toBe(10);
    advance(c, 1, 10);
    expect(Atomics.load(c.waiting, 1)).toBe(0);
  });

  it('waitFor gives up at its deadline (a stuck worker does not hang the run)', () => {
    const c = sharedCounters(2);
    expect(() => waitFor(c, 0, 5, Date.now() + 20, 5)).toThrow(/did not get past observation 5/);
  });

  it('orders reports by input index, then partition, then order within it', () => {
    const items = [
      { at: 5, partition: 1, seq: 0 },
      { at: 5, partition: 0, seq: 1 },
      { at: 3, partition: 1, seq: 9 },
      { at: 5, partition: 0, seq: 0 },
    ];
    expect(items.sort(byPlace)).toEqual([
      { at: 3, partition: 1, seq: 9 },
      { at: 5, partition: 0, seq: 0 },
      { at: 5, partition: 0, seq: 1 },
      { at: 5, partition: 1, seq: 0 },
    ]);
  });
});
