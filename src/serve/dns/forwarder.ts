/**
 * The 'dns' service: a Protective DNS forwarder on UDP and TCP. Per query:
 * size cap → client ACL (REFUSED) → per-client rate limit (dropped) → header
 * and question → policy for flagged names → cache → upstream (SERVFAIL when
 * every upstream times out, or the client has no pending slot left). Every
 * upstream answer is queued for the detector; when the queue is full the
 * answer is still forwarded (fail-open) and counted. Every answer sent is
 * counted by rcode and qtype and timed (metrics.ts). Nothing a client sends
 * can throw out of here. After the policy step every query is counted for
 * the console's charts and, as serve.querylog says, recorded in the query
 * log with the rcode of the answer sent (query-log.ts).
 *
 * Threat intelligence (intel.ts), only while a feed is loaded: a name a feed
 * lists is answered by the feed's action (block: as fast flux; log: answered
 * normally and recorded), its listing verdict put in the flagged set; the
 * allowlist wins. An upstream answer holding an address a feed lists waits
 * for the detector to see it (at most intelHoldMs; fail-open when the queue
 * is full), then the name is checked again, so a never-seen name resolving
 * into listed infrastructure is blocked on its first lookup.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Config, PolicyAction } from '../../config/schema.js';
import type { QueryAction } from '../../model/query-log.js';
import type { Verdict } from '../../model/verdict.js';
import { decodeMessage, observationOf } from '../../sources/dns-wire/index.js';
import type { ServeContext, Service } from '../service.js';
import { literalLookup, upstreamLabel, type Endpoint } from '../endpoint.js';
import { ClientAcl } from '../acl.js';
import { netGovernor } from '../net/index.js';
import { DnsTcpListener, MAX_QUERY_BYTES } from './tcp.js';
import { reloadTlsFiles } from '../http/listener.js';
import type { TlsFiles } from '../http/tls.js';
import { DnsDohListener, type DohCounters } from './doh.js';
import { TICKET_KEY_ROTATE_MS, TlsTicketContext } from './dot-sessions.js';
import { withoutHopOptions } from './hop-options.js';
import { liveAllowlist, type LiveAllowlist } from '../../act/rpz/allowlist.js';
import { AnswerCache } from './cache.js';
import { DetectionQueue } from './detection-queue.js';
import { ForwarderIntel, DEFAULT_MAX_LISTINGS } from './intel.js';
import { DnsCounts, registerDnsMetrics, TRANSPORT_SLOT, type DnsMetricSource, type DnsTransport } from './metrics.js';
import { Policy } from './policy.js';
import { QueryLogRecorder } from './query-log.js';
import { ClientRateLimit } from './rate-limit.js';
import { logRefusedUpstream, Upstreams } from './upstream.js';
import { reloadUpstreamCa, type UpstreamCaSource } from './upstream-ca.js';
import { emptyAnswer, isTruncated, newQueryInfo, queryName, RCODE_FORMERR, RCODE_NOTIMP, RCODE_REFUSED, RCODE_SERVFAIL, readQuery, setId, type QueryInfo } from './wire.js';

export interface ForwarderOptions {
  listen: Endpoint;
  upstreams: Endpoint[];
  /** PEM CA bundle for tls:// upstreams; undefined = the system roots. */
  upstreamCa?: Buffer | undefined;
  /** Where upstreamCa came from, re-read on SIGHUP; absent = never re-read. */
  upstreamCaSource?: UpstreamCaSource;
  /** Connections to encrypted upstreams (serve.dns.upstreamTls). */
  upstreamTls?: { maxInFlight: number; connections: number };
  allow: string[];
  rateLimit: number;
  timeout: number;
  /** Bytes the answer cache may hold; 0 = no cache. */
  cacheBytes: number;
  /** Largest answer cached, bytes. */
  cacheAnswerBytes: number;
  maxTtl: number;
  maxPending: number;
  /** Queries one client address may have waiting for an upstream. */
  maxPendingPerClient: number;
  detectorQueue: number;
  /** Milliseconds an answer holding a listed address waits for the detector before it is sent unchecked. Default 250. */
  intelHoldMs?: number;
  /** Listing verdicts this forwarder keeps in the flagged set (the oldest leaves first). Default 65536. */
  maxIntelListings?: number;
  /** DNS over TLS (serve.dns.dot): where, and the certificate and key files; absent or null = off. */
  dot?: TlsListenerOptions | null;
  /** DNS over HTTPS (serve.dns.doh, doh.ts): the same shape; absent or null = off. */
  doh?: TlsListenerOptions | null;
}

