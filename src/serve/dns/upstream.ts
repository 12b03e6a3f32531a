/**
 * Asking upstream resolvers, safely: every query leaves with a fresh random
 * ID from a socket bound to a random port (a pool of sockets, each replaced
 * after a few thousand queries), and only an answer that matches the ID,
 * the question, the upstream's address and port, and the socket it was sent
 * from is accepted; anything else is counted and ignored. A query that gets
 * no answer within the timeout goes to the next upstream, and after the last
 * one the caller gets null (the forwarder answers SERVFAIL). Pending queries
 * are bounded.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { literalLookup, type Endpoint } from '../endpoint.js';
import { isResponse, sameQuestion, setId } from './wire.js';

export interface UpstreamStats {
  queries: number;
  udpQueries: number;
  tcpQueries: number;
  timeouts: number;
  /** Answers dropped: unknown ID, wrong source, wrong question, not a response. */
  mismatched: number;
  /** Queries refused because `maxPending` were in flight. */
  overflow: number;
  failures: number;
}

/** Called once per query: the accepted answer (ID set back by the caller), or null after every upstream failed. */
export type AnswerCallback = (answer: Buffer | null, upstream: Endpoint | null) => void;

interface Pending {
  key: number;
  socket: PoolSocket;
  query: Buffer;
  questionEnd: number;
  upstream: number;
  tries: number;
  deadline: number;
  done: AnswerCallback;
}

interface PoolSocket {
  serial: number;
  socket: Socket;
  uses: number;
  inFlight: number;
  retired: boolean;
}

const POOL_SIZE = 16;
/** Queries a socket sends before a new one (a new random port) takes its place. */
const SOCKET_USES = 1000;
const MAX_TCP_ANSWER = 65_535;

