/**
 * The dnstap service: one listening socket per endpoint, each through the
 * connection governor with its own cap (one endpoint full never locks out
 * another, the unix socket included), a per-address cap on TCP, the
 * first-byte and frame deadlines, START within handshakeMs and an idle
 * deadline after START; a DnstapConnection per producer. Unix sockets are
 * created with the mode asked for (default 0660: the resolver's group
 * writes, nobody else) and a stale socket file left by a crash is replaced;
 * a file that is not a socket, or a socket another process still listens
 * on, is refused.
 */
import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { standaloneGovernor, type ConnectionGovernor, type GovernedConnection, type ListenerGate, type LogRateLimit, suppressedField } from '../net/index.js';
import { DEFAULT_MAX_FRAME } from '../../sources/dnstap/frames.js';
import { DnstapPayloads } from '../../sources/dnstap/payload.js';
import { ResponseConflicts } from '../../sources/dns-wire/conflicts.js';
import type { ObservationSink } from '../../sources/source.js';
import type { Service } from '../service.js';
import { DnstapConnection, emptyCounters, type EndpointCounters } from './connection.js';
import type { Endpoint } from './endpoint.js';
import { declareDnstapMetrics } from './metrics.js';

export interface DnstapOptions {
  endpoints: readonly Endpoint[];
  sink: ObservationSink;
  log: Logger;
  /** Open connections per endpoint; more are closed at once. Default 64. */
  maxConnections?: number;
  /** Milliseconds a started connection may send nothing before it is closed (resolvers reconnect). Default 300 s. */
  idleMs?: number;
  /** The daemon's connection governor; a private one with the default serve.net limits when left out. */
  governor?: ConnectionGovernor;
  /** The daemon's metric registry; a private one when left out. */
  registry?: Registry;
  /** Largest data frame accepted; a longer one ends its connection. Default 256 KiB. */
  maxFrame?: number;
  /** Mode of unix sockets. Default 0o660. */
  socketMode?: number;
  /** Milliseconds a connection may take to send START. Default 10 s. */
  handshakeMs?: number;
  /** Milliseconds stop() waits for producers to close before cutting them off. Default 2 s. */
  drainMs?: number;
}

interface Listening {
  endpoint: Endpoint;
  server: Server;
  counters: EndpointCounters;
  gate: ListenerGate;
}

export class DnstapService implements Service {
  readonly name = 'dnstap';
  private readonly listening: Listening[] = [];
  private readonly connections = new Map<Socket, DnstapConnection>();
  private readonly payloads = new DnstapPayloads();
  /** Recent responses, to mark a second, different one to the same query (bounded: see conflicts.ts). */
  private readonly responses = new ResponseConflicts();
  private readonly maxConnections: number;
  private readonly maxFrame: number;
  private readonly socketMode: number;
  private readonly handshakeMs: number;
  private readonly drainMs: number;
  private readonly idleMs: number;
  private readonly governor: ConnectionGovernor;
  private readonly logLimit: LogRateLimit;
  /** Where this listener's metrics are declared. */
  readonly registry: Registry;
  private connectionSerial = 0;
  private stopping = false;
  /** Called when the last connection closes during stop(). */
  private onDrained: (() => void) | null = null;

  constructor(private readonly options: DnstapOptions) {
    this.maxConnections = options.maxConnections ?? 64;
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.socketMode = options.socketMode ?? 0o660;
    this.handshakeMs = options.handshakeMs ?? 10_000;
    this.drainMs = options.drainMs ?? 2_000;
    this.idleMs = options.idleMs ?? 300_000;
    this.governor = options.governor ?? standaloneGovernor(options.log);
    this.logLimit = this.governor.logLimiter('dnstap');
    this.registry = options.registry ?? new Registry();
    declareDnstapMetrics(this.registry, () => this.counters(), () => this.payloads.byType);
  }

  async start(): Promise<void> {
    for (const endpoint of this.options.endpoints) {
      const counters = emptyCounters();
      const gate = this.governor.gate({
        listener: endpoint.label,
        maxConnections: this.maxConnections,
        // Before START the handshake deadline governs (the frame deadline still bounds a trickle).
        limits: { idleMs: this.idleMs, firstByteMs: Math.min(this.governor.limits.firstByteMs, this.handshakeMs) },
        onRefused: (reason) => {
          if (reason !== 'first_byte_deadline' && reason !== 'frame_deadline' && reason !== 'idle') counters.refused++;
        },
      });
      const server = gate.server((connection) => this.accept(connection, endpoint, counters));
      try {
        if (endpoint.kind === 'unix') await this.listenUnix(server, endpoint.path);
        else await listen(server, () => server.listen({ host: endpoint.host, port: endpoint.port, exclusive: true }));
      } catch (err) {
        await this.stop();
        throw new Error(`dnstap: cannot listen on ${endpoint.label}: ${describeError(err)}`);
      }
      server.on('error', (err) => this.options.log.error({ service: 'dnstap', endpoint: endpoint.label }, `dnstap: ${err.message}`));
      this.listening.push({ endpoint, server, counters, gate });
      this.options.log.info({ service: 'dnstap', endpoint: this.addressOf(this.listening.length - 1) }, 'dnstap: listening');
    }
  }

