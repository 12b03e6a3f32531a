/**
 * Names asked a fixed few times at chosen moments of the span rather than by
 * popularity: slow-flux names (3-8 lookups spread over the day) and the
 * children of shared registries. The traffic model merges these lookups into
 * its stream in time order, drawing their clients and answers from the
 * schedule's own stream, so the popularity-driven exchanges stay as they were.
 */
import type { DomainBehaviour } from './behaviours/behaviour.js';
import type { Prng } from './prng.js';

/** Lookups in time order: `at` as a fraction of the span in [0, 1), `which` an index into `names`. */
export interface ScheduledLookups {
  at: Float64Array;
  which: Uint32Array;
}

export class Schedule {
  readonly names: DomainBehaviour[] = [];
  private readonly fractions: number[] = [];
  private readonly owners: number[] = [];

  /** `rng`: the stream scheduled exchanges draw their client, sections and answers from. */
  constructor(readonly rng: Prng) {}

  get lookups(): number {
    return this.fractions.length;
  }

  /** Ask `behaviour` at each of `fractions` of the span (each in [0, 1)). */
  add(behaviour: DomainBehaviour, fractions: readonly number[]): void {
    const index = this.names.length;
    this.names.push(behaviour);
    for (const f of fractions) {
      if (!(f >= 0 && f < 1)) throw new Error(`corpus: schedule: lookup time ${f} of ${behaviour.label.name} is outside [0, 1)`);
      this.fractions.push(f);
      this.owners.push(index);
    }
  }

  /** Every lookup, earliest first. */
  inOrder(): ScheduledLookups {
    const order = Array.from({ length: this.fractions.length }, (_, i) => i);
    order.sort((x, y) => (this.fractions[x] as number) - (this.fractions[y] as number) || x - y);
    return {
      at: Float64Array.from(order, (i) => this.fractions[i] as number),
      which: Uint32Array.from(order, (i) => this.owners[i] as number),
    };
  }
}

/** `count` moments spread at random over the span, as fractions in [0, 1). */
export function spreadOverSpan(count: number, rng: Prng): number[] {
  return Array.from({ length: count }, () => rng.next());
}
