/**
 * The flow collector: one UDP socket receiving NetFlow v5/v9 and IPFIX from
 * exporters, decoded with the one decoder (sources/netflow) and one template
 * cache keyed per exporter (source ip:port) and observation domain; flows go
 * to the daemon's ObservationSink.flow, like every other flow input.
 *
 * UDP has no connection for the governor's gate to admit, so the datagram
 * path applies the same rules itself, in this order, each refusal counted by
 * reason (fluxhound_flows_refused_datagrams_total) and logged at the
 * governor's limited rate: the exporter ACL (serve.flows.exporters, loopback
 * by default, the ClientAcl the forwarder uses), the exporter cap, the
 * per-datagram byte cap and the decode queue's byte cap. Receiving only
 * queues; decoding happens in batches of `batch` datagrams per event-loop
 * turn, so a flood of exports cannot starve the DNS forwarder sharing the
 * loop. When decoding falls behind, the queue fills and drops (queue_full);
 * when receiving falls behind, the kernel's receive buffer (receiveBuffer)
 * absorbs the burst and then drops, counted from /proc/net/udp.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../../config/schema.js';
import { decodeDatagram, TemplateCache } from '../../sources/netflow/index.js';
import type { ObservationSink } from '../../sources/source.js';
import { ClientAcl } from '../acl.js';
import { isLoopback, literalLookup } from '../endpoint.js';
import { standaloneGovernor, suppressedField, type ConnectionGovernor, type LogRateLimit } from '../net/index.js';
import type { Service } from '../service.js';
import { account, ExporterTable, type ExporterStats } from './exporters.js';
import { udpLabel, type FlowListen } from './listen.js';
import { declareFlowMetrics } from './metrics.js';
import { exportHeader } from './sequence.js';
import { kernelDrops } from './socket-drops.js';

/** The largest UDP payload there is; longer never arrives, but the cap is the rule, not the transport's accident. */
export const MAX_DATAGRAM = 65_535;
/** Datagrams decoded per event-loop turn before other I/O (DNS) gets its turn. */
export const DECODE_BATCH = 64;

export type FlowRefusal = 'acl' | 'exporter_cap' | 'oversize' | 'queue_full' | 'stopping';

export interface FlowCollectorOptions {
  listen: FlowListen;
  /** Exporter networks (CIDR) read; others refused. */
  exporters: readonly string[];
  /** Where `exporters` came from, for error messages ('serve.flows.exporters', '--flows-exporter'). */
  exportersFrom?: string;
  maxExporters: number;
  /** SO_RCVBUF asked for, bytes. */
  receiveBuffer: number;
  templates: { lifetime: number; max: number };
  sink: ObservationSink;
  log: Logger;
  registry?: Registry;
  governor?: ConnectionGovernor;
  /** Per-datagram byte cap (default MAX_DATAGRAM). */
  maxDatagram?: number;
  /** Datagrams decoded per turn (default DECODE_BATCH). */
  batch?: number;
  /** Bytes waiting to be decoded at most (default: receiveBuffer). */
  maxQueueBytes?: number;
  /** Milliseconds; the wall clock when left out (tests move it). */
  now?: () => number;
}

interface Pending {
  bytes: Buffer;
  key: string;
  stats: ExporterStats;
}

export class FlowCollector implements Service {
  readonly name = 'flows';
  readonly flows = true;
  readonly templates: TemplateCache;
  readonly exporterTable: ExporterTable;
  readonly refusedBy = new Map<FlowRefusal, number>();
  /** Datagrams received from the socket, before any check: decoded + refused + queued. */
  received = 0;
  readonly registry: Registry;
  private acl: ClientAcl;
  private socket: UdpSocket | null = null;
  private queue: Pending[] = [];
  private head = 0;
  private queued = 0;
  private draining = false;
  private stopping = false;
  private readonly now: () => number;
  private readonly logLimit: LogRateLimit;
  private readonly batch: number;
  private readonly maxDatagram: number;
  private readonly maxQueueBytes: number;
  private grantedBuffer = 0;
  private boundPort = 0;
  private boundLabel: string;

