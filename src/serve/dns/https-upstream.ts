/**
 * One DNS-over-HTTPS upstream (RFC 8484): `https://ADDRESS:PORT/PATH#NAME`.
 * One HTTP/2 session is kept and reused; each query is a POST of
 * `application/dns-message` on a stream of its own (so answers are matched
 * by stream, and the question is checked as on every other path). The
 * certificate must chain to the CA and carry NAME. A lost session is opened
 * again on the next query. Same callback shape as TlsUpstream.
 */
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { checkServerIdentity } from 'node:tls';
import { isResponse, sameQuestion, setId } from './wire.js';
import type { TlsAnswer, TlsUpstreamStats } from './tls-upstream.js';

export interface HttpsUpstreamOptions {
  host: string;
  port: number;
  path: string;
  servername: string;
  ca?: Buffer | undefined;
  timeout: number;
  idleTimeout?: number;
}

const MAX_ANSWER = 65_535;

export class HttpsUpstream {
  readonly stats: TlsUpstreamStats = { connects: 0, handshakeFailures: 0, timeouts: 0, mismatched: 0 };
  lastError: string | null = null;
  private session: ClientHttp2Session | null = null;
  private open = 0;

  constructor(private readonly options: HttpsUpstreamOptions) {}

  get pending(): number {
    return this.open;
  }

  /** RFC 8484 asks for ID 0 (cache-friendly); `id` is ignored and the question is what is matched. */
  ask(query: Buffer, questionEnd: number, _id: number, done: TlsAnswer): void {
    const body = Buffer.from(query);
    setId(body, 0);
    const session = this.connection();
    this.open++;
    let settled = false;
    const finish = (answer: Buffer | null): void => {
      if (settled) return;
      settled = true;
      this.open--;
      clearTimeout(timer);
      done(answer);
    };
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: this.options.path,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/dns-message',
      [constants.HTTP2_HEADER_ACCEPT]: 'application/dns-message',
    });
    const timer = setTimeout(() => {
      this.stats.timeouts++;
      stream.close(constants.NGHTTP2_CANCEL);
      finish(null);
    }, this.options.timeout);
    let status = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (headers) => {
      status = Number(headers[constants.HTTP2_HEADER_STATUS]);
    });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER) {
        stream.close(constants.NGHTTP2_CANCEL);
        return finish(null);
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      const message = Buffer.concat(chunks);
      if (status !== 200 || message.length < 12 || !isResponse(message) || !sameQuestion(body, message, questionEnd)) {
        this.stats.mismatched++;
        return finish(null);
      }
      finish(message);
    });
    stream.on('error', () => finish(null));
    stream.on('close', () => finish(null));
    stream.end(body);
  }

  close(): void {
    this.session?.destroy();
    this.session = null;
  }

  private connection(): ClientHttp2Session {
    if (this.session !== null && !this.session.destroyed && !this.session.closed) return this.session;
    this.stats.connects++;
    let secure = false;
    const isLiteral = /^[\d.]+$|:/.test(this.options.servername);
    const session = connect(`https://${this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host}:${this.options.port}`, {
      servername: isLiteral ? undefined : this.options.servername,
      checkServerIdentity: (_host, cert) => checkServerIdentity(this.options.servername, cert),
      ca: this.options.ca,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    session.on('connect', () => {
      secure = true;
      this.lastError = null;
    });
    session.on('error', (err) => {
      this.lastError = err.message;
      if (!secure) this.stats.handshakeFailures++;
    });
    session.on('close', () => {
      if (this.session === session) this.session = null;
    });
    session.setTimeout(this.options.idleTimeout ?? 10_000, () => {
      if (this.open === 0) session.close();
    });
    session.unref();
    this.session = session;
    return session;
  }
}
