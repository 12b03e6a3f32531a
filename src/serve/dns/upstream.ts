/**
 * Asking upstream resolvers, safely: every UDP query leaves from a socket of
 * its own, bound to port 0 so the kernel picks a random ephemeral port, with
 * a fresh random ID, and the socket is closed once the query is answered or
 * given up; a retry to the next upstream gets a new socket and ID again. A
 * cache poisoner has to guess both the port (tens of thousands) and the ID.
 * Only an answer that matches the ID, the question, the upstream's address
 * and port is accepted, on the socket the query left from; anything else is
 * counted and ignored. A query that gets no answer within the timeout goes to
 * the next upstream, and after the last one the caller gets null (the
 * forwarder answers SERVFAIL).
 *
 * Pending queries (each holding one socket) are bounded twice: `maxPending`
 * in all, and `maxPendingPerClient` charged to the client address that
 * asked (pending-budget.ts). When the table is full, a query from a client
 * holding fewer pending queries than another takes the slot of that other
 * client's oldest query (which is answered SERVFAIL): a well-behaved client
 * keeps its answers while others wait on a zone that never answers.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { literalLookup, upstreamLabel, type Endpoint } from '../endpoint.js';
import type { ServeContext } from '../service.js';
import { PendingBudget } from './pending-budget.js';
import { padQuery, stripPadding } from './query-padding.js';
import { HttpsUpstream } from './https-upstream.js';
import { TlsUpstream } from './tls-upstream.js';
import { UpstreamHealth } from './upstream-health.js';
import { isResponse, isTruncated, sameQuestion, setId } from './wire.js';
import { findOpt, OPT_UDP_SIZE } from './padding.js';

export interface UpstreamStats {
  queries: number;
  udpQueries: number;
  tcpQueries: number;
  /** Stream clients' queries asked again over TCP because the UDP answer was truncated (askStream). */
  truncatedRetries: number;
  /** Queries sent to tls:// upstreams (DNS over TLS). */
  tlsQueries: number;
  timeouts: number;
  /** Answers dropped: unknown ID, wrong source, wrong question, not a response. */
  mismatched: number;
  /** Queries refused because `maxPending` were in flight and none could give way. */
  overflow: number;
  /** Queries refused because their client had `maxPendingPerClient` in flight. */
  clientOverflow: number;
  /** Pending queries answered SERVFAIL early to make room for a client holding fewer. */
  jostled: number;
  /** Sockets that could not be opened or sent from (EMFILE, ENOBUFS...). */
  socketErrors: number;
  failures: number;
}

export interface UpstreamOptions {
  /** Milliseconds to wait for one upstream. */
  timeout: number;
  maxPending: number;
  maxPendingPerClient: number;
  /** PEM CA bundle for tls:// upstreams; undefined = the system roots. */
  tlsCa?: Buffer | undefined;
  /** Told why a tls:// or https:// upstream's query failed to connect (handshake refused...), at most once a minute per upstream. */
  onTlsError?: (upstream: Endpoint, reason: string) => void;
  /** Queries in flight on one connection (HTTP/2: streams, capped by the server's own limit). Default 100. */
  tlsMaxInFlight?: number;
  /** Connections kept per tls:// upstream. Default 2. */
  tlsConnections?: number;
}

/** Called once per query: the accepted answer (ID set back by the caller), or null after every upstream failed. */
export type AnswerCallback = (answer: Buffer | null, upstream: Endpoint | null) => void;

interface Pending {
  client: string;
  socket: Socket | null;
  id: number;
  query: Buffer;
  questionEnd: number;
  /** Index of the upstream asked now (modulo the number of upstreams). */
  upstream: number;
  tries: number;
  deadline: number;
  done: AnswerCallback;
}

const MAX_TCP_ANSWER = 65_535;
/** Oldest pending queries looked at for one that can give way to a lighter client. */
const JOSTLE_SCAN = 64;

