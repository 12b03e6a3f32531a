/**
 * One DNS-over-TLS upstream (RFC 7858): `tls://ADDRESS:PORT#NAME`. Queries
 * are pipelined on a small pool of kept TLS connections (`connections`,
 * default 2), at most `maxInFlight` on each: a query goes to the least busy
 * open connection with room, a new connection is opened only when every open
 * one is full, and when the pool is full too the query waits (counted
 * `waited`) until an answer frees a slot; its timeout runs from the moment it
 * was asked, so a query that waited too long fails over like one that got no
 * answer. Each query gets a fresh random ID unique among those in flight,
 * and answers (in any order) are matched by connection, ID and question, as
 * on the UDP and TCP paths. The certificate must chain to the CA (the
 * system's, or the file the caller gives) and name NAME; a certificate for
 * another name fails the handshake, and every query on that connection fails
 * (the caller moves on to the next upstream). The TLS session ticket of the
 * last handshake is offered on the next connect (RFC 8446 resumption, counted
 * `resumed`), and dropped when the CA changes or a handshake fails.
 * Idle connections are closed after `idleTimeout`.
 */
import { checkServerIdentity, connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { isResponse, sameQuestion, setId } from './wire.js';

export interface TlsUpstreamOptions {
  host: string;
  port: number;
  /** The name the certificate must carry (also sent as SNI unless an IP literal). */
  servername: string;
  /** PEM CA bundle to verify against; undefined = Node's default roots. */
  ca?: Buffer | undefined;
  /** Milliseconds to wait for one answer, waiting for a free slot included. */
  timeout: number;
  /** Milliseconds an unused connection stays open. Default 10000. */
  idleTimeout?: number;
  /** Queries in flight on one connection. Default 100. */
  maxInFlight?: number;
  /** Connections kept to this upstream at most. Default 2. */
  connections?: number;
}

export interface TlsUpstreamStats {
  connects: number;
  /** Handshakes that failed (certificate not trusted or for another name, connection refused...). */
  handshakeFailures: number;
  timeouts: number;
  mismatched: number;
  /** Queries that found every connection at maxInFlight (or the server's stream limit) and waited for a slot. */
  waited: number;
  /** Connections whose handshake resumed the previous TLS session (no certificate exchange). */
  resumed: number;
  /** Connections (HTTP/2 sessions) closed because a query on them timed out with nothing answered since it was sent. */
  discarded: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 100;
/** Query IDs are 16 bits: with this many in flight on one upstream there is no free one, and the query fails at once. */
export const MAX_IDS = 0x10000;

/**
 * The TLS client options of both encrypted upstreams: dial ADDRESS, send NAME
 * as SNI (not when NAME is itself an IP literal, which SNI may not carry) and
 * check the certificate against NAME, not the dialled address; TLS 1.2+;
 * the caller's ALPN; the last session offered for resumption.
 */
export function upstreamTlsOptions(options: { host: string; port: number; servername: string; ca?: Buffer | undefined }, ticket: Buffer | null, alpn: string): ConnectionOptions {
  const isLiteral = /^[\d.]+$|:/.test(options.servername);
  return {
    host: options.host,
    port: options.port,
    servername: isLiteral ? undefined : options.servername,
    checkServerIdentity: (_host, cert) => checkServerIdentity(options.servername, cert),
    // The file replaces Node's roots (Node's `ca`), so a private CA is the only one trusted: see the README.
    ca: options.ca,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ALPNProtocols: [alpn],
    session: ticket ?? undefined,
  };
}
export const DEFAULT_CONNECTIONS = 2;

/** The answer, or null (timeout, connection lost, handshake refused). */
export type TlsAnswer = (answer: Buffer | null) => void;

interface Connection {
  socket: TLSSocket;
  secure: boolean;
  received: Buffer;
  /** Queries written to it and not answered yet. */
  load: number;
  /** Queries ever written to it: a used connection may be closing as we write (RFC 7766 6.2.1). */
  writes: number;
  /** Answers read from it: unchanged since a query was written means nothing came back in the meantime. */
  answers: number;
  idle: NodeJS.Timeout | null;
  /** Writes held until the next tick. */
  corked: boolean;
}

interface InFlight {
  id: number;
  query: Buffer;
  questionEnd: number;
  timer: NodeJS.Timeout;
  done: TlsAnswer;
  /** The connection it was written to (only that one's loss fails it); null while it waits for a slot. */
  connection: Connection | null;
  /** The framed query, kept to send it once more on a fresh connection. */
  framed: Buffer;
  /** Written to a connection used before: one resend allowed. */
  mayResend: boolean;
  /** Sent once more already: never again. */
  resent: boolean;
  /** The connection's `answers` when this was written. */
  answersAtWrite: number;
}

const MAX_BUFFERED = 65_535 + 2;

export class TlsUpstream {
  readonly stats: TlsUpstreamStats = { connects: 0, handshakeFailures: 0, timeouts: 0, mismatched: 0, waited: 0, resumed: 0, discarded: 0 };
  /** The last handshake or connection error, for logs. */
  lastError: string | null = null;
  private readonly pool: Connection[] = [];
  /** Every query not answered yet, written or waiting, by ID. */
  private readonly inFlight = new Map<number, InFlight>();
  /** Queries waiting for a slot, oldest first. */
  private readonly waiting = new Set<InFlight>();
  /** The session of the last handshake, offered on the next connect. */
  private ticket: Buffer | null = null;
  private readonly maxInFlight: number;
  private readonly maxConnections: number;

  constructor(private readonly options: TlsUpstreamOptions) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.maxConnections = Math.max(1, options.connections ?? DEFAULT_CONNECTIONS);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Open connections (for tests and the pool's bound). */
  get open(): number {
    return this.pool.length;
  }

  /** A new CA bundle (SIGHUP): new connections verify against it; the old session ticket is not offered again. */
  setCa(ca: Buffer | undefined): void {
    this.options.ca = ca;
    this.ticket = null;
  }

  /** Sends `query` (header and question in [0, questionEnd); its ID is replaced by `id`, unique among those in flight). */
  ask(query: Buffer, questionEnd: number, id: number, done: TlsAnswer): void {
    // Every ID taken (only with a maxPending above 65,535): the search below would never end, so this try fails.
    if (this.inFlight.size >= MAX_IDS) {
      this.lastError = 'no free query ID (65,536 queries in flight)';
      return done(null);
    }
    while (this.inFlight.has(id)) id = (id + 1) & 0xffff;
    const framed = Buffer.allocUnsafe(query.length + 2);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, 2);
    setId(framed.subarray(2), id);
    const entry: InFlight = { id, query: framed.subarray(2), questionEnd, timer: undefined as unknown as NodeJS.Timeout, done, connection: null, framed, mayResend: false, resent: false, answersAtWrite: 0 };
    entry.timer = setTimeout(() => this.expire(entry), this.options.timeout);
    this.inFlight.set(id, entry);
    const connection = this.slot();
    if (connection === null) {
      this.stats.waited++;
      this.waiting.add(entry);
    } else this.write(entry, connection);
  }

  close(): void {
    const pool = this.pool.splice(0);
    for (const c of pool) {
      this.clearIdle(c);
      c.socket.destroy();
    }
    const all = [...this.inFlight.values()];
    this.inFlight.clear();
    this.waiting.clear();
    for (const entry of all) {
      clearTimeout(entry.timer);
      entry.done(null);
    }
  }

  /** The least busy open connection with room, a new one when all are full and the pool is not, else null. */
  private slot(): Connection | null {
    let best: Connection | null = null;
    for (const c of this.pool) if (c.load < this.maxInFlight && (best === null || c.load < best.load)) best = c;
    if (best !== null) return best;
    return this.pool.length < this.maxConnections ? this.connect() : null;
  }

  private write(entry: InFlight, connection: Connection): void {
    entry.connection = connection;
    entry.mayResend = !entry.resent && connection.writes > 0;
    entry.answersAtWrite = connection.answers;
    connection.load++;
    connection.writes++;
    this.clearIdle(connection);
    // Queries asked in one turn of the event loop leave in one TLS record and one write(2): corked
    // until the next tick. A TLS socket also buffers writes made before its handshake ends.
    if (!connection.corked) {
      connection.corked = true;
      connection.socket.cork();
      process.nextTick(() => {
        connection.corked = false;
        connection.socket.uncork();
      });
    }
    connection.socket.write(entry.framed);
  }

  /** Waiting queries take the slots answers freed. */
  private drain(): void {
    for (const entry of this.waiting) {
      const connection = this.slot();
      if (connection === null) return;
      this.waiting.delete(entry);
      this.write(entry, connection);
    }
  }

  private expire(entry: InFlight): void {
    if (this.inFlight.get(entry.id) !== entry) return;
    this.inFlight.delete(entry.id);
    this.waiting.delete(entry);
    const connection = entry.connection;
    if (connection !== null) this.unload(connection);
    this.stats.timeouts++;
    // Nothing answered on that connection since this was written: it is taken as dead (NAT state dropped,
    // upstream hung with the socket open), or every later query on it would time out too. Out of the pool
    // before the caller hears (it may ask again at once), so the next query opens a fresh connection;
    // closing it fails or resends its other queries (lost()).
    if (connection !== null && connection.answers === entry.answersAtWrite) this.discard(connection);
    entry.done(null);
    this.drain();
  }

  private discard(connection: Connection): void {
    const at = this.pool.indexOf(connection);
    if (at >= 0) this.pool.splice(at, 1);
    this.stats.discarded++;
    connection.socket.destroy();
  }

  private unload(connection: Connection): void {
    connection.load--;
    if (connection.load === 0) this.armIdle(connection);
  }

  private connect(): Connection {
    this.stats.connects++;
    const socket = connect(upstreamTlsOptions(this.options, this.ticket, 'dot'));
    const connection: Connection = { socket, secure: false, received: Buffer.alloc(0), load: 0, writes: 0, answers: 0, idle: null, corked: false };
    socket.setNoDelay(true);
    socket.on('secureConnect', () => {
      connection.secure = true;
      this.lastError = null;
      if (socket.isSessionReused()) this.stats.resumed++;
    });
    // TLS 1.3 sends its tickets after the handshake; TLS 1.2's session is known at its end. Either way the latest is kept.
    socket.on('session', (session: Buffer) => {
      this.ticket = session;
    });
    socket.on('data', (chunk: Buffer) => this.onData(connection, chunk));
    socket.on('error', (err) => {
      this.lastError = err.message;
      if (!connection.secure) {
        this.stats.handshakeFailures++;
        this.ticket = null;
      }
    });
    socket.on('close', () => this.lost(connection));
    this.pool.push(connection);
    return connection;
  }

  private onData(connection: Connection, chunk: Buffer): void {
    connection.received = connection.received.length === 0 ? chunk : Buffer.concat([connection.received, chunk]);
    while (connection.received.length >= 2) {
      const length = connection.received.readUInt16BE(0);
      if (connection.received.length < length + 2) break;
      const message = connection.received.subarray(2, 2 + length);
      connection.received = connection.received.subarray(2 + length);
      const entry = message.length >= 12 ? this.inFlight.get(message.readUInt16BE(0)) : undefined;
      if (entry === undefined || entry.connection !== connection || !isResponse(message) || !sameQuestion(entry.query, message, entry.questionEnd)) {
        this.stats.mismatched++;
        continue;
      }
      this.inFlight.delete(entry.id);
      clearTimeout(entry.timer);
      connection.answers++;
      this.unload(connection);
      entry.done(Buffer.from(message));
    }
    if (connection.received.length > MAX_BUFFERED) connection.socket.destroy();
    this.drain();
  }

  /**
   * Every query written to the lost connection fails, except one written to
   * a connection used before, which the upstream may have been closing as we
   * wrote (RFC 7766 6.2.1 idle close): that one is sent once more.
   */
  private lost(connection: Connection): void {
    this.clearIdle(connection);
    const at = this.pool.indexOf(connection);
    if (at >= 0) this.pool.splice(at, 1);
    const failed: InFlight[] = [];
    for (const entry of this.inFlight.values()) {
      if (entry.connection !== connection) continue;
      entry.connection = null;
      if (entry.mayResend && connection.secure) {
        entry.resent = true;
        // Ahead of the queries that never left: it was sent first.
        const behind = [...this.waiting];
        this.waiting.clear();
        this.waiting.add(entry);
        for (const w of behind) this.waiting.add(w);
        continue;
      }
      this.inFlight.delete(entry.id);
      failed.push(entry);
    }
    for (const entry of failed) {
      clearTimeout(entry.timer);
      entry.done(null);
    }
    // A refused handshake refuses the queries waiting for a slot too, rather than each opening another doomed connection.
    if (this.pool.length === 0 && !connection.secure) {
      for (const entry of [...this.waiting]) {
        this.waiting.delete(entry);
        this.inFlight.delete(entry.id);
        clearTimeout(entry.timer);
        entry.done(null);
      }
    }
    this.drain();
  }

  private armIdle(connection: Connection): void {
    this.clearIdle(connection);
    connection.idle = setTimeout(() => {
      connection.idle = null;
      if (connection.load !== 0) return;
      // Out of the pool first: no query may be written to a connection being closed.
      const at = this.pool.indexOf(connection);
      if (at >= 0) this.pool.splice(at, 1);
      connection.socket.end();
    }, this.options.idleTimeout ?? 10_000);
    connection.idle.unref();
  }

  private clearIdle(connection: Connection): void {
    if (connection.idle !== null) clearTimeout(connection.idle);
    connection.idle = null;
  }
}
