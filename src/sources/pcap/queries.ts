/**
 * Queries waiting for their response, matched by (client address and port,
 * server address and port, DNS id, question name). Bounded: the oldest is
 * given up first when the table is full, and any query unanswered after
 * QUERY_TIMEOUT seconds of capture time is given up.
 *
 * Built so that an answered query leaves nothing behind for the garbage
 * collector to copy: the table is a fixed array of buckets chosen by a small
 * number (DNS id and client port) with the rare collisions chained, and the
 * age order is a list threaded through the queries themselves, so a query is
 * unlinked from both at once and referenced by nothing. (A Map that grew and
 * shrank and a FIFO array of answered queries kept young objects alive across
 * collections: the scavenger copied them, and that cost more than the matching.)
 */

export const MAX_PENDING_QUERIES = 100_000;
/** Seconds of capture time after which a query counts as unanswered. */
export const QUERY_TIMEOUT = 30;

/**
 * Buckets of the table, allocated once: 8,192 (64 KiB of references, small
 * enough to stay in the processor's cache; a full table of 100,000 queries
 * still has chains of about 12).
 */
const BUCKET_BITS = 13;
const BUCKETS = 1 << BUCKET_BITS;

export interface PendingQuery {
  ts: number;
  /** Packet number of the query, for the position of an unanswered one. */
  packet: number;
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  id: number;
  qname: string;
  qtype: number;
  /** The next query in the same bucket. */
  next: PendingQuery | null;
  /** The neighbours in age order (older: added before it). */
  older: PendingQuery | null;
  newer: PendingQuery | null;
}

/** A query as the table keeps it, not yet linked. */
export function pendingQuery(
  ts: number, packet: number, client: string, clientPort: number, server: string, serverPort: number, id: number, qname: string, qtype: number,
): PendingQuery {
  return { ts, packet, client, clientPort, server, serverPort, id, qname, qtype, next: null, older: null, newer: null };
}

/** The bucket of a DNS id and client port (Fibonacci hashing of the two together). */
function bucketOf(id: number, clientPort: number): number {
  return Math.imul(((id & 0xffff) << 16) | (clientPort & 0xffff), 0x9e3779b1) >>> (32 - BUCKET_BITS);
}

function same(q: PendingQuery, client: string, clientPort: number, server: string, serverPort: number, id: number, qname: string): boolean {
  return q.id === id && q.clientPort === clientPort && q.serverPort === serverPort && q.client === client && q.server === server && q.qname === qname;
}

export class PendingQueries {
  private readonly buckets: (PendingQuery | null)[] = new Array<PendingQuery | null>(BUCKETS).fill(null);
  /** Both ends of the age list. */
  private oldest: PendingQuery | null = null;
  private newest: PendingQuery | null = null;
  private size = 0;
  /** Capture time of the next look for expired queries (once per second of capture). */
  private nextExpiry = -Infinity;

  constructor(private readonly unanswered: (query: PendingQuery) => void) {}

  /** A query; a retransmission (same client, server, ports, id and name) keeps the first. */
  add(query: PendingQuery): void {
    this.expire(query.ts);
    const bucket = bucketOf(query.id, query.clientPort);
    for (let q: PendingQuery | null = this.buckets[bucket]!; q !== null; q = q.next) {
      if (same(q, query.client, query.clientPort, query.server, query.serverPort, query.id, query.qname)) return;
    }
    if (this.size >= MAX_PENDING_QUERIES) this.giveUpOldest();
    // Read again: giving up the oldest may have emptied this bucket.
    query.next = this.buckets[bucket]!;
    this.buckets[bucket] = query;
    query.newer = null;
    query.older = this.newest;
    if (this.newest === null) this.oldest = query;
    else this.newest.newer = query;
    this.newest = query;
    this.size++;
  }

  /** The query a response answers, taken out of the table; undefined when it was not captured. */
  answer(client: string, clientPort: number, server: string, serverPort: number, id: number, qname: string, ts: number): PendingQuery | undefined {
    this.expire(ts);
    if (this.size === 0) return undefined;
    for (let q: PendingQuery | null = this.buckets[bucketOf(id, clientPort)]!; q !== null; q = q.next) {
      if (same(q, client, clientPort, server, serverPort, id, qname)) {
        this.unlink(q);
        return q;
      }
    }
    return undefined;
  }

  /** True when no query is waiting (the caller may skip making the texts answer() compares). */
  empty(): boolean {
    return this.size === 0;
  }

  /** The input ended: every query still waiting is unanswered. */
  finish(): void {
    while (this.oldest !== null) this.giveUpOldest();
  }

  /** Capture time moves on: queries older than the timeout are given up (looked at once per second of capture). */
  expire(now: number): void {
    if (now < this.nextExpiry) return;
    this.nextExpiry = now + 1;
    while (this.oldest !== null && this.oldest.ts <= now - QUERY_TIMEOUT) this.giveUpOldest();
  }

  private giveUpOldest(): void {
    const oldest = this.oldest;
    if (oldest === null) return;
    this.unlink(oldest);
    this.unanswered(oldest);
  }

  private unlink(query: PendingQuery): void {
    const bucket = bucketOf(query.id, query.clientPort);
    const first = this.buckets[bucket]!;
    if (first === query) this.buckets[bucket] = query.next;
    else {
      for (let q: PendingQuery | null = first; q !== null; q = q.next) {
        if (q.next === query) {
          q.next = query.next;
          break;
        }
      }
    }
    if (query.older === null) this.oldest = query.newer;
    else query.older.newer = query.newer;
    if (query.newer === null) this.newest = query.older;
    else query.newer.older = query.older;
    query.next = query.older = query.newer = null;
    this.size--;
  }
}
