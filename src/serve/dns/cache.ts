/**
 * The answer cache: upstream answers keyed by (name, type, class, EDNS),
 * kept for their smallest TTL (capped by maxTtl) and served with their TTLs
 * aged. Bounded: at `maxEntries` the oldest insertion makes room (a Map
 * iterates in insertion order), so memory is entries × answer size at most.
 */
import { scanTtls, setId, writeTtl, type QueryInfo } from './wire.js';

interface Entry {
  bytes: Buffer;
  offsets: number[];
  ttls: number[];
  storedAt: number;
  expiresAt: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTtl: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  static key(q: QueryInfo): string {
    return `${q.qname}|${q.qtype}|${q.qclass}|${q.edns}`;
  }

  /**
   * Stores an answer (NOERROR or NXDOMAIN, not truncated, at least one
   * record: the SOA of a negative answer gives its TTL). False when not cacheable.
   */
  store(key: string, answer: Buffer, questionEnd: number, now: number): boolean {
    if (this.maxEntries === 0) return false;
    const rcode = answer[3]! & 15;
    if ((rcode !== 0 && rcode !== 3) || (answer[2]! & 0x02) !== 0) return false;
    const ttls = scanTtls(answer, answer.length, questionEnd);
    if (ttls === null || ttls.min <= 0) return false;
    const ttl = Math.min(ttls.min, this.maxTtl);
    if (ttl <= 0) return false;
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(key);
    this.entries.set(key, { bytes: Buffer.from(answer), offsets: ttls.offsets, ttls: ttls.ttls, storedAt: now, expiresAt: now + ttl * 1000 });
    return true;
  }

  /**
   * A copy of the cached answer for this query, with the client's id and
   * question bytes (its letter case) and aged TTLs; null on a miss.
   */
  answer(key: string, query: Uint8Array, q: QueryInfo, now: number): Buffer | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (now >= entry.expiresAt) {
      this.entries.delete(key);
      return null;
    }
    if (entry.bytes.length < q.questionEnd) return null;
    const out = Buffer.allocUnsafe(entry.bytes.length);
    entry.bytes.copy(out);
    setId(out, q.id);
    out.set(query.subarray(12, q.questionEnd), 12);
    const age = Math.floor((now - entry.storedAt) / 1000);
    if (age > 0) {
      for (let i = 0; i < entry.offsets.length; i++) writeTtl(out, entry.offsets[i]!, Math.max(0, entry.ttls[i]! - age));
    }
    return out;
  }

  clear(): void {
    this.entries.clear();
  }
}
