/**
 * The one connection governor every TCP, HTTP and unix listener of the
 * daemon goes through (CoreDNS's plugin/pkg, Hono's middleware: one shared
 * piece, not a habit per service). A listener asks for a ListenerGate and
 * hands it each accepted socket before reading a byte (servers are created
 * with `pauseOnConnect`): the gate checks the ACL, the daemon-wide budget
 * (derived from the file-descriptor limit so no listener can take the
 * descriptors the store, the upstream sockets and the RPZ file need), the
 * listener's cap and the per-client cap. A refused socket is destroyed at
 * once and counted; an admitted one is resumed and gets its deadlines and
 * outbound budget (connection.ts).
 *
 * A full listener (or a spent budget) does not simply turn the newcomer
 * away: caps alone let an attacker with a few addresses hold every slot.
 * When the client with the most connections on this listener holds at
 * least two more than the newcomer, its oldest connection is cut
 * ('displaced') and the newcomer admitted. So a well-behaved client, with
 * one connection, always gets in while anyone holds several.
 *
 * A TLS listener also asks `handshake(connection)` before it wraps an
 * admitted socket in TLS: pending handshakes have a budget of their own
 * (handshake.ts) with the same displacement rule, and an established
 * connection is never cut to make room for a handshake.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig } from '../../config/schema.js';
import type { ServeContext } from '../service.js';
import { GovernedConnection, type ConnectionLimits } from './connection.js';
import { connectionBudget, softFdLimit } from './fd-limit.js';
import { HandshakeBudget } from './handshake.js';
import type { NetLimits, RefusalReason } from './limits.js';
import { LogRateLimit, suppressedField } from './log-limit.js';
import { netMetrics, type NetMetrics } from './metrics.js';

export interface GateOptions {
  /** The `listener` label: 'dns-tcp', 'block-page', 'rpz-server', 'http', a dnstap endpoint label. */
  listener: string;
  /** Who may connect (checked on accept); everyone when left out. */
  allows?: (address: string) => boolean;
  /** This listener's cap; serve.net.listenerConnections when left out. */
  maxConnections?: number;
  /** Per client address; serve.net.clientConnections when left out. Unix sockets have no address and no per-client cap. */
  perClient?: number;
  /** Deadline and byte-budget overrides (dnstap: a longer idle). */
  limits?: Partial<ConnectionLimits>;
  /** HTTP: the header deadline runs from accept and from each response. */
  http?: boolean;
  /** Told of every refusal and cut, after it was counted (a service's own counters). */
  onRefused?: (reason: RefusalReason) => void;
}

export class ConnectionGovernor {
  readonly metrics: NetMetrics;
  /** Connections all listeners together may hold. */
  readonly budget: number;
  /** Connections open over all listeners. */
  open = 0;
  readonly logLimit: LogRateLimit;

  constructor(
    readonly limits: NetLimits,
    readonly log: Logger,
    registry: Registry,
    fdLimit = softFdLimit(),
  ) {
    this.metrics = netMetrics(registry);
    this.budget = connectionBudget(fdLimit, limits.fdReserve, limits.maxConnections);
    this.metrics.budget.set(this.budget);
    this.logLimit = this.logLimiter('net');
  }

  gate(options: GateOptions): ListenerGate {
    return new ListenerGate(this, options);
  }

  /** A per-service log limiter with the configured rate, counted in fluxhound_log_suppressed_total{service}. */
  logLimiter(service: string): LogRateLimit {
    return new LogRateLimit(service, { burst: this.limits.logBurst, intervalMs: this.limits.logIntervalMs }, this.metrics.logSuppressed);
  }
}

export class ListenerGate {
  readonly listener: string;
  readonly maxConnections: number;
  readonly perClient: number;
  /** The deadlines and byte budgets of this listener's connections. */
  readonly limits: ConnectionLimits;
  /** Each client address's connections, oldest first. */
  private readonly byClient = new Map<string, Set<GovernedConnection>>();
  readonly connections = new Set<GovernedConnection>();
  /** Pending TLS handshakes (TLS listeners only). */
  readonly handshakes: HandshakeBudget;
  private stopping = false;

  constructor(
    private readonly governor: ConnectionGovernor,
    private readonly options: GateOptions,
  ) {
    const net = governor.limits;
    this.listener = options.listener;
    // No listener may hold more than half the daemon-wide budget: the others keep room to serve.
    this.maxConnections = Math.min(options.maxConnections ?? net.listenerConnections, Math.max(1, Math.floor(governor.budget / 2)));
    this.perClient = options.perClient ?? net.clientConnections;
    this.limits = {
      firstByteMs: net.firstByteMs,
      frameMs: net.frameMs,
      idleMs: net.idleMs,
      outboundPauseBytes: net.outboundPauseBytes,
      outboundMaxBytes: net.outboundMaxBytes,
      ...options.limits,
    };
    governor.metrics.open.set({ listener: this.listener }, 0);
    this.handshakes = new HandshakeBudget({
      listenerHandshakes: Math.min(net.listenerHandshakes, this.maxConnections),
      clientHandshakes: net.clientHandshakes,
      clientHandshakesPerSecond: net.clientHandshakesPerSecond,
    });
  }

  /** A net.Server whose sockets come through this gate (paused until admitted). */
  server(onConnection: (connection: GovernedConnection) => void): Server {
    return createServer({ pauseOnConnect: true }, (socket) => {
      const connection = this.admit(socket);
      if (connection !== null) onConnection(connection);
    });
  }

