/**
 * Queries waiting for their response, matched by (client address and port,
 * server address and port, DNS id, question name). Bounded: the oldest is
 * given up first when the table is full, and any query unanswered after
 * QUERY_TIMEOUT seconds of capture time is given up.
 *
 * The table is keyed by a small number (DNS id and client port) with the
 * rare collisions chained, and a FIFO keeps the age order: no key string is
 * made per packet.
 */

export const MAX_PENDING_QUERIES = 100_000;
/** Seconds of capture time after which a query counts as unanswered. */
export const QUERY_TIMEOUT = 30;

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
  /** The next query with the same key. */
  next: PendingQuery | null;
  /** Answered or given up: left in the FIFO until it reaches the front. */
  done: boolean;
}

/** Keys of emptied chains kept before they are deleted together (see PendingQueries.chains). */
const EMPTY_KEYS_KEPT = 4096;

/** id and the low 14 bits of the client port: a small integer, so the Map needs no boxing. */
function keyOf(id: number, clientPort: number): number {
  return ((id & 0xffff) << 14) | (clientPort & 0x3fff);
}

function same(q: PendingQuery, client: string, clientPort: number, server: string, serverPort: number, id: number, qname: string): boolean {
  return q.id === id && q.clientPort === clientPort && q.serverPort === serverPort && q.client === client && q.server === server && q.qname === qname;
}

export class PendingQueries {
  /**
   * Chains by key. A chain that empties keeps its key (null) until
   * EMPTY_KEYS_KEPT of them have gathered, then they go together: a Map
   * whose last entry is deleted shrinks, making a new table, and here that
   * would happen for nearly every answered query.
   */
  private readonly chains = new Map<number, PendingQuery | null>();
  private emptyKeys = 0;
  private readonly fifo: PendingQuery[] = [];
  private head = 0;
  private size = 0;
  /** Capture time of the next look for expired queries (once per second of capture). */
  private nextExpiry = -Infinity;

  constructor(private readonly unanswered: (query: PendingQuery) => void) {}

  /** A query; a retransmission (same client, server, ports, id and name) keeps the first. */
  add(query: PendingQuery): void {
    this.expire(query.ts);
    const key = keyOf(query.id, query.clientPort);
    const first = this.chains.get(key);
    for (let q: PendingQuery | null = first ?? null; q !== null; q = q.next) {
      if (same(q, query.client, query.clientPort, query.server, query.serverPort, query.id, query.qname)) return;
    }
    if (this.size >= MAX_PENDING_QUERIES) this.giveUpOldest();
    const head = this.chains.get(key);
    if (head === null) this.emptyKeys--;
    query.next = head ?? null;
    this.chains.set(key, query);
    this.fifo.push(query);
    this.size++;
  }

  /** The query a response answers, taken out of the table; undefined when it was not captured. */
  answer(client: string, clientPort: number, server: string, serverPort: number, id: number, qname: string, ts: number): PendingQuery | undefined {
    this.expire(ts);
    if (this.size === 0) return undefined;
    const key = keyOf(id, clientPort);
    for (let q: PendingQuery | null = this.chains.get(key) ?? null; q !== null; q = q.next) {
      if (same(q, client, clientPort, server, serverPort, id, qname)) {
        this.unlink(key, q);
        return q;
      }
    }
    return undefined;
  }

  /** The input ended: every query still waiting is unanswered. */
  finish(): void {
    while (this.size > 0) this.giveUpOldest();
  }

  /** Capture time moves on: queries older than the timeout are given up (looked at once per second of capture). */
  expire(now: number): void {
    if (now < this.nextExpiry) return;
    this.nextExpiry = now + 1;
    for (;;) {
      const oldest = this.front();
      if (oldest === undefined || oldest.ts > now - QUERY_TIMEOUT) return;
      this.giveUpOldest();
    }
  }

  /** The oldest query still waiting; answered ones at the front are dropped on the way. */
  private front(): PendingQuery | undefined {
    while (this.head < this.fifo.length && this.fifo[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
    return this.fifo[this.head];
  }

  private giveUpOldest(): void {
    const oldest = this.front();
    if (oldest === undefined) return;
    this.unlink(keyOf(oldest.id, oldest.clientPort), oldest);
    this.unanswered(oldest);
  }

  private dropEmptyKeys(): void {
    for (const [key, head] of this.chains) if (head === null) this.chains.delete(key);
    this.emptyKeys = 0;
  }

  private unlink(key: number, query: PendingQuery): void {
    const first = this.chains.get(key);
    if (first === query) {
      this.chains.set(key, query.next);
      if (query.next === null && ++this.emptyKeys > EMPTY_KEYS_KEPT) this.dropEmptyKeys();
    } else {
      for (let q: PendingQuery | null = first ?? null; q !== null; q = q.next) {
        if (q.next === query) {
          q.next = query.next;
          break;
        }
      }
    }
    query.next = null;
    query.done = true;
    this.size--;
  }
}