/** An encrypted listener of the forwarder (DoT, DoH): its address and certificate files. */
export interface TlsListenerOptions {
  listen: Endpoint;
  tls: TlsFiles;
  /** The files came as flags: a reload re-reads them, whatever the next config says. */
  fixedFiles?: boolean;
  /**
   * DoT only (serve.dns.dot.customerDomain, --dot-customer-domain): SNI
   * LABEL.customerDomain names customer LABEL; lower case, no trailing dot.
   * Absent or null = the address decides.
   */
  customerDomain?: string | null;
  /** DoT: milliseconds a connection may rest between queries (serve.dns.dot.idleMs); serve.net.idleMs when left out. */
  idleMs?: number;
  /** DoT: queries of one connection waiting for answers at once (serve.dns.dot.maxInFlight); 32 when left out. */
  maxInFlight?: number;
  /** Client networks (CIDR) this listener serves (--dot-allow, --doh-allow); absent = ForwarderOptions.allow. */
  allow?: string[];
  /** Serve only clients that name a configured customer (DoT SNI label, DoH path); others REFUSED (DoT) or 403 (DoH). */
  requireCustomer?: boolean;
}

/** What `done` gets in place of the upstream when the answer comes back from the detector's hold. */
const HELD = Symbol('held');

/** How long an answer pointing into listed infrastructure may wait for the detector: well under a resolver's retry. */
export const DEFAULT_INTEL_HOLD_MS = 250;

export type Reply = (answer: Buffer) => void;

/** Fresh port-0 picks tried when the UDP port's TCP twin is taken. */
const PORT_ZERO_ATTEMPTS = 8;

export interface ForwarderStats {
  udpQueries: number;
  tcpQueries: number;
  /** DNS over TLS. */
  tlsQueries: number;
  /** DNS over HTTPS. */
  httpsQueries: number;
  cacheHits: number;
  cacheMisses: number;
  refused: number;
  rateLimited: number;
  malformed: number;
  oversized: number;
  servfail: number;
  truncated: number;
  logged: number;
  allowlisted: number;
  tcpHeld: number;
  sendErrors: number;
  /** DoT connections whose SNI label under customerDomain names no configured customer (attributed by address instead). */
  unknownSniCustomers: number;
  /** DoT queries REFUSED because the connection named no configured customer (serve.dns.dot.requireCustomer). */
  customerRequired: number;
  /**
   * Queries whose client named one customer (a DoT SNI label, a DoH path)
   * from an address that belongs to another: attributed by address instead.
   */
  mismatchedTlsCustomers: number;
  mismatchedHttpsCustomers: number;
  /** "action\0verdict" → queries answered by policy. */
  blocked: Map<string, number>;
}

export class DnsForwarder implements Service, DnsMetricSource {
  readonly name = 'dns';
  readonly stats: ForwarderStats = {
    udpQueries: 0,
    tcpQueries: 0,
    tlsQueries: 0,
    httpsQueries: 0,
    cacheHits: 0,
    cacheMisses: 0,
    refused: 0,
    rateLimited: 0,
    malformed: 0,
    oversized: 0,
    servfail: 0,
    truncated: 0,
    logged: 0,
    allowlisted: 0,
    tcpHeld: 0,
    sendErrors: 0,
    unknownSniCustomers: 0,
    customerRequired: 0,
    mismatchedTlsCustomers: 0,
    mismatchedHttpsCustomers: 0,
    blocked: new Map(),
  };
  /** Responses and durations, counted on the query path and read by /metrics. */
  readonly counts = new DnsCounts();
  readonly cache: AnswerCache;
  readonly upstreams: Upstreams;
  readonly detection: DetectionQueue;
  /** Feed listings and held answers (intel.ts); idle while ServeContext.intel has no index. */
  readonly intel: ForwarderIntel;
  /** Who may ask, by TRANSPORT_SLOT: UDP and TCP share --allow; DoT and DoH have their own lists (--dot-allow, --doh-allow). */
  private readonly acls: ClientAcl[];
  /** DoT (serve.dns.dot.requireCustomer): a query from a connection that named no configured customer is REFUSED. */
  private readonly dotNeedsCustomer: boolean;
  private readonly rate: ClientRateLimit;
  private policy: Policy;
  /** What the query log records and counts (serve.querylog; reload swaps its switches). */
  readonly querylog: QueryLogRecorder;
  /** The daemon's one allowlist, shared with FlaggedDomains and the other services. */
  private readonly allow: LiveAllowlist;
  private readonly q = newQueryInfo();
  private udp: UdpSocket | null = null;
  /** DNS over TCP, through the connection governor (tcp.ts). */
  readonly tcp: DnsTcpListener;
  /** DNS over TLS (RFC 7858), through the governor as 'dns-tls'; null when off. */
  readonly dot: DnsTcpListener | null = null;
  /** The DoT certificate and its session tickets (dot-sessions.ts); null when off. */
  readonly dotTls: TlsTicketContext | null = null;
  /** DNS over HTTPS, through the same governor (doh.ts); null when off. */
  readonly doh: DnsDohListener | null = null;
  /** The DoH certificate and its session tickets, as DoT's; its keys rotate on a timer (DoH's server keeps its own context). */
  readonly dohTls: TlsTicketContext | null = null;
  private dohRotation: NodeJS.Timeout | null = null;
  /** DoT: SNI LABEL.customerDomain → customer id, by lower-case label (sniCustomer). */
  private readonly sniCustomers = new Map<string, string>();
  private readonly customerDomain: string | null;
  private stopped = false;
  /**
   * The client of the UDP query being handled. Answers sent before handle()
   * returns (cache hits, policy, errors) all go through `replyNow`, one
   * function for every query instead of a closure per query; a query that
   * waits for an upstream gets its own (udpReplyTo).
   */
  private udpAddress = '';
  private udpPort = 0;
  private readonly replyNow: Reply = (answer) => this.udp?.send(answer, this.udpPort, this.udpAddress);

