/**
 * The 'dns' service: a Protective DNS forwarder on UDP and TCP. Per query:
 * size cap → client ACL (REFUSED) → per-client rate limit (dropped) → header
 * and question → policy for flagged names → cache → upstream (SERVFAIL when
 * every upstream times out). Every upstream answer is queued for the
 * detector; when the queue is full the answer is still forwarded (fail-open)
 * and counted. Nothing a client sends can throw out of here.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { PolicyAction } from '../../config/schema.js';
import { decodeMessage, observationOf } from '../../sources/dns-wire/index.js';
import type { ServeContext, Service } from '../service.js';
import { literalLookup, type Endpoint } from '../endpoint.js';
import { ClientAcl } from '../acl.js';
import { netGovernor } from '../net/index.js';
import { DnsTcpListener } from './tcp.js';
import { liveAllowlist, type LiveAllowlist } from '../../act/rpz/allowlist.js';
import { AnswerCache } from './cache.js';
import { DetectionQueue } from './detection-queue.js';
import { Policy } from './policy.js';
import { ClientRateLimit } from './rate-limit.js';
import { Upstreams } from './upstream.js';
import { emptyAnswer, isTruncated, newQueryInfo, queryName, RCODE_FORMERR, RCODE_NOTIMP, RCODE_REFUSED, RCODE_SERVFAIL, readQuery, setId } from './wire.js';

export interface ForwarderOptions {
  listen: Endpoint;
  upstreams: Endpoint[];
  allow: string[];
  rateLimit: number;
  timeout: number;
  cacheEntries: number;
  maxTtl: number;
  maxPending: number;
  detectorQueue: number;
}

export type Reply = (answer: Buffer) => void;

/** Queries are small; anything longer is hostile. */
const MAX_QUERY = 4096;

export interface ForwarderStats {
  udpQueries: number;
  tcpQueries: number;
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
  tcpRejected: number;
  sendErrors: number;
  blocked: Map<string, number>;
}

