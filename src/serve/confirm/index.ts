/**
 * The 'confirm' service (`--confirm`, serve.confirm): active confirmation.
 * It hears the detector's verdicts; each name that becomes suspicious (and
 * that judge.ts does not rule out) is re-resolved through the upstream
 * resolvers the forwarder uses, paced by schedule.ts, with the forwarder's
 * own upstream client (a fresh socket and random ID per query). Every
 * answer goes into the detector as an observation marked 'probe', so the
 * name rises to fast-flux on the new evidence (its verdict says how many
 * lookups were probes) or, its answers staying put, is cleared.
 */
import type { Command } from 'commander';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import type { Verdict } from '../../model/verdict.js';
import type { Endpoint } from '../endpoint.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { upstreamCaBundle, upstreamCaSource, upstreamEndpoints } from '../dns/index.js';
import { logRefusedUpstream, Upstreams } from '../dns/upstream.js';
import { reloadUpstreamCa, type UpstreamCaSource } from '../dns/upstream-ca.js';
import { isTruncated } from '../dns/wire.js';
import { skipReason, type JudgeFacts } from './judge.js';
import { confirmMetrics } from './metrics.js';
import { probeAnswer, probeQuery, type ProbeQuery } from './probe.js';
import { ConfirmSchedule, type Probe, type ScheduleOptions } from './schedule.js';

/** The client the probes are charged to in the upstream client's pending budget. */
const PROBE_CLIENT = 'fluxhound-probe';

export function scheduleOptions(c: Config['serve']['confirm']): ScheduleOptions {
  return { minInterval: c.minInterval, maxInterval: c.maxInterval, maxProbesPerName: c.maxProbesPerName, maxNames: c.maxNames, ratePerSecond: c.ratePerSecond, qtypes: c.qtypes };
}

export function confirmService(): ServiceFactory {
  return {
    name: 'confirm',
    addOptions(command: Command) {
      command.option('--confirm', 're-resolve suspicious names through the upstream resolver until confirmed fast-flux or cleared (serve.confirm.enabled)');
    },
    create(flags, context) {
      if (flags.confirm !== true && !context.config.serve.confirm.enabled) return null;
      const upstreams = upstreamEndpoints(flags, context);
      if (upstreams.length === 0) throw new UsageError('serve: --confirm needs an upstream resolver to probe through (--upstream or serve.dns.upstreams)');
      return new ActiveConfirmation(upstreams, context, upstreamCaBundle(flags, context), upstreamCaSource(flags, context));
    },
  };
}

export class ActiveConfirmation implements Service {
  readonly name = 'confirm';
  readonly schedule: ConfirmSchedule;
  readonly upstreams: Upstreams;
  private readonly facts: JudgeFacts;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(
    endpoints: Endpoint[],
    private readonly context: ServeContext,
    tlsCa?: Buffer,
    private readonly caSource?: UpstreamCaSource,
  ) {
    const allow = liveAllowlist(context.config);
    this.facts = { isAllowed: allow.isAllowed, isAllowedAddress: (a) => allow.allowlist.isAllowedAddress(a), infra: context.infra ?? null };
    this.schedule = new ConfirmSchedule(scheduleOptions(context.config.serve.confirm), (v) => skipReason(v, this.facts));
    const dns = context.config.serve.dns;
    // Probes are one client of their own: at most maxPendingPerClient in flight, whatever the rate allows.
    this.upstreams = new Upstreams(endpoints, { timeout: dns.timeout, maxPending: dns.maxPendingPerClient, maxPendingPerClient: dns.maxPendingPerClient, tlsCa,
      tlsMaxInFlight: dns.upstreamTls.maxInFlight, tlsConnections: dns.upstreamTls.connections,
      // A refused encrypted upstream is logged as the forwarder does (once a minute per upstream): probes through it all fail.
      onTlsError: logRefusedUpstream(context, this.name),
    });
    confirmMetrics(context.registry, {
      stats: this.schedule.stats,
      names: () => this.schedule.size,
      upstreamErrors: () => this.upstreams.stats.overflow + this.upstreams.stats.clientOverflow,
    });
  }