  constructor(
    readonly options: ForwarderOptions,
    private readonly context: ServeContext,
  ) {
    const acl = new ClientAcl(options.allow);
    const listenerAcl = (listener: TlsListenerOptions | null | undefined): ClientAcl => (listener?.allow === undefined ? acl : new ClientAcl(listener.allow));
    this.acls = [acl, acl, listenerAcl(options.dot), listenerAcl(options.doh)];
    this.dotNeedsCustomer = options.dot?.requireCustomer === true;
    this.rate = new ClientRateLimit(options.rateLimit);
    this.cache = new AnswerCache(options.cacheBytes, options.cacheAnswerBytes, options.maxTtl);
    this.upstreams = new Upstreams(options.upstreams, { timeout: options.timeout, maxPending: options.maxPending, maxPendingPerClient: options.maxPendingPerClient,
      tlsCa: options.upstreamCa, tlsMaxInFlight: options.upstreamTls?.maxInFlight, tlsConnections: options.upstreamTls?.connections,
      onTlsError: logRefusedUpstream(context, this.name),
    });
    this.policy = new Policy(context.config.policy);
    this.querylog = new QueryLogRecorder(context, context.config.serve.querylog);
    this.allow = liveAllowlist(context.config);
    this.intel = new ForwarderIntel(context.flagged, options.maxIntelListings ?? DEFAULT_MAX_LISTINGS, context.flag);
    this.detection = new DetectionQueue(options.detectorQueue, (answer, ts, client, customer) => {
      const message = decodeMessage(answer);
      if (typeof message === 'string') return false;
      const observation = observationOf(message, ts, client);
      if (observation === null) return true;
      // The exposure report (../querylog) names this customer for a client that got the answer before a flag.
      if (customer !== null) observation.customer = customer;
      context.observations.observe(observation);
      return true;
    });
    registerDnsMetrics(context.registry, this);
    context.detectorBacklogs?.add(this.detection);
    const governor = netGovernor(context);
    this.tcp = new DnsTcpListener({
      gate: governor.gate({
        listener: 'dns-tcp',
        allows: this.allows(1),
      }),
      handle: (query, client, reply) => this.handle(query, client, reply, 'tcp'),
      stats: this.stats,
      log: context.log,
      logLimit: governor.logLimiter('dns'),
      keepaliveMs: governor.limits.idleMs,
    });
    const dot = options.dot ?? null;
    this.customerDomain = dot?.customerDomain ?? null;
    // Ids with a '.' cannot be one SNI label; of two ids equal but for case, the first configured is named.
    for (const c of context.customers.customers) {
      const label = c.id.toLowerCase();
      if (!label.includes('.') && !this.sniCustomers.has(label)) this.sniCustomers.set(label, c.id);
    }
    if (dot !== null) {
      this.dotTls = new TlsTicketContext(dot.tls);
      const dotTls = this.dotTls;
      this.dot = new DnsTcpListener({
        // RFC 7858 section 3.4: DoT connections are worth keeping longer than plain TCP (the governor keeps the deadline).
        gate: governor.gate({ listener: 'dns-tls', allows: this.allows(2), limits: { idleMs: dot.idleMs ?? governor.limits.idleMs } }),
        handle: (query, client, reply, customer) => this.handle(query, client, reply, 'tls', customer),
        ...(this.customerDomain === null ? {} : { customerOf: (servername: string | null) => this.sniCustomer(servername) }),
        stats: this.stats,
        log: context.log,
        logLimit: governor.logLimiter('dns'),
        secureContext: () => dotTls.current(),
        transport: 'tls',
        pad: true,
        keepaliveMs: dot.idleMs ?? governor.limits.idleMs,
        maxInFlight: dot.maxInFlight,
      });
    }
    const doh = options.doh ?? null;
    if (doh !== null) {
      this.dohTls = new TlsTicketContext(doh.tls);
      this.doh = new DnsDohListener({
        gate: governor.gate({ listener: 'dns-doh', http: true, allows: this.allows(3) }),
        handle: (query, client, customer, reply) => this.handle(query, client, reply, 'https', customer),
        knowsCustomer: (id) => context.customers.get(id) !== null,
        requireCustomer: doh.requireCustomer === true,
        credentials: this.dohTls.serverOptions(),
        log: context.log,
        logLimit: governor.logLimiter('dns'),
      });
    }
  }

