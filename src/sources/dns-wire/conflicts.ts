/**
 * ResponseConflicts: a second, different response to the same query, as a
 * capture shows an on-path injector racing the real server (the injected
 * response arrives first, the real one after it, or the other way round).
 * Used by the sources that see every response on the wire (pcap, dnstap).
 *
 * A query is the address and port that asked (the client; for a resolver's
 * own upstream query, the resolver), DNS id, question name and type; two
 * responses to it within WINDOW seconds whose answers differ (as sets of
 * type and data, with the rcode; TTLs aside, they count down between two
 * copies from one cache) are a conflict: the later one is marked
 * (DnsObservation.conflict) and counted. A resolver answering a
 * retransmitted query twice answers from the same cache entry, so the same
 * set; only when both responses carry a non-empty answer set all at TTL 0
 * may a new upstream answer differ legitimately, and such pairs are not a
 * conflict (an empty answer or NXDOMAIN racing a TTL-0 answer still is).
 *
 * Bounded: at most MAX_QUERIES remembered, each for WINDOW seconds of capture
 * time; the oldest go first. Keys are a 53-bit hash (two 32-bit FNV-1a
 * hashes), so no key string is kept; two different queries within a few
 * seconds sharing one has odds of about 2^-53 per pair. The hot path
 * allocates no object per response: the remembered queries live in typed
 * arrays (grown by doubling up to MAX_QUERIES) linked in arrival order, and
 * an open-addressing index (linear probing, at most half full, deletion by
 * shifting back) points a key at its slot. A Map<number, number> did that
 * before, but a 53-bit key is no small integer: each set made a heap number,
 * and set and delete were ~8% of a pcap analyze run (1M responses).
 */
import type { DnsObservation } from '../../model/observation.js';

/** Seconds within which a second response still answers the same query. */
export const WINDOW = 5;
export const MAX_QUERIES = 65_536;
const FIRST_SLOTS = 1024;
const NONE = -1;

export class ResponseConflicts {
  /** Position (hash & mask, probing on) → slot in the arrays below; NONE where free. Twice the slots, so at most half full. */
  private index = new Int32Array(2 * FIRST_SLOTS).fill(NONE);
  private keys = new Float64Array(FIRST_SLOTS);
  /** The key's 32-bit hash, which places it in the index (kept so that shifting back and growing need no rehash of the key). */
  private hashes = new Int32Array(FIRST_SLOTS);
  private times = new Float64Array(FIRST_SLOTS);
  /** Order-independent hash of the rcode and answer records (type and data). */
  private answers = new Int32Array(FIRST_SLOTS);
  /** 1: a non-empty answer set all at TTL 0 (a fresh upstream answer may differ legitimately). */
  private zeroTtl = new Uint8Array(FIRST_SLOTS);
  /** Arrival order: a doubly linked list through the slots, oldest at head. */
  private next = new Int32Array(FIRST_SLOTS).fill(NONE);
  private prev = new Int32Array(FIRST_SLOTS).fill(NONE);
  private head = NONE;
  private tail = NONE;
  /** Slots never used yet start here; freed slots are chained through `next`. */
  private fresh = 0;
  private free = NONE;
  private count = 0;
  /** The two halves of the key being hashed (scratch, so hashing allocates nothing). */
  private h1 = 0;
  private h2 = 0;
  /** Responses marked as conflicting so far. */
  conflicts = 0;

  /** Queries remembered now. */
  get size(): number {
    return this.count;
  }

  /**
   * Note a response to the query `asker`:`port` sent with `id` (the client's
   * observation.client by default); true (and the observation marked) when
   * an earlier response to the same query within WINDOW seconds carried
   * other answers.
   */
  check(observation: DnsObservation, port: number, id: number, asker: string | null = observation.client): boolean {
    if (asker === null) return false;
    const ts = observation.ts;
    this.expire(ts);
    this.h1 = 0x811c9dc5;
    this.h2 = 0x01000193 ^ (port << 16) ^ id;
    this.mix(asker);
    this.mix(observation.qname);
    this.mix(observation.qtype);
    const h1 = Math.imul(this.h1 ^ port ^ (id << 16), 0x01000193);
    const low = this.h2 & 0x1fffff;
    const key = (h1 >>> 0) * 0x200000 + low;
    const hash = spread(h1 ^ Math.imul(low, 0x9e3779b1));
    const answers = answerHash(observation);
    const zeroTtl = allZeroTtl(observation);
    const slot = this.find(key, hash);
    if (slot !== NONE) {
      const age = ts - this.times[slot]!;
      if (age > WINDOW) this.remove(slot);
      else {
        // Keep the first response's time: a third response is compared with what the client got first.
        const conflict = this.answers[slot] !== answers && !(this.zeroTtl[slot] === 1 && zeroTtl);
        if (conflict) {
          this.conflicts++;
          observation.conflict = true;
        }
        return conflict;
      }
    }
    if (this.count >= MAX_QUERIES && this.head !== NONE) this.remove(this.head);
    const at = this.take();
    this.keys[at] = key;
    this.hashes[at] = hash;
    this.times[at] = ts;
    this.answers[at] = answers;
    this.zeroTtl[at] = zeroTtl ? 1 : 0;
    this.prev[at] = this.tail;
    this.next[at] = NONE;
    if (this.tail === NONE) this.head = at;
    else this.next[this.tail] = at;
    this.tail = at;
    this.place(at);
    this.count++;
    return false;
  }

