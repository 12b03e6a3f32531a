/**
 * The forwarder's metrics, declared with prom-client in the daemon's one
 * registry. The query path never calls prom-client: a labelled child's
 * inc() or observe() still hashes its labels into a new string and builds an
 * object on every call (about 250 ns and 100–190 bytes of garbage each,
 * measured on Node 20), and a cache hit allocates less than 1 KB in all.
 * So the path adds to plain numbers and typed arrays (ForwarderStats,
 * DnsCounts), and every family here reads them when /metrics is scraped:
 * counters publish what grew since the last scrape, gauges their value, and
 * the duration histogram its bucket counts.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DohCounters } from './doh.js';

/** Response codes by name (the header's 4 bits); 12–15 are unassigned and counted as "other". */
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'DSOTYPENI', 'other', 'other', 'other', 'other'];

/** The query types with a label of their own; any other type (or none read) is "other", so the label set stays bounded. */
const QTYPES: [number, string][] = [
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [10, 'NULL'], [12, 'PTR'], [13, 'HINFO'], [15, 'MX'], [16, 'TXT'],
  [28, 'AAAA'], [29, 'LOC'], [33, 'SRV'], [35, 'NAPTR'], [37, 'CERT'], [39, 'DNAME'], [43, 'DS'], [44, 'SSHFP'],
  [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'],
  [59, 'CDS'], [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [63, 'ZONEMD'], [64, 'SVCB'], [65, 'HTTPS'], [99, 'SPF'],
  [251, 'IXFR'], [252, 'AXFR'], [255, 'ANY'], [256, 'URI'], [257, 'CAA'],
];
const QTYPE_LABELS = ['other', ...QTYPES.map(([, name]) => name)];
const QTYPE_SLOT = new Uint8Array(258);
QTYPES.forEach(([type], i) => (QTYPE_SLOT[type] = i + 1));

/** Upper bounds, seconds: a cache hit takes tens of microseconds, an upstream a millisecond to the timeout. */
export const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** How a client reached the forwarder: plain UDP or TCP, DNS over TLS (RFC 7858) or over HTTPS (RFC 8484); the `proto` label. */
export type DnsTransport = 'udp' | 'tcp' | 'tls' | 'https';
export const TRANSPORTS: readonly DnsTransport[] = ['udp', 'tcp', 'tls', 'https'];
/** A transport's index in TRANSPORTS and in the per-transport arrays of DnsCounts. */
export const TRANSPORT_SLOT: Readonly<Record<DnsTransport, number>> = { udp: 0, tcp: 1, tls: 2, https: 3 };

/** What the query path counts per answer sent: responses by rcode and qtype, durations by transport. */
export class DnsCounts {
  /** [rcode × QTYPE_LABELS.length + qtype slot]. */
  readonly responses = new Float64Array(16 * QTYPE_LABELS.length);
  /** [transport × (buckets + 1) + bucket]: not cumulative; the last bucket of a transport is +Inf. */
  readonly durations = new Float64Array(TRANSPORTS.length * (DURATION_BUCKETS.length + 1));
  readonly durationSums = new Float64Array(TRANSPORTS.length);

  /** One answer sent: its rcode, the query's type (-1 when none was read), its transport (TRANSPORT_SLOT), milliseconds since the query arrived. */
  answered(rcode: number, qtype: number, transport: number, ms: number): void {
    const slot = qtype >= 0 && qtype < QTYPE_SLOT.length ? QTYPE_SLOT[qtype]! : 0;
    this.responses[(rcode & 15) * QTYPE_LABELS.length + slot]!++;
    const seconds = ms / 1000;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
    this.durations[transport * (DURATION_BUCKETS.length + 1) + bucket]!++;
    this.durationSums[transport]! += seconds;
  }
}

/** Everything the families read at scrape time. */
export interface DnsMetricSource {
  counts: DnsCounts;
  /** Counter name (without fluxhound_dns_) → its value now. */
  counters(): Record<string, number>;
  /** Gauge name (without fluxhound_dns_) → its value now. */
  gauges(): Record<string, number>;
  /** Queries answered by policy: "action\0verdict" → count. */
  blocked(): ReadonlyMap<string, number>;
  /** Queries received per transport, in TRANSPORTS order. */
  queriesByTransport(): ArrayLike<number>;
  /** Per threat-intelligence feed: queries answered by policy because of it, and queries for names it lists under action log. */
  intelByFeed(): [blocked: ReadonlyMap<string, number>, logged: ReadonlyMap<string, number>];
  /** Per upstream (its upstreamLabel: "host:port", or "tls://host:port#NAME" for an encrypted one): 1 while it answers, 0 while down. */
  upstreamsUp(): [string, number][];
  /** The DoH listener's counts; null while DoH is off. */
  dohCounts(): DohCounters | null;
  /** Clients naming a customer not configured: DoT SNI labels (attributed by address), DoH paths (404). */
  unknownCustomers(): [tls: number, https: number];
  /** Refused for naming no customer where serve.dns.dot/doh.requireCustomer is on: DoT queries (REFUSED), DoH requests (403). */
  customersRequired(): [tls: number, https: number];
  /** Queries naming one customer from an address of another (attributed by address): DoT SNI, DoH path. */
  mismatchedCustomers(): [tls: number, https: number];
}

/** What source.counters() and source.gauges() keys lack of a family name. */
const PREFIX = 'fluxhound_dns_';

export const COUNTERS: Record<string, string> = {
  fluxhound_dns_cache_hits_total: 'Queries answered from the cache.',
  fluxhound_dns_cache_misses_total: 'Queries not in the cache (sent upstream).',
  fluxhound_dns_cache_evictions_total: 'Cached answers removed early to keep the cache under cacheBytes.',
  fluxhound_dns_cache_too_large_total: 'Answers not cached because they exceed cacheAnswerBytes.',
  fluxhound_dns_logged_total: 'Queries for flagged names answered normally (policy log).',
  fluxhound_dns_allowlisted_total: 'Queries for flagged names left alone by the allowlist.',
  fluxhound_dns_refused_total: 'Queries and TCP connections from clients outside --allow (DoT: --dot-allow, DoH: --doh-allow).',
  fluxhound_dns_rate_limited_total: 'Queries dropped by the per-client rate limit.',
  fluxhound_dns_malformed_total: 'Queries that could not be read (answered FORMERR/NOTIMP or dropped).',
  fluxhound_dns_oversized_total: 'Queries over 4096 bytes, dropped.',
  fluxhound_dns_servfail_total: 'SERVFAIL answers: every upstream timed out or failed, or no pending slot was free.',
  fluxhound_dns_truncated_total: 'Answers sent with TC because they exceed the client UDP size.',
  fluxhound_dns_tcp_held_total: 'Times a TCP or TLS connection stopped being read at its in-flight cap (32; DoT serve.dns.dot.maxInFlight): the next query waited for a free slot, none dropped.',
  fluxhound_dns_upstream_queries_total: 'Queries sent upstream (retries included).',
  fluxhound_dns_upstream_udp_queries_total: 'Queries sent to plain upstreams over UDP (retries included).',
  fluxhound_dns_upstream_tcp_queries_total: 'Queries sent to plain upstreams over TCP, one connection each (retries included).',
  fluxhound_dns_upstream_truncated_retries_total: 'DoT/DoH queries asked again over TCP because the plain upstream\'s UDP answer was truncated.',
  fluxhound_dns_upstream_tls_queries_total: 'Queries sent to tls:// and https:// upstreams (DNS over TLS or HTTPS), retries included.',
  fluxhound_dns_upstream_tls_connects_total: 'TLS connections opened to tls:// upstreams (each reused for many queries).',
  fluxhound_dns_upstream_tls_handshake_failures_total: 'TLS handshakes to upstreams that failed: certificate untrusted or for another name, connection refused.',
  fluxhound_dns_upstream_tls_waited_total: 'Queries to encrypted upstreams that found every connection at upstreamTls.maxInFlight (or the HTTP/2 server\'s stream limit) and waited for a slot.',
  fluxhound_dns_upstream_tls_resumed_total: 'TLS connections to encrypted upstreams that resumed the previous session (RFC 8446 ticket; no certificate exchange).',
  fluxhound_dns_upstream_tls_discarded_total: 'Connections (HTTP/2 sessions) to encrypted upstreams closed because a query on them timed out with nothing answered on them since it was sent.',
  fluxhound_dns_upstream_timeouts_total: 'Upstream queries that got no answer in time.',
  fluxhound_dns_upstream_mismatched_total: 'Upstream packets ignored: wrong ID, source, question, or not a response.',
  fluxhound_dns_upstream_overflow_total: 'Queries answered SERVFAIL at once because maxPending were waiting upstream and none could give way.',
  fluxhound_dns_upstream_client_overflow_total: 'Queries answered SERVFAIL at once because their client had maxPendingPerClient waiting upstream.',
  fluxhound_dns_upstream_jostled_total: 'Pending upstream queries answered SERVFAIL early to make room for a client holding fewer.',
  fluxhound_dns_upstream_socket_errors_total: 'Upstream UDP sockets that could not be opened or sent from (descriptors exhausted, buffers full).',
  fluxhound_dns_detector_fail_open_total: 'Upstream answers forwarded without detection because the detector queue was full.',
  fluxhound_dns_detector_decode_errors_total: 'Upstream answers the wire decoder rejected.',
  fluxhound_dns_querylog_recorded_total: 'Queries recorded in the query log (blocked, policy log, sampled others).',
  fluxhound_dns_intel_listings_total: 'Names a threat-intelligence feed lists put in the flagged set on their lookup.',
  fluxhound_dns_intel_listings_evicted_total: 'Feed listings taken out of the flagged set again to keep it bounded (re-made on the next lookup).',
  fluxhound_dns_intel_held_total: 'Upstream answers holding an address a feed lists, held until the detector saw them.',
  fluxhound_dns_intel_hold_timeouts_total: 'Held answers sent unchecked because the detector did not see them within intelHoldMs.',
  fluxhound_dns_intel_hold_fail_open_total: 'Answers holding a listed address sent unchecked because the detector queue was full.',
};

export const GAUGES: Record<string, string> = {
  fluxhound_dns_cache_entries: 'Answers in the cache.',
  fluxhound_dns_cache_bytes: 'Bytes the cached answers are counted as (answer, TTL table and per-entry overhead).',
  fluxhound_dns_cache_max_bytes: 'The cache bound, cacheBytes.',
  fluxhound_dns_upstream_pending: 'Queries waiting for an upstream (each holds one socket).',
  fluxhound_dns_upstream_pending_clients: 'Client addresses with at least one query waiting for an upstream.',
  fluxhound_dns_detector_queue: 'Upstream answers waiting for the detector.',
  fluxhound_dns_detector_lag_seconds: 'Age of the oldest answer when the detector last took a batch.',
  fluxhound_dns_detector_behind: '1 while the detector queue is full (answers are forwarded unexamined).',
};

/** Declares every forwarder family in `registry`. */
export function registerDnsMetrics(registry: Registry, source: DnsMetricSource): void {
  const published = new Map<string, number>();
  /** Adds to `counter` what `value` grew since the last scrape (a counter only goes up). */
  const publish = (counter: Counter<string>, key: string, labels: Record<string, string>, value: number): void => {
    const last = published.get(key);
    if (last === undefined || value > last) {
      counter.inc(labels, value - (last ?? 0));
      published.set(key, value);
    }
  };
  new Counter({
    name: 'fluxhound_dns_queries_total',
    help: 'Queries received, by transport.',
    labelNames: ['proto'],
    registers: [registry],
    collect() {
      const queries = source.queriesByTransport();
      TRANSPORTS.forEach((proto, i) => publish(this, `q\0${proto}`, { proto }, queries[i] ?? 0));
    },
  });
  for (const [name, help] of Object.entries(COUNTERS)) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        publish(this, name, {}, source.counters()[name.slice(PREFIX.length)] ?? 0);
      },
    });
  }
  new Counter({
    name: 'fluxhound_dns_blocked_total',
    help: 'Queries answered by policy, by action and verdict.',
    labelNames: ['action', 'verdict'],
    registers: [registry],
    collect() {
      const blocked = source.blocked();
      if (blocked.size === 0) publish(this, 'b\0nxdomain\0fast-flux', { action: 'nxdomain', verdict: 'fast-flux' }, 0);
      for (const [key, n] of blocked) {
        const [action = '', verdict = ''] = key.split('\0');
        publish(this, `b\0${key}`, { action, verdict }, n);
      }
    },
  });
  for (const [i, name, help] of [
    [0, 'fluxhound_dns_intel_blocked_total', 'Queries answered by policy because of a threat-intelligence feed (its listing of the name, or the detector evidence it gave), by feed.'],
    [1, 'fluxhound_dns_intel_logged_total', 'Queries for names a feed with action log lists, answered normally and recorded, by feed.'],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['feed'],
      registers: [registry],
      collect() {
        for (const [feed, n] of source.intelByFeed()[i]) publish(this, `${name}\0${feed}`, { feed }, n);
      },
    });
  }
  new Counter({
    name: 'fluxhound_dns_responses_total',
    help: 'Answers sent to clients, by response code and query type (types without a label of their own are "other").',
    labelNames: ['rcode', 'qtype'],
    registers: [registry],
    collect() {
      const counts = source.counts.responses;
      for (let i = 0; i < counts.length; i++) {
        if (counts[i] === 0) continue;
        const rcode = RCODES[Math.floor(i / QTYPE_LABELS.length)]!;
        const qtype = QTYPE_LABELS[i % QTYPE_LABELS.length]!;
        // rcodes 12–15 share the label "other": prom-client adds their increments into one series.
        publish(this, `r\0${i}`, { rcode, qtype }, counts[i]!);
      }
    },
  });
  for (const [name, help] of Object.entries(GAUGES)) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(source.gauges()[name.slice(PREFIX.length)] ?? 0);
      },
    });
  }
  new Gauge({
    name: 'fluxhound_dns_upstream_up',
    help: 'Per upstream resolver: 0 once its last queries in a row went unanswered and it has not answered for 10 s, else 1.',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      for (const [upstream, up] of source.upstreamsUp()) this.set({ upstream }, up);
    },
  });
  registry.registerMetric(new DurationHistogram(source.counts));
  registerDohMetrics(registry, source, publish);
}

