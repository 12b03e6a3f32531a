/**
 * The answer cache: upstream answers keyed by everything in a query that
 * changes the answer, kept for their smallest TTL (capped by maxTtl) and
 * served with their TTLs aged.
 *
 * What changes an answer, and so is part of the key: the question (name,
 * letters folded, type, class); the header's RD, AD and CD bits (CD=1 asks a
 * validating upstream to skip validation, so an answer fetched with CD=1 may
 * be bogus and must never reach a client that asked with CD=0); whether the
 * query had EDNS, its DO bit and version; and an EDNS Client Subnet option,
 * byte for byte. Not in the key: the client's UDP size (the forwarder
 * truncates per client) and the hop-by-hop EDNS options (cookies, padding,
 * keepalive), which change no record.
 *
 * Bounded in bytes, not entries: every entry costs its answer's length, its
 * TTL table and a fixed ENTRY_OVERHEAD (the JavaScript objects and the Map
 * slot holding it); at `maxBytes` the oldest insertions make room (a Map
 * iterates in insertion order), and an answer over `maxAnswerBytes` is not
 * cached at all. The answer is copied into a Buffer of its own, not a slice
 * of Node's shared 8 KiB pool, so no cached answer keeps a pool slab alive
 * and the byte count is what the cache really holds.
 *
 * A hit allocates one Buffer (the reply) and nothing else: the key is a
 * number hashed from the query's bytes, not a string built per query. The
 * hash only finds the entry; the entry's question and variant are then
 * compared in full, so two queries that share a hash never share an answer:
 * the later one simply takes the slot. The hash is seeded per process so
 * that nobody can aim names at one slot on purpose.
 */
import { Buffer } from 'node:buffer';
import { randomInt } from 'node:crypto';
import { scanTtls, writeTtl, type QueryInfo } from './wire.js';
import { FLAG_AD, FLAG_CD, FLAG_RD, OPTION_CLIENT_SUBNET } from '../../dns/constants.js';

interface Entry {
  /** The answer as received, its question name lower-cased (what lookups compare with). */
  bytes: Buffer;
  questionEnd: number;
  /** Header bits and EDNS state of the query it answers (see variantOf). */
  variant: number;
  /** The query's EDNS Client Subnet option (code, length, data), or null. */
  subnet: Buffer | null;
  /** Offset and received value of every TTL field, in pairs. */
  ttlFields: Uint32Array;
  storedAt: number;
  expiresAt: number;
  /** Bytes this entry is counted as. */
  cost: number;
}

export interface CacheStats {
  /** Entries removed to stay under maxBytes. */
  evictions: number;
  /** Answers not cached because they exceed maxAnswerBytes. */
  tooLarge: number;
}

/**
 * What an entry costs beyond its answer bytes and TTL table, in resident
 * memory: the Entry object, the Buffer with its own ArrayBuffer, backing
 * store and malloc chunk, the Uint32Array and the Map slot. Measured on
 * Node 20 x64 as RSS growth per entry over 200,000–300,000 entries of
 * 100-byte and 800-byte answers (after GC): 620–660 bytes beyond answer and
 * TTL table (the JavaScript heap and `external` alone show about 300).
 * Rounded up, so the bound errs on the safe side.
 */
export const ENTRY_OVERHEAD = 704;


const SEED = randomInt(0x40000000);
const FNV_PRIME = 0x01000193;

export class AnswerCache {
  readonly stats: CacheStats = { evictions: 0, tooLarge: 0 };
  private readonly entries = new Map<number, Entry>();
  private held = 0;