  /** The governor's accept check for the listener of TRANSPORT_SLOT `slot`: its own client list, a refusal counted. */
  private allows(slot: number): (address: string) => boolean {
    const acl = this.acls[slot]!;
    return (address) => {
      const ok = acl.allows(address);
      if (!ok) this.stats.refused++;
      return ok;
    };
  }

  /**
   * The customer a DoT client's SNI names: LABEL.customerDomain (letters
   * folded) → the configured customer LABEL. Null (the address decides)
   * for no SNI, the domain itself or a name outside it; a name under it that
   * names no customer (an unknown label, several labels) is null too, and
   * counted: a client cannot invent report rows.
   */
  private sniCustomer(servername: string | null): string | null {
    const domain = this.customerDomain;
    if (servername === null || domain === null) return null;
    const name = servername.toLowerCase();
    const cut = name.length - domain.length - 1;
    if (cut < 1 || name.charCodeAt(cut) !== 46 || !name.endsWith(domain)) return null;
    const id = this.sniCustomers.get(name.slice(0, cut));
    if (id !== undefined) return id;
    this.stats.unknownSniCustomers++;
    return null;
  }

  /** The DNS over TLS port bound (useful with port 0); 0 when off. */
  get dotPort(): number {
    return this.dot?.port ?? 0;
  }

  /** The DoH port bound (useful with port 0); 0 when off. */
  get dohPort(): number {
    return this.doh?.port ?? 0;
  }

