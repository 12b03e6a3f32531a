/**
 * The RPZ primary's sockets: UDP (SOA, IXFR → SOA) and TCP (everything,
 * AXFR/IXFR) on one address, NOTIFY out of the UDP socket. TCP goes through
 * the connection governor: the transfer ACL (--rpz-allow) is checked on
 * accept, so a refused address never holds a slot; then the caps, the
 * first-byte, frame and idle deadlines. Per connection at most a few queued
 * requests, one answer at a time written with back-pressure. Whatever a
 * client sends, the outcome is counted and logged (at a limited rate per
 * client and outcome) and the server goes on.
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { standaloneGovernor, type ConnectionGovernor, type GovernedConnection, type ListenerGate, type LogRateLimit, suppressedField } from '../net/index.js';
import type { RpzZone } from '../../act/rpz/types.js';
import type { Service } from '../service.js';
import { answer } from './answer.js';
import type { Outcome, OutcomeKind, Transport } from './answer.js';
import { compileZone, ZoneJournal } from './journal.js';
import type { JournalLimits } from './journal.js';
import { declareRpzServerMetrics } from './metrics.js';
import { Notifier } from './notify.js';
import type { Endpoint } from './notify.js';
import type { TsigKey } from './tsig.js';
import { FLAG_QR, OPCODE_NOTIFY, readHeader } from './wire.js';

export interface RpzServerLimits {
  /** TCP connections at once; more are closed on arrival. Default 64. */
  maxConnections: number;
  /** Milliseconds a TCP connection may sit without traffic. Default 10000. */
  idleTimeoutMs: number;
  /** Requests a TCP connection may queue behind the one being answered. Default 8. */
  maxQueued: number;
  journal: JournalLimits;
}

export const DEFAULT_LIMITS: RpzServerLimits = {
  maxConnections: 64,
  idleTimeoutMs: 10_000,
  maxQueued: 8,
  journal: { maxDiffs: 100, maxRecords: 100_000 },
};

export interface RpzServerOptions {
  listen: Endpoint;
  /** The transfer ACL: true for addresses that may ask. */
  allow: (address: string) => boolean;
  key: TsigKey | null;
  notify: readonly Endpoint[];
  log: Logger;
  /** The zone to serve from the start. */
  zone: RpzZone;
  limits?: Partial<RpzServerLimits>;
  /** Seconds since the epoch (tests move the clock). */
  now?: () => number;
  notifyDebounceMs?: number;
  notifyRetryMs?: number;
  /** The daemon's connection governor; a private one with the default serve.net limits when left out. */
  governor?: ConnectionGovernor;
  /** The daemon's metric registry; a private one when left out. */
  registry?: Registry;
}

export class RpzCounters {
  readonly outcomes = new Map<OutcomeKind, number>();
  readonly tsigErrors = new Map<string, number>();
  notifiesSent = 0;
  notifiesAcked = 0;
  notifiesFailed = 0;
  connectionsRejected = 0;
  idleTimeouts = 0;
  overQueued = 0;
  internalErrors = 0;
  count(outcome: Outcome): void {
    this.outcomes.set(outcome.kind, (this.outcomes.get(outcome.kind) ?? 0) + 1);
    if (outcome.tsigError) this.tsigErrors.set(outcome.tsigError, (this.tsigErrors.get(outcome.tsigError) ?? 0) + 1);
  }
  get(kind: OutcomeKind): number {
    return this.outcomes.get(kind) ?? 0;
  }
}

export class RpzServer implements Service {
  readonly name = 'rpz-server';
  readonly counters = new RpzCounters();
  private readonly journal: ZoneJournal;
  private readonly limits: RpzServerLimits;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly notifier: Notifier;
  private key: TsigKey | null;
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  /** TCP admission: the ACL on accept, caps, deadlines. */
  readonly gate: ListenerGate;
  private readonly logLimit: LogRateLimit;
  /** Where this server's metrics are declared. */
  readonly registry: Registry;

  constructor(private readonly options: RpzServerOptions) {
    this.journal = new ZoneJournal(compileZone(options.zone), { ...DEFAULT_LIMITS.journal, ...options.limits?.journal });
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.log = options.log;
    this.key = options.key;
    this.notifier = new Notifier({
      targets: options.notify,
      key: () => this.key,
      log: this.log,
      counters: this.counters,
      now: this.now,
      debounceMs: options.notifyDebounceMs,
      retryMs: options.notifyRetryMs,
      send: (message, target) => this.udp?.send(message, target.port, target.host),
    });
    const governor = options.governor ?? standaloneGovernor(this.log);
    this.gate = governor.gate({
      listener: 'rpz-server',
      allows: options.allow,
      maxConnections: this.limits.maxConnections,
      // The server's own idle timeout also bounds the silence before the first byte and within a frame.
      limits: {
        idleMs: this.limits.idleTimeoutMs,
        firstByteMs: Math.min(governor.limits.firstByteMs, this.limits.idleTimeoutMs),
        frameMs: Math.min(governor.limits.frameMs, this.limits.idleTimeoutMs),
      },
      onRefused: (reason) => {
        if (reason === 'idle' || reason === 'first_byte_deadline' || reason === 'frame_deadline') this.counters.idleTimeouts++;
        else if (reason === 'acl') this.counters.count({ kind: 'refused' } as Outcome);
        else this.counters.connectionsRejected++;
      },
    });
    this.logLimit = governor.logLimiter('rpz-server');
    this.registry = options.registry ?? new Registry();
    declareRpzServerMetrics(this.registry, {
      counters: this.counters,
      connections: () => this.gate.size,
      serial: () => this.serial,
      records: () => this.journal.current.records.size,
      journalEntries: () => this.journal.length,
    });
  }

  get serial(): number {
    return this.journal.current.serial;
  }

