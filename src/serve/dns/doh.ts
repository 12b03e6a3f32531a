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
import { constants, createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { listenOn, suppressedField, TokenBucket, type GovernedConnection, type ListenerGate, type LogRateLimit, type RefusalReason } from '../net/index.js';
import { answerJson, DNS_JSON, jsonQuery } from './doh-json.js';
import { MAX_QUERY_BYTES } from './tcp.js';
import { padIfAsked } from './padding.js';
import { scanTtls, skipName } from './wire.js';

export const DOH_PATH = '/dns-query';
/** Google's path of the JSON form (doh-json.ts); /dns-query answers it too, for a `name=` without `dns=`. */
export const JSON_PATH = '/resolve';
const CONTENT_TYPE = 'application/dns-message';
/** A customer id in /dns-query/CUSTOMER. */
const CUSTOMER = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The longest dns= text: MAX_QUERY_BYTES in base64url. */
const MAX_QUERY_TEXT = Math.ceil((MAX_QUERY_BYTES * 4) / 3);
/** A stream's errors (a reset, the session gone) end it; its close is what the accounting waits for. */
const ignore = (): void => undefined;

export type DohReply = (answer: Buffer) => void;

/**
 * What one HTTP/2 session may ask of the server. A DoH client needs a few
 * streams at once and small headers (a GET's dns= is at most 5,462
 * characters); the rest is there to bound what a hostile one can make the
 * server hold or do. Beyond nghttp2's own checks (a stream over the cap is
 * refused, a session with too many invalid frames or refused streams is
 * ended: h2_protocol), the session is cut, counted, when it resets more
 * streams than a client that merely changes its mind would (the "rapid
 * reset" attack, CVE-2023-44487: each reset stream is a query started for
 * nothing) or floods PING or SETTINGS frames (each asks for an
 * acknowledgement).
 */
export const DOH_SESSION_LIMITS = {
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  maxConcurrentStreams: 32,
  /** SETTINGS_MAX_HEADER_LIST_SIZE, bytes (uncompressed names and values). */
  maxHeaderListSize: 16_384,
  /** Header fields per request. */
  maxHeaderListPairs: 64,
  /** Megabytes one session may hold (streams, header tables, unsent data, unacknowledged frames). */
  maxSessionMemory: 4,
  /** Invalid frames, and streams refused for the cap, before nghttp2 ends the session. */
  maxSessionInvalidFrames: 32,
  maxSessionRejectedStreams: 32,
  /** Streams the client may reset before their answer: a burst, then per second. */
  resetBurst: 64,
  resetsPerSecond: 8,
  /** PING and SETTINGS frames from the client: a burst, then per second. */
  controlBurst: 32,
  controlPerSecond: 4,
} as const;

export interface DohCounters {
  /** Requests refused before reaching the forwarder, by HTTP status. */
  httpErrors: Map<number, number>;
  /** Queries handed to the forwarder (wire and JSON). */
  queries: number;
  /** Of those, asked in the JSON form. */
  jsonQueries: number;
  /** Of those, plain HTTP/2 GETs answered on the core stream (getQuery); the rest went through Node's compatibility layer. */
  streamQueries: number;
  /** Requests by "METHOD\0VERSION": GET, HEAD, POST or other; 1.0, 1.1, 2.0 or other (bounded label sets). */
  requests: Map<string, number>;
  /** Responses sent, by HTTP status. */
  responses: Map<number, number>;
  /** POST bodies refused (413) for their size, and the body bytes read of them before the refusal. */
  bodiesRefused: number;
  bodyBytesRefused: number;
  /** Requests to /dns-query/CUSTOMER naming no configured customer (404). */
  unknownCustomers: number;
  /** Requests to /dns-query (no customer) answered 403 because serve.dns.doh.requireCustomer is on. */
  customerRequired: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST']);
const VERSIONS = new Set(['1.0', '1.1', '2.0']);

export interface DnsDohOptions {
  gate: ListenerGate;
  /** The forwarder's handle(): false when the query is dropped and `reply` will never be called. `customer`: from the path, or null. */
  handle: (query: Buffer, client: string, customer: string | null, reply: DohReply) => boolean;
  /** Whether a customer id is configured (config customers): /dns-query/CUSTOMER names only those, anything else is a 404. */
  knowsCustomer: (id: string) => boolean;
  /** Serve only /dns-query/CUSTOMER (serve.dns.doh.requireCustomer): a public listener must not be an open resolver. Default false. */
  requireCustomer?: boolean;
  /** The certificate and key (PEM), read and checked once by TlsTicketContext (with its ticket keys); useCredentials() swaps them on SIGHUP. */
  credentials: { cert: Buffer; key: Buffer };
  log: Logger;
  logLimit: LogRateLimit;
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export class DnsDohListener {
  private server: Server | null = null;
  readonly stats: DohCounters = { httpErrors: new Map(), queries: 0, jsonQueries: 0, streamQueries: 0, requests: new Map(), responses: new Map(), bodiesRefused: 0, bodyBytesRefused: 0, unknownCustomers: 0, customerRequired: 0 };
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
    const limits = DOH_SESSION_LIMITS;
    this.https = createSecureServer({
      ...options.credentials,
      minVersion: 'TLSv1.2',
      allowHTTP1: true,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderListSize },
      maxHeaderListPairs: limits.maxHeaderListPairs,
      maxSessionMemory: limits.maxSessionMemory,
      maxSessionInvalidFrames: limits.maxSessionInvalidFrames,
      maxSessionRejectedStreams: limits.maxSessionRejectedStreams,
    });
    // The governor's deadlines apply, not Node's.
    this.https.setTimeout(0);
    this.https.on('tlsClientError', (_err, socket) => socket.destroy());
    this.https.prependListener('secureConnection', (secure: TLSSocket) => {
      const key = `${secure.remoteAddress}:${secure.remotePort}`;
      const connection = this.admitted.get(key);
      this.admitted.delete(key);
      if (connection === undefined) return;
      connection.handshakeDone();
      this.governed.set(secure, connection);
      this.arriving = connection;
    });
    this.https.on('secureConnection', () => (this.arriving = null));
    this.https.on('session', (session: ServerHttp2Session) => {
      const connection = this.arriving;
      session.on('error', () => session.destroy());
      if (connection === null) return;
      this.governed.set(session, connection);
      this.guard(session, connection);
    });
    this.https.on('request', (req: Request, res: Response) => {
      const session = 'stream' in req ? req.stream.session : undefined;
      const owner = session !== undefined ? session : req.socket;
      const connection = owner === undefined ? undefined : this.governed.get(owner);
      if (connection !== undefined && req.method === 'POST') {
        this.bodyDeadline(req, connection);
        res.once('finish', () => this.refusedBody(req, res, connection));
      }
      this.request(req, res, connection);
    });
    this.takeOverStreams();
  }

  /**
   * Node's compatibility layer (Http2ServerRequest/Response, behind the
   * 'request' listener) is the server's one 'stream' listener; it costs a
   * readable and a writable stream, a dozen listeners and a URL parse per
   * request. The plain HTTP/2 GET of /dns-query?dns= (nearly every DoH
   * query) is answered on the core stream instead (getQuery); every other
   * stream goes on to the compatibility layer unchanged. Should a future
   * Node install it differently, nothing is taken over.
   */
  private takeOverStreams(): void {
    const listeners = this.https.listeners('stream');
    if (listeners.length !== 1) return;
    const compat = listeners[0] as (...args: unknown[]) => void;
    this.https.removeListener('stream', compat);
    this.https.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
      if (!this.getQuery(stream, headers)) compat.call(this.https, stream, headers, flags, rawHeaders);
    });
  }

  /**
   * An HTTP/2 GET of /dns-query[/CUSTOMER]?dns=BASE64URL, nothing else in
   * the path, a configured customer and a query of at least a header:
   * answered here on the core stream, with the same accounting, counters and
   * answer as request() (true). Anything else, refusals included, is left to
   * request() (false), which says why.
   */
  private getQuery(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    if (headers[':method'] !== 'GET') return false;
    const path = headers[':path'];
    if (typeof path !== 'string') return false;
    const mark = path.indexOf('?dns=');
    if (mark < 0) return false;
    const text = path.slice(mark + 5);
    if (text.length > MAX_QUERY_TEXT || !BASE64URL.test(text)) return false;
    const route = routeOf(path.slice(0, mark));
    // '.' and '..' pass CUSTOMER but a URL resolves them away (request() routes what the URL says).
    if (route === null || route.json || route.customer === '.' || route.customer === '..') return false;
    const { customer } = route;
    if (customer !== null && !this.options.knowsCustomer(customer)) return false;
    if (customer === null && this.options.requireCustomer === true) return false;
    const connection = this.governed.get(stream.session as ServerHttp2Session);
    if (connection === undefined) return false;
    const query = Buffer.from(text, 'base64url');
    if (query.length < 12) return false;
    connection.requestStarted();
    connection.inFlight++;
    stream.on('error', ignore);
    stream.once('close', () => {
      connection.inFlight--;
      connection.responseDone();
    });
    this.countRequestOf('GET', '2.0');
    this.stats.queries++;
    this.stats.streamQueries++;
    const client = connection.client;
    let sent = false;
    const reply: DohReply = (plain) => {
      if (sent) return;
      sent = true;
      if (!open(stream)) return;
      const answer = padIfAsked(query, plain);
      const ttl = minTtl(answer);
      this.countResponse(200);
      sendOnStream(stream, 200, { 'content-type': CONTENT_TYPE, 'content-length': answer.length, ...(ttl >= 0 ? { 'cache-control': `max-age=${ttl}` } : {}) }, answer);
    };
    const pending = this.ask(query, client, customer, reply);
    if (!pending && !sent) {
      sent = true;
      this.stats.httpErrors.set(400, (this.stats.httpErrors.get(400) ?? 0) + 1);
      if (!open(stream)) return true;
      this.countResponse(400);
      const body = 'query dropped\n';
      sendOnStream(stream, 400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }, body);
    }
    return true;
  }

  /** Hands a query to the forwarder: false when it was dropped (or threw, logged) and `reply` will never be called. */
  private ask(query: Buffer, client: string, customer: string | null, reply: DohReply): boolean {
    try {
      return this.options.handle(query, client, customer, reply);
    } catch (err) {
      this.queryFailed(client, err);
      return false;
    }
  }

  private queryFailed(client: string, err: unknown): void {
    const held = this.options.logLimit.take(`error:${client}`);
    if (held !== null) this.options.log.error({ service: 'dns', client, ...suppressedField(held) }, `dns: DoH query failed: ${(err as Error).message}`);
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** SIGHUP: new connections use this certificate and key (read and checked by the caller, TlsTicketContext). */
  useCredentials(credentials: { cert: Buffer; key: Buffer }): void {
    this.https.setSecureContext({ ...credentials, minVersion: 'TLSv1.2' });
  }

  async listen(host: string, port: number): Promise<void> {
    const server = this.gate.server((connection) => this.accept(connection));
    await listenOn(server, host, port, `dns: cannot listen on ${host}:${port}/doh`);
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

  /**
   * Cuts an HTTP/2 session that resets streams or sends PING/SETTINGS past
   * its budget (DOH_SESSION_LIMITS), and counts the one nghttp2 ends for
   * invalid frames or too many refused streams (h2_protocol).
   */
  private guard(session: ServerHttp2Session, connection: GovernedConnection): void {
    const limits = DOH_SESSION_LIMITS;
    const resets = new TokenBucket(limits.resetsPerSecond, limits.resetBurst);
    const control = new TokenBucket(limits.controlPerSecond, limits.controlBurst);
    session.on('stream', (stream) => {
      // Reset before its answer was written: by the client, or by nghttp2 for the client's protocol error (the server resets nothing unanswered). Often closed already here.
      const closed = (): void => {
        if (stream.headersSent || stream.rstCode === undefined || stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
        if (!resets.take()) this.cutSession(session, connection, 'h2_reset_flood');
      };
      if (stream.closed) closed();
      else stream.once('close', closed);
    });
    const controlFrame = (): void => {
      if (!control.take()) this.cutSession(session, connection, 'h2_control_flood');
    };
    session.on('ping', controlFrame);
    session.on('remoteSettings', controlFrame);
    // nghttp2 ended the session: too many invalid frames (streams past the cap among them) or refused streams.
    session.once('error', (err: NodeJS.ErrnoException) => this.countProtocolError(connection, err));
  }

  private countProtocolError(connection: GovernedConnection, err: NodeJS.ErrnoException): void {
    // ERR_HTTP2_TOO_MANY_INVALID_FRAMES, ERR_HTTP2_ERROR (nghttp2's own flood checks), ...; a socket error (ECONNRESET) is not the protocol's.
    if (err.code?.startsWith('ERR_HTTP2_') === true) connection.cut('h2_protocol');
  }

  /**
   * A request body (at most MAX_QUERY_BYTES) must arrive whole within the
   * frame deadline of its header, as the header itself must: a body
   * trickled or left open holds a stream and the connection, so the
   * connection is cut (body_deadline).
   */
  private bodyDeadline(req: Request, connection: GovernedConnection): void {
    const timer = setTimeout(() => {
      if (!connection.socket.destroyed) connection.cut('body_deadline');
    }, this.gate.limits.frameMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    req.once('error', clear);
  }

  /**
   * After a 413 the rest of the body is not read: HTTP/2 resets the stream
   * (NO_ERROR, RFC 9113 section 8.1: the response is complete); HTTP/1.1
   * has no other way to stop a body than to close the connection once the
   * 413 is written (body_too_large).
   */
  private refusedBody(req: Request, res: Response, connection: GovernedConnection): void {
    if (res.statusCode !== 413) return;
    if ('stream' in req) {
      if (!req.stream.closed) req.stream.close(constants.NGHTTP2_NO_ERROR);
      return;
    }
    req.socket.end(() => connection.cut('body_too_large'));
  }

  /** GOAWAY (ENHANCE_YOUR_CALM) and the connection is cut, counted under `reason`. */
  private cutSession(session: ServerHttp2Session, connection: GovernedConnection, reason: RefusalReason): void {
    if (connection.cutBecause !== null) return;
    if (!session.destroyed) session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    connection.cut(reason);
  }

  /** The TLS server wraps the admitted socket itself (after the handshake budget let it); ALPN picks HTTP/2 or HTTP/1.1. */
  private accept(connection: GovernedConnection): void {
    if (!this.gate.handshake(connection)) return;
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
    this.countRequest(req);
    const url = new URL(req.url ?? '/', 'https://doh.invalid');
    const route = routeOf(url.pathname);
    if (route === null) return this.fail(res, 404, 'not found');
    const { customer } = route;
    // Only a configured customer may be named: a client cannot invent report rows (counted, fluxhound_dns_unknown_customers_total).
    if (customer !== null && !this.options.knowsCustomer(customer)) {
      this.stats.unknownCustomers++;
      return this.fail(res, 404, 'no such customer');
    }
    if (customer === null && this.options.requireCustomer === true) {
      this.stats.customerRequired++;
      return this.fail(res, 403, 'this server answers only at /dns-query/CUSTOMER');
    }
    const client = connection?.client ?? '';
    if (req.method === 'GET' || req.method === 'HEAD') {
      const text = url.searchParams.get('dns');
      if (route.json || (text === null && url.searchParams.has('name'))) {
        const query = jsonQuery(url.searchParams);
        if (typeof query === 'string') return this.fail(res, 400, query, true);
        this.stats.jsonQueries++;
        return this.answer(query, client, customer, res, true);
      }
      if (text === null || text.length > MAX_QUERY_TEXT || !BASE64URL.test(text)) return this.fail(res, 400, 'dns= must be a base64url DNS query');
      return this.answer(Buffer.from(text, 'base64url'), client, customer, res, false);
    }
    if (route.json) {
      res.setHeader('allow', 'GET, HEAD');
      return this.fail(res, 405, 'the JSON form is GET only', true);
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      if (type !== CONTENT_TYPE) return this.fail(res, 415, `POST takes ${CONTENT_TYPE}`);
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_QUERY_BYTES) {
        // Refused on its declared length: none of its bytes were read.
        this.stats.bodiesRefused++;
        return this.fail(res, 413, 'query too large');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > MAX_QUERY_BYTES) {
          refused = true;
          this.stats.bodiesRefused++;
          this.stats.bodyBytesRefused += size;
          this.fail(res, 413, 'query too large');
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!refused) this.answer(Buffer.concat(chunks, size), client, customer, res, false);
      });
      req.on('error', () => undefined);
      return;
    }
    res.setHeader('allow', 'GET, HEAD, POST');
    this.fail(res, 405, 'GET or POST');
  }

  /** `json`: answer in the JSON form (doh-json.ts) instead of the wire message. */
  private answer(query: Buffer, client: string, customer: string | null, res: Response, json: boolean): void {
    if (query.length < 12) return this.fail(res, 400, 'not a DNS query');
    this.stats.queries++;
    let sent = false;
    const reply: DohReply = (answer) => {
      if (sent) return;
      sent = true;
      if (res.writableEnded || res.destroyed) return;
      const ttl = minTtl(answer);
      let body = json ? answer : padIfAsked(query, answer);
      if (json) {
        const shape = answerJson(answer);
        if (shape === null) return this.fail(res, 502, 'unreadable answer', true);
        body = Buffer.from(JSON.stringify(shape));
      }
      this.countResponse(200);
      const headers = { 'content-type': json ? DNS_JSON : CONTENT_TYPE, 'content-length': body.length, ...(ttl >= 0 ? { 'cache-control': `max-age=${ttl}` } : {}) };
      // HTTP/2 in one DATA frame (sendOnStream); HEAD (no body) and HTTP/1.1 stay with the compat API.
      if ('stream' in res && res.req.method !== 'HEAD') return sendOnStream(res.stream, 200, headers, body);
      res.writeHead(200, headers);
      res.end(body);
    };
    const pending = this.ask(query, client, customer, reply);
    // Dropped (rate limit, unreadable, a response sent as a query): RFC 8484 §4.2.1, a 4xx the client does not retry blindly.
    if (!pending && !sent) {
      sent = true;
      this.fail(res, 400, 'query dropped', json);
    }
  }

  /** A refusal: plain text, or `{"error": why}` to a JSON-form request (as Cloudflare answers). `why` never echoes the request. */
  private fail(res: Response, status: number, why: string, json = false): void {
    this.stats.httpErrors.set(status, (this.stats.httpErrors.get(status) ?? 0) + 1);
    if (res.headersSent || res.writableEnded) return;
    this.countResponse(status);
    const body = json ? JSON.stringify({ error: why }) : `${why}\n`;
    res.writeHead(status, { 'content-type': json ? DNS_JSON : 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private countRequest(req: Request): void {
    const method = METHODS.has(req.method ?? '') ? req.method! : 'other';
    const version = VERSIONS.has(req.httpVersion) ? req.httpVersion : 'other';
    this.countRequestOf(method, version);
  }

  private countRequestOf(method: string, version: string): void {
    const key = `${method}\0${version}`;
    this.stats.requests.set(key, (this.stats.requests.get(key) ?? 0) + 1);
  }

  private countResponse(status: number): void {
    this.stats.responses.set(status, (this.stats.responses.get(status) ?? 0) + 1);
  }
}

/** The route of a path: /dns-query or /resolve (JSON), each optionally /CUSTOMER ([A-Za-z0-9._-]{1,64}); null for any other path. */
export function routeOf(path: string): { json: boolean; customer: string | null } | null {
  for (const [base, json] of [[DOH_PATH, false], [JSON_PATH, true]] as const) {
    if (path === base) return { json, customer: null };
    if (path.startsWith(`${base}/`)) {
      const rest = path.slice(base.length + 1);
      return CUSTOMER.test(rest) ? { json, customer: rest } : null;
    }
  }
  return null;
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

/**
 * A stream the client reset (rapid reset) is closed before the compat layer
 * knows, and may not be destroyed yet: respond() on it throws uncaught.
 */
function open(stream: ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed && !stream.headersSent;
}

/**
 * HTTP/2 through the core API: the headers, then the body and END_STREAM in
 * one DATA frame. The compat API's end(body) sends the data, then an empty
 * END_STREAM frame in a second TLS write: twice the frames and writes per
 * answer, and a client that takes one answer per read (dnsperf 2.10 -m doh)
 * dies on the interleaved frames.
 */
function sendOnStream(stream: ServerHttp2Stream, status: number, headers: Record<string, string | number>, body: Buffer | string): void {
  if (!open(stream)) return;
  stream.respond({ ':status': status, ...headers });
  stream.end(body);
}
