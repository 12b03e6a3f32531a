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
 * arrays, and an open-addressing index (linear probing, at most half full,
 * deletion by shifting back) points a key at its slot. A Map<number, number>
 * did that before, but a 53-bit key is no small integer: each set made a heap
 * number, and set and delete were ~8% of a pcap analyze run (1M responses).
 *
 * Laid out for the processor's cache, since a busy capture keeps thousands
 * of queries within the window and each response touches a random one: the
 * slots are a ring in arrival order (new ones at the tail, expiry from the
 * head, both walking memory in order), and each index position holds the
 * key's 32-bit hash beside its slot, so probing past other keys and shifting
 * back read the index alone. (Slots linked through next/prev arrays and an
 * index of bare slot numbers touched five or six scattered cache lines per
 * response; that, not the hashing, was most of check's time.) A query
 * forgotten out of order (a stale one answered again) leaves a dead slot in
 * the ring, skipped at the head and dropped when the ring is laid out again.
 */
import type { DnsObservation } from '../../model/observation.js';
import { fmix32 } from './answer-hash.js';

/** Seconds within which a second response still answers the same query. */
export const WINDOW = 5;
export const MAX_QUERIES = 65_536;
const FIRST_SLOTS = 1024;
const NONE = -1;
/** flags bits of a slot. */
const LIVE = 1;
/** A non-empty answer set all at TTL 0 (a fresh upstream answer may differ legitimately). */
const ZERO_TTL = 2;

export class ResponseConflicts {
  /**
   * Two words per position, [hash, slot]; slot NONE where free. Positions
   * are hash & (positions - 1), probing on; twice as many positions as
   * slots, so at most half full.
   */
  private index = freeIndex(2 * FIRST_SLOTS);
  private keys = new Float64Array(FIRST_SLOTS);
  /** The key's 32-bit hash, which places it in the index (kept so that forgetting needs no rehash of the key). */
  private hashes = new Int32Array(FIRST_SLOTS);
  private times = new Float64Array(FIRST_SLOTS);
  /** Order-independent hash of the rcode and answer records (type and data). */
  private answers = new Int32Array(FIRST_SLOTS);
  private flags = new Uint8Array(FIRST_SLOTS);
  /** The oldest slot of the ring (a live one whenever count > 0), and the slots in use from it on, live or dead. */
  private head = 0;
  private used = 0;
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
   * other answers. `answers` hashes the rcode and answer records: from the
   * observation's strings by default, or the reader's WireMessage.answerHash
   * (cheaper, from the bytes); one instance must be given one kind only.
   */
  check(observation: DnsObservation, port: number, id: number, asker: string | null = observation.client, answers = answerHash(observation)): boolean {
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
    // Mixed, so that its low bits place it in the index.
    const hash = fmix32(h1 ^ Math.imul(low, 0x9e3779b1));
    const zeroTtl = allZeroTtl(observation);
    const slot = this.find(key, hash);
    if (slot !== NONE) {
      const age = ts - this.times[slot]!;
      if (age > WINDOW) this.forget(slot);
      else {
        // Keep the first response's time: a third response is compared with what the client got first.
        const conflict = this.answers[slot] !== answers && !((this.flags[slot]! & ZERO_TTL) !== 0 && zeroTtl);
        if (conflict) {
          this.conflicts++;
          observation.conflict = true;
        }
        return conflict;
      }
    }
    if (this.count >= MAX_QUERIES) this.forget(this.head);
    if (this.used === this.keys.length) this.layOut();
    const at = (this.head + this.used) & (this.keys.length - 1);
    this.keys[at] = key;
    this.hashes[at] = hash;
    this.times[at] = ts;
    this.answers[at] = answers;
    this.flags[at] = zeroTtl ? LIVE | ZERO_TTL : LIVE;
    this.used++;
    this.count++;
    this.place(at, hash);
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
    const mask = (index.length >> 1) - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = index[2 * at + 1]!;
      if (slot === NONE || (index[2 * at] === hash && this.keys[slot] === key)) return slot;
    }
  }

  /** Index the slot at the first free position from its hash on. */
  private place(slot: number, hash: number): void {
    const index = this.index;
    const mask = (index.length >> 1) - 1;
    let at = hash & mask;
    while (index[2 * at + 1] !== NONE) at = (at + 1) & mask;
    index[2 * at] = hash;
    index[2 * at + 1] = slot;
  }

  /** Responses older than the window (arrival order is time order, give or take reordering) are forgotten. */
  private expire(now: number): void {
    while (this.count > 0 && now - this.times[this.head]! > WINDOW) this.forget(this.head);
  }

  /** Forget a live slot: at the head the ring moves on past it (and past any dead slots after it); elsewhere it is left dead. */
  private forget(slot: number): void {
    this.unindex(slot);
    this.flags[slot] = 0;
    this.count--;
    if (slot !== this.head) return;
    const mask = this.keys.length - 1;
    do {
      this.head = (this.head + 1) & mask;
      this.used--;
    } while (this.used > 0 && this.flags[this.head] === 0);
  }

  /** Take the slot out of the index, shifting back the entries after it that probed past its position (no tombstones). */
  private unindex(slot: number): void {
    const index = this.index;
    const mask = (index.length >> 1) - 1;
    let hole = this.hashes[slot]! & mask;
    while (index[2 * hole + 1] !== slot) hole = (hole + 1) & mask;
    for (let at = (hole + 1) & mask; ; at = (at + 1) & mask) {
      const other = index[2 * at + 1]!;
      if (other === NONE) break;
      const otherHash = index[2 * at]!;
      const home = otherHash & mask;
      // `other` may fill the hole when its home is not cyclically within (hole, at].
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        index[2 * hole] = otherHash;
        index[2 * hole + 1] = other;
        hole = at;
      }
    }
    index[2 * hole + 1] = NONE;
  }

  /**
   * The ring is full: the live slots move, oldest first, to the start of
   * new arrays, twice the size while at least half of the ring is live, else
   * the same size without the dead. (At most 2 * MAX_QUERIES slots: check
   * forgets the oldest first, so at most MAX_QUERIES - 1 are live here, and
   * a ring holding dead slots never fills again before half of it is new.)
   */
  private layOut(): void {
    const old = this.keys.length;
    const size = this.count >= old >> 1 ? 2 * old : old;
    const keys = new Float64Array(size);
    const hashes = new Int32Array(size);
    const times = new Float64Array(size);
    const answers = new Int32Array(size);
    const flags = new Uint8Array(size);
    let n = 0;
    for (let i = 0; i < this.used; i++) {
      const from = (this.head + i) & (old - 1);
      if (this.flags[from] === 0) continue;
      keys[n] = this.keys[from]!;
      hashes[n] = this.hashes[from]!;
      times[n] = this.times[from]!;
      answers[n] = this.answers[from]!;
      flags[n++] = this.flags[from]!;
    }
    this.keys = keys;
    this.hashes = hashes;
    this.times = times;
    this.answers = answers;
    this.flags = flags;
    this.head = 0;
    this.used = n;
    this.index = freeIndex(2 * size);
    for (let slot = 0; slot < n; slot++) this.place(slot, hashes[slot]!);
  }
}

/** An index of `positions` free positions: [hash, NONE] each. */
function freeIndex(positions: number): Int32Array {
  const index = new Int32Array(2 * positions);
  for (let at = 0; at < positions; at++) index[2 * at + 1] = NONE;
  return index;
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
