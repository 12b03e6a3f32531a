/**
 * One DNS-over-TLS upstream (RFC 7858): `tls://ADDRESS:PORT#NAME`. One TLS
 * connection is kept and reused for every query to that upstream; queries
 * are pipelined on it, each with a fresh random ID, and answers (which may
 * come out of order) are matched by ID and question, as on the UDP and TCP
 * paths. The certificate must chain to the CA (the system's, or the file the
 * caller gives) and name NAME; a certificate for another name fails the
 * handshake, and every query on that connection fails (the caller moves on
 * to the next upstream). A closed or failed connection is opened again on
 * the next query. Idle connections are closed after `idleTimeout`.
 */
import { checkServerIdentity, connect, type TLSSocket } from 'node:tls';
import { isResponse, sameQuestion, setId } from './wire.js';

export interface TlsUpstreamOptions {
  host: string;
  port: number;
  /** The name the certificate must carry (also sent as SNI unless an IP literal). */
  servername: string;
  /** PEM CA bundle to verify against; undefined = Node's default roots. */
  ca?: Buffer | undefined;
  /** Milliseconds to wait for one answer. */
  timeout: number;
  /** Milliseconds an unused connection stays open. Default 10000. */
  idleTimeout?: number;
}

export interface TlsUpstreamStats {
  connects: number;
  /** Handshakes that failed (certificate not trusted or for another name, connection refused...). */
  handshakeFailures: number;
  timeouts: number;
  mismatched: number;
}

/** The answer, or null (timeout, connection lost, handshake refused). */
export type TlsAnswer = (answer: Buffer | null) => void;

interface InFlight {
  query: Buffer;
  questionEnd: number;
  timer: NodeJS.Timeout;
  done: TlsAnswer;
  /** The connection it was written to: only that one's loss fails it. */
  socket: TLSSocket;
  /** The framed query, kept to send it once more on a fresh connection. */
  framed: Buffer;
  /** Written to a connection opened earlier (it may have been closing as we wrote): one resend allowed. */
  mayResend: boolean;
}

const MAX_BUFFERED = 65_535 + 2;

export class TlsUpstream {
  readonly stats: TlsUpstreamStats = { connects: 0, handshakeFailures: 0, timeouts: 0, mismatched: 0 };
  /** The last handshake or connection error, for logs. */
  lastError: string | null = null;
  private socket: TLSSocket | null = null;
  private secure = false;
  private readonly inFlight = new Map<number, InFlight>();
  private received: Buffer = Buffer.alloc(0);
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly options: TlsUpstreamOptions) {}

  get pending(): number {
    return this.inFlight.size;
  }

  /** Sends `query` (header and question in [0, questionEnd); its ID is replaced by `id`, unique among those in flight). */
  ask(query: Buffer, questionEnd: number, id: number, done: TlsAnswer): void {
    while (this.inFlight.has(id)) id = (id + 1) & 0xffff;
    const out = Buffer.allocUnsafe(query.length + 2);
    out.writeUInt16BE(query.length, 0);
    query.copy(out, 2);
    setId(out.subarray(2), id);
    const timer = setTimeout(() => {
      if (this.inFlight.get(id)?.timer !== timer) return;
      this.inFlight.delete(id);
      this.stats.timeouts++;
      done(null);
    }, this.options.timeout);
    const reused = this.socket !== null && !this.socket.destroyed;
    const socket = this.connection();
    this.inFlight.set(id, { query: out.subarray(2), questionEnd, timer, done, socket, framed: out, mayResend: reused });
    this.clearIdle();
    // A TLS socket buffers writes made before its handshake ends.
    socket.write(out);
  }

  close(): void {
    this.clearIdle();
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.destroy();
      this.failAll(socket, false);
    }
  }

  private connection(): TLSSocket {
    if (this.socket !== null && !this.socket.destroyed) return this.socket;
    this.stats.connects++;
    this.secure = false;
    this.received = Buffer.alloc(0);
    const isLiteral = /^[\d.]+$|:/.test(this.options.servername);
    const socket = connect({
      host: this.options.host,
      port: this.options.port,
      servername: isLiteral ? undefined : this.options.servername,
      // checkServerIdentity compares the certificate with this host name, not the address we dial.
      checkServerIdentity: (_host, cert) => checkServerIdentity(this.options.servername, cert),
      ca: this.options.ca,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['dot'],
    });
    socket.setNoDelay(true);
    socket.on('secureConnect', () => {
      this.secure = true;
      this.lastError = null;
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.lastError = err.message;
      if (!this.secure) this.stats.handshakeFailures++;
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      this.failAll(socket, true);
    });
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (this.received.length >= 2) {
      const length = this.received.readUInt16BE(0);
      if (this.received.length < length + 2) break;
      const message = this.received.subarray(2, 2 + length);
      this.received = this.received.subarray(2 + length);
      const entry = message.length >= 12 ? this.inFlight.get(message.readUInt16BE(0)) : undefined;
      if (entry === undefined || !isResponse(message) || !sameQuestion(entry.query, message, entry.questionEnd)) {
        this.stats.mismatched++;
        continue;
      }
      this.inFlight.delete(message.readUInt16BE(0));
      clearTimeout(entry.timer);
      entry.done(Buffer.from(message));
    }
    if (this.received.length > MAX_BUFFERED) this.socket?.destroy();
    if (this.inFlight.size === 0) this.armIdle();
  }

  /**
   * Every query written to `socket` (now lost) fails, except one written to a
   * reused connection, which the upstream may have been closing as we wrote
   * (RFC 7766 6.2.1 idle close): that one is sent once more on a fresh one.
   */
  private failAll(socket: TLSSocket, resend: boolean): void {
    const lost: InFlight[] = [];
    for (const [id, entry] of this.inFlight) {
      if (entry.socket !== socket) continue;
      if (resend && entry.mayResend) {
        entry.mayResend = false;
        entry.socket = this.connection();
        entry.socket.write(entry.framed);
        continue;
      }
      this.inFlight.delete(id);
      lost.push(entry);
    }
    for (const entry of lost) {
      clearTimeout(entry.timer);
      entry.done(null);
    }
  }

  private armIdle(): void {
    this.clearIdle();
    this.idle = setTimeout(() => {
      this.idle = null;
      if (this.inFlight.size === 0) {
        this.socket?.end();
        this.socket = null;
      }
    }, this.options.idleTimeout ?? 10_000);
    this.idle.unref();
  }

  private clearIdle(): void {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
  }
}