  /** The bound address of each endpoint, in order (a tcp port 0 shows the port chosen). */
  addresses(): string[] {
    return this.listening.map((_, i) => this.addressOf(i));
  }

  /** Counters per endpoint label. */
  counters(): Map<string, EndpointCounters> {
    return new Map(this.listening.map((l, i) => [this.addressOf(i), l.counters]));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const closed = this.listening.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    // Producers are asked to go; frames still in flight are read until they close or drainMs passes.
    for (const connection of this.connections.values()) connection.end('fluxhound stopping');
    const drained = new Promise<void>((resolve) => {
      if (this.connections.size === 0) return resolve();
      const deadline = setTimeout(() => {
        for (const socket of this.connections.keys()) socket.destroy();
      }, this.drainMs);
      this.onDrained = () => {
        clearTimeout(deadline);
        resolve();
      };
    });
    await drained;
    await Promise.all(closed);
    for (const l of this.listening) if (l.endpoint.kind === 'unix') await removeSocketFile(l.endpoint.path);
    this.listening.length = 0;
  }

  private addressOf(index: number): string {
    const l = this.listening[index]!;
    if (l.endpoint.kind === 'unix') return l.endpoint.label;
    const address = l.server.address() as AddressInfo | null;
    if (address === null) return l.endpoint.label;
    return `tcp:${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** The governor's gate of each endpoint, in order. */
  gates(): ListenerGate[] {
    return this.listening.map((l) => l.gate);
  }

  private accept(governed: GovernedConnection, endpoint: Endpoint, counters: EndpointCounters): void {
    const { socket } = governed;
    const log = this.options.log;
    const serial = ++this.connectionSerial;
    const peer = endpoint.kind === 'unix' ? `${endpoint.label}#${serial}` : `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.stopping) {
      counters.refused++;
      socket.destroy();
      return;
    }
    counters.connections++;
    counters.open++;
    const connection = new DnstapConnection({ socket, peer, sink: this.options.sink, counters, payloads: this.payloads, responses: this.responses, maxFrame: this.maxFrame });
    this.connections.set(socket, connection);
    const logKey = `${endpoint.label} ${governed.client}`;
    const held = this.logLimit.take(logKey);
    if (held !== null) log.info({ service: 'dnstap', endpoint: endpoint.label, peer, ...suppressedField(held) }, 'dnstap: producer connected');
    const handshake = setTimeout(() => {
      if (!connection.started) connection.drop(`no START within ${this.handshakeMs} ms`);
    }, this.handshakeMs);
    handshake.unref();
    socket.on('data', (chunk: Buffer) => {
      try {
        const before = connection.seen.frames;
        connection.push(chunk);
        governed.received(connection.seen.frames - before, connection.atBoundary ? 0 : 1);
      } catch (err) {
        // A bug downstream (detector, enrichment) must not take the daemon down: drop this producer, keep the rest.
        log.error({ service: 'dnstap', endpoint: endpoint.label, peer, err }, `dnstap: internal error: ${(err as Error).message}`);
        connection.drop(`internal error: ${(err as Error).message}`);
      }
    });
    socket.on('error', (err) => connection.socketError(err));
    socket.on('close', () => {
      clearTimeout(handshake);
      connection.closed();
      counters.open--;
      this.connections.delete(socket);
      if (this.connections.size === 0) this.onDrained?.();
      if (governed.cutBecause !== null && connection.failure === null) connection.failure = `closed by the connection governor (${governed.cutBecause})`;
      const held = this.logLimit.take(logKey);
      if (held === null) return;
      const summary = { service: 'dnstap', endpoint: endpoint.label, peer, ...connection.seen, ...suppressedField(held) };
      if (connection.failure !== null || connection.seen.bad > 0) log.warn(summary, `dnstap: producer disconnected${connection.failure === null ? '' : `: ${connection.failure}`}`);
      else log.info(summary, `dnstap: producer disconnected${connection.endedBecause === null ? '' : `: ${connection.endedBecause}`}`);
    });
  }

  private async listenUnix(server: Server, path: string): Promise<void> {
    await socketFolder(path);
    await clearStaleSocket(path);
    // The socket is born with the umask's mode; narrow it first so it is never open wider than asked.
    let previous: number | null = null;
    try {
      previous = process.umask(0o777 & ~this.socketMode);
    } catch {
      previous = null; // worker threads cannot change the umask; chmod below still applies
    }
    try {
      await listen(server, () => server.listen({ path, exclusive: true }));
    } finally {
      if (previous !== null) process.umask(previous);
    }
    await chmod(path, this.socketMode);
  }
}

function listen(server: Server, call: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    call();
  });
}

/**
 * The socket's folder must exist: libuv reports a missing one as EACCES
 * (uv_pipe_bind maps ENOENT to it), which sent people chasing permissions.
 */
async function socketFolder(path: string): Promise<void> {
  const folder = dirname(path);
  let info;
  try {
    info = await stat(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`folder ${folder} does not exist (create it first)`);
    throw err;
  }
  if (!info.isDirectory()) throw new Error(`${folder} is not a folder`);
}

/** A socket file nobody listens on (a crashed run) is removed; anything else at the path is refused. */
async function clearStaleSocket(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!info.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another process is listening on ${path}`);
  await unlink(path);
}

async function removeSocketFile(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // already gone
  }
}

function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'address in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOENT') return 'no such directory';
  return (err as Error).message;
}
