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
 * arrays (grown by doubling up to MAX_QUERIES) linked in arrival order, the
 * map only points a key at its slot.
 */
import type { DnsObservation } from '../../model/observation.js';

/** Seconds within which a second response still answers the same query. */
export const WINDOW = 5;
export const MAX_QUERIES = 65_536;
const FIRST_SLOTS = 1024;
const NONE = -1;

export class ResponseConflicts {
  /** Key → slot in the arrays below. */
  private readonly seen = new Map<number, number>();
  private keys = new Float64Array(FIRST_SLOTS);
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
  /** The two halves of the key being hashed (scratch, so hashing allocates nothing). */
  private h1 = 0;
  private h2 = 0;
  /** Responses marked as conflicting so far. */
  conflicts = 0;

  /** Queries remembered now. */
  get size(): number {
    return this.seen.size;
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
    const key = (h1 >>> 0) * 0x200000 + ((this.h2 >>> 0) & 0x1fffff);
    const answers = answerHash(observation);
    const zeroTtl = allZeroTtl(observation);
    const slot = this.seen.get(key);
    if (slot !== undefined) {
      const age = ts - this.times[slot]!;
      if (age > WINDOW) this.remove(key, slot);
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
    if (this.seen.size >= MAX_QUERIES && this.head !== NONE) this.remove(this.keys[this.head]!, this.head);
    const at = this.take();
    this.keys[at] = key;
    this.times[at] = ts;
    this.answers[at] = answers;
    this.zeroTtl[at] = zeroTtl ? 1 : 0;
    this.prev[at] = this.tail;
    this.next[at] = NONE;
    if (this.tail === NONE) this.head = at;
    else this.next[this.tail] = at;
    this.tail = at;
    this.seen.set(key, at);
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

  /** Responses older than the window (arrival order is time order, give or take reordering) are forgotten. */
  private expire(now: number): void {
    while (this.head !== NONE && now - this.times[this.head]! > WINDOW) this.remove(this.keys[this.head]!, this.head);
  }

  private remove(key: number, slot: number): void {
    this.seen.delete(key);
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.prev[after] = before;
    this.next[slot] = this.free;
    this.free = slot;
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
    this.times = grown(this.times, new Float64Array(size));
    this.answers = grown(this.answers, new Int32Array(size));
    this.zeroTtl = grown(this.zeroTtl, new Uint8Array(size));
    this.next = grown(this.next, new Int32Array(size));
    this.prev = grown(this.prev, new Int32Array(size));
  }
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
