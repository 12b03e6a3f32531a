/**
 * AddressFilter: a counting filter over the IPv4 keys of a set of addresses
 * (the flux-network graph's), answering "certainly not in the set" from one
 * byte, so that a lookup of an address the set does not hold (most answer
 * addresses of most names) skips the Map. Exact on the "not" side: a bucket
 * counts the keys in it, up to 255, and a bucket that reached 255 stays
 * there (it may then say "maybe" for ever, never "not" for a key it holds).
 * IPv6 (string) keys are not filtered: `mayHold` says true for them.
 *
 * 2^20 one-byte buckets (1 MiB, allocated with the first key): with the
 * graph's default bound of 1M addresses it still filters about a third of
 * the misses; at the tens of thousands a run holds, nearly all of them.
 */
const BITS = 20;
const FULL = 255;

export class AddressFilter {
  private counts: Uint8Array | null = null;

  /** The set gained key (call once per key added, not for a key already in it). */
  add(key: number | string): void {
    if (typeof key !== 'number') return;
    const counts = (this.counts ??= new Uint8Array(1 << BITS));
    const b = bucket(key);
    if (counts[b]! < FULL) counts[b]!++;
  }

  /** The set lost key (call once per key removed). */
  remove(key: number | string): void {
    if (typeof key !== 'number' || this.counts === null) return;
    const b = bucket(key);
    const c = this.counts[b]!;
    if (c > 0 && c < FULL) this.counts[b] = c - 1;
  }

  /** False only when the set certainly does not hold key. */
  mayHold(key: number | string): boolean {
    if (typeof key !== 'number') return true;
    return this.counts !== null && this.counts[bucket(key)] !== 0;
  }
}

function bucket(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> (32 - BITS);
}