export class DnsForwarder implements Service {
  readonly name = 'dns';
  readonly stats: ForwarderStats = {
    udpQueries: 0,
    tcpQueries: 0,
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
    tcpRejected: 0,
    sendErrors: 0,
    blocked: new Map(),
  };
  readonly cache: AnswerCache;
  readonly upstreams: Upstreams;
  readonly detection: DetectionQueue;
  private readonly acl: ClientAcl;
  private readonly rate: ClientRateLimit;
  private policy: Policy;
  /** The daemon's one allowlist, shared with FlaggedDomains and the other services. */
  private readonly allow: LiveAllowlist;
  private readonly q = newQueryInfo();
  private udp: UdpSocket | null = null;
  /** DNS over TCP, through the connection governor (tcp.ts). */
  readonly tcp: DnsTcpListener;
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
    this.acl = new ClientAcl(options.allow);
    this.rate = new ClientRateLimit(options.rateLimit);
    this.cache = new AnswerCache(options.cacheEntries, options.maxTtl);
    this.upstreams = new Upstreams(options.upstreams, options.timeout, options.maxPending);
    this.policy = new Policy(context.config.policy);
    this.allow = liveAllowlist(context.config);
    this.detection = new DetectionQueue(options.detectorQueue, (answer, ts, client) => {
      const message = decodeMessage(answer);
      if (typeof message === 'string') return false;
      const observation = observationOf(message, ts, client);
      if (observation !== null) context.observations.observe(observation);
      return true;
    });
    const governor = netGovernor(context);
    this.tcp = new DnsTcpListener({
      gate: governor.gate({
        listener: 'dns-tcp',
        allows: (address) => {
          const ok = this.acl.allows(address);
          if (!ok) this.stats.refused++;
          return ok;
        },
      }),
      handle: (query, client, reply) => this.handle(query, client, reply, false),
      stats: this.stats,
      log: context.log,
      logLimit: governor.logLimiter('dns'),
    });
  }

  /** The UDP and TCP port bound (useful with port 0). */
  get port(): number {
    const address = this.udp?.address();
    return address === undefined ? 0 : address.port;
  }

  async start(): Promise<void> {
    const { listen } = this.options;
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
    this.udp = udp;
    await this.tcp.listen(listen.host, this.port).catch((err: unknown) => {
      udp.close();
      throw err;
    });
    this.upstreams.start();
    this.context.log.info({ service: this.name, listen: `${listen.host}:${this.port}`, upstreams: this.options.upstreams.map((u) => `${u.host}:${u.port}`) }, 'dns: forwarding');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.upstreams.stop();
    this.detection.drainAll();
    await Promise.all([new Promise<void>((resolve) => (this.udp === null ? resolve() : this.udp.close(() => resolve()))), this.tcp.close()]);
    this.udp = null;
  }

  /** SIGHUP: the daemon has re-read the config in place; take its policy actions and sinkhole, and the allowlist files. */
  async reload(): Promise<void> {
    this.policy = new Policy(this.context.config.policy);
    this.allow.reload();
  }

  /**
   * One query from one client; `reply` sends an answer back (at most once,
   * now or later). `udp`: the client's EDNS size applies. Returns false when
   * the query is dropped and `reply` will never be called.
   */
  handle(bytes: Buffer, client: string, reply: Reply, udp: boolean): boolean {
    if (udp) this.stats.udpQueries++;
    else this.stats.tcpQueries++;
    if (bytes.length > MAX_QUERY) {
      this.stats.oversized++;
      return false;
    }
    const q = this.q;
    if (!this.acl.allows(client)) {
      this.stats.refused++;
      if (readQuery(bytes, bytes.length, q) !== null) return false;
      reply(emptyAnswer(bytes, q.questionEnd, RCODE_REFUSED));
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
      reply(emptyAnswer(bytes, 0, problem === 'opcode' ? RCODE_NOTIMP : RCODE_FORMERR));
      return true;
    }
    if (this.context.flagged.size > 0) {
      const qname = queryName(bytes, q);
      const verdict = this.context.flagged.match(qname);
      if (verdict !== null) {
        if (this.allow.isAllowed(qname)) this.stats.allowlisted++;
        else {
          const action = this.policy.actionFor(verdict);
          if (action !== 'log') {
            this.countBlock(action, verdict.verdict);
            const answer = this.policy.answer(action, bytes, q);
            if (answer === null) return false;
            reply(answer);
            return true;
          }
          this.stats.logged++;
          this.context.log.debug({ service: this.name, qname, client, verdict: verdict.verdict, score: verdict.score }, 'dns: flagged name answered (policy log)');
        }
      }
    }
    const key = AnswerCache.key(bytes, q);
    const cached = this.cache.answer(key, bytes, q, now);
    if (cached !== null) {
      this.stats.cacheHits++;
      this.send(cached, q.udpSize, q.questionEnd, bytes, reply, udp);
      return true;
    }
    this.stats.cacheMisses++;
    const { id, questionEnd, udpSize, edns } = q;
    if (reply === this.replyNow) reply = this.udpReplyTo(this.udpAddress, this.udpPort);
    const done = (answer: Buffer | null): void => {
      if (this.stopped) return;
      if (answer === null) {
        this.stats.servfail++;
        reply(emptyAnswer(bytes, questionEnd, RCODE_SERVFAIL));
        return;
      }
      if (!isTruncated(answer)) {
        this.cache.store(key, answer, questionEnd, edns, Date.now());
        this.detection.push(answer, Date.now() / 1000, client);
      }
      setId(answer, id);
      this.send(answer, udpSize, questionEnd, bytes, reply, udp);
    };
    if (udp) this.upstreams.ask(bytes, questionEnd, done);
    else this.upstreams.askTcp(bytes, questionEnd, done);
    return true;
  }

  private send(answer: Buffer, udpSize: number, questionEnd: number, query: Buffer, reply: Reply, udp: boolean): void {
    if (udp && answer.length > udpSize) {
      // Too big for the client's UDP size: TC, and it asks again over TCP.
      this.stats.truncated++;
      reply(emptyAnswer(query, questionEnd, answer[3]! & 15, true));
      return;
    }
    reply(answer);
  }

  private countBlock(action: PolicyAction, verdict: string): void {
    const key = `action="${action}",verdict="${verdict}"`;
    this.stats.blocked.set(key, (this.stats.blocked.get(key) ?? 0) + 1);
  }

  private udpReplyTo(address: string, port: number): Reply {
    return (answer) => this.udp?.send(answer, port, address);
  }

  private onUdp(bytes: Buffer, address: string, port: number): void {
    this.udpAddress = address;
    this.udpPort = port;
    try {
      this.handle(bytes, address, this.replyNow, true);
    } catch (err) {
      // A bug must cost one query, not the resolver.
      this.stats.malformed++;
      this.context.log.error({ service: this.name }, `dns: query failed: ${(err as Error).message}`);
    }
  }

  metrics(): string[] {
    const s = this.stats;
    const u = this.upstreams.stats;
    const d = this.detection.stats;
    const lines = [
      '# HELP fluxhound_dns_queries_total Queries received, by transport.',
      '# TYPE fluxhound_dns_queries_total counter',
      `fluxhound_dns_queries_total{proto="udp"} ${s.udpQueries}`,
      `fluxhound_dns_queries_total{proto="tcp"} ${s.tcpQueries}`,
      '# TYPE fluxhound_dns_cache_hits_total counter',
      `fluxhound_dns_cache_hits_total ${s.cacheHits}`,
      '# TYPE fluxhound_dns_cache_misses_total counter',
      `fluxhound_dns_cache_misses_total ${s.cacheMisses}`,
      '# TYPE fluxhound_dns_cache_entries gauge',
      `fluxhound_dns_cache_entries ${this.cache.size}`,
      '# HELP fluxhound_dns_blocked_total Queries answered by policy, by action and verdict.',
      '# TYPE fluxhound_dns_blocked_total counter',
    ];
    if (s.blocked.size === 0) lines.push(`fluxhound_dns_blocked_total{action="nxdomain",verdict="fast-flux"} 0`);
    for (const [labels, n] of s.blocked) lines.push(`fluxhound_dns_blocked_total{${labels}} ${n}`);
    const counters: [string, number, string][] = [
      ['logged_total', s.logged, 'Queries for flagged names answered normally (policy log).'],
      ['allowlisted_total', s.allowlisted, 'Queries for flagged names left alone by the allowlist.'],
      ['refused_total', s.refused, 'Queries and TCP connections from clients outside --allow.'],
      ['rate_limited_total', s.rateLimited, 'Queries dropped by the per-client rate limit.'],
      ['malformed_total', s.malformed, 'Queries that could not be read (answered FORMERR/NOTIMP or dropped).'],
      ['oversized_total', s.oversized, 'Queries over 4096 bytes, dropped.'],
      ['servfail_total', s.servfail, 'SERVFAIL answers: every upstream timed out or failed, or too many pending.'],
      ['truncated_total', s.truncated, 'Answers sent with TC because they exceed the client UDP size.'],
      ['tcp_rejected_total', s.tcpRejected, 'TCP queries dropped beyond the per-connection in-flight cap.'],
      ['upstream_queries_total', u.udpQueries + u.tcpQueries, 'Queries sent upstream (retries included).'],
      ['upstream_timeouts_total', u.timeouts, 'Upstream queries that got no answer in time.'],
      ['upstream_mismatched_total', u.mismatched, 'Upstream packets ignored: wrong ID, source, question, or not a response.'],
      ['upstream_overflow_total', u.overflow, 'Queries refused because maxPending were waiting upstream.'],
      ['detector_fail_open_total', d.failOpen, 'Upstream answers forwarded without detection because the detector queue was full.'],
      ['detector_decode_errors_total', d.undecodable, 'Upstream answers the wire decoder rejected.'],
    ];
    for (const [name, value, help] of counters) {
      lines.push(`# HELP fluxhound_dns_${name} ${help}`, `# TYPE fluxhound_dns_${name} counter`, `fluxhound_dns_${name} ${value}`);
    }
    lines.push(
      '# TYPE fluxhound_dns_upstream_pending gauge',
      `fluxhound_dns_upstream_pending ${this.upstreams.inFlight}`,
      '# HELP fluxhound_dns_detector_queue Upstream answers waiting for the detector.',
      '# TYPE fluxhound_dns_detector_queue gauge',
      `fluxhound_dns_detector_queue ${this.detection.length}`,
      '# HELP fluxhound_dns_detector_lag_seconds Age of the oldest answer when the detector last took a batch.',
      '# TYPE fluxhound_dns_detector_lag_seconds gauge',
      `fluxhound_dns_detector_lag_seconds ${d.lagSeconds.toFixed(6)}`,
      '# HELP fluxhound_dns_detector_behind 1 while the detector queue is full (answers are forwarded unexamined).',
      '# TYPE fluxhound_dns_detector_behind gauge',
      `fluxhound_dns_detector_behind ${this.detection.full ? 1 : 0}`,
    );
    return lines;
  }
}