export class Upstreams {
  readonly stats: UpstreamStats = { queries: 0, udpQueries: 0, tcpQueries: 0, timeouts: 0, mismatched: 0, overflow: 0, failures: 0 };
  private readonly pending = new Map<number, Pending>();
  private readonly pools = new Map<4 | 6, PoolSocket[]>();
  private serial = 0;
  private next = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly random = new Uint16Array(4096);
  private randomAt = this.random.length;
  private readonly tcpSockets = new Set<import('node:net').Socket>();

  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly timeoutMs: number,
    private readonly maxPending: number,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  start(): void {
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(10, Math.min(100, this.timeoutMs / 10)));
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const p of [...this.pending.values()]) this.finish(p, null);
    for (const pool of this.pools.values()) for (const s of pool) if (s !== undefined) s.socket.close();
    this.pools.clear();
    for (const s of this.tcpSockets) s.destroy();
  }

  /** Sends `query` (bytes [0, questionEnd) hold header and question; the ID is replaced) over UDP. */
  ask(query: Buffer, questionEnd: number, done: AnswerCallback): void {
    this.stats.queries++;
    if (this.pending.size >= this.maxPending || this.endpoints.length === 0) {
      this.stats.overflow++;
      done(null, null);
      return;
    }
    const first = this.next;
    this.next = (this.next + 1) % this.endpoints.length;
    this.send({ key: 0, socket: null as unknown as PoolSocket, query: Buffer.from(query), questionEnd, upstream: first, tries: 0, deadline: 0, done });
  }

  /** The same over TCP (a truncated UDP answer, or a client that asked over TCP): one connection per query. */
  askTcp(query: Buffer, questionEnd: number, done: AnswerCallback, upstream = this.next, tries = 0): void {
    if (tries === 0) {
      this.stats.queries++;
      this.next = (this.next + 1) % Math.max(1, this.endpoints.length);
    }
    const endpoint = this.endpoints[upstream % this.endpoints.length];
    if (endpoint === undefined || this.tcpSockets.size >= this.maxPending) {
      this.stats.overflow++;
      done(null, null);
      return;
    }
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
        done(answer, endpoint);
        return;
      }
      if (tries + 1 < this.endpoints.length) this.askTcp(query, questionEnd, done, upstream + 1, tries + 1);
      else {
        this.stats.failures++;
        done(null, null);
      }
    };
    const timer = setTimeout(() => {
      this.stats.timeouts++;
      end(null);
    }, this.timeoutMs);
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

  private send(p: Pending): void {
    const endpoint = this.endpoints[p.upstream % this.endpoints.length]!;
    const socket = this.socketFor(endpoint.family);
    let id = this.randomId();
    while (this.pending.has(socket.serial * 65536 + id)) id = this.randomId();
    p.socket = socket;
    p.key = socket.serial * 65536 + id;
    p.deadline = Date.now() + this.timeoutMs;
    setId(p.query, id);
    socket.uses++;
    socket.inFlight++;
    this.pending.set(p.key, p);
    this.stats.udpQueries++;
    socket.socket.send(p.query, endpoint.port, endpoint.host, (err) => {
      if (err !== null && err !== undefined && this.pending.get(p.key) === p) this.retry(p);
    });
  }

  private onMessage(socket: PoolSocket, message: Buffer, from: { address: string; port: number }): void {
    if (message.length < 12) {
      this.stats.mismatched++;
      return;
    }
    const p = this.pending.get(socket.serial * 65536 + message.readUInt16BE(0));
    const endpoint = p === undefined ? undefined : this.endpoints[p.upstream % this.endpoints.length];
    if (
      p === undefined ||
      endpoint === undefined ||
      from.port !== endpoint.port ||
      !sameAddress(from.address, endpoint.host) ||
      !isResponse(message) ||
      !sameQuestion(p.query, message, p.questionEnd)
    ) {
      this.stats.mismatched++;
      return;
    }
    this.finish(p, message, endpoint);
  }

  private finish(p: Pending, answer: Buffer | null, endpoint: Endpoint | null = null): void {
    this.pending.delete(p.key);
    const s = p.socket;
    s.inFlight--;
    if (s.retired && s.inFlight === 0) s.socket.close();
    p.done(answer, endpoint);
  }

  private retry(p: Pending): void {
    this.pending.delete(p.key);
    p.socket.inFlight--;
    if (p.socket.retired && p.socket.inFlight === 0) p.socket.socket.close();
    p.tries++;
    if (p.tries >= this.endpoints.length) {
      this.stats.failures++;
      p.done(null, null);
      return;
    }
    p.upstream++;
    this.send(p);
  }

  /** Map order is send order and every deadline is send time + timeout: stop at the first not yet due. */
  private expire(now: number): void {
    for (const p of this.pending.values()) {
      if (p.deadline > now) break;
      this.stats.timeouts++;
      this.retry(p);
    }
  }

  private socketFor(family: 4 | 6): PoolSocket {
    let pool = this.pools.get(family);
    if (pool === undefined) this.pools.set(family, (pool = []));
    const slot = this.randomId() % POOL_SIZE;
    let s = pool[slot];
    if (s === undefined || s.uses >= SOCKET_USES) {
      if (s !== undefined) {
        s.retired = true;
        if (s.inFlight === 0) s.socket.close();
      }
      s = this.openSocket(family);
      pool[slot] = s;
    }
    return s;
  }

  private openSocket(family: 4 | 6): PoolSocket {
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', lookup: literalLookup });
    const s: PoolSocket = { serial: ++this.serial, socket, uses: 0, inFlight: 0, retired: false };
    socket.on('message', (message, from) => this.onMessage(s, message, from));
    socket.on('error', () => undefined);
    // Port 0: the kernel picks a random ephemeral port.
    socket.bind(0);
    socket.unref();
    return s;
  }

  private randomId(): number {
    if (this.randomAt >= this.random.length) {
      randomFillSync(this.random);
      this.randomAt = 0;
    }
    return this.random[this.randomAt++]!;
  }
}

function sameAddress(a: string, b: string): boolean {
  return a === b || a === `::ffff:${b}`;
}
