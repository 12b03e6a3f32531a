/**
 * DNS over HTTPS (RFC 8484) for the forwarder: /dns-query by GET (?dns=,
 * base64url without padding) and POST (application/dns-message), over
 * HTTP/2 and HTTP/1.1 on one TLS port, through the connection governor.
 *
 * The governor's net.Server accepts and admits; the admitted socket is then
 * handed to an http2 secure server (allowHTTP1) that never listens itself:
 * it makes the TLS socket and ALPN picks HTTP/2 or HTTP/1.1. (Wrapping the
 * TLSSocket ourselves, as net/http.ts does, loses the bytes the client sends
 * with its handshake: the HTTP/2 session reads the TLS handle, not the
 * stream, and never sees the connection preface.) Every query is answered by the
 * forwarder's own handle(), so DoH gets the same cache, policy, blocks and
 * query log as UDP and TCP. The answer's smallest TTL is its max-age.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { suppressedField, type GovernedConnection, type ListenerGate, type LogRateLimit } from '../net/index.js';
import { MAX_QUERY_BYTES } from './tcp.js';
import { scanTtls, skipName } from './wire.js';

export const DOH_PATH = '/dns-query';
const CONTENT_TYPE = 'application/dns-message';
/** A customer id in /dns-query/CUSTOMER. */
const CUSTOMER = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type DohReply = (answer: Buffer) => void;

export interface DohCounters {
  /** Requests refused before reaching the forwarder, by HTTP status. */
  httpErrors: Map<number, number>;
  queries: number;
}