export class Upstreams {
  readonly stats: UpstreamStats = { queries: 0, udpQueries: 0, tcpQueries: 0, truncatedRetries: 0, tlsQueries: 0, timeouts: 0, mismatched: 0, overflow: 0, clientOverflow: 0, jostled: 0, socketErrors: 0, failures: 0 };
  readonly health: UpstreamHealth;
  readonly budget: PendingBudget;
  /** UDP queries waiting, in send order (so deadlines are in order too). */
  private readonly pending = new Set<Pending>();
  private readonly tcpSockets = new Set<TcpSocket>();
  /** One reused, pipelined connection per tls:// or https:// upstream, by index; null for plain ones. */
  private readonly tls: (TlsUpstream | HttpsUpstream | null)[];
  private next = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly random = new Uint16Array(4096);
  private randomAt = this.random.length;
  /** When each encrypted upstream's connection error was last told, by index. */
  private readonly tlsToldAt: number[] = [];

  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly options: UpstreamOptions,
  ) {
    this.health = new UpstreamHealth(endpoints);
    this.budget = new PendingBudget(options.maxPendingPerClient);
    this.tls = endpoints.map((e) => {
      if (e.tls === undefined) return null;
      const common = { host: e.host, port: e.port, servername: e.tls, ca: options.tlsCa, timeout: options.timeout, maxInFlight: options.tlsMaxInFlight };
      return e.dohPath === undefined ? new TlsUpstream({ ...common, connections: options.tlsConnections }) : new HttpsUpstream({ ...common, path: e.dohPath });
    });
  }

  /** Queries waiting for an upstream, UDP and TCP. */
  get inFlight(): number {
    let tls = 0;
    for (const t of this.tls) tls += t?.pending ?? 0;
    return this.pending.size + this.tcpSockets.size + tls;
  }

  /** A new CA bundle for encrypted upstreams (SIGHUP): connections opened from now on verify against it. */
  setTlsCa(ca: Buffer | undefined): void {
    for (const t of this.tls) t?.setCa(ca);
  }

  start(): void {
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(10, Math.min(100, this.options.timeout / 10)));
    this.sweeper.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const p of [...this.pending]) this.finish(p, null, null);
    for (const s of this.tcpSockets) s.destroy();
    for (const t of this.tls) t?.close();
    this.budget.clear();
  }

  /** Sends `query` (bytes [0, questionEnd) hold header and question; the ID is replaced) over UDP for `client`. */
  ask(query: Buffer, questionEnd: number, client: string, done: AnswerCallback): void {
    const first = this.begin(client, done);
    if (first < 0) return;
    this.send({ client, socket: null, id: 0, query: Buffer.from(clearQuery(query)), questionEnd, upstream: first, tries: 0, deadline: 0, done });
  }

  /**
   * A query that came over a stream (DoT, DoH) to a plain upstream: over UDP
   * first, carrying the EDNS size fluxhound advertises (OPT_UDP_SIZE; a
   * query without an OPT record keeps 512), and again over TCP to the
   * upstream that answered only when that answer is truncated (TC), so the
   * stream client gets the whole answer. A TCP connection per cache miss
   * would cost a handshake and a TIME_WAIT port each (REVIEW17 #2). tls://
   * and https:// upstreams use their own connections either way.
   */
  askStream(query: Buffer, questionEnd: number, client: string, done: AnswerCallback): void {
    const first = this.begin(client, done);
    if (first < 0) return;
    const udpQuery = withUdpSize(Buffer.from(clearQuery(query)));
    const overTcp: AnswerCallback = (answer, endpoint) => {
      if (answer === null || endpoint === null || !isTruncated(answer) || this.stopped) return done(answer, endpoint);
      this.stats.truncatedRetries++;
      // finish() gave the client's budget back: the TCP try is charged again.
      if (!this.admit(client)) return done(null, null);
      this.sendTcp(clearQuery(query), questionEnd, client, done, Math.max(0, this.endpoints.indexOf(endpoint)), 0);
    };
    this.send({ client, socket: null, id: 0, query: udpQuery, questionEnd, upstream: first, tries: 0, deadline: 0, done: overTcp });
  }

  /** The same over TCP (a truncated UDP answer, or a client that asked over TCP): one connection per query. */
  askTcp(query: Buffer, questionEnd: number, client: string, done: AnswerCallback): void {
    const first = this.begin(client, done);
    if (first >= 0) this.sendTcp(clearQuery(query), questionEnd, client, done, first, 0);
  }

  /** Counts the query and charges the client's budget: the upstream to try first (round robin), or -1 when refused (done already called). */
  private begin(client: string, done: AnswerCallback): number {
    this.stats.queries++;
    if (!this.admit(client)) {
      done(null, null);
      return -1;
    }
    const first = this.next;
    this.next = (this.next + 1) % this.endpoints.length;
    return first;
  }

  /**
   * Charges a new query to `client`, or says no (counted). When the table is
   * full, one of the oldest pending queries gives way if its client holds
   * more pending queries than `client` does.
   */
  private admit(client: string): boolean {
    if (this.endpoints.length === 0 || this.stopped) {
      this.stats.overflow++;
      return false;
    }
    const mine = this.budget.of(client);
    if (mine >= this.budget.perClient) {
      this.stats.clientOverflow++;
      return false;
    }
    if (this.inFlight >= this.options.maxPending) {
      const victim = this.heavierThan(mine);
      if (victim === null) {
        this.stats.overflow++;
        return false;
      }
      this.stats.jostled++;
      this.finish(victim, null, null);
    }
    return this.budget.take(client);
  }

  /** One of the oldest UDP queries whose client holds more than `mine` pending queries, or null. */
  private heavierThan(mine: number): Pending | null {
    let looked = 0;
    for (const p of this.pending) {
      if (this.budget.of(p.client) > mine) return p;
      if (++looked >= JOSTLE_SCAN) break;
    }
    return null;
  }

  private send(p: Pending): void {
    if (this.tls[p.upstream % this.endpoints.length] != null) return this.sendTls(p.query, p.questionEnd, p.client, p.done, p.upstream, p.tries, true);
    const endpoint = this.endpoints[p.upstream % this.endpoints.length]!;
    const socket = createSocket({ type: endpoint.family === 4 ? 'udp4' : 'udp6', lookup: literalLookup });
    p.socket = socket;
    p.id = this.randomId();
    p.deadline = Date.now() + this.options.timeout;
    setId(p.query, p.id);
    this.pending.add(p);
    this.stats.udpQueries++;
    socket.on('message', (message, from) => this.onMessage(p, socket, message, from));
    socket.on('error', () => this.socketFailed(p, socket));
    try {
      // Port 0: the kernel picks a random ephemeral port, a new one for every query.
      socket.bind(0);
      socket.unref();
      // A bind that failed at once (EMFILE) has already moved the query on.
      if (p.socket !== socket) return;
      socket.send(p.query, endpoint.port, endpoint.host, (err) => {
        if (err !== null && err !== undefined) this.socketFailed(p, socket);
      });
    } catch {
      this.socketFailed(p, socket);
    }
  }

  private socketFailed(p: Pending, socket: Socket): void {
    if (p.socket !== socket) return;
    this.stats.socketErrors++;
    this.retry(p);
  }

  private onMessage(p: Pending, socket: Socket, message: Buffer, from: { address: string; port: number }): void {
    const endpoint = this.endpoints[p.upstream % this.endpoints.length]!;
    if (
      p.socket !== socket ||
      message.length < 12 ||
      message.readUInt16BE(0) !== p.id ||
      from.port !== endpoint.port ||
      !sameAddress(from.address, endpoint.host) ||
      !isResponse(message) ||
      !sameQuestion(p.query, message, p.questionEnd)
    ) {
      this.stats.mismatched++;
      return;
    }
    this.health.answered(p.upstream % this.endpoints.length, Date.now());
    this.finish(p, message, endpoint);
  }

  /** The query is over: its socket closed, its client's budget given back, its caller told. */
  private finish(p: Pending, answer: Buffer | null, endpoint: Endpoint | null): void {
    this.release(p);
    this.budget.give(p.client);
    p.done(answer, endpoint);
  }

  private release(p: Pending): void {
    this.pending.delete(p);
    const socket = p.socket;
    p.socket = null;
    if (socket !== null) {
      try {
        socket.close();
      } catch {
        // already closed after an error
      }
    }
  }

  private retry(p: Pending): void {
    this.release(p);
    p.tries++;
    if (p.tries >= this.endpoints.length || this.stopped) {
      this.stats.failures++;
      this.budget.give(p.client);
      p.done(null, null);
      return;
    }
    p.upstream++;
    this.send(p);
  }

  /** Set order is send order and every deadline is send time + timeout: stop at the first not yet due. */
  private expire(now: number): void {
    for (const p of this.pending) {
      if (p.deadline > now) break;
      this.stats.timeouts++;
      this.health.timedOut(p.upstream % this.endpoints.length);
      this.retry(p);
    }
  }

  private sendTcp(query: Buffer, questionEnd: number, client: string, done: AnswerCallback, upstream: number, tries: number): void {
    const index = upstream % this.endpoints.length;
    if (this.tls[index] != null) return this.sendTls(query, questionEnd, client, done, upstream, tries, false);
    const endpoint = this.endpoints[index]!;
    this.stats.tcpQueries++;
    const id = this.randomId();
    const out = Buffer.allocUnsafe(query.length + 2);
    out.writeUInt16BE(query.length, 0);
    query.copy(out, 2);
    setId(out.subarray(2), id);
    let received: Buffer = Buffer.alloc(0);
    let finished = false;
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    this.tcpSockets.add(socket);
    const end = (answer: Buffer | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.tcpSockets.delete(socket);
      socket.destroy();
      if (answer !== null) {
        this.health.answered(index, Date.now());
        this.budget.give(client);
        done(answer, endpoint);
        return;
      }
      this.health.timedOut(index);
      if (tries + 1 < this.endpoints.length && !this.stopped) this.sendTcp(query, questionEnd, client, done, upstream + 1, tries + 1);
      else {
        this.stats.failures++;
        this.budget.give(client);
        done(null, null);
      }
    };
    const timer = setTimeout(() => {
      this.stats.timeouts++;
      end(null);
    }, this.options.timeout);
    socket.on('error', () => end(null));
    socket.on('close', () => end(null));
    socket.on('connect', () => socket.write(out));
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length > MAX_TCP_ANSWER + 2) return end(null);
      while (received.length >= 2) {
        const length = received.readUInt16BE(0);
        if (received.length < length + 2) return;
        const message = received.subarray(2, 2 + length);
        received = received.subarray(2 + length);
        if (message.length >= 12 && message.readUInt16BE(0) === id && isResponse(message) && sameQuestion(query, message, questionEnd)) {
          return end(Buffer.from(message));
        }
        this.stats.mismatched++;
      }
    });
  }

  /**
   * One try on a tls:// upstream: its shared connection, a fresh random ID,
   * the answer matched by ID and question there. On failure the next upstream
   * is tried over the transport the client asked with (`udp`).
   */
  private sendTls(query: Buffer, questionEnd: number, client: string, done: AnswerCallback, upstream: number, tries: number, udp: boolean): void {
    const index = upstream % this.endpoints.length;
    const endpoint = this.endpoints[index]!;
    const tls = this.tls[index]!;
    this.stats.tlsQueries++;
    const timedOut = tls.stats.timeouts;
    const padded = padQuery(query);
    tls.ask(padded.bytes, questionEnd, this.randomId(), (answer) => {
      if (answer !== null) {
        this.health.answered(index, Date.now());
        this.budget.give(client);
        // The upstream's padding was for this hop only; the DoT and DoH listeners pad again for their clients.
        done(stripPadding(answer, padded.addedOpt), endpoint);
        return;
      }
      if (tls.stats.timeouts > timedOut) this.stats.timeouts++;
      else if (tls.lastError !== null && this.options.onTlsError !== undefined && Date.now() - (this.tlsToldAt[index] ?? 0) >= 60_000) {
        this.tlsToldAt[index] = Date.now();
        this.options.onTlsError(endpoint, tls.lastError);
      }
      this.health.timedOut(index);
      if (tries + 1 < this.endpoints.length && !this.stopped) {
        if (udp) this.send({ client, socket: null, id: 0, query: Buffer.from(query), questionEnd, upstream: upstream + 1, tries: tries + 1, deadline: 0, done });
        else this.sendTcp(query, questionEnd, client, done, upstream + 1, tries + 1);
        return;
      }
      this.stats.failures++;
      this.budget.give(client);
      done(null, null);
    });
  }

  /** TLS connections opened to tls:// upstreams, and handshakes that failed (certificate untrusted or for another name, refused). */
  tlsTotals(): { connects: number; handshakeFailures: number; mismatched: number; waited: number; resumed: number; discarded: number } {
    const totals = { connects: 0, handshakeFailures: 0, mismatched: 0, waited: 0, resumed: 0, discarded: 0 };
    for (const t of this.tls) {
      if (t === null) continue;
      totals.connects += t.stats.connects;
      totals.handshakeFailures += t.stats.handshakeFailures;
      totals.mismatched += t.stats.mismatched;
      totals.waited += t.stats.waited;
      totals.resumed += t.stats.resumed;
      totals.discarded += t.stats.discarded;
    }
    return totals;
  }

  private randomId(): number {
    if (this.randomAt >= this.random.length) {
      randomFillSync(this.random);
      this.randomAt = 0;
    }
    return this.random[this.randomAt++]!;
  }
}

/** The daemon's log line for an encrypted upstream that refused the handshake or could not be reached (Upstreams tells it at most once a minute per upstream). */
export function logRefusedUpstream(context: Pick<ServeContext, 'log'>, service: string): (upstream: Endpoint, reason: string) => void {
  return (upstream, reason) => context.log.warn({ service, upstream: upstreamLabel(upstream), reason }, 'dns: encrypted upstream refused or unreachable');
}

/** A client's query without the padding option it may carry: padding is never sent to a plain upstream (RFC 7830 section 6). */
function clearQuery(query: Buffer): Buffer {
  return query.length >= 12 && query.readUInt16BE(10) !== 0 ? stripPadding(query) : query;
}

/** `query` (a copy this owns) with its OPT record's UDP size set to OPT_UDP_SIZE; unchanged without an OPT record. */
function withUdpSize(query: Buffer): Buffer {
  const opt = findOpt(query);
  // The CLASS field (the UDP payload size) sits 6 bytes before RDLENGTH.
  if (opt !== null && opt !== undefined) query.writeUInt16BE(OPT_UDP_SIZE, opt.rdlength - 6);
  return query;
}

function sameAddress(a: string, b: string): boolean {
  return a === b || a === `::ffff:${b}`;
}