  async start(): Promise<void> {
    if (this.context.onVerdict === undefined) throw new Error('confirm: this daemon reports no verdicts to confirm');
    this.stopped = false;
    this.upstreams.start();
    this.unsubscribe = this.context.onVerdict((v, event) => this.onVerdict(v, event));
    this.schedulePolls();
    const c = this.context.config.serve.confirm;
    this.context.log.info({ service: this.name, qtypes: c.qtypes, ratePerSecond: c.ratePerSecond, maxProbesPerName: c.maxProbesPerName }, 'confirm: probing suspicious names');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.upstreams.stop();
    this.schedule.clear();
  }

  /** SIGHUP: new pacing and caps from each name's next round (turning it on or off, or other upstreams, take a restart). */
  async prepareReload(next: Config): Promise<() => void> {
    const options = scheduleOptions(next.serve.confirm);
    // The upstreams' CA, as the forwarder re-reads it: a bad file refuses the whole reload.
    const upstreamCa = reloadUpstreamCa(this.caSource, next);
    return () => {
      if (upstreamCa !== null) this.upstreams.setTlsCa(upstreamCa.ca);
      this.schedule.reconfigure(options);
      this.schedulePolls();
    };
  }

  /** Every upstream down: no probe can be answered. */
  health(): string | null {
    const problem = this.upstreams.health.problem(Date.now());
    return problem === null ? null : problem.replace(/^dns: /, '');
  }

  /** Sends every probe due now; the timer calls it, tests may too. */
  poll(now = Date.now()): number {
    const due = this.schedule.due(now);
    for (const probe of due) this.send(probe);
    return due.length;
  }

  /** Polled often enough for the shortest interval, never busier than every 20 ms. */
  private schedulePolls(): void {
    if (this.stopped) return;
    if (this.timer !== null) clearInterval(this.timer);
    const every = Math.min(250, Math.max(20, (this.context.config.serve.confirm.minInterval * 1000) / 4));
    this.timer = setInterval(() => this.poll(), every);
    this.timer.unref();
  }

  private onVerdict(v: Verdict, event: 'flag' | 'final'): void {
    const was = this.schedule.has(v.domain);
    this.schedule.onVerdict(v, event, Date.now());
    if (was && !this.schedule.has(v.domain) && v.verdict === 'fast-flux' && (v.probes ?? 0) > 0) {
      this.context.log.info({ service: this.name, domain: v.domain, probes: v.probes, lookups: v.features.lookups }, 'confirm: confirmed fast-flux by active probes');
    }
  }

  private send(probe: Probe): void {
    const query = probeQuery(probe.name, probe.qtype);
    if (query === null) {
      this.settle(probe, null);
      return;
    }
    this.upstreams.ask(query.bytes, query.questionEnd, PROBE_CLIENT, (answer) => this.onAnswer(probe, query, answer, false));
  }

  private onAnswer(probe: Probe, query: ProbeQuery, answer: Buffer | null, tcp: boolean): void {
    if (this.stopped) return;
    if (answer === null) return this.settle(probe, null);
    if (!tcp && isTruncated(answer)) {
      // A truncated answer holds only part of the set: ask again over TCP (a new connection and ID),
      // a query like any other under ratePerSecond; with no token left the probe fails.
      if (!this.schedule.retry(Date.now())) return this.settle(probe, null);
      this.upstreams.askTcp(query.bytes, query.questionEnd, PROBE_CLIENT, (whole) => this.onAnswer(probe, query, whole, true));
      return;
    }
    const { observation, ttl } = probeAnswer(answer, Date.now() / 1000);
    if (observation !== null) this.context.observations.observe(observation);
    this.settle(probe, ttl);
  }

  private settle(probe: Probe, ttl: number | null): void {
    const settled = this.schedule.settle(probe.name, ttl, Date.now());
    if (settled === 'cleared') {
      this.context.log.info({ service: this.name, domain: probe.name, probes: this.context.config.serve.confirm.maxProbesPerName }, 'confirm: cleared, still not fast-flux after its probes');
    } else if (settled === 'next-round') {
      // What the probes brought back may show known infrastructure (or the allowlist changed): never probe it again.
      // With workers the name's worker answers (after the probe's answer, handed on first), not a copy.
      const detector = this.context.detector;
      if (detector.live === undefined) this.judgeRound(probe.name, detector.current(probe.name));
      else void detector.live(probe.name).then((now) => this.judgeRound(probe.name, now));
    }
  }

  private judgeRound(name: string, now: Verdict | null): void {
    if (this.stopped) return;
    if (now === null) this.schedule.giveUp(name, 'evicted');
    else if (skipReason(now, this.facts) !== null) this.schedule.giveUp(name, 'known-later');
  }
}
