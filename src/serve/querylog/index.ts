/**
 * The 'querylog' service: hears every query-log entry (ServeContext.onQuery,
 * fed by the forwarder) and writes it to an NDJSON file and/or a syslog
 * receiver, each behind its own bounded queue; and reports exposures: when
 * a domain is flagged (onVerdict), one 'exposed' entry per client that got
 * its real answer shortly before (exposure.ts), handed to the query log like
 * any other entry (so the store keeps them too).
 *
 * On when serve.querylog.enabled and anything can use it: a sink
 * (--querylog-ndjson, --querylog-syslog or their config keys), the
 * forwarder, or the store.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { QUERY_ACTIONS, ruleOf, type QueryAction, type QueryLogEntry } from '../../model/query-log.js';
import type { Verdict } from '../../model/verdict.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { storeOptions } from '../store/index.js';
import { ExposureTracker } from './exposure.js';
import { queryLogMetrics } from './metrics.js';
import { NdjsonSink } from './ndjson.js';
import type { SinkStats } from './queue.js';
import { SyslogSink, type SyslogTransport } from './syslog.js';
import { headerField, type SyslogHeader } from './syslog-format.js';

export interface SyslogTarget {
  endpoint: Endpoint;
  transport: SyslogTransport;
}

export interface QueryLogOptions {
  /** NDJSON file; null = none. */
  ndjson: string | null;
  /** Given by --querylog-ndjson: a reload keeps it whatever the config says. */
  ndjsonFlag: boolean;
  syslog: SyslogTarget | null;
  syslogFlag: boolean;
}

export function queryLogService(): ServiceFactory {
  return {
    name: 'querylog',
    addOptions(command: Command) {
      command
        .option('--querylog-ndjson <file>', 'append every query-log entry to FILE as one JSON line; reopened on SIGHUP (serve.querylog.ndjson)')
        .option('--querylog-syslog <[udp:|tcp:]address:port>', 'send every query-log entry to a syslog receiver as RFC 5424 (serve.querylog.syslog.address; default port 514, transport serve.querylog.syslog.transport)');
    },
    create(flags, context) {
      const options = queryLogOptions(flags, context);
      if (options === null) return null;
      const forwarder = typeof flags.dns === 'string' || context.config.serve.dns.listen !== null;
      if (options.ndjson === null && options.syslog === null && !forwarder && storeOptions(flags, context) === null) return null;
      return new QueryLogService(options, context);
    },
  };
}

/** 'udp:ADDR:PORT', 'tcp:ADDR:PORT' or 'ADDR:PORT' (the transport `fallback`). */
export function parseSyslogTarget(text: string, fallback: SyslogTransport, what: string): SyslogTarget {
  let transport = fallback;
  let rest = text;
  const scheme = /^(udp|tcp):(?!\d+$)/.exec(text);
  if (scheme !== null) {
    transport = scheme[1] as SyslogTransport;
    rest = text.slice(scheme[0].length);
  }
  return { endpoint: parseEndpoint(rest, 514, what), transport };
}

export function queryLogOptions(flags: Record<string, unknown>, context: ServeContext): QueryLogOptions | null {
  return optionsFor(flags, context.config);
}

