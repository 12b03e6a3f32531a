/**
 * The forwarder's side of the query log: every query that passed the policy
 * step is counted per minute and customer (ServeContext.queryStats), and the
 * ones serve.querylog says to record become one QueryLogEntry each, handed to
 * ServeContext.logQuery (the sinks — store, NDJSON, syslog — hear it there and
 * do their I/O in the background). Blocked queries and flagged names answered
 * under policy log are recorded whenever the log is enabled; other queries
 * with probability serve.querylog.sample.
 *
 * Hot path: the decision costs a comparison (and one Math.random() when
 * 0 < sample < 1); nothing is allocated for a query that is not recorded
 * beyond what QueryStats.count does. A recorded query costs its name text and
 * the entry itself.
 */
import type { Config } from '../../config/schema.js';
import { rcodeName, typeName } from '../../dns/mnemonics.js';
import { ruleOf, type QueryAction, type QueryLogEntry, type QueryRule } from '../../model/query-log.js';
import type { Verdict } from '../../model/verdict.js';
import type { ServeContext } from '../service.js';

type QueryLogConfig = Config['serve']['querylog'];

/** The label a query-log entry may carry ('benign' never blocks, so never appears; kept null if it does). */
function labelOf(verdict: Verdict): QueryLogEntry['verdict'] {
  return verdict.verdict === 'benign' ? null : verdict.verdict;
}

export class QueryLogRecorder {
  /** Record blocked and policy-log queries (serve.querylog.enabled). */
  enabled: boolean;
  /** Share of the other queries recorded (serve.querylog.sample). */
  sample: number;
  /** Entries handed to the query log. */
  recorded = 0;

  constructor(
    private readonly context: ServeContext,
    config: QueryLogConfig,
  ) {
    this.enabled = config.enabled;
    this.sample = config.sample;
  }

  /** SIGHUP: the next config's switches, swapped in by the forwarder's commit. */
  configure(config: QueryLogConfig): void {
    this.enabled = config.enabled;
    this.sample = config.sample;
  }

  /** The customer id of `client`, or null (a cached lookup in CustomerMap). */
  customerOf(client: string): string | null {
    return this.context.customers.customerOf(client)?.id ?? null;
  }

  /**
   * Counts one query that passed the policy step (no allocation once the
   * minute's row exists). `named`: the customer the client named (a DoH
   * path, a DoT SNI label) as DnsForwarder.handle() accepted it; null = by address.
   */
  count(ts: number, client: string, named: string | null, action: QueryAction): void {
    this.context.queryStats.count(ts, named ?? this.customerOf(client), action);
  }

  /** Whether an answered-normally query (pass) is to be recorded: the sample's draw. */
  samplePass(): boolean {
    const sample = this.sample;
    return this.enabled && sample > 0 && (sample >= 1 || Math.random() < sample);
  }

  /**
   * One recorded query. `named` as for count(), `qtype` the query's type
   * number, `rcode` the answer sent (-1: none, a drop), `verdict` the flagged
   * domain's verdict (null for pass).
   */
  record(ts: number, client: string, named: string | null, name: string, qtype: number, action: QueryAction, rcode: number, verdict: Verdict | null): void {
    let rule: QueryRule | null = null;
    let reason: string | null = null;
    if (verdict !== null) ({ rule, reason } = ruleOf(verdict));
    this.recorded++;
    this.context.logQuery({
      ts: Math.round(ts * 1000) / 1000,
      client,
      customer: named ?? this.customerOf(client),
      name,
      qtype: typeName(qtype),
      action,
      rcode: rcode < 0 ? null : rcodeName(rcode),
      domain: verdict?.domain ?? null,
      verdict: verdict === null ? null : labelOf(verdict),
      score: verdict?.score ?? null,
      rule,
      reason,
    });
  }
}