  /** The bound address (the real port when 0 was asked for). */
  address(): Endpoint {
    const a = this.tcp?.address();
    if (a !== null && typeof a === 'object') return { host: a.address, port: a.port };
    return this.options.listen;
  }

  /** Installs a new zone version (a new serial goes into the journal) and notifies the secondaries. */
  setZone(zone: RpzZone): void {
    const next = compileZone(zone);
    if (next.serial === this.journal.current.serial) return;
    this.journal.update(next);
    this.log.info({ serial: next.serial, records: next.records.size, journal: this.journal.length }, 'zone updated');
    if (this.udp !== null) this.notifier.changed(() => this.journal.current);
  }

  setKey(key: TsigKey | null): void {
    this.key = key;
  }

  async start(): Promise<void> {
    const { host, port } = this.options.listen;
    const tcp = this.gate.server((connection) => this.onConnection(connection));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', (err) => reject(new Error(`rpz-server: cannot listen on TCP ${host}:${port}: ${err.message}`)));
      tcp.listen(port, host, () => resolve());
    });
    tcp.on('error', (err) => this.log.error({ err: err.message }, 'rpz-server TCP error'));
    this.tcp = tcp;
    const bound = this.address();
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', (err) => reject(new Error(`rpz-server: cannot listen on UDP ${host}:${bound.port}: ${err.message}`)));
        udp.bind(bound.port, host, () => resolve());
      });
    } catch (err) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      this.tcp = null;
      throw err;
    }
    udp.on('error', (err) => this.log.error({ err: err.message }, 'rpz-server UDP error'));
    udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    this.udp = udp;
    this.log.info({ address: `${bound.host}:${bound.port}`, zone: this.journal.current.origin, serial: this.serial, tsig: this.key?.name ?? null }, 'rpz-server listening');
    this.notifier.changed(() => this.journal.current);
  }

  async stop(): Promise<void> {
    this.notifier.stop();
    const tcp = this.tcp;
    const udp = this.udp;
    this.tcp = null;
    this.udp = null;
    this.gate.closeAll();
    if (tcp !== null) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (udp !== null) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private respond(msg: Uint8Array, transport: Transport, remote: string): ReturnType<typeof answer> | null {
    try {
      const a = answer(msg, { journal: this.journal, key: this.key, transport, remote, allowed: this.options.allow, now: this.now });
      this.counters.count(a.outcome);
      const level = a.outcome.kind === 'refused' || a.outcome.kind === 'notauth' || a.outcome.kind === 'formerr' || a.outcome.kind === 'dropped' ? 'warn' : 'info';
      // One line per request at most `logBurst` times per window: refusals by outcome alone (a flood from spoofed
      // sources must not write a line per datagram), answers by client and outcome.
      const held = this.logLimit.take(level === 'warn' ? a.outcome.kind : `${remote} ${a.outcome.kind}`);
      if (held !== null) {
        this.log[level]({ client: remote, transport, outcome: a.outcome.kind, reason: a.outcome.reason, records: a.outcome.records, signed: a.outcome.signed, serial: this.serial, ...suppressedField(held) }, `rpz-server ${a.outcome.kind}`);
      }
      return a;
    } catch (err) {
      this.counters.internalErrors++;
      if (this.logLimit.take('internal') !== null) this.log.error({ client: remote, err: (err as Error).message }, 'rpz-server internal error answering a request');
      return null;
    }
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const header = readHeader(msg);
    if (header !== null && (header.flags & FLAG_QR) !== 0 && ((header.flags >> 11) & 0xf) === OPCODE_NOTIFY) {
      if (this.notifier.response(msg, { host: rinfo.address, port: rinfo.port })) return;
    }
    const a = this.respond(msg, 'udp', rinfo.address);
    if (a === null) return;
    try {
      for (const reply of a.messages) {
        this.udp?.send(reply, rinfo.port, rinfo.address);
        break; // one datagram per request
      }
    } catch (err) {
      this.counters.internalErrors++;
      this.log.error({ client: rinfo.address, err: (err as Error).message }, 'rpz-server internal error sending an answer');
    }
  }

  private onConnection(connection: GovernedConnection): void {
    const { socket, client: remote } = connection;
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    const queue: Buffer[] = [];
    let busy = false;
    const work = async (): Promise<void> => {
      busy = true;
      // A transfer in progress is not idle, however long the secondary takes to read it.
      connection.inFlight = 1;
      while (queue.length > 0 && !socket.destroyed) {
        const msg = queue.shift()!;
        const a = this.respond(msg, 'tcp', remote);
        if (a === null) {
          socket.destroy();
          break;
        }
        try {
          for (const reply of a.messages) {
            if (socket.destroyed) break;
            const frame = Buffer.allocUnsafe(2 + reply.length);
            frame.writeUInt16BE(reply.length, 0);
            frame.set(reply, 2);
            if (!socket.write(frame)) await drained(socket);
          }
        } catch (err) {
          this.counters.internalErrors++;
          this.log.error({ client: remote, err: (err as Error).message }, 'rpz-server internal error during a transfer');
          socket.destroy();
        }
      }
      busy = false;
      connection.inFlight = 0;
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let completed = 0;
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        queue.push(Buffer.from(buffered.subarray(2, 2 + len)));
        buffered = buffered.subarray(2 + len);
        completed++;
      }
      connection.received(completed, buffered.length);
      if (queue.length > this.limits.maxQueued) {
        this.counters.overQueued++;
        if (this.logLimit.take(`queued ${remote}`) !== null) this.log.warn({ client: remote, queued: queue.length }, 'rpz-server: too many queued requests, connection closed');
        queue.length = 0;
        socket.destroy();
        return;
      }
      if (!busy && queue.length > 0) void work();
    });
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