function optionsFor(flags: Record<string, unknown>, config: Config): QueryLogOptions | null {
  const cfg = config.serve.querylog;
  if (!cfg.enabled) return null;
  const ndjsonFlag = typeof flags.querylogNdjson === 'string';
  const syslogFlag = typeof flags.querylogSyslog === 'string';
  const address = syslogFlag ? (flags.querylogSyslog as string) : cfg.syslog.address;
  let syslog: SyslogTarget | null = null;
  if (address !== null) {
    try {
      syslog = parseSyslogTarget(address, cfg.syslog.transport, syslogFlag ? 'serve: --querylog-syslog' : 'config: serve.querylog.syslog.address');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { ndjson: ndjsonFlag ? (flags.querylogNdjson as string) : cfg.ndjson, ndjsonFlag, syslog, syslogFlag };
}

function targetText(t: SyslogTarget): string {
  const host = t.endpoint.family === 6 ? `[${t.endpoint.host}]` : t.endpoint.host;
  return `${t.transport}:${host}:${t.endpoint.port}`;
}

function syslogHeader(config: Config): SyslogHeader {
  const cfg = config.serve.querylog;
  return {
    facility: cfg.syslog.facility,
    hostname: headerField(hostname(), 255),
    appName: headerField(cfg.syslog.appName, 48),
    procId: String(process.pid),
    fields: cfg.fields,
  };
}

export class QueryLogService implements Service {
  readonly name = 'querylog';
  readonly ndjson: NdjsonSink | null;
  readonly syslog: SyslogSink | null;
  readonly exposure = new ExposureTracker();
  /** Entries heard, per action (QUERY_ACTIONS order). */
  readonly entries = new Float64Array(QUERY_ACTIONS.length);
  private readonly actionIndex = new Map<QueryAction, number>(QUERY_ACTIONS.map((a, i) => [a, i]));
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;

  constructor(
    private options: QueryLogOptions,
    private readonly context: ServeContext,
  ) {
    const cfg = context.config.serve.querylog;
    this.ndjson = options.ndjson === null ? null : new NdjsonSink(options.ndjson, cfg.maxPending, cfg.fields, context.log);
    this.syslog = options.syslog === null ? null : new SyslogSink(options.syslog.endpoint, options.syslog.transport, cfg.maxPending, syslogHeader(context.config), context.log);
    queryLogMetrics(context.registry, {
      entries: this.entries,
      sinks: () => {
        const out: [string, SinkStats, number][] = [];
        if (this.ndjson !== null) out.push(['ndjson', this.ndjson.stats, this.ndjson.pending]);
        if (this.syslog !== null) out.push(['syslog', this.syslog.stats, this.syslog.pending]);
        return out;
      },
      syslogUp: () => this.syslog?.up ?? null,
      syslogReconnects: () => this.syslog?.reconnects ?? 0,
      ndjsonReopened: () => this.ndjson?.reopened ?? 0,
      exposureDomains: () => this.exposure.size,
      exposureEvictions: () => this.exposure.stats.evictions,
      exposed: () => this.exposure.stats.exposed,
    });
  }

  async start(): Promise<void> {
    const { context } = this;
    await this.ndjson?.start();
    await this.syslog?.start();
    this.unsubscribe.push(context.onQuery((entry) => this.hear(entry)));
    const observations = context.onObservation?.((o) => this.exposure.observe(o));
    if (observations !== undefined) this.unsubscribe.push(observations);
    const verdicts = context.onVerdict?.((v, event) => {
      // After the detector's whole step: the observation that raised the flag reaches onObservation after this event.
      if (event === 'flag') setImmediate(() => this.reportExposures(v));
    });
    if (verdicts !== undefined) this.unsubscribe.push(verdicts);
    const where = [this.ndjson === null ? null : `ndjson ${this.options.ndjson}`, this.options.syslog === null ? null : `syslog ${this.options.syslog.transport}:${this.options.syslog.endpoint.host}:${this.options.syslog.endpoint.port}`].filter((x) => x !== null);
    context.log.info({ service: this.name, sinks: where, sample: context.config.serve.querylog.sample }, `querylog: recording${where.length === 0 ? '' : ` to ${where.join(', ')}`}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.all([this.ndjson?.stop(), this.syslog?.stop()]);
  }

  /** SIGHUP: new field names, facility and APP-NAME; the NDJSON file reopened (logrotate). The syslog address and transport take a restart. */
  async prepareReload(next: Config): Promise<() => void> {
    // The flags win over the config, as at start; a bad new syslog address refuses the reload (UsageError).
    const flags: Record<string, unknown> = {};
    if (this.options.ndjsonFlag) flags.querylogNdjson = this.options.ndjson;
    if (this.options.syslogFlag && this.options.syslog !== null) flags.querylogSyslog = targetText(this.options.syslog);
    const options = optionsFor(flags, next);
    const header = syslogHeader(next);
    const fields = next.serve.querylog.fields;
    return () => {
      if (this.ndjson !== null) {
        this.ndjson.fields = fields;
        this.ndjson.reopen(options?.ndjson ?? this.options.ndjson!);
      }
      if (this.syslog !== null) this.syslog.header = header;
      const before = this.options.syslog === null ? null : targetText(this.options.syslog);
      const after = options?.syslog == null ? null : targetText(options.syslog);
      if (before !== after) this.context.log.warn({ service: this.name, running: before, configured: after }, 'querylog: a new syslog address or transport takes a restart; keeping the running one');
      if (this.ndjson === null && options?.ndjson != null) this.context.log.warn({ service: this.name }, 'querylog: a new NDJSON file takes a restart');
    };
  }

  private hear(entry: QueryLogEntry): void {
    const i = this.actionIndex.get(entry.action);
    if (i !== undefined) this.entries[i]!++;
    this.ndjson?.push(entry);
    this.syslog?.push(entry);
  }

  /** One 'exposed' entry per client that got the real answer for a name in the flagged zone within the window before the flag. */
  private reportExposures(v: Verdict): void {
    if (this.stopped || this.context.flagged.match(v.domain) === null) return;
    const last = Date.parse(v.last_seen) / 1000;
    const at = Number.isFinite(last) ? last : Date.now() / 1000;
    for (const asked of this.exposure.exposed(v, at, this.context.config.window)) {
      this.context.logQuery({
        ts: Math.round(at * 1000) / 1000,
        client: asked.client,
        customer: asked.customer ?? this.context.customers.customerOf(asked.client)?.id ?? null,
        name: asked.name,
        qtype: asked.qtype,
        action: 'exposed',
        rcode: null,
        domain: v.domain,
        verdict: v.verdict === 'benign' ? null : v.verdict,
        score: v.score,
        // A feed's listing is rule 'intel', its reason naming the feed.
        ...ruleOf(v),
      });
    }
  }
}