  private async bindUdp(listen: Endpoint): Promise<UdpSocket> {
    const udp = createSocket({ type: listen.family === 4 ? 'udp4' : 'udp6', lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (err) => reject(new Error(`dns: cannot listen on ${listen.host}:${listen.port}/udp: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      udp.bind(listen.port, listen.host, () => resolve());
    });
    udp.removeAllListeners('error');
    udp.on('error', () => this.stats.sendErrors++);
    try {
      udp.setRecvBufferSize(8 << 20);
      udp.setSendBufferSize(8 << 20);
    } catch {
      // the kernel may cap buffer sizes; the defaults work
    }
    udp.on('message', (bytes, from) => this.onUdp(bytes, from.address, from.port));
    return udp;
  }

  /** The UDP and TCP port bound (useful with port 0). */
  get port(): number {
    const address = this.udp?.address();
    return address === undefined ? 0 : address.port;
  }

  async start(): Promise<void> {
    const { listen } = this.options;
    // Port 0 picks a free UDP port; its TCP twin may be taken by someone else, so a few fresh picks are tried.
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(listen);
      this.udp = udp;
      try {
        await this.tcp.listen(listen.host, this.port);
        break;
      } catch (err) {
        this.udp = null;
        udp.close();
        if (listen.port !== 0 || attempt >= PORT_ZERO_ATTEMPTS || !String((err as Error).message).endsWith('EADDRINUSE')) throw err;
      }
    }
    const udp = this.udp as UdpSocket;
    const dot = this.options.dot ?? null;
    if (this.dot !== null && dot !== null) {
      await this.dot.listen(dot.listen.host, dot.listen.port).catch(async (err: unknown) => {
        udp.close();
        await this.tcp.close();
        throw err;
      });
      this.context.log.info({ service: this.name, listen: `${dot.listen.host}:${this.dot.port}` }, 'dns: DNS over TLS');
    }
    const doh = this.options.doh ?? null;
    if (this.doh !== null && doh !== null) {
      await this.doh.listen(doh.listen.host, doh.listen.port).catch(async (err: unknown) => {
        udp.close();
        await Promise.all([this.tcp.close(), this.dot?.close()]);
        throw err;
      });
      this.context.log.info({ service: this.name, listen: `${doh.listen.host}:${this.doh.port}` }, 'dns: DNS over HTTPS');
      this.dohRotation = setInterval(() => this.rotateDohTickets(), TICKET_KEY_ROTATE_MS).unref();
    }
    this.upstreams.start();
    this.context.log.info({ service: this.name, listen: `${listen.host}:${this.port}`, upstreams: this.options.upstreams.map(upstreamLabel) }, 'dns: forwarding');
  }

  /** New DoH ticket keys (hourly, as DoT's): tickets issued so far no longer resume. */
  rotateDohTickets(): void {
    if (this.dohTls === null || this.doh === null) return;
    this.dohTls.rotate();
    this.doh.useCredentials(this.dohTls.serverOptions());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.dohRotation !== null) clearInterval(this.dohRotation);
    this.upstreams.stop();
    this.detection.drainAll();
    await Promise.all([new Promise<void>((resolve) => (this.udp === null ? resolve() : this.udp.close(() => resolve()))), this.tcp.close(), this.dot?.close(), this.doh?.close()]);
    this.udp = null;
  }

  /** SIGHUP: the policy actions and sinkhole of the next config, taken when every service accepted it (the daemon reloads the allowlist). */
  /** A listener's next certificate and key (the flags' files, else the next config's), read and checked; null when it is off. */
  private prepareTls(tls: TlsTicketContext | null, listener: TlsListenerOptions | null | undefined, next: { cert: string | null; key: string | null }): (() => void) | null {
    if (tls === null) return null;
    const files = reloadTlsFiles('dns', tls.tlsFiles, listener?.fixedFiles ?? true, next);
    return files === null ? null : tls.prepare(files);
  }

  async prepareReload(next: Config): Promise<() => void> {
    const policy = new Policy(next.policy);
    // DoT's and DoH's certificates: a bad file refuses the whole reload and the running contexts stay.
    const takeDotFiles = this.prepareTls(this.dotTls, this.options.dot, next.serve.dns.dot.tls);
    const takeDohFiles = this.prepareTls(this.dohTls, this.options.doh, next.serve.dns.doh.tls);
    // The upstreams' CA: a bad file refuses the whole reload too.
    const upstreamCa = reloadUpstreamCa(this.options.upstreamCaSource, next);
    return () => {
      if (upstreamCa !== null) this.upstreams.setTlsCa(upstreamCa.ca);
      takeDotFiles?.();
      this.policy = policy;
      if (takeDohFiles !== null && this.dohTls !== null) {
        takeDohFiles();
        this.doh?.useCredentials(this.dohTls.serverOptions());
      }
      this.querylog.configure(next.serve.querylog);
    };
  }

  /**
   * One query from one client; `reply` sends an answer back (at most once,
   * now or later). `transport`: how it came (its metrics label; over UDP the
   * client's EDNS size applies). `customer`: the configured customer id the
   * client named (a DoH path, a DoT SNI label; checked by the listener). It
   * only attributes a client whose address belongs to no customer (roaming)
   * or to that same one: a client inside beta's networks naming acme is
   * attributed to beta and counted, so no client can put rows into another
   * customer's reports. null = by address.
   * Returns false when the query is dropped and `reply` will never be called.
   */
  handle(bytes: Buffer, client: string, reply: Reply, transport: DnsTransport, customer: string | null = null): boolean {
    const arrived = performance.now();
    const slot = TRANSPORT_SLOT[transport];
    const udp = slot === 0;
    const stats = this.stats;
    if (customer !== null) {
      const own = this.context.customers.customerOf(client)?.id ?? null;
      if (own !== null && own !== customer) {
        if (slot === 2) stats.mismatchedTlsCustomers++;
        else stats.mismatchedHttpsCustomers++;
        customer = null;
      }
    }
    if (udp) stats.udpQueries++;
    else if (slot === 1) stats.tcpQueries++;
    else if (slot === 2) stats.tlsQueries++;
    else stats.httpsQueries++;
    if (bytes.length > MAX_QUERY_BYTES) {
      this.stats.oversized++;
      return false;
    }
    const q = this.q;
    const acl = this.acls[slot]!;
    // A DoT connection that named no customer where one must: no answers from here, whoever the address is.
    const nameless = slot === 2 && customer === null && this.dotNeedsCustomer;
    if (nameless || !acl.allows(client)) {
      if (nameless) stats.customerRequired++;
      else stats.refused++;
      if (readQuery(bytes, bytes.length, q) !== null) return false;
      this.respond(reply, emptyAnswer(bytes, q.questionEnd, RCODE_REFUSED), q.qtype, slot, arrived);
      return true;
    }
    const now = Date.now();
    if (!this.rate.allow(client, now)) {
      this.stats.rateLimited++;
      return false;
    }
    const problem = readQuery(bytes, bytes.length, q);
    if (problem !== null) {
      this.stats.malformed++;
      // Never answer a response (no reflection loops) or a message without a header.
      if (problem === 'response' || problem === 'header') return false;
      this.respond(reply, emptyAnswer(bytes, 0, problem === 'opcode' ? RCODE_NOTIMP : RCODE_FORMERR), -1, slot, arrived);
      return true;
    }
    // After the policy step every query is counted (per minute and customer); serve.querylog says which are recorded.
    const ts = now / 1000;
    const ql = this.querylog;
    let logged: Verdict | null = null;
    let name: string | null = null;
    // Read once per query and never kept (intel/view.ts); null while no feed is loaded, and then intel costs nothing here.
    const index = this.context.intel?.current() ?? null;
    if (this.context.flagged.size > 0 || index !== null) {
      const qname = queryName(bytes, q);
      let verdict = this.context.flagged.size > 0 ? this.context.flagged.match(qname) : null;
      if (verdict === null && index !== null) verdict = this.intel.listing(index, qname, now, this.allow.isAllowed);
      if (verdict !== null) {
        if (this.allow.isAllowed(qname)) this.stats.allowlisted++;
        else {
          const action = this.policy.actionFor(verdict);
          if (action !== 'log') {
            this.countBlock(action, verdict.verdict);
            if (verdict.intel !== undefined) this.intel.countBlocked(verdict);
            const answer = this.policy.answer(action, bytes, q);
            if (answer !== null) this.respond(reply, answer, q.qtype, slot, arrived);
            ql.count(ts, client, customer, action);
            if (ql.enabled) ql.record(ts, client, customer, qname, q.qtype, action, answer === null ? -1 : answer[3]! & 15, verdict);
            return answer !== null;
          }
          this.stats.logged++;
          if (verdict.intel !== undefined) this.intel.countLogged(verdict);
          this.context.log.debug({ service: this.name, qname, client, verdict: verdict.verdict, score: verdict.score }, 'dns: flagged name answered (policy log)');
          logged = verdict;
          name = qname;
        }
      }
    }
    const passed: QueryAction = logged === null ? 'pass' : 'log';
    // Recorded once the answer is sent, with its rcode; the name text only for a query that is recorded.
    const record = logged === null ? ql.samplePass() : ql.enabled;
    if (record && name === null) name = queryName(bytes, q);
    const key = AnswerCache.key(bytes, q);
    const cached = this.cache.answer(key, bytes, q, now);
    if (cached !== null) {
      ql.count(ts, client, customer, passed);
      this.stats.cacheHits++;
      this.send(cached, q.udpSize, q.questionEnd, q.qtype, bytes, reply, slot, arrived);
      if (record) ql.record(ts, client, customer, name!, q.qtype, passed, cached[3]! & 15, logged);
      return true;
    }
    this.stats.cacheMisses++;
    const { id, questionEnd, udpSize, qtype } = q;
    // The cache reads the query's header bits and EDNS from these when the answer comes (q is reused by then).
    const asked = { ...q };
    if (reply === this.replyNow) reply = this.udpReplyTo(this.udpAddress, this.udpPort);
    // `held` (the upstream's place in AnswerCallback, which this does not read): the detector saw this answer already (holdForDetector) and the name was not blocked since.
    const done = (answer: Buffer | null, held: unknown = null): void => {
      if (this.stopped) return;
      if (answer === null) {
        ql.count(ts, client, customer, passed);
        this.stats.servfail++;
        this.respond(reply, emptyAnswer(bytes, questionEnd, RCODE_SERVFAIL), qtype, slot, arrived);
        if (record) ql.record(ts, client, customer, name!, qtype, passed, RCODE_SERVFAIL, logged);
        return;
      }
      // The upstream's keepalive and padding describe its hop, not this one (hop-options.ts).
      answer = withoutHopOptions(answer);
      if (held !== HELD && !isTruncated(answer)) {
        const at = Date.now();
        // A name already flagged (answered under policy log) needs no second look.
        const index = logged === null ? (this.context.intel?.current() ?? null) : null;
        if (index !== null && this.intel.listedAddress(index, answer, questionEnd, at, this.context.infra ?? null) !== null) {
          this.holdForDetector(answer, at, client, customer, (examined) => {
            // Cached only now: a second query during the hold must not get the answer from the cache unchecked.
            this.cache.store(key, answer, bytes, asked, Date.now());
            if (!examined || !this.blockAfterDetection(bytes, asked, client, customer, ts, reply, slot, arrived)) done(answer, HELD);
          });
          return;
        }
        this.cache.store(key, answer, bytes, asked, at);
        this.detection.push(answer, at / 1000, client, undefined, customer);
      }
      // Counted when the answer goes: a held answer may yet have been blocked.
      ql.count(ts, client, customer, passed);
      setId(answer, id);
      this.send(answer, udpSize, questionEnd, qtype, bytes, reply, slot, arrived);
      if (record) ql.record(ts, client, customer, name!, qtype, passed, answer[3]! & 15, logged);
    };
    // UDP clients: UDP (a TC answer goes back and they ask again over TCP). TCP clients mostly came for
    // an answer too big for UDP: TCP. DoT/DoH: UDP first, TCP only for a TC answer (Upstreams.askStream).
    if (udp) this.upstreams.ask(bytes, questionEnd, client, done);
    else if (slot === 1) this.upstreams.askTcp(bytes, questionEnd, client, done);
    else this.upstreams.askStream(bytes, questionEnd, client, done);
    return true;
  }

  /**
   * Queues an answer that points into listed infrastructure for the
   * detector and calls `then(true)` once it has been examined, or
   * `then(false)` when it could not be (the queue full: at once; not
   * examined within intelHoldMs: then), so the caller sends it unchecked
   * (fail-open, counted). `then` runs once; never after stop().
   */
  private holdForDetector(answer: Buffer, at: number, client: string, customer: string | null, then: (examined: boolean) => void): void {
    const stats = this.intel.stats;
    stats.held++;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled || this.stopped) return;
      settled = true;
      stats.holdTimeouts++;
      then(false);
    }, this.options.intelHoldMs ?? DEFAULT_INTEL_HOLD_MS);
    const examined = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!this.stopped) then(true);
    };
    const queued = this.detection.push(answer, at / 1000, client, examined, customer);
    if (!queued) {
      settled = true;
      clearTimeout(timer);
      stats.holdFailOpen++;
      then(false);
    }
  }

  /**
   * After the detector saw a held answer: the policy answer when the name is
   * now flagged (and not allowlisted, and its action blocks), sent, counted
   * and recorded; false when the real answer is to go.
   */
  private blockAfterDetection(query: Buffer, asked: QueryInfo, client: string, customer: string | null, ts: number, reply: Reply, transport: number, arrived: number): boolean {
    const qname = queryName(query, asked);
    const verdict = this.context.flagged.match(qname);
    if (verdict === null || this.allow.isAllowed(qname)) return false;
    const action = this.policy.actionFor(verdict);
    if (action === 'log') return false;
    this.countBlock(action, verdict.verdict);
    if (verdict.intel !== undefined) this.intel.countBlocked(verdict);
    const answer = this.policy.answer(action, query, asked);
    if (answer !== null) this.respond(reply, answer, asked.qtype, transport, arrived);
    const ql = this.querylog;
    ql.count(ts, client, customer, action);
    if (ql.enabled) ql.record(ts, client, customer, qname, asked.qtype, action, answer === null ? -1 : answer[3]! & 15, verdict);
    return true;
  }

  /** `transport`: its TRANSPORT_SLOT (0 = UDP, where the client's size truncates). */
  private send(answer: Buffer, udpSize: number, questionEnd: number, qtype: number, query: Buffer, reply: Reply, transport: number, arrived: number): void {
    if (transport === 0 && answer.length > udpSize) {
      // Too big for the client's UDP size: TC, and it asks again over TCP.
      this.stats.truncated++;
      this.respond(reply, emptyAnswer(query, questionEnd, answer[3]! & 15, true), qtype, transport, arrived);
      return;
    }
    this.respond(reply, answer, qtype, transport, arrived);
  }

  /** Sends an answer and counts it: its rcode, the query's type (-1: none read), its time since the query arrived. */
  private respond(reply: Reply, answer: Buffer, qtype: number, transport: number, arrived: number): void {
    reply(answer);
    this.counts.answered(answer[3]! & 15, qtype, transport, performance.now() - arrived);
  }

  /** Every upstream down (health() of Service): the forwarder can answer only from its cache. */
  health(): string | null {
    return this.upstreams.health.problem(Date.now());
  }

  private countBlock(action: PolicyAction, verdict: string): void {
    const key = `${action}\0${verdict}`;
    this.stats.blocked.set(key, (this.stats.blocked.get(key) ?? 0) + 1);
  }

  private udpReplyTo(address: string, port: number): Reply {
    return (answer) => this.udp?.send(answer, port, address);
  }

  private onUdp(bytes: Buffer, address: string, port: number): void {
    this.udpAddress = address;
    this.udpPort = port;
    try {
      this.handle(bytes, address, this.replyNow, 'udp');
    } catch (err) {
      // A bug must cost one query, not the resolver.
      this.stats.malformed++;
      this.context.log.error({ service: this.name }, `dns: query failed: ${(err as Error).message}`);
    }
  }

  counters(): Record<string, number> {
    const s = this.stats;
    const u = this.upstreams.stats;
    const tls = this.upstreams.tlsTotals();
    const d = this.detection.stats;
    return {
      cache_hits_total: s.cacheHits,
      cache_misses_total: s.cacheMisses,
      cache_evictions_total: this.cache.stats.evictions,
      cache_too_large_total: this.cache.stats.tooLarge,
      logged_total: s.logged,
      allowlisted_total: s.allowlisted,
      refused_total: s.refused,
      rate_limited_total: s.rateLimited,
      malformed_total: s.malformed,
      oversized_total: s.oversized,
      servfail_total: s.servfail,
      truncated_total: s.truncated,
      tcp_held_total: s.tcpHeld,
      upstream_queries_total: u.udpQueries + u.tcpQueries + u.tlsQueries,
      upstream_udp_queries_total: u.udpQueries,
      upstream_tcp_queries_total: u.tcpQueries,
      upstream_truncated_retries_total: u.truncatedRetries,
      upstream_tls_queries_total: u.tlsQueries,
      upstream_tls_connects_total: tls.connects,
      upstream_tls_handshake_failures_total: tls.handshakeFailures,
      upstream_tls_waited_total: tls.waited,
      upstream_tls_resumed_total: tls.resumed,
      upstream_tls_discarded_total: tls.discarded,
      upstream_timeouts_total: u.timeouts,
      upstream_mismatched_total: u.mismatched + tls.mismatched,
      upstream_overflow_total: u.overflow,
      upstream_client_overflow_total: u.clientOverflow,
      upstream_jostled_total: u.jostled,
      upstream_socket_errors_total: u.socketErrors,
      detector_fail_open_total: d.failOpen,
      detector_decode_errors_total: d.undecodable,
      querylog_recorded_total: this.querylog.recorded,
      intel_listings_total: this.intel.stats.listings,
      intel_listings_evicted_total: this.intel.stats.evicted,
      intel_held_total: this.intel.stats.held,
      intel_hold_timeouts_total: this.intel.stats.holdTimeouts,
      intel_hold_fail_open_total: this.intel.stats.holdFailOpen,
    };
  }

  gauges(): Record<string, number> {
    return {
      cache_entries: this.cache.size,
      cache_bytes: this.cache.bytes,
      cache_max_bytes: this.options.cacheBytes,
      upstream_pending: this.upstreams.inFlight,
      upstream_pending_clients: this.upstreams.budget.clients,
      detector_queue: this.detection.length,
      detector_lag_seconds: this.detection.stats.lagSeconds,
      detector_behind: this.detection.full ? 1 : 0,
    };
  }

  blocked(): ReadonlyMap<string, number> {
    return this.stats.blocked;
  }

  intelByFeed(): [blocked: ReadonlyMap<string, number>, logged: ReadonlyMap<string, number>] {
    return [this.intel.stats.blocked, this.intel.stats.logged];
  }

  dohCounts(): DohCounters | null {
    return this.doh?.stats ?? null;
  }

  unknownCustomers(): [tls: number, https: number] {
    return [this.stats.unknownSniCustomers, this.doh?.stats.unknownCustomers ?? 0];
  }

  customersRequired(): [tls: number, https: number] {
    return [this.stats.customerRequired, this.doh?.stats.customerRequired ?? 0];
  }

  mismatchedCustomers(): [tls: number, https: number] {
    return [this.stats.mismatchedTlsCustomers, this.stats.mismatchedHttpsCustomers];
  }

  queriesByTransport(): number[] {
    const s = this.stats;
    return [s.udpQueries, s.tcpQueries, s.tlsQueries, s.httpsQueries];
  }

  upstreamsUp(): [string, number][] {
    const now = Date.now();
    return this.options.upstreams.map((e, i) => [upstreamLabel(e), this.upstreams.health.isDown(i, now) ? 0 : 1]);
  }
}

