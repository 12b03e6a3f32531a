/**
 * DNS over TCP (RFC 7766) for the forwarder, through the connection
 * governor: the client ACL, the caps and the deadlines are the governor's
 * (a byte trickle dies at the frame deadline, not at an idle timer every
 * byte resets). Replies obey back-pressure: a client that does not read
 * its answers stops being read (no new queries are parsed) once its unsent
 * replies pass serve.net.outboundPauseBytes, and is closed past
 * outboundMaxBytes; at most TCP_IN_FLIGHT queries per connection wait for
 * an upstream (the next stay unread until one is answered), so what a
 * connection can hold is bounded.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { hopOptionsWanted, keepaliveUnits, WANTS_KEEPALIVE, WANTS_PADDING, withKeepalive } from './hop-options.js';
import { padAnswer } from './padding.js';
import { listenOn, suppressedField, type GovernedConnection, type ListenerGate, type LogRateLimit } from '../net/index.js';

/** Queries are small; anything longer is hostile. */
export const MAX_QUERY_BYTES = 4096;
/** Queries of one connection waiting for an answer at once; the next wait unread until one is answered (counted). */
export const TCP_IN_FLIGHT = 32;

export type TcpReply = (answer: Buffer) => void;

export interface TcpCounters {
  oversized: number;
  /** Times a connection stopped being read with its in-flight cap of queries unanswered. */
  tcpHeld: number;
  malformed: number;
}

export interface DnsTcpOptions {
  gate: ListenerGate;
  /** The forwarder's handle(): false when the query is dropped and `reply` will never be called. `customer`: what customerOf named for the connection, else null. */
  handle: (query: Buffer, client: string, reply: TcpReply, customer: string | null) => boolean;
  /** DoT: the customer the client's SNI names (forwarder.ts), asked once per connection; absent = none. */
  customerOf?: (servername: string | null) => string | null;
  stats: TcpCounters;
  log: Logger;
  logLimit: LogRateLimit;
  /**
   * DNS over TLS (RFC 7858): each admitted socket is wrapped in a
   * server-side TLSSocket made with the context current at accept (a
   * context swapped on SIGHUP serves every new connection), ALPN 'dot';
   * the same framing and pipelining then run on the decrypted stream.
   */
  secureContext?: () => SecureContext;
  /** EDNS padding (RFC 7830, 8467 block length): answers to queries that carry a padding option are padded. DoT only. */
  pad?: boolean;
  /**
   * edns-tcp-keepalive (RFC 7828): a query carrying the option gets it back
   * with this idle timeout, the one the governor keeps for this listener
   * (so the client knows how long the connection may rest). Off when left out.
   */
  keepaliveMs?: number;
  /** Queries of one connection waiting for answers at once (TCP_IN_FLIGHT when left out); DoT: serve.dns.dot.maxInFlight. */
  maxInFlight?: number;
  /** The start of this listener's one-line errors: 'tcp' or 'tls'. */
  transport?: string;
}

/** RFC 7858 section 3.2: the ALPN token of DNS over TLS. */
export const DOT_ALPN = 'dot';

export class DnsTcpListener {
  private server: ReturnType<ListenerGate['server']> | null = null;

  /** The governor's gate of this listener (open connections, bytes held). */
  readonly gate: ListenerGate;

