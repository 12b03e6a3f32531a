import { describe, expect, it } from 'vitest';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import { Prng } from './prng.js';
import { Schedule, spreadOverSpan } from './schedule.js';

const named = (name: string): DomainBehaviour => ({
  label: { name, registeredDomain: name, class: 'shared-registry', flux: null, network: null },
  respond: () => {},
});

describe('Schedule', () => {
  it('hands out every lookup earliest first, ties in the order they were added', () => {
    const schedule = new Schedule(new Prng(1));
    schedule.add(named('a.example'), [0.5, 0.1]);
    schedule.add(named('b.example'), [0.3, 0.5]);
    const { at, which } = schedule.inOrder();
    expect([...at]).toEqual([0.1, 0.3, 0.5, 0.5]);
    expect([...which]).toEqual([0, 1, 0, 1]);
    expect(schedule.lookups).toBe(4);
  });

  it('refuses a moment outside the span', () => {
    const schedule = new Schedule(new Prng(1));
    expect(() => schedule.add(named('a.example'), [1])).toThrow(/outside \[0, 1\)/);
  });

  it('spreads moments over the whole span', () => {
    const moments = spreadOverSpan(1000, new Prng(3));
    expect(Math.min(...moments)).toBeLessThan(0.01);
    expect(Math.max(...moments)).toBeGreaterThan(0.99);
  });
});
