/**
 * Seeded randomness for the corpus. Everything the generator draws comes from
 * here so that a seed fixes the output byte for byte (Math.random never).
 *
 * xoshiro128** (Blackman & Vigna): 128-bit state, 32-bit integer maths that V8
 * runs fast with Math.imul, and a period far beyond the ~10^8 draws a large
 * corpus needs. Seeds are expanded with splitmix32 so small seeds (1, 2, 3)
 * still start from well-mixed states.
 */

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi], both ends included. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('corpus: prng: pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Waiting time of a Poisson process with the given rate (events per unit). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** Shuffle in place (Fisher–Yates) and return the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /**
   * An independent stream named by `purpose`. Each part of the generator takes
   * its own fork, so adding a draw in one part (a new domain class, a new
   * writer field) does not shift what every other part draws.
   */
  fork(purpose: string): Prng {
    return new Prng(hashString(purpose, this.u32()));
  }

  /**
   * An independent stream named by `purpose` that leaves this one where it
   * is: classes added later derive their streams this way, so they neither
   * shift the forks taken after them nor depend on how many were taken before.
   */
  derive(purpose: string): Prng {
    return new Prng(hashString(purpose, (this.a ^ rotl(this.b, 8) ^ rotl(this.c, 16) ^ rotl(this.d, 24)) >>> 0));
  }
}

/** Seeded FNV-1a over a string; also used to derive stable per-name values. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Sampling from fixed weights in O(1) with Vose's alias method: one uniform
 * column and one coin per draw. A binary search over a cumulative table of
 * hundreds of thousands of names costs ~20 cache misses per draw, which
 * dominated generation time.
 */
export class WeightedIndex {
  private readonly probability: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('corpus: prng: no weights');
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i] as number;
    if (!(sum > 0)) throw new Error('corpus: prng: weights sum to zero');
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let smallCount = 0;
    let largeCount = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = ((weights[i] as number) * n) / sum;
      if ((scaled[i] as number) < 1) small[smallCount++] = i;
      else large[largeCount++] = i;
    }
    while (smallCount > 0 && largeCount > 0) {
      const less = small[--smallCount] as number;
      const more = large[--largeCount] as number;
      this.probability[less] = scaled[less] as number;
      this.alias[less] = more;
      scaled[more] = (scaled[more] as number) + (scaled[less] as number) - 1;
      if ((scaled[more] as number) < 1) small[smallCount++] = more;
      else large[largeCount++] = more;
    }
    // What is left is 1 up to rounding error.
    while (largeCount > 0) this.probability[large[--largeCount] as number] = 1;
    while (smallCount > 0) this.probability[small[--smallCount] as number] = 1;
  }

  get size(): number {
    return this.probability.length;
  }

  draw(rng: Prng): number {
    const column = Math.floor(rng.next() * this.probability.length);
    return rng.next() < (this.probability[column] as number) ? column : (this.alias[column] as number);
  }
}

/** Zipf weights 1/(rank+1)^s for `n` ranks; s = 0 gives uniform popularity. */
export function zipfWeights(n: number, exponent: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / Math.pow(i + 1, exponent);
  return w;
}