type Publish = (counter: Counter<string>, key: string, labels: Record<string, string>, value: number) => void;

/** fluxhound_dns_doh_* (doh.ts's DohCounters) and the unknown-customer counts of DoT and DoH. */
function registerDohMetrics(registry: Registry, source: DnsMetricSource, publish: Publish): void {
  new Counter({
    name: 'fluxhound_dns_doh_requests_total',
    help: 'DNS over HTTPS requests, by method (GET, HEAD, POST, other) and HTTP version (1.0, 1.1, 2.0, other).',
    labelNames: ['method', 'version'],
    registers: [registry],
    collect() {
      for (const [key, n] of source.dohCounts()?.requests ?? []) {
        const [method = '', version = ''] = key.split('\0');
        publish(this, `dr\0${key}`, { method, version }, n);
      }
    },
  });
  new Counter({
    name: 'fluxhound_dns_doh_responses_total',
    help: 'DNS over HTTPS responses sent, by HTTP status.',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      for (const [status, n] of source.dohCounts()?.responses ?? []) publish(this, `ds\0${status}`, { status: String(status) }, n);
    },
  });
  for (const [name, help, value] of [
    ['fluxhound_dns_doh_queries_total', 'DNS queries asked over HTTPS and handed to the forwarder (wire and JSON form).', (d: DohCounters) => d.queries],
    ['fluxhound_dns_doh_json_queries_total', 'Of those, asked in the JSON form (application/dns-json).', (d: DohCounters) => d.jsonQueries],
    ['fluxhound_dns_doh_bodies_refused_total', 'DoH POST bodies refused with 413 for their size (declared or read).', (d: DohCounters) => d.bodiesRefused],
    ['fluxhound_dns_doh_body_bytes_refused_total', 'Bytes read of DoH POST bodies before they were refused for their size.', (d: DohCounters) => d.bodyBytesRefused],
  ] as const) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const doh = source.dohCounts();
        publish(this, name, {}, doh === null ? 0 : value(doh));
      },
    });
  }
  // What clients named as their customer over DoT (SNI label, proto tls) and DoH (path, proto https).
  for (const [name, help, counts] of [
    ['fluxhound_dns_unknown_customers_total', 'Clients naming a customer that is not configured: a DoT SNI label (attributed by address instead; proto tls) or a DoH path (404; proto https).', () => source.unknownCustomers()],
    ['fluxhound_dns_customer_required_total', 'Refused for naming no configured customer where requireCustomer is on: DoT queries answered REFUSED (proto tls), DoH requests answered 403 (proto https).', () => source.customersRequired()],
    ['fluxhound_dns_mismatched_customers_total', 'Queries naming a configured customer (DoT SNI label, proto tls; DoH path, proto https) from an address that belongs to another customer: attributed by address.', () => source.mismatchedCustomers()],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['proto'],
      registers: [registry],
      collect() {
        const [tls, https] = counts();
        publish(this, `${name}\0tls`, { proto: 'tls' }, tls);
        publish(this, `${name}\0https`, { proto: 'https' }, https);
      },
    });
  }
}

