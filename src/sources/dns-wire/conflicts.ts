/**
 * ResponseConflicts: a second, different response to the same query, as a
 * capture shows an on-path injector racing the real server (the injected
 * response arrives first, the real one after it, or the other way round).
 * Used by the sources that see every response on the wire (pcap, dnstap).
 *
 * A query is its client address and port, DNS id, question name and type; two
 * responses to it within WINDOW seconds whose answers differ (as sets of
 * type and data, with the rcode; TTLs aside, they count down between two
 * copies from one cache) are a conflict: the later one is marked
 * (DnsObservation.conflict) and counted. A resolver answering a
 * retransmitted query twice answers from the same cache entry, so the same
 * set; only when both responses carry TTL 0 may a new upstream answer differ
 * legitimately, and such pairs are not a conflict.
 *
 * Bounded: at most MAX_QUERIES remembered, each for WINDOW seconds of capture
 * time; the oldest go first. Keys are a 53-bit hash (two 32-bit FNV-1a
 * hashes), so no key string is kept; two different queries within a few
 * seconds sharing one has odds of about 2^-53 per pair.
 */
import type { DnsObservation } from '../../model/observation.js';

/** Seconds within which a second response still answers the same query. */
export const WINDOW = 5;
export const MAX_QUERIES = 65_536;

interface Seen {
  ts: number;
  /** Order-independent hash of the rcode and answer records (type and data). */
  answers: number;
  /** Every answer record had TTL 0 (a fresh upstream answer may differ legitimately). */
  zeroTtl: boolean;
}

export class ResponseConflicts {
  private readonly seen = new Map<number, Seen>();
  /** Responses marked as conflicting so far. */
  conflicts = 0;

  /**
   * Note a response; true (and the observation marked) when an earlier
   * response to the same query within WINDOW seconds carried other answers.
   */
  check(observation: DnsObservation, clientPort: number, id: number): boolean {
    const client = observation.client;
    if (client === null) return false;
    const ts = observation.ts;
    this.expire(ts);
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ (clientPort << 16) ^ id;
    for (const text of [client, observation.qname, observation.qtype]) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      }
      h1 = Math.imul(h1 ^ 0xff, 0x01000193);
    }
    h1 = Math.imul(h1 ^ clientPort ^ (id << 16), 0x01000193);
    const key = (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
    const answers = answerHash(observation);
    const zeroTtl = allZeroTtl(observation);
    const before = this.seen.get(key);
    let conflict = false;
    if (before !== undefined) {
      conflict = ts - before.ts <= WINDOW && before.answers !== answers && !(before.zeroTtl && zeroTtl);
      // Keep the first response's time: a third response is compared with what the client got first.
      if (ts - before.ts > WINDOW) this.seen.delete(key);
      else {
        if (conflict) {
          this.conflicts++;
          observation.conflict = true;
        }
        return conflict;
      }
    }
    if (this.seen.size >= MAX_QUERIES) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(key, { ts, answers, zeroTtl });
    return false;
  }

  /** Responses older than the window (insertion order is time order, give or take reordering) are forgotten. */
  private expire(now: number): void {
    for (const [key, s] of this.seen) {
      if (now - s.ts <= WINDOW) break;
      this.seen.delete(key);
    }
  }
}

function answerHash(o: DnsObservation): number {
  let sum = o.rcode === null ? 0 : hashText(o.rcode, 7);
  for (const rr of o.answers) sum = (sum + hashText(rr.data, hashText(rr.type, 3))) | 0;
  return sum;
}

function allZeroTtl(o: DnsObservation): boolean {
  for (const rr of o.answers) if (rr.ttl !== 0) return false;
  return true;
}

function hashText(text: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}
