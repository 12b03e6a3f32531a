/**
 * AddressFilter: a counting filter over the IPv4 keys of a set of addresses
 * (the flux-network graph's), answering "certainly not in the set" from one
 * byte, so that a lookup of an address the set does not hold (most answer
 * addresses of most names) skips the Map. Exact on the "not" side.
 *
 * A bucket's byte holds two nibbles: the count of keys in it (low), up to
 * 15, and the XOR of their 4-bit fingerprints (high). A bucket holding one
 * key says "not" to a key of another fingerprint too: at the load the filter
 * keeps, most occupied buckets hold one key, and counts alone let ~15% of
 * the graph's misses through to the Map on a pcap run (mostly the
 * name-server addresses ns-flux counts at each rescore) where this lets ~3%.
 * A bucket that reached 15 stays there, its fingerprint no longer kept (it
 * may then say "maybe" for ever, never "not" for a key it holds).
 * IPv6 (string) keys are not filtered: `mayHold` says true for them.
 *
 * Sized to the set: at least 4 buckets per key, from 4 KiB up to 1 MiB
 * (2^20 buckets). A filter much larger than its keys would cost a cache miss
 * per question, as much as the Map lookup it saves; one that is too small
 * says "maybe" too often. When the set outgrows it, the owner rebuilds it
 * (`needsRebuild`, `rebuild`) from the keys it holds.
 */
const MIN_BITS = 12;
const MAX_BITS = 20;
/** A count nibble that reached this stays: its keys are no longer counted nor fingerprinted. */
const FULL = 15;
const COUNT = 0x0f;

export class AddressFilter {
  private bits = MIN_BITS;
  private counts = new Uint8Array(1 << MIN_BITS);
  /** IPv4 keys added and not removed. */
  private keys = 0;

  /** The set gained key (call once per key added, not for a key already in it). */
  add(key: number | string): void {
    if (typeof key !== 'number') return;
    this.keys++;
    const b = bucket(key, this.bits);
    const v = this.counts[b]!;
    if ((v & COUNT) < FULL) this.counts[b] = (v + 1) ^ fingerprint(key);
  }

  /** The set lost key (call once per key removed). */
  remove(key: number | string): void {
    if (typeof key !== 'number') return;
    this.keys--;
    const b = bucket(key, this.bits);
    const v = this.counts[b]!;
    const c = v & COUNT;
    if (c > 0 && c < FULL) this.counts[b] = (v - 1) ^ fingerprint(key);
  }

  /** False only when the set certainly does not hold key. */
  mayHold(key: number | string): boolean {
    if (typeof key !== 'number') return true;
    const v = this.counts[bucket(key, this.bits)]!;
    const c = v & COUNT;
    // One key in the bucket: its fingerprint is the high nibble, exactly.
    return c > 1 || (c === 1 && (v ^ fingerprint(key)) === 1);
  }

  /** The set holds more than a quarter as many IPv4 keys as there are buckets, below the largest size. */
  needsRebuild(): boolean {
    return this.bits < MAX_BITS && this.keys * 4 > this.counts.length;
  }

  /** Start over, sized for the set's keys, and add them all (the set's whole contents). */
  rebuild(keys: Iterable<number | string>): void {
    let bits = this.bits;
    while (bits < MAX_BITS && this.keys * 4 > 1 << bits) bits += 2;
    this.bits = Math.min(bits, MAX_BITS);
    this.counts = new Uint8Array(1 << this.bits);
    this.keys = 0;
    for (const key of keys) this.add(key);
  }
}

function bucket(key: number, bits: number): number {
  return Math.imul(key, 0x9e3779b1) >>> (32 - bits);
}

/** 4 bits of a second hash (independent of the bucket's), in the high nibble. */
function fingerprint(key: number): number {
  return (Math.imul(key, 0x85ebca6b) >>> 28) << 4;
}