  constructor(private readonly options: FlowCollectorOptions) {
    this.acl = new ClientAcl(options.exporters, options.exportersFrom ?? 'serve.flows.exporters');
    this.templates = new TemplateCache({ lifetimeSeconds: options.templates.lifetime, maxTemplates: options.templates.max });
    this.exporterTable = new ExporterTable(options.maxExporters, options.templates.lifetime * 1000);
    this.now = options.now ?? Date.now;
    this.boundLabel = options.listen.label;
    this.batch = Math.max(1, options.batch ?? DECODE_BATCH);
    this.maxDatagram = options.maxDatagram ?? MAX_DATAGRAM;
    this.maxQueueBytes = options.maxQueueBytes ?? options.receiveBuffer;
    this.logLimit = (options.governor ?? standaloneGovernor(options.log)).logLimiter('flows');
    this.registry = options.registry ?? new Registry();
    declareFlowMetrics(this.registry, {
      exporters: () => this.exporterTable.entries(),
      templatesLive: () => this.templatesLive(),
      refused: () => this.refusedBy,
      received: () => this.received,
      queuedBytes: () => this.queued,
      kernelDrops: () => (this.socket === null ? null : kernelDrops(this.port, this.options.listen.family)),
      receiveBuffer: () => this.grantedBuffer,
    });
  }

  /** The bound port (the one the kernel chose for port 0); 0 before start. Read once at bind: address() is a getsockname call. */
  get port(): number {
    return this.boundPort;
  }

  /** 'udp:127.0.0.1:PORT', with the bound port (the prefix of every flow's position). */
  get address(): string {
    return this.boundLabel;
  }

