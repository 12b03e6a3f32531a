/**
 * The TLS handshake budget of one listener. A handshake costs the server
 * CPU (a signature, a key exchange) and holds a slot until it finishes, so
 * a flood of ClientHellos, or of connections that never send one, must not
 * take what established clients need. A TLS connection is a pending
 * handshake from accept (the server's TLSSocket waits for a ClientHello)
 * until the handshake ends; established connections never count here and
 * are never cut to make room.
 *
 * Three limits: handshakes pending on the listener (`listenerHandshakes`),
 * pending from one client address (`clientHandshakes`), and handshakes one
 * address may start per second (`clientHandshakesPerSecond`, a token
 * bucket whose burst is one second's worth): the concurrent caps bound the
 * slots, the rate bounds the CPU one address can burn on handshakes that
 * finish at once on a fast link.
 */
import type { GovernedConnection } from './connection.js';
import { TokenBucket } from './token-bucket.js';

export type HandshakeRefusal = 'handshake_rate' | 'handshake_client_cap' | 'handshake_cap';

export interface HandshakeLimits {
  listenerHandshakes: number;
  clientHandshakes: number;
  /** 0: no rate limit. */
  clientHandshakesPerSecond: number;
}

/**
 * Client addresses whose rate is remembered; past this the least recently
 * seen is forgotten (its bucket, idle longest, is the nearest to full). Not
 * cleared all at once: a sprayer with many addresses (an IPv6 /64) would
 * then reset the budget of the one address that is being limited.
 */
const MAX_TRACKED_CLIENTS = 10_000;

export class HandshakeBudget {
  /** Pending handshakes, oldest first. */
  private readonly pending = new Set<GovernedConnection>();
  /** Each client address's pending handshakes, oldest first. */
  private readonly byClient = new Map<string, Set<GovernedConnection>>();
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: HandshakeLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Why `client` may not start a handshake now, or null. Takes a rate token only when the answer is null. */
  refusal(client: string): HandshakeRefusal | null {
    if (client !== '' && (this.byClient.get(client)?.size ?? 0) >= this.limits.clientHandshakes) return 'handshake_client_cap';
    if (this.pending.size >= this.limits.listenerHandshakes) return 'handshake_cap';
    return this.takeToken(client) ? null : 'handshake_rate';
  }

  /**
   * The oldest pending handshake of the client with the most pending, when
   * that client holds at least two more than `client` (the governor's
   * displacement rule, applied to handshakes); null otherwise.
   */
  displaceable(client: string): GovernedConnection | null {
    if (client === '') return null;
    const mine = this.byClient.get(client)?.size ?? 0;
    let heaviest: Set<GovernedConnection> | null = null;
    for (const own of this.byClient.values()) if (heaviest === null || own.size > heaviest.size) heaviest = own;
    if (heaviest === null || heaviest.size < mine + 2) return null;
    return heaviest.values().next().value as GovernedConnection;
  }

  add(connection: GovernedConnection): void {
    this.pending.add(connection);
    if (connection.client === '') return;
    const own = this.byClient.get(connection.client);
    if (own === undefined) this.byClient.set(connection.client, new Set([connection]));
    else own.add(connection);
  }

  /** False when `connection` was not pending (finished or forgotten already). */
  remove(connection: GovernedConnection): boolean {
    if (!this.pending.delete(connection)) return false;
    const own = this.byClient.get(connection.client);
    if (own !== undefined) {
      own.delete(connection);
      if (own.size === 0) this.byClient.delete(connection.client);
    }
    return true;
  }

  private takeToken(client: string): boolean {
    const rate = this.limits.clientHandshakesPerSecond;
    if (rate <= 0 || client === '') return true;
    let bucket = this.buckets.get(client);
    // Map order is the recency order: each take moves the address to the end.
    if (bucket !== undefined) this.buckets.delete(client);
    else {
      if (this.buckets.size >= MAX_TRACKED_CLIENTS) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = new TokenBucket(rate, Math.max(1, rate), this.now);
    }
    this.buckets.set(client, bucket);
    return bucket.take();
  }
}