  /** `maxBytes` 0 = no cache. */
  constructor(
    private readonly maxBytes: number,
    private readonly maxAnswerBytes: number,
    private readonly maxTtl: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Bytes the cached entries are counted as (never above maxBytes). */
  get bytes(): number {
    return this.held;
  }

  /**
   * The slot of a query: its question (bytes [12, questionEnd): name with
   * ASCII letters folded to lower case, type, class), its variant and its
   * client subnet. A small integer, so a Map lookup with it allocates nothing.
   */
  static key(query: Uint8Array, q: QueryInfo): number {
    const nameEnd = q.questionEnd - 4;
    let h = SEED ^ variantOf(query, q);
    for (let i = 12; i < q.questionEnd; i++) {
      let c = query[i]!;
      // Label lengths are at most 63, so only name letters fall in 'A'..'Z'.
      if (i < nameEnd && c >= 65 && c <= 90) c |= 32;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const subnet = q.edns === 0 ? 0 : clientSubnetAt(query, q.questionEnd);
    for (let i = subnet >>> 16, end = i + (subnet & 0xffff); i < end; i++) h = Math.imul(h ^ query[i]!, FNV_PRIME);
    // 30 bits: a V8 small integer on every platform.
    return h >>> 2;
  }

  /**
   * Stores the answer to `query` (NOERROR or NXDOMAIN, not truncated, at
   * least one record: the SOA of a negative answer gives its TTL, at most
   * maxAnswerBytes). `q` must describe `query` (read it again if the
   * QueryInfo was reused since). False when not cached.
   */
  store(key: number, answer: Buffer, query: Uint8Array, q: QueryInfo, now: number): boolean {
    if (this.maxBytes === 0) return false;
    const rcode = answer[3]! & 15;
    if ((rcode !== 0 && rcode !== 3) || (answer[2]! & 0x02) !== 0) return false;
    if (answer.length > this.maxAnswerBytes) {
      this.stats.tooLarge++;
      return false;
    }
    const { questionEnd } = q;
    const ttls = scanTtls(answer, answer.length, questionEnd);
    if (ttls === null || ttls.min <= 0) return false;
    const ttl = Math.min(ttls.min, this.maxTtl);
    if (ttl <= 0) return false;
    const subnetAt = q.edns === 0 ? 0 : clientSubnetAt(query, questionEnd);
    const subnet = subnetAt === 0 ? null : ownCopy(query.subarray(subnetAt >>> 16, (subnetAt >>> 16) + (subnetAt & 0xffff)));
    const ttlFields = new Uint32Array(ttls.offsets.length * 2);
    for (let i = 0; i < ttls.offsets.length; i++) {
      ttlFields[2 * i] = ttls.offsets[i]!;
      ttlFields[2 * i + 1] = ttls.ttls[i]!;
    }
    const cost = answer.length + ttlFields.byteLength + (subnet === null ? 0 : subnet.length) + ENTRY_OVERHEAD;
    if (cost > this.maxBytes) {
      this.stats.tooLarge++;
      return false;
    }
    this.remove(key);
    while (this.held + cost > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.remove(oldest.value);
      this.stats.evictions++;
    }
    const bytes = ownCopy(answer);
    for (let i = 12; i < questionEnd - 4; i++) {
      const c = bytes[i]!;
      if (c >= 65 && c <= 90) bytes[i] = c | 32;
    }
    this.entries.set(key, { bytes, questionEnd, variant: variantOf(query, q), subnet, ttlFields, storedAt: now, expiresAt: now + ttl * 1000, cost });
    this.held += cost;
    return true;
  }

  /**
   * A copy of the cached answer for this query, with the client's id and
   * question bytes (its letter case) and aged TTLs; null on a miss.
   */
  answer(key: number, query: Uint8Array, q: QueryInfo, now: number): Buffer | null {
    const entry = this.entries.get(key);
    if (entry === undefined || !answers(entry, query, q)) return null;
    if (now >= entry.expiresAt) {
      this.remove(key);
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
      const fields = entry.ttlFields;
      for (let i = 0; i < fields.length; i += 2) writeTtl(out, fields[i]!, Math.max(0, fields[i + 1]! - age));
    }
    return out;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  private remove(key: number): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.held -= entry.cost;
  }
}

/** A copy in a Buffer of its own: a slice of Node's pool would keep the whole 8 KiB slab alive. */
function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * The header bits and EDNS state that change an answer, as one number: RD,
 * AD and CD where the header has them, the EDNS state (0 none, 1 EDNS,
 * 3 EDNS with DO) above them, and the EDNS version above that.
 */
export function variantOf(query: Uint8Array, q: QueryInfo): number {
  const bits = q.flags & (FLAG_RD | FLAG_AD | FLAG_CD);
  if (q.edns === 0) return bits;
  // readQuery only takes an OPT record right after the question: its TTL field holds extended rcode, version, flags.
  return bits | (q.edns << 16) | (query[q.questionEnd + 6]! << 18);
}

/**
 * Where the query's EDNS Client Subnet option lies (code and length
 * included), as start << 16 | length; 0 when it has none. The OPT record
 * starts at `questionEnd` (readQuery accepts it nowhere else).
 */
function clientSubnetAt(query: Uint8Array, questionEnd: number): number {
  let p = questionEnd + 9;
  if (p + 2 > query.length) return 0;
  const end = Math.min(query.length, p + 2 + ((query[p]! << 8) | query[p + 1]!));
  p += 2;
  while (p + 4 <= end) {
    const code = (query[p]! << 8) | query[p + 1]!;
    const length = (query[p + 2]! << 8) | query[p + 3]!;
    if (p + 4 + length > end) return 0;
    if (code === OPTION_CLIENT_SUBNET) return (p << 16) | (4 + length);
    p += 4 + length;
  }
  return 0;
}

/** The entry answers this query: same variant and subnet, same question bytes once the name's letters are lower-cased. */
function answers(entry: Entry, query: Uint8Array, q: QueryInfo): boolean {
  if (entry.questionEnd !== q.questionEnd || entry.variant !== variantOf(query, q)) return false;
  const stored = entry.bytes;
  const nameEnd = q.questionEnd - 4;
  for (let i = 12; i < q.questionEnd; i++) {
    let c = query[i]!;
    if (i < nameEnd && c >= 65 && c <= 90) c |= 32;
    if (c !== stored[i]) return false;
  }
  const subnetAt = q.edns === 0 ? 0 : clientSubnetAt(query, q.questionEnd);
  const subnet = entry.subnet;
  if (subnet === null || subnetAt === 0) return subnet === null && subnetAt === 0;
  if (subnet.length !== (subnetAt & 0xffff)) return false;
  for (let i = 0, at = subnetAt >>> 16; i < subnet.length; i++) if (subnet[i] !== query[at + i]) return false;
  return true;
}