  private mix(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    this.h1 = Math.imul(h1 ^ 0xff, 0x01000193);
    this.h2 = h2;
  }

  /** The slot holding `key`, or NONE. */
  private find(key: number, hash: number): number {
    const index = this.index;
    const mask = index.length - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = index[at]!;
      if (slot === NONE || this.keys[slot] === key) return slot;
    }
  }

  /** Index the slot at the first free position from its hash on. */
  private place(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let at = this.hashes[slot]! & mask;
    while (index[at] !== NONE) at = (at + 1) & mask;
    index[at] = slot;
  }

  /** Responses older than the window (arrival order is time order, give or take reordering) are forgotten. */
  private expire(now: number): void {
    while (this.head !== NONE && now - this.times[this.head]! > WINDOW) this.remove(this.head);
  }

  private remove(slot: number): void {
    this.unindex(slot);
    this.count--;
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.prev[after] = before;
    this.next[slot] = this.free;
    this.free = slot;
  }

  /** Take the slot out of the index, shifting back the entries after it that probed past its position (no tombstones). */
  private unindex(slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let hole = this.hashes[slot]! & mask;
    while (index[hole] !== slot) hole = (hole + 1) & mask;
    for (let at = (hole + 1) & mask; ; at = (at + 1) & mask) {
      const other = index[at]!;
      if (other === NONE) break;
      const home = this.hashes[other]! & mask;
      // `other` may fill the hole when its home is not cyclically within (hole, at].
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        index[hole] = other;
        hole = at;
      }
    }
    index[hole] = NONE;
  }

  /** A free slot: a freed one, else a fresh one (the arrays double, up to MAX_QUERIES slots). */
  private take(): number {
    if (this.free !== NONE) {
      const slot = this.free;
      this.free = this.next[slot]!;
      return slot;
    }
    if (this.fresh === this.keys.length) this.grow();
    return this.fresh++;
  }

  private grow(): void {
    const size = Math.min(MAX_QUERIES, this.keys.length * 2);
    this.keys = grown(this.keys, new Float64Array(size));
    this.hashes = grown(this.hashes, new Int32Array(size));
    this.times = grown(this.times, new Float64Array(size));
    this.answers = grown(this.answers, new Int32Array(size));
    this.zeroTtl = grown(this.zeroTtl, new Uint8Array(size));
    this.next = grown(this.next, new Int32Array(size));
    this.prev = grown(this.prev, new Int32Array(size));
    // Every slot is in use when the arrays grow (no free one was left): all go into the larger index.
    this.index = new Int32Array(2 * size).fill(NONE);
    for (let slot = this.head; slot !== NONE; slot = this.next[slot]!) this.place(slot);
  }
}

/** Final mixing of a 32-bit hash (murmur3's), so that its low bits place it in the index. */
function spread(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

function answerHash(o: DnsObservation): number {
  let sum = o.rcode === null ? 0 : hashText(o.rcode, 7);
  const answers = o.answers;
  for (let i = 0; i < answers.length; i++) sum = (sum + hashText(answers[i]!.data, hashText(answers[i]!.type, 3))) | 0;
  return sum;
}

/** A non-empty answer set all at TTL 0; an empty answer (NXDOMAIN, NODATA) is never exempt. */
function allZeroTtl(o: DnsObservation): boolean {
  const answers = o.answers;
  if (answers.length === 0) return false;
  for (let i = 0; i < answers.length; i++) if (answers[i]!.ttl !== 0) return false;
  return true;
}

function hashText(text: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}