export interface DnsDohOptions {
  gate: ListenerGate;
  /** The forwarder's handle(): false when the query is dropped and `reply` will never be called. `customer`: from the path, or null. */
  handle: (query: Buffer, client: string, customer: string | null, reply: DohReply) => boolean;
  /** The certificate and key (PEM), checked by loadTlsContext first; useCredentials() swaps them on SIGHUP. */
  credentials: { cert: Buffer; key: Buffer };
  log: Logger;
  logLimit: LogRateLimit;
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export class DnsDohListener {
  private server: Server | null = null;
  readonly stats: DohCounters = { httpErrors: new Map(), queries: 0 };
  readonly gate: ListenerGate;
  private readonly https: Http2SecureServer;
  /** Admitted sockets by peer address and port, until their TLS socket is made (its parent is not public). */
  private readonly admitted = new Map<string, GovernedConnection>();
  /** The governed connection of a TLS socket (HTTP/1.1) or of an HTTP/2 session. */
  private readonly governed = new WeakMap<object, GovernedConnection>();
  /** Set while a TLS socket is handed to the HTTP/2 parser, which makes its session synchronously. */
  private arriving: GovernedConnection | null = null;

  constructor(private readonly options: DnsDohOptions) {
    this.gate = options.gate;
    this.https = createSecureServer({ ...options.credentials, minVersion: 'TLSv1.2', allowHTTP1: true, settings: { maxConcurrentStreams: 32 }, maxSessionMemory: 4 });
    // The governor's deadlines apply, not Node's.
    this.https.setTimeout(0);
    this.https.on('tlsClientError', (_err, socket) => socket.destroy());
    this.https.prependListener('secureConnection', (secure: TLSSocket) => {
      const key = `${secure.remoteAddress}:${secure.remotePort}`;
      const connection = this.admitted.get(key);
      this.admitted.delete(key);
      if (connection === undefined) return;
      this.governed.set(secure, connection);
      this.arriving = connection;
    });
    this.https.on('secureConnection', () => (this.arriving = null));
    this.https.on('session', (session: ServerHttp2Session) => {
      if (this.arriving !== null) this.governed.set(session, this.arriving);
      session.on('error', () => session.destroy());
    });
    this.https.on('request', (req: Request, res: Response) => {
      const session = 'stream' in req ? req.stream.session : undefined;
      const owner = session !== undefined ? session : req.socket;
      this.request(req, res, owner === undefined ? undefined : this.governed.get(owner));
    });
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** SIGHUP: new connections use this certificate and key (checked by the caller, loadTlsContext). */
  useCredentials(credentials: { cert: Buffer; key: Buffer }): void {
    this.https.setSecureContext({ ...credentials, minVersion: 'TLSv1.2' });
  }

  async listen(host: string, port: number): Promise<void> {
    const server = this.gate.server((connection) => this.accept(connection));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`dns: cannot listen on ${host}:${port}/doh: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      server.listen(port, host, () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    this.gate.closeAll();
    this.https.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The TLS server wraps the admitted socket itself; ALPN picks HTTP/2 or HTTP/1.1. */
  private accept(connection: GovernedConnection): void {
    const { socket } = connection;
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    this.admitted.set(key, connection);
    socket.once('close', () => {
      if (this.admitted.get(key) === connection) this.admitted.delete(key);
    });
    this.https.emit('connection', socket);
  }

  private request(req: Request, res: Response, connection: GovernedConnection | undefined): void {
    if (connection !== undefined) {
      connection.requestStarted();
      connection.inFlight++;
      res.once('close', () => {
        connection.inFlight--;
        connection.responseDone();
      });
    }
    const url = new URL(req.url ?? '/', 'https://doh.invalid');
    let customer: string | null = null;
    if (url.pathname !== DOH_PATH) {
      const rest = url.pathname.startsWith(DOH_PATH + '/') ? url.pathname.slice(DOH_PATH.length + 1) : '';
      if (!CUSTOMER.test(rest)) return this.fail(res, 404, 'not found');
      customer = rest;
    }
    const client = connection?.client ?? '';
    if (req.method === 'GET' || req.method === 'HEAD') {
      const text = url.searchParams.get('dns');
      if (text === null || text.length > Math.ceil((MAX_QUERY_BYTES * 4) / 3) || !BASE64URL.test(text)) return this.fail(res, 400, 'dns= must be a base64url DNS query');
      return this.answer(Buffer.from(text, 'base64url'), client, customer, res);
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      if (type !== CONTENT_TYPE) return this.fail(res, 415, `POST takes ${CONTENT_TYPE}`);
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_QUERY_BYTES) return this.fail(res, 413, 'query too large');
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > MAX_QUERY_BYTES) {
          refused = true;
          this.fail(res, 413, 'query too large');
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!refused) this.answer(Buffer.concat(chunks, size), client, customer, res);
      });
      req.on('error', () => undefined);
      return;
    }
    res.setHeader('allow', 'GET, HEAD, POST');
    this.fail(res, 405, 'GET or POST');
  }

  private answer(query: Buffer, client: string, customer: string | null, res: Response): void {
    if (query.length < 12) return this.fail(res, 400, 'not a DNS query');
    this.stats.queries++;
    let sent = false;
    const reply: DohReply = (answer) => {
      if (sent) return;
      sent = true;
      if (res.writableEnded || res.destroyed) return;
      const ttl = minTtl(answer);
      const headers = { 'content-type': CONTENT_TYPE, 'content-length': answer.length, ...(ttl >= 0 ? { 'cache-control': `max-age=${ttl}` } : {}) };
      // HTTP/2 through the core API: the answer and END_STREAM leave in one DATA frame. The compat
      // API's end(answer) sends the data, then an empty END_STREAM frame in a second TLS write: twice
      // the frames and writes per answer, and a client that takes one answer per read (dnsperf 2.10
      // -m doh) dies on the interleaved frames. HEAD (no body) and HTTP/1.1 stay with the compat API.
      if ('stream' in res && res.req.method !== 'HEAD') {
        res.stream.respond({ ':status': 200, ...headers });
        res.stream.end(answer);
        return;
      }
      res.writeHead(200, headers);
      res.end(answer);
    };
    let pending = false;
    try {
      pending = this.options.handle(query, client, customer, reply);
    } catch (err) {
      const held = this.options.logLimit.take(`error:${client}`);
      if (held !== null) this.options.log.error({ service: 'dns', client, ...suppressedField(held) }, `dns: DoH query failed: ${(err as Error).message}`);
    }
    // Dropped (rate limit, unreadable, a response sent as a query): RFC 8484 §4.2.1, a 4xx the client does not retry blindly.
    if (!pending && !sent) {
      sent = true;
      this.fail(res, 400, 'query dropped');
    }
  }

  private fail(res: Response, status: number, why: string): void {
    this.stats.httpErrors.set(status, (this.stats.httpErrors.get(status) ?? 0) + 1);
    if (res.headersSent || res.writableEnded) return;
    const body = `${why}\n`;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

/** The smallest TTL of an answer's records (OPT aside): its HTTP freshness (RFC 8484 §5.1); -1 for none or unreadable. */
export function minTtl(answer: Buffer): number {
  if (answer.length < 12) return -1;
  let p = 12;
  for (let i = answer.readUInt16BE(4); i > 0; i--) {
    p = skipName(answer, p, answer.length);
    if (p < 0 || p + 4 > answer.length) return -1;
    p += 4;
  }
  return scanTtls(answer, answer.length, p)?.min ?? -1;
}