  async start(): Promise<void> {
    const { listen } = this.options;
    const socket = createSocket({ type: listen.family === 4 ? 'udp4' : 'udp6', lookup: literalLookup, recvBufferSize: this.options.receiveBuffer });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new Error(`flows: cannot listen on ${listen.label}: ${describeBindError(err)}`)));
      socket.bind({ port: listen.port, address: listen.host, exclusive: true }, () => resolve());
    });
    socket.removeAllListeners('error');
    socket.on('error', (err) => this.options.log.warn({ service: 'flows', err }, `flows: socket error: ${err.message}`));
    try {
      socket.setRecvBufferSize(this.options.receiveBuffer);
    } catch {
      // the kernel caps it (net.core.rmem_max); what it granted is reported below
    }
    this.grantedBuffer = socket.getRecvBufferSize();
    this.boundPort = socket.address().port;
    this.boundLabel = udpLabel(listen.host, this.boundPort);
    socket.on('message', (bytes, from) => this.receive(bytes, from));
    this.socket = socket;
    const nonLoopbackListen = !isLoopback(listen.host);
    this.options.log.info({ service: 'flows', listen: this.address, receiveBuffer: this.grantedBuffer, exporters: this.options.exporters }, `flows: listening on ${this.address}`);
    // Linux reports twice what it keeps (the bookkeeping share): less than asked means net.core.rmem_max capped it.
    if (this.grantedBuffer < this.options.receiveBuffer) {
      this.options.log.warn({ service: 'flows', asked: this.options.receiveBuffer, granted: this.grantedBuffer }, 'flows: the kernel granted a smaller receive buffer than serve.flows.receiveBuffer asks (raise net.core.rmem_max): bursts may be dropped');
    }
    if (nonLoopbackListen && this.options.exporters.every((cidr) => isLoopback(cidr.replace(/\/\d+$/, '')))) {
      this.options.log.warn({ service: 'flows', listen: this.address }, 'flows: listening beyond loopback but serve.flows.exporters admits loopback only: list your exporters there');
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const socket = this.socket;
    if (socket !== null) await new Promise<void>((resolve) => socket.close(() => resolve()));
    // What was received is decoded: the analysis gets every flow that reached us.
    while (this.head < this.queue.length) this.decodeSome(Number.MAX_SAFE_INTEGER);
    this.socket = null;
  }

  /** SIGHUP: the exporters ACL and cap of the next config, all or nothing (a bad CIDR rejects the reload). */
  async prepareReload(next: Config): Promise<() => void> {
    const flows = next.serve.flows;
    const fromFlag = this.options.exportersFrom !== undefined && this.options.exportersFrom !== 'serve.flows.exporters';
    const exporters = fromFlag ? this.options.exporters : flows.exporters;
    const acl = new ClientAcl(exporters, fromFlag ? this.options.exportersFrom : 'serve.flows.exporters');
    const templates = next.flows.templates;
    const atRestart = [
      flows.receiveBuffer !== this.options.receiveBuffer ? 'serve.flows.receiveBuffer' : null,
      templates.lifetime !== this.options.templates.lifetime || templates.max !== this.options.templates.max ? 'flows.templates' : null,
    ].filter((key) => key !== null);
    return () => {
      this.acl = acl;
      this.exporterTable.maxExporters = flows.maxExporters;
      this.options.log.info({ service: 'flows', exporters, maxExporters: flows.maxExporters }, 'flows: exporters reloaded');
      // The socket and the template cache are built once: say so rather than seem to apply them.
      if (atRestart.length > 0) this.options.log.warn({ service: 'flows', keys: atRestart }, `flows: ${atRestart.join(' and ')} changed: applied at the next start`);
    };
  }

  /** Receiving only checks and queues (cheap); decoding waits for the next turn. */
  private receive(bytes: Buffer, from: RemoteInfo): void {
    this.received++;
    if (this.stopping) return this.refuse('stopping', from.address);
    if (bytes.length > this.maxDatagram) return this.refuse('oversize', from.address);
    if (!this.acl.allows(from.address)) return this.refuse('acl', from.address);
    const key = from.family === 'IPv6' ? `[${from.address}]:${from.port}` : `${from.address}:${from.port}`;
    const stats = this.exporterTable.admit(key, this.now());
    if (stats === null) return this.refuse('exporter_cap', from.address);
    if (this.queued + bytes.length > this.maxQueueBytes) return this.refuse('queue_full', from.address);
    this.queue.push({ bytes, key, stats });
    this.queued += bytes.length;
    if (!this.draining) {
      this.draining = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.decodeSome(this.batch);
    if (this.head < this.queue.length) setImmediate(this.drain);
    else this.draining = false;
  };

  private decodeSome(limit: number): void {
    const end = Math.min(this.queue.length, this.head + limit);
    for (; this.head < end; this.head++) {
      const pending = this.queue[this.head]!;
      this.queued -= pending.bytes.length;
      this.decode(pending);
    }
    // Drop the consumed prefix now and then, not on every datagram (shift is O(n)).
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private decode({ bytes, key, stats }: Pending): void {
    const position = `${this.address} from ${key} datagram ${stats.datagrams + 1}`;
    const result = decodeDatagram(bytes, { exporter: key, cache: this.templates, position, now: this.now() / 1000 });
    account(stats, bytes.length, exportHeader(bytes), result.counts);
    const sink = this.options.sink;
    if (sink.flow !== undefined) {
      for (const flow of result.flows) {
        try {
          sink.flow(flow);
        } catch (err) {
          // A bug downstream (the analysis) must not take the collector down: log it, keep reading.
          const held = this.logLimit.take('internal');
          if (held !== null) this.options.log.error({ service: 'flows', exporter: key, err, ...suppressedField(held) }, `flows: internal error: ${(err as Error).message}`);
        }
      }
    }
    const damage = result.skipped[0];
    if (damage === undefined) return;
    const held = this.logLimit.take(`skip ${key}`);
    if (held !== null) this.options.log.warn({ service: 'flows', exporter: key, position: damage.position, skipped: result.skipped.length, ...suppressedField(held) }, `flows: skipped: ${damage.reason}`);
  }

  private refuse(reason: FlowRefusal, address: string): void {
    this.refusedBy.set(reason, (this.refusedBy.get(reason) ?? 0) + 1);
    // Keyed by reason alone: spoofed sources cannot buy a log line each.
    const held = this.logLimit.take(`refused ${reason}`);
    if (held !== null) this.options.log.warn({ service: 'flows', exporter: address, reason, ...suppressedField(held) }, `flows: datagram refused (${reason})`);
  }

  /** Templates live per tracked exporter (the cache is keyed 'ip:port/domain'). */
  private templatesLive(): Map<string, number> {
    const live = new Map<string, number>();
    for (const [domainKey, n] of this.templates.liveByDomain(this.now() / 1000)) {
      const key = domainKey.slice(0, domainKey.lastIndexOf('/'));
      if (this.exporterTable.get(key) !== undefined) live.set(key, (live.get(key) ?? 0) + n);
    }
    return live;
  }
}

function describeBindError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'address in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EADDRNOTAVAIL') return 'no such local address';
  return err.message;
}
