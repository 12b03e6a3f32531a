/**
 * The answer cache: upstream answers keyed by (name, type, class, EDNS),
 * kept for their smallest TTL (capped by maxTtl) and served with their TTLs
 * aged. Bounded: at `maxEntries` the oldest insertion makes room (a Map
 * iterates in insertion order), so memory is entries × answer size at most.
 *
 * A hit allocates one Buffer (the reply) and nothing else: the key is a
 * number hashed from the query's bytes, not a string built per query. The
 * hash only finds the entry; the entry's question is then compared byte for
 * byte (name case aside), so two questions that share a hash never share an
 * answer: the later one simply takes the slot. The hash is seeded per
 * process so that nobody can aim names at one slot on purpose.
 */
import { Buffer } from 'node:buffer';
import { randomInt } from 'node:crypto';
import { scanTtls, writeTtl, type QueryInfo } from './wire.js';

interface Entry {
  /** The answer as received, its question name lower-cased (what lookups compare with). */
  bytes: Buffer;
  questionEnd: number;
  edns: number;
  offsets: number[];
  ttls: number[];
  storedAt: number;
  expiresAt: number;
}

const SEED = randomInt(0x40000000);
const FNV_PRIME = 0x01000193;

export class AnswerCache {
  private readonly entries = new Map<number, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTtl: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The slot of a query's question (bytes [12, questionEnd): name with ASCII
   * letters folded to lower case, type, class) and EDNS state. A small
   * integer, so a Map lookup with it allocates nothing.
   */
  static key(query: Uint8Array, q: QueryInfo): number {
    const nameEnd = q.questionEnd - 4;
    let h = SEED ^ q.edns;
    for (let i = 12; i < q.questionEnd; i++) {
      let c = query[i]!;
      // Label lengths are at most 63, so only name letters fall in 'A'..'Z'.
      if (i < nameEnd && c >= 65 && c <= 90) c |= 32;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    // 30 bits: a V8 small integer on every platform.
    return h >>> 2;
  }

  /**
   * Stores an answer (NOERROR or NXDOMAIN, not truncated, at least one
   * record: the SOA of a negative answer gives its TTL). False when not cacheable.
   */
  store(key: number, answer: Buffer, questionEnd: number, edns: number, now: number): boolean {
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
    const bytes = Buffer.from(answer);
    for (let i = 12; i < questionEnd - 4; i++) {
      const c = bytes[i]!;
      if (c >= 65 && c <= 90) bytes[i] = c | 32;
    }
    this.entries.delete(key);
    this.entries.set(key, { bytes, questionEnd, edns, offsets: ttls.offsets, ttls: ttls.ttls, storedAt: now, expiresAt: now + ttl * 1000 });
    return true;
  }

  /**
   * A copy of the cached answer for this query, with the client's id and
   * question bytes (its letter case) and aged TTLs; null on a miss.
   */
  answer(key: number, query: Uint8Array, q: QueryInfo, now: number): Buffer | null {
    const entry = this.entries.get(key);
    if (entry === undefined || !sameQuestion(entry, query, q)) return null;
    if (now >= entry.expiresAt) {
      this.entries.delete(key);
      return null;
    }
    const length = entry.bytes.length;
    const out = Buffer.allocUnsafe(length);
    out.set(entry.bytes);
    // By hand: Buffer#copy and subarray would each allocate a view per query.
    out[0] = q.id >>> 8;
    out[1] = q.id & 255;
    for (let i = 12; i < q.questionEnd; i++) out[i] = query[i]!;
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

/** The entry answers this question: same EDNS state, same bytes once the name's letters are lower-cased. */
function sameQuestion(entry: Entry, query: Uint8Array, q: QueryInfo): boolean {
  if (entry.questionEnd !== q.questionEnd || entry.edns !== q.edns) return false;
  const stored = entry.bytes;
  const nameEnd = q.questionEnd - 4;
  for (let i = 12; i < q.questionEnd; i++) {
    let c = query[i]!;
    if (i < nameEnd && c >= 65 && c <= 90) c |= 32;
    if (c !== stored[i]) return false;
  }
  return true;
}
