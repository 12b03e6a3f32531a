/**
 * One DNS-over-HTTPS upstream (RFC 8484): `https://ADDRESS:PORT/PATH#NAME`.
 * One HTTP/2 session is kept and reused; each query is a POST of
 * `application/dns-message` on a stream of its own (so answers are matched
 * by stream, and the question is checked as on every other path). An answer
 * counts only with status 200, content type `application/dns-message` and a
 * body of at most 65,535 bytes; anything else fails the try (counted
 * `mismatched`) and the caller moves on. At most `maxInFlight` streams are
 * open at once, fewer when the server's SETTINGS_MAX_CONCURRENT_STREAMS says
 * so; beyond that a query waits (counted `waited`) within its timeout. The
 * certificate must chain to the CA and carry NAME; the TLS session is resumed
 * on reconnect as in TlsUpstream. A lost session is opened again on the next
 * query. Same callback shape as TlsUpstream.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { isResponse, sameQuestion, setId } from './wire.js';
import { DEFAULT_MAX_IN_FLIGHT, upstreamTlsOptions, type TlsAnswer, type TlsUpstreamStats } from './tls-upstream.js';

export interface HttpsUpstreamOptions {
  host: string;
  port: number;
  path: string;
  servername: string;
  ca?: Buffer | undefined;
  timeout: number;
  idleTimeout?: number;
  /** Streams open at once on the session (the server's own limit may be lower). Default 100. */
  maxInFlight?: number;
}

const MAX_ANSWER = 65_535;
const DNS_MESSAGE = 'application/dns-message';

interface Waiting {
  body: Buffer;
  questionEnd: number;
  finish: (answer: Buffer | null) => void;
  /** Set once its stream is open: the timeout cancels it. */
  cancel: (() => void) | null;
  /** The session its stream was opened on, and that session's `responses` then. */
  sentOn: ClientHttp2Session | null;
  responsesAtSend: number;
}

export class HttpsUpstream {
  readonly stats: TlsUpstreamStats = { connects: 0, handshakeFailures: 0, timeouts: 0, mismatched: 0, waited: 0, resumed: 0, discarded: 0 };
  lastError: string | null = null;
  private session: ClientHttp2Session | null = null;
  /** Queries asked and not finished, streaming or waiting. */
  private asked = 0;
  /** Streams open now. */
  private streams = 0;
  private readonly waiting = new Set<Waiting>();
  private ticket: Buffer | null = null;
  private readonly maxInFlight: number;
  /** Responses (headers) received on the current session. */
  private responses = 0;

