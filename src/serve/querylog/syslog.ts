/**
 * The syslog sink: every query-log entry as one RFC 5424 message
 * (syslog-format.ts) to serve.querylog.syslog.address, over UDP (one
 * message per datagram, RFC 5426) or TCP (octet-counted frames, RFC 6587
 * §3.4.1). Entries wait in a bounded queue and leave in batches on
 * setImmediate; over TCP a batch is one write and the next waits for the
 * socket to drain. A lost TCP connection is made again with back-off
 * (0.1 s doubling to 30 s); meanwhile entries queue and, once the queue is
 * full, are dropped and counted. Nothing here waits on the query path.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { QueryLogEntry } from '../../model/query-log.js';
import { literalLookup, type Endpoint } from '../endpoint.js';
import { EntryQueue, sinkStats, type SinkStats } from './queue.js';
import { octetCounted, syslogMessage, type SyslogHeader } from './syslog-format.js';

/** Messages per batch. */
const BATCH = 512;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** How long stop() waits for queued messages to leave before it gives up on them. */
const STOP_GRACE_MS = 2000;

export type SyslogTransport = 'udp' | 'tcp';

export class SyslogSink {
  readonly stats: SinkStats = sinkStats();
  /** TCP connections made again after one was lost or refused. */
  reconnects = 0;
  private readonly queue: EntryQueue;
  private udp: UdpSocket | null = null;
  private tcp: Socket | null = null;
  private connected = false;
  private backoff = BACKOFF_MIN_MS;
  private retry: NodeJS.Timeout | null = null;
  private scheduled = false;
  private waitingForDrain = false;
  private stopped = false;
  private idle: (() => void)[] = [];

  constructor(
    readonly endpoint: Endpoint,
    readonly transport: SyslogTransport,
    maxPending: number,
    public header: SyslogHeader,
    private readonly log: Logger,
  ) {
    this.queue = new EntryQueue(maxPending, this.stats);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** 1 while messages can leave (UDP: the socket is open; TCP: connected). */
  get up(): number {
    return this.transport === 'udp' ? (this.udp === null ? 0 : 1) : this.connected ? 1 : 0;
  }

  /** UDP: binds a socket. TCP: starts connecting (a receiver that is down is retried, not an error). */
  async start(): Promise<void> {
    if (this.transport === 'udp') {
      const udp = createSocket({ type: this.endpoint.family === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
      udp.on('error', () => this.stats.errors++);
      await new Promise<void>((resolve) => udp.bind(0, this.endpoint.family === 6 ? '::' : '0.0.0.0', () => resolve()));
      this.udp = udp;
    } else this.connect();
  }

  push(entry: QueryLogEntry): void {
    if (this.queue.push(entry)) this.schedule();
  }

  /** Sends what is queued (for at most STOP_GRACE_MS), then closes. */
  async stop(): Promise<void> {
    if (this.queue.length > 0 && this.up === 1) {
      await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    }
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.udp?.close();
    this.udp = null;
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp !== null && this.connected) {
      // Let the last frames leave, but never wait on a receiver that stopped reading.
      await Promise.race([new Promise<void>((resolve) => tcp.end(() => resolve())), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    }
    tcp?.destroy();
  }

  private connect(): void {
    this.retry = null;
    if (this.stopped) return;
    const socket = connect({ host: this.endpoint.host, port: this.endpoint.port, lookup: literalLookup as never });
    socket.setNoDelay(true);
    this.tcp = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.backoff = BACKOFF_MIN_MS;
      this.log.info({ service: 'querylog', syslog: `${this.endpoint.host}:${this.endpoint.port}` }, 'querylog: syslog connected (tcp)');
      this.schedule();
    });
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.schedule();
    });
    // A receiver has nothing to say to a sender (RFC 6587): read and discard.
    socket.on('data', () => undefined);
    socket.on('error', (err) => {
      this.stats.errors++;
      if (this.connected || this.reconnects === 0) this.log.warn({ service: 'querylog', syslog: `${this.endpoint.host}:${this.endpoint.port}` }, `querylog: syslog tcp: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
    socket.on('close', () => {
      this.connected = false;
      this.waitingForDrain = false;
      if (this.tcp === socket) this.tcp = null;
      if (this.stopped) return;
      this.reconnects++;
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.retry.unref();
      this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.sendBatch();
    });
  }

  private sendBatch(): void {
    // False when nothing can leave now: the connect or drain event schedules the next batch.
    const more = this.transport === 'udp' ? this.sendUdp() : this.sendTcp();
    if (this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
    else if (more) this.schedule();
  }

  private sendUdp(): boolean {
    const udp = this.udp;
    if (udp === null) return false;
    const { host, port } = this.endpoint;
    for (const entry of this.queue.take(BATCH)) {
      udp.send(Buffer.from(syslogMessage(entry, this.header), 'utf8'), port, host, (err) => {
        if (err) this.stats.errors++;
        else this.stats.written++;
      });
    }
    return true;
  }

  private sendTcp(): boolean {
    const socket = this.tcp;
    if (socket === null || !this.connected || this.waitingForDrain) return false;
    const batch = this.queue.take(BATCH);
    const frames = batch.map((entry) => octetCounted(syslogMessage(entry, this.header)));
    const ok = socket.write(Buffer.concat(frames), (err) => {
      if (err) this.stats.errors++;
      else this.stats.written += batch.length;
    });
    if (!ok) this.waitingForDrain = true;
    return ok;
  }
}