  /**
   * The governed connection, resumed, or null when the socket was refused
   * (destroyed, counted, logged at a limited rate). Call on accept, before
   * any byte is read.
   */
  admit(socket: Socket): GovernedConnection | null {
    const client = socket.remoteAddress ?? '';
    let reason = this.refusal(client);
    if ((reason === 'listener_cap' || reason === 'fd_budget') && this.displaceFor(client)) reason = this.refusal(client);
    if (reason !== null) {
      socket.destroy();
      this.refused(reason, client);
      return null;
    }
    const governor = this.governor;
    governor.open++;
    const connection = new GovernedConnection(
      socket,
      client,
      this.limits,
      (why) => this.refused(why, client),
      () => governor.metrics.paused.inc({ listener: this.listener }),
      this.options.http === true,
    );
    this.connections.add(connection);
    if (client !== '') {
      const own = this.byClient.get(client);
      if (own === undefined) this.byClient.set(client, new Set([connection]));
      else own.add(connection);
    }
    governor.metrics.accepted.inc({ listener: this.listener });
    governor.metrics.open.inc({ listener: this.listener });
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.forget(connection));
    socket.resume();
    return connection;
  }

  /**
   * A TLS handshake is about to start on an admitted connection (call it
   * before wrapping the socket, then `connection.handshakeDone()` when the
   * handshake ends). False when the handshake budget refuses it: the
   * connection is cut and counted (handshake_client_cap, handshake_cap,
   * handshake_rate). A full listener first displaces the oldest pending
   * handshake of the client holding at least two more than this one.
   */
  handshake(connection: GovernedConnection): boolean {
    const budget = this.handshakes;
    const client = connection.client;
    let reason: RefusalReason | null = this.stopping ? 'stopping' : budget.refusal(client);
    if (reason === 'handshake_cap') {
      const victim = budget.displaceable(client);
      if (victim !== null) {
        this.handshakeEnded(victim);
        victim.cut('displaced');
        reason = budget.refusal(client);
      }
    }
    if (reason !== null) {
      connection.cut(reason);
      return false;
    }
    budget.add(connection);
    this.governor.metrics.handshakes.inc({ listener: this.listener });
    connection.handshakeStarted(() => this.handshakeEnded(connection));
    return true;
  }

  private handshakeEnded(connection: GovernedConnection): void {
    if (this.handshakes.remove(connection)) this.governor.metrics.handshakes.dec({ listener: this.listener });
  }

  /** Stops counting a connection (at close, or at once when displaced); false when it was already forgotten. */
  private forget(connection: GovernedConnection): boolean {
    this.handshakeEnded(connection);
    if (!this.connections.delete(connection)) return false;
    this.governor.open--;
    this.governor.metrics.open.dec({ listener: this.listener });
    const own = this.byClient.get(connection.client);
    if (own !== undefined) {
      own.delete(connection);
      if (own.size === 0) this.byClient.delete(connection.client);
    }
    return true;
  }

  /**
   * Makes room for `client` by cutting the oldest connection of the client
   * holding the most here, when that one holds at least two more than
   * `client` (so two attackers cannot take turns displacing each other's
   * last connection). True when a connection was cut.
   */
  private displaceFor(client: string): boolean {
    if (client === '') return false;
    const mine = this.byClient.get(client)?.size ?? 0;
    let heaviest: Set<GovernedConnection> | null = null;
    for (const own of this.byClient.values()) if (heaviest === null || own.size > heaviest.size) heaviest = own;
    if (heaviest === null || heaviest.size < mine + 2) return false;
    const oldest = heaviest.values().next().value as GovernedConnection;
    this.forget(oldest);
    oldest.socket.destroy();
    this.refused('displaced', oldest.client);
    return true;
  }

  /** Bytes held in user space for this listener's connections (unsent replies, unread input). */
  bufferedBytes(): number {
    let bytes = 0;
    for (const c of this.connections) bytes += c.bufferedBytes;
    return bytes;
  }

  get size(): number {
    return this.connections.size;
  }

  /** Refuses every new connection and destroys the open ones. */
  closeAll(): void {
    this.stopping = true;
    for (const c of [...this.connections]) c.socket.destroy();
  }

  private refusal(client: string): RefusalReason | null {
    if (this.stopping) return 'stopping';
    if (this.options.allows !== undefined && !this.options.allows(client)) return 'acl';
    if (this.governor.open >= this.governor.budget) return 'fd_budget';
    if (this.connections.size >= this.maxConnections) return 'listener_cap';
    if (client !== '' && (this.byClient.get(client)?.size ?? 0) >= this.perClient) return 'client_cap';
    return null;
  }

  private refused(reason: RefusalReason, client: string): void {
    this.governor.metrics.refused.inc({ listener: this.listener, reason });
    this.options.onRefused?.(reason);
    const held = this.governor.logLimit.take(`${this.listener}:${reason}`);
    if (held === null) return;
    this.governor.log.warn({ service: 'net', listener: this.listener, client, reason, ...suppressedField(held) }, `net: ${this.listener}: connection refused (${reason})`);
  }
}

const governors = new WeakMap<object, ConnectionGovernor>();

/**
 * The daemon's one governor (one per ServeContext, so the budget spans
 * every listener); contexts without a registry or serve.net (older tests)
 * get the defaults and a registry of their own.
 */
export function netGovernor(context: Pick<ServeContext, 'config' | 'log'> & { registry?: Registry }): ConnectionGovernor {
  let governor = governors.get(context);
  if (governor === undefined) {
    const limits = context.config?.serve?.net;
    governor = limits === undefined ? standaloneGovernor(context.log, context.registry) : new ConnectionGovernor(limits, context.log, context.registry ?? new Registry());
    governors.set(context, governor);
  }
  return governor;
}

/** A governor on the default limits, for a listener built outside a daemon (a test, a bench). */
export function standaloneGovernor(log: Logger, registry: Registry = new Registry()): ConnectionGovernor {
  return new ConnectionGovernor(defaultConfig().serve.net, log, registry);
}
