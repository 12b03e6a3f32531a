/**
 * The floor's one data structure: every distinct (name, address) pair with
 * its lowest TTL and its latest TTL, the rows of the SQL's `per_address`.
 * One open-addressing table over flat typed arrays, so a pair costs no
 * object and no per-name allocation; names are small integers handed out by
 * the caller. Addresses are the SQL's 128-bit integers as four big-endian
 * words, IPv4 as ::ffff:a.b.c.d.
 */

/** A slot's TTL or time not known yet (the SQL's NULL). */
const NONE = Number.NaN;

export class PairTable {
  /** Pairs held. */
  size = 0;
  name = new Int32Array(1024);
  words = new Uint32Array(4096);
  ttlMin = new Float64Array(1024).fill(NONE);
  ttlLatest = new Float64Array(1024).fill(NONE);
  tsLatest = new Float64Array(1024).fill(NONE);
  /** Slot + 1 per bucket, 0 when empty; a power of two, at most half full. */
  private buckets = new Int32Array(2048);

  /**
   * One answer: the pair's slot, made when new. `ttl` and `ts` NaN when the
   * SQL's would be NULL: min() skips a NULL TTL, arg_max() a row with either.
   * The first row at the latest time wins, as DuckDB's arg_max keeps it.
   */
  add(nameId: number, w0: number, w1: number, w2: number, w3: number, ttl: number, ts: number): void {
    const slot = this.slotOf(nameId, w0, w1, w2, w3);
    if (ttl === ttl) {
      const min = this.ttlMin[slot]!;
      if (min !== min || ttl < min) this.ttlMin[slot] = ttl;
      if (ts === ts) {
        const latest = this.tsLatest[slot]!;
        if (latest !== latest || ts > latest) {
          this.tsLatest[slot] = ts;
          this.ttlLatest[slot] = ttl;
        }
      }
    }
  }

  private slotOf(nameId: number, w0: number, w1: number, w2: number, w3: number): number {
    const mask = this.buckets.length - 1;
    let h = hashPair(nameId, w0, w1, w2, w3) & mask;
    const words = this.words;
    for (;;) {
      const held = this.buckets[h]!;
      if (held === 0) break;
      const s = held - 1;
      const at = s * 4;
      if (this.name[s] === nameId && words[at + 3] === w3 && words[at + 2] === w2 && words[at + 1] === w1 && words[at] === w0) return s;
      h = (h + 1) & mask;
    }
    const s = this.size++;
    if (s === this.name.length) this.growSlots();
    this.name[s] = nameId;
    const at = s * 4;
    this.words[at] = w0;
    this.words[at + 1] = w1;
    this.words[at + 2] = w2;
    this.words[at + 3] = w3;
    this.buckets[h] = s + 1;
    if (this.size * 2 > this.buckets.length) this.rehash();
    return s;
  }

  private growSlots(): void {
    const n = this.name.length * 2;
    const grow = <T extends Int32Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T, width: number): T => {
      const bigger = make(n * width);
      bigger.set(old);
      return bigger;
    };
    this.name = grow(this.name, (k) => new Int32Array(k), 1);
    this.words = grow(this.words, (k) => new Uint32Array(k), 4);
    const unknown = (k: number) => new Float64Array(k).fill(NONE);
    this.ttlMin = grow(this.ttlMin, unknown, 1);
    this.ttlLatest = grow(this.ttlLatest, unknown, 1);
    this.tsLatest = grow(this.tsLatest, unknown, 1);
  }

  private rehash(): void {
    this.buckets = new Int32Array(this.buckets.length * 2);
    const words = this.words;
    for (let s = 0; s < this.size; s++) {
      const at = s * 4;
      this.placeExisting(s, this.name[s]!, words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!);
    }
  }

  private placeExisting(s: number, nameId: number, w0: number, w1: number, w2: number, w3: number): void {
    const mask = this.buckets.length - 1;
    let h = hashPair(nameId, w0, w1, w2, w3) & mask;
    while (this.buckets[h] !== 0) h = (h + 1) & mask;
    this.buckets[h] = s + 1;
  }
}

/** Mixes the name and all four words, so neighbouring addresses of one name spread over the buckets. */
function hashPair(nameId: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(nameId ^ w3, 0x9e3779b1);
  h = Math.imul(h ^ w2 ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 13), 0xc2b2ae35);
  return h ^ w0 ^ (h >>> 16);
}