  constructor(private readonly options: HttpsUpstreamOptions) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  }

  get pending(): number {
    return this.asked;
  }

  setCa(ca: Buffer | undefined): void {
    this.options.ca = ca;
    this.ticket = null;
  }

  /** RFC 8484 asks for ID 0 (cache-friendly); `id` is ignored and the question is what is matched. */
  ask(query: Buffer, questionEnd: number, _id: number, done: TlsAnswer): void {
    const body = Buffer.from(query);
    setId(body, 0);
    this.asked++;
    let settled = false;
    const entry: Waiting = { body, questionEnd, cancel: null, finish: () => {}, sentOn: null, responsesAtSend: 0 };
    const timer = setTimeout(() => {
      this.stats.timeouts++;
      entry.cancel?.();
      finish(null);
      // No response on the session since this stream was opened: the session is taken as dead (NAT state
      // dropped, server hung with the connection open) and closed, so the next query opens a fresh one.
      const sentOn = entry.sentOn;
      if (sentOn !== null && sentOn === this.session && this.responses === entry.responsesAtSend) {
        this.stats.discarded++;
        this.session = null;
        sentOn.destroy();
      }
    }, this.options.timeout);
    const finish = (answer: Buffer | null): void => {
      if (settled) return;
      settled = true;
      this.asked--;
      this.waiting.delete(entry);
      clearTimeout(timer);
      done(answer);
    };
    entry.finish = finish;
    const session = this.connection();
    if (this.streams >= this.limit(session)) {
      this.stats.waited++;
      this.waiting.add(entry);
      return;
    }
    this.request(session, entry);
  }

  close(): void {
    this.session?.destroy();
    this.session = null;
    for (const entry of [...this.waiting]) entry.finish(null);
  }

  /** Streams allowed at once: ours, or the server's SETTINGS_MAX_CONCURRENT_STREAMS when lower. */
  private limit(session: ClientHttp2Session): number {
    const theirs = session.remoteSettings?.maxConcurrentStreams;
    return typeof theirs === 'number' ? Math.max(1, Math.min(this.maxInFlight, theirs)) : this.maxInFlight;
  }

  private request(session: ClientHttp2Session, entry: Waiting): void {
    let stream: ClientHttp2Stream;
    try {
      stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: this.options.path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: DNS_MESSAGE,
        [constants.HTTP2_HEADER_ACCEPT]: DNS_MESSAGE,
      });
    } catch (err) {
      // A session the server is closing (GOAWAY) takes no new stream: this try fails, the caller moves on.
      this.lastError = (err as Error).message;
      return entry.finish(null);
    }
    this.streams++;
    entry.sentOn = session;
    entry.responsesAtSend = this.responses;
    let closed = false;
    entry.cancel = () => stream.close(constants.NGHTTP2_CANCEL);
    let accepted = false;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (headers) => {
      if (this.session === session) this.responses++;
      const type = String(headers[constants.HTTP2_HEADER_CONTENT_TYPE] ?? '').split(';')[0]!.trim().toLowerCase();
      accepted = Number(headers[constants.HTTP2_HEADER_STATUS]) === 200 && type === DNS_MESSAGE;
      if (!accepted) {
        this.stats.mismatched++;
        stream.close(constants.NGHTTP2_CANCEL);
        entry.finish(null);
      }
    });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER) {
        this.stats.mismatched++;
        stream.close(constants.NGHTTP2_CANCEL);
        return entry.finish(null);
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (!accepted) return entry.finish(null);
      const message = Buffer.concat(chunks);
      if (message.length < 12 || !isResponse(message) || !sameQuestion(entry.body, message, entry.questionEnd)) {
        this.stats.mismatched++;
        return entry.finish(null);
      }
      entry.finish(message);
    });
    stream.on('error', () => entry.finish(null));
    stream.on('close', () => {
      entry.finish(null);
      if (closed) return;
      closed = true;
      this.streams--;
      this.drain();
    });
    stream.end(entry.body);
  }

  /** Waiting queries take the streams that closed. */
  private drain(): void {
    if (this.waiting.size === 0) return;
    const session = this.connection();
    for (const entry of this.waiting) {
      if (this.streams >= this.limit(session)) return;
      this.waiting.delete(entry);
      this.request(session, entry);
    }
  }

  private connection(): ClientHttp2Session {
    if (this.session !== null && !this.session.destroyed && !this.session.closed) return this.session;
    this.stats.connects++;
    this.responses = 0;
    let secure = false;
    // The TLS socket is made here, not by http2.connect, to listen for its session ticket (the session's socket is a proxy that refuses listeners).
    const tlsSocket = tlsConnect(upstreamTlsOptions(this.options, this.ticket, 'h2'));
    tlsSocket.on('session', (ticket: Buffer) => {
      this.ticket = ticket;
    });
    // The URL gives :authority only (the socket above dials ADDRESS): NAME, as in RFC 8484's https://NAME/PATH,
    // since DoH services sharing an address route by it (421 or 404 for an address they do not serve).
    const name = this.options.servername;
    const session = connect(`https://${name.includes(':') ? `[${name}]` : name}:${this.options.port}`, {
      createConnection: () => tlsSocket,
    });
    session.on('connect', () => {
      secure = true;
      this.lastError = null;
      if (tlsSocket.isSessionReused()) this.stats.resumed++;
    });
    // A larger SETTINGS_MAX_CONCURRENT_STREAMS from the server frees waiting queries.
    session.on('remoteSettings', () => this.drain());
    session.on('error', (err) => {
      this.lastError = err.message;
      if (!secure) {
        this.stats.handshakeFailures++;
        this.ticket = null;
      }
    });
    session.on('close', () => {
      if (this.session === session) this.session = null;
      // Queries waiting on a session that is gone: a refused handshake refuses them, otherwise they go on a new one.
      if (!secure) for (const entry of [...this.waiting]) entry.finish(null);
      else this.drain();
    });
    session.setTimeout(this.options.idleTimeout ?? 10_000, () => {
      if (this.asked === 0) session.close();
    });
    session.unref();
    this.session = session;
    return session;
  }
}
