import { describe, expect, it } from 'vitest';
import { runSteps, sortSteps, type Steps } from './steps.js';

describe('act/steps', () => {
  it('runSteps runs a build to its end and returns its result', () => {
    function* count(n: number): Steps<number> {
      let total = 0;
      for (let i = 0; i < n; i++) {
        total += i;
        yield;
      }
      return total;
    }
    expect(runSteps(count(10))).toBe(45);
  });

  it.each([0, 1, 511, 512, 513, 5000, 20_001])('sortSteps orders %i items as Array.prototype.sort does (stable on ties), yielding along the way', (n) => {
    // Keys with many ties: stability is visible in the second field.
    const items = Array.from({ length: n }, (_, i) => ({ key: (i * 7919) % 97, at: i }));
    const expected = [...items].sort((a, b) => a.key - b.key);
    let yields = 0;
    const steps = sortSteps(items, (a, b) => a.key - b.key);
    let next = steps.next();
    while (next.done !== true) {
      yields++;
      next = steps.next();
    }
    expect(next.value).toBe(items);
    expect(items).toEqual(expected);
    // One yield per leaf run of 512 at least: a large sort never runs as one call.
    expect(yields).toBeGreaterThanOrEqual(Math.ceil(n / 512));
  });
});