/**
 * fluxhound_dns_request_duration_seconds, read from DnsCounts at scrape time
 * instead of observed per query (see the top of this file). prom-client
 * renders whatever get() returns; the values are the shape its own
 * Histogram gives: cumulative buckets with `le`, then +Inf, sum and count.
 */
type HistogramData = Awaited<ReturnType<Histogram<'proto'>['get']>>;
const DURATION_NAME = 'fluxhound_dns_request_duration_seconds';
const DURATION_HELP = 'Seconds from a query arriving to its answer being sent, by transport (cache hits, policy answers and upstream answers alike).';

class DurationHistogram extends Histogram<'proto'> {
  constructor(private readonly counts: DnsCounts) {
    super({ name: DURATION_NAME, help: DURATION_HELP, labelNames: ['proto'], buckets: DURATION_BUCKETS, registers: [] });
  }

  override async get(): Promise<HistogramData> {
    const name = DURATION_NAME;
    const values: HistogramData['values'] = [];
    const width = DURATION_BUCKETS.length + 1;
    TRANSPORTS.forEach((proto, t) => {
      let total = 0;
      DURATION_BUCKETS.forEach((le, b) => {
        total += this.counts.durations[t * width + b]!;
        const labels: Record<string, string | number> = { le, proto };
        values.push({ labels, value: total, metricName: `${name}_bucket` });
      });
      total += this.counts.durations[t * width + width - 1]!;
      const inf: Record<string, string | number> = { le: '+Inf', proto };
      values.push({ labels: inf, value: total, metricName: `${name}_bucket` });
      values.push({ labels: { proto }, value: this.counts.durationSums[t]!, metricName: `${name}_sum` });
      values.push({ labels: { proto }, value: total, metricName: `${name}_count` });
    });
    // prom-client's typings call the type an enum; at run time it is the string.
    return { name, help: DURATION_HELP, type: 'histogram' as unknown as HistogramData['type'], values, aggregator: 'sum', collect: () => undefined };
  }

  /** The registry prefers this to get() for the text format; prom-client's own reads its internal table. */
  getForPromString(): ReturnType<DurationHistogram['get']> {
    return this.get();
  }
}