  constructor(private readonly options: DnsTcpOptions) {
    this.gate = options.gate;
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  async listen(host: string, port: number): Promise<void> {
    const secureContext = this.options.secureContext;
    const server = this.options.gate.server((connection) => {
      if (secureContext === undefined) return this.serve(connection, connection.socket);
      // Counted against the governor's handshake budget before any TLS work; a refused one is cut here.
      if (!this.options.gate.handshake(connection)) return;
      const secure = new TLSSocket(connection.socket, { isServer: true, secureContext: secureContext(), ALPNProtocols: [DOT_ALPN] });
      secure.once('secure', () => connection.handshakeDone());
      // A failed handshake (TLS 1.1, plain DNS, an unknown CA on the client's side) ends the connection, nothing else.
      secure.on('error', () => secure.destroy());
      secure.once('close', () => connection.socket.destroy());
      connection.secure(secure);
      this.serve(connection, secure);
    });
    const transport = this.options.transport ?? 'tcp';
    await listenOn(server, host, port, `dns: cannot listen on ${host}:${port}/${transport}`);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.options.gate.closeAll();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** `socket`: where queries are read, the connection's own or the TLS stream over it. */
  private serve(connection: GovernedConnection, socket: Socket): void {
    const { client } = connection;
    const { stats, handle, customerOf } = this.options;
    let buffered: Buffer = Buffer.alloc(0);
    // Asked at the first query, when the handshake (and so the SNI) is done.
    let customer: string | null | undefined = customerOf === undefined ? null : undefined;
    const maxInFlight = this.options.maxInFlight ?? TCP_IN_FLIGHT;
    /** maxInFlight queries wait for answers: no more are read until one goes. */
    let atCap = false;
    const pad = this.options.pad === true;
    const keepalive = this.options.keepaliveMs === undefined ? -1 : keepaliveUnits(this.options.keepaliveMs);
    const hopOptions = pad || keepalive >= 0;
    const reply = (answered: { done: boolean }, wanted: number): TcpReply => (plain) => {
      if (answered.done) return;
      answered.done = true;
      connection.inFlight--;
      let answer = plain;
      // Keepalive first: the padding is sized on the final message.
      if (keepalive >= 0 && (wanted & WANTS_KEEPALIVE) !== 0) answer = withKeepalive(answer, keepalive);
      if (pad && (wanted & WANTS_PADDING) !== 0) answer = padAnswer(answer);
      const frame = Buffer.allocUnsafe(answer.length + 2);
      frame.writeUInt16BE(answer.length, 0);
      answer.copy(frame, 2);
      connection.write(frame);
      // A slot is free: the queries held back are read now.
      if (atCap && connection.inFlight < maxInFlight && !socket.destroyed) {
        atCap = false;
        if (!connection.isPaused) socket.resume();
        parse();
      }
    };
    const parse = (): void => {
      let completed = 0;
      // Paused: the replies already queued are not read yet; parse no more queries until they drain.
      while (buffered.length >= 2 && !connection.isPaused && !socket.destroyed) {
        const length = buffered.readUInt16BE(0);
        if (length > MAX_QUERY_BYTES) {
          stats.oversized++;
          socket.destroy();
          return;
        }
        if (buffered.length < length + 2) break;
        // At the cap the next query is not dropped (a stream client counts on an answer to each, a
        // resolver forwarding through one connection most of all): it stays unread until a slot frees,
        // and the socket is not read meanwhile, so what one connection holds stays bounded.
        if (connection.inFlight >= maxInFlight) {
          if (!atCap) stats.tcpHeld++;
          atCap = true;
          socket.pause();
          break;
        }
        const query = Buffer.from(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        completed++;
        connection.inFlight++;
        const answered = { done: false };
        let pending = false;
        try {
          if (customer === undefined) customer = customerOf!((socket as TLSSocket).servername || null);
          pending = handle(query, client, reply(answered, hopOptions ? hopOptionsWanted(query) : 0), customer);
        } catch (err) {
          stats.malformed++;
          const held = this.options.logLimit.take(`error:${client}`);
          if (held !== null) this.options.log.error({ service: 'dns', client, ...suppressedField(held) }, `dns: query failed: ${(err as Error).message}`);
        }
        if (!pending && !answered.done) {
          answered.done = true;
          connection.inFlight--;
        }
      }
      // Held at the cap: the whole queries waiting are ours to read, not a client's trickle (no frame deadline).
      connection.received(completed, atCap ? 0 : buffered.length);
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      parse();
    });
    // Back from a pause: queries read before it are answered now.
    socket.on('resume', () => {
      if (buffered.length >= 2) parse();
    });
  }
}
