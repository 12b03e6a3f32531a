/**
 * A customer's transparency report: what fluxhound blocked for them over a
 * period, each name in plain words (what, when, why, the evidence, the
 * verdict or deny entry behind it, what to do), from the store's query log
 * and verdict history; and the devices flow data saw connecting to flux
 * hosts (the store's exposures, connections.ts). The report is a plain JSON-shaped object (ISO times,
 * snake_case fields) that every format renders.
 *
 * Bounded: at most `maxEntries` query-log entries are read (newest first;
 * the report says how far back it got), at most `maxItems` names itemised,
 * at most `maxItemDevices` devices counted per name.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Customer } from '../../act/customers.js';
import { plainText, type Phrase, BLOCKED_ADVICE, EXPOSED_ADVICE, LOGGED_ADVICE, MISTAKE_ADVICE_REPORT, whyDenied, whyFlux } from '../../act/explain.js';
import { printable } from '../../act/report/table.js';
import { escapeName } from '../../dns/name-text.js';
import { UsageError } from '../../model/errors.js';
import { isBlockAction, QUERY_ACTIONS, type QueryAction, type QueryLogEntry, type QueryRule } from '../../model/query-log.js';
import { isoTime, type EvidenceAddress, type FluxKind, type Verdict } from '../../model/verdict.js';
import type { AsyncStore, QueryLogFilter, RecordedVerdict } from '../../store/store.js';
import { ConnectionsReader, type ReportConnections } from './connections.js';

/** Query-log actions a report reads: blocks, flagged names answered under policy log, and exposures. */
export const REPORT_ACTIONS: readonly QueryAction[] = ['nxdomain', 'nodata', 'drop', 'sinkhole', 'log', 'exposed'];

export interface ReportLimits {
  /** Query-log entries read at most (newest first). */
  maxEntries: number;
  /** Names itemised at most; the rest are counted in coverage.names_not_listed. */
  maxItems: number;
  /** Distinct devices counted per name (beyond it the count is a lower bound). */
  maxItemDevices: number;
  /** Entries per query-log page. */
  pageSize: number;
}

/** Pages of 1,000: the most the SQLite store returns in one (MAX_PAGE). */
export const DEFAULT_LIMITS: ReportLimits = { maxEntries: 200_000, maxItems: 5_000, maxItemDevices: 1_000, pageSize: 1_000 };

/** Devices named per item (the count covers the rest). */
const DEVICES_LISTED = 20;
const ADDRESSES_LISTED = 20;
const REASONS_LISTED = 12;
const REASON_CHARS = 300;
/** Distinct devices counted over the whole report (clients affected). */
const MAX_CLIENTS = 100_000;
/** Audit lines searched for a deny entry removed since. */
const AUDIT_LINES = 5_000;

/** blocked: the device did not get the real answer; exposed: it did, before the name was flagged; logged: flagged, answered under policy log. */
export type ItemKind = 'blocked' | 'exposed' | 'logged';

export interface ReportAddress {
  address: string;
  asn: number | null;
  /** True for an address of a known CDN or cloud (never blocked by address). */
  known: boolean;
  last_seen: string;
}

export interface ReportEvidence {
  /** The most recently seen answer addresses (at most 20). */
  addresses: ReportAddress[];
  /** Distinct addresses, ASNs and countries the verdict counted. */
  ips: number;
  asns: number;
  countries: number;
  /** Name servers seen for the domain (double flux), and their addresses. */
  name_servers: string[];
  ns_addresses: ReportAddress[];
}

export interface ReportVerdict {
  label: 'fast-flux' | 'suspicious' | 'benign';
  flux: FluxKind | null;
  score: number;
  /** Plain-language reasons with numbers, strongest first (at most 12). */
  reasons: string[];
  /** When this verdict was recorded; null when only the query log knew it. */
  recorded: string | null;
  /** The flux network the domain belongs to ('fn-3'), or null. */
  network: string | null;
}

/** What put the name on the block path. */
export type ReportBasis =
  | { rule: 'verdict'; verdict: string | null; recorded: string | null }
  | { rule: 'denylist'; comment: string; by: string | null; at: string | null };

export interface ReportItem {
  /** The name the devices asked for, in the one escaping rule. */
  name: string;
  /** The flagged domain (or deny entry) behind it; null when unknown. */
  domain: string | null;
  kind: ItemKind;
  first: string;
  last: string;
  /** Queries (or exposures) recorded. */
  count: number;
  /** Distinct devices (client addresses); a lower bound when devices_capped. */
  devices: number;
  devices_capped: boolean;
  /** Up to 20 of them. */
  device_list: string[];
  /** Count per query-log action. */
  actions: Partial<Record<QueryAction, number>>;
  rule: QueryRule | null;
  /** Why, in plain words (the block page's text). */
  why: string;
  verdict: ReportVerdict | null;
  basis: ReportBasis | null;
  evidence: ReportEvidence | null;
  /** What to do, in plain words. */
  advice: string[];
}

export interface TransparencyReport {
  report: 'fluxhound transparency report';
  version: 1;
  generated: string;
  customer: { id: string; name: string; contact: string };
  period: { since: string; until: string };
  totals: {
    /** From the per-minute stats: every query of the customer's devices, those blocked, those answered under policy log. */
    queries: number;
    blocked: number;
    logged: number;
    /** From the query log. */
    blocked_names: number;
    exposed_names: number;
    logged_names: number;
    /** Distinct devices with a blocked, logged or exposed entry. */
    clients_affected: number;
  };
  coverage: {
    /** Query-log entries read. */
    entries: number;
    /** The most read. */
    limit: number;
    /** False when the limit cut the reading short: then only [oldest_read, until) is itemised. */
    complete: boolean;
    oldest_read: string | null;
    names_not_listed: number;
  };
  items: ReportItem[];
  /** Hosts that connected to flux: the customer's devices seen in flow data talking to flux hosts (connections.ts). */
  connections: ReportConnections;
}

interface Tally {
  name: string;
  kind: ItemKind;
  domain: string | null;
  rule: QueryRule | null;
  label: 'fast-flux' | 'suspicious' | null;
  score: number | null;
  reason: string | null;
  first: number;
  last: number;
  count: number;
  devices: Set<string>;
  capped: boolean;
  actions: Partial<Record<QueryAction, number>>;
}

export function kindOf(action: QueryAction): ItemKind | null {
  if (action === 'exposed') return 'exposed';
  if (action === 'log') return 'logged';
  return isBlockAction(action) ? 'blocked' : null;
}

/**
 * Builds one report page by page, so the scheduled service can yield
 * between pages while `buildReport` (the API, the CLI) runs it in one go.
 */
export class ReportBuilder {
  readonly filter: QueryLogFilter;
  private readonly tallies = new Map<string, Tally>();
  private readonly clients = new Set<string>();
  private entries = 0;
  private oldest: number | null = null;
  /** Names beyond maxItems (counted up to MAX_CLIENTS). */
  private readonly notListed = new Set<string>();
  private cursor: string | null = null;
  private done = false;
  /** The flow exposures, read after the query log, page by page too. */
  private readonly connections: ConnectionsReader;

  constructor(
    private readonly store: AsyncStore,
    private readonly customer: Customer,
    private readonly range: { since: number; until: number },
    private readonly now: Date,
    private readonly limits: ReportLimits = DEFAULT_LIMITS,
  ) {
    if (!Number.isFinite(range.since) || !Number.isFinite(range.until) || range.since >= range.until) {
      throw new UsageError(`report: the period is empty: since (${isoTime(range.since)}) must come before until (${isoTime(range.until)})`);
    }
    this.filter = { customer: customer.id, since: range.since, until: range.until, actions: REPORT_ACTIONS };
    this.connections = new ConnectionsReader(store, customer.id, range);
  }

  /** Reads the next page of the query log, then of the flow exposures; false once everything (or each limit) is read. */
  async step(): Promise<boolean> {
    if (this.done) return this.connections.step();
    const want = Math.min(this.limits.pageSize, this.limits.maxEntries - this.entries);
    const page = await this.store.queryLog(this.filter, want, this.cursor);
    for (const entry of page.entries) this.add(entry);
    this.cursor = page.next;
    // A short or even empty page with a `next` is the store's read budget, not the end: go on while there is one.
    this.done = page.next === null || this.entries >= this.limits.maxEntries;
    return true;
  }

  /** True when the limit stopped the reading before the log's end. */
  get truncated(): boolean {
    return this.done && this.cursor !== null && this.entries >= this.limits.maxEntries;
  }

  private add(entry: QueryLogEntry): void {
    const kind = kindOf(entry.action);
    if (kind === null || entry.customer !== this.customer.id) return;
    this.entries++;
    if (this.oldest === null || entry.ts < this.oldest) this.oldest = entry.ts;
    if (this.clients.size < MAX_CLIENTS) this.clients.add(entry.client);
    const name = escapeName(entry.name);
    const key = `${kind} ${name}`;
    let t = this.tallies.get(key);
    if (t === undefined) {
      if (this.tallies.size >= this.limits.maxItems) {
        if (this.notListed.size < MAX_CLIENTS) this.notListed.add(key);
        return;
      }
      // Newest first: the first entry seen carries the latest verdict and rule.
      t = {
        name,
        kind,
        domain: entry.domain === null ? null : escapeName(entry.domain),
        rule: entry.rule,
        label: entry.verdict,
        score: entry.score,
        reason: entry.reason,
        first: entry.ts,
        last: entry.ts,
        count: 0,
        devices: new Set(),
        capped: false,
        actions: {},
      };
      this.tallies.set(key, t);
    }
    t.count++;
    if (entry.ts < t.first) t.first = entry.ts;
    if (entry.ts > t.last) t.last = entry.ts;
    t.actions[entry.action] = (t.actions[entry.action] ?? 0) + 1;
    if (t.devices.size < this.limits.maxItemDevices) t.devices.add(entry.client);
    else if (!t.devices.has(entry.client)) t.capped = true;
  }

  async finish(): Promise<TransparencyReport> {
    const { store, customer, range } = this;
    const tallies = [...this.tallies.values()];
    const evidence = await EvidenceLookup.load(store, tallies);
    const items = tallies.map((t) => itemOf(t, evidence)).sort(byKindThenCount);
    const totals = { queries: 0, blocked: 0, logged: 0 };
    for (const p of await store.stats({ since: range.since, until: range.until, step: statsStep(range), customer: customer.id })) {
      totals.queries += p.queries;
      totals.blocked += p.blocked;
      totals.logged += p.logged;
    }
    const names = (kind: ItemKind): number => items.filter((i) => i.kind === kind).length;
    return {
      report: 'fluxhound transparency report',
      version: 1,
      generated: this.now.toISOString(),
      customer: { id: customer.id, name: printable(customer.name), contact: printable(customer.contact) },
      period: { since: isoTime(range.since), until: isoTime(range.until) },
      totals: {
        ...totals,
        blocked_names: names('blocked'),
        exposed_names: names('exposed'),
        logged_names: names('logged'),
        clients_affected: this.clients.size,
      },
      coverage: {
        entries: this.entries,
        limit: this.limits.maxEntries,
        complete: !this.truncated,
        oldest_read: this.oldest === null ? null : isoTime(this.oldest),
        names_not_listed: this.notListed.size,
      },
      items,
      connections: await this.connections.finish(),
    };
  }
}

/** The report of `customer` over [since, until), read in one go (the API and the CLI). */
export async function buildReport(store: AsyncStore, customer: Customer, range: { since: number; until: number }, now: Date, limits: ReportLimits = DEFAULT_LIMITS): Promise<TransparencyReport> {
  const builder = new ReportBuilder(store, customer, range, now, limits);
  while (await builder.step());
  return builder.finish();
}

/**
 * The same report, with a turn of the event loop between query-log pages:
 * for callers inside the daemon (the API), where reading 200,000 entries
 * takes seconds (about 40 µs an entry from the SQLite store) that DNS
 * answers must not wait for.
 */
export async function buildReportYielding(
  store: AsyncStore,
  customer: Customer,
  range: { since: number; until: number },
  now: Date,
  limits: ReportLimits = DEFAULT_LIMITS,
): Promise<TransparencyReport> {
  const builder = new ReportBuilder(store, customer, range, now, limits);
  while (await builder.step()) await yieldToLoop();
  return builder.finish();
}

/** One stats point per step, at most ~2,000 over the period (a multiple of 60 s, as the store wants). */
function statsStep(range: { since: number; until: number }): number {
  return 60 * Math.max(1, Math.ceil((range.until - range.since) / 60 / 2000));
}

const KIND_ORDER: Record<ItemKind, number> = { blocked: 0, exposed: 1, logged: 2 };

function byKindThenCount(a: ReportItem, b: ReportItem): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function itemOf(t: Tally, lookup: EvidenceLookup): ReportItem {
  const recorded = t.domain === null ? null : lookup.verdictAt(t.domain, t.last);
  const verdict = recorded === null ? fromEntry(t) : reportVerdict(recorded);
  const basis: ReportBasis | null =
    t.rule === 'denylist'
      ? lookup.denyBasis(t.domain ?? t.name, t.reason ?? '')
      : t.rule === 'verdict'
        ? { rule: 'verdict', verdict: verdict?.label ?? t.label, recorded: verdict?.recorded ?? null }
        : null;
  const item: ReportItem = {
    name: t.name,
    domain: t.domain,
    kind: t.kind,
    first: isoTime(t.first),
    last: isoTime(t.last),
    count: t.count,
    devices: t.devices.size,
    devices_capped: t.capped,
    device_list: [...t.devices].sort().slice(0, DEVICES_LISTED).map(printable),
    actions: inActionOrder(t.actions),
    rule: t.rule,
    why: '',
    verdict,
    basis,
    evidence: recorded === null ? null : evidenceOf(recorded.verdict),
    advice: [],
  };
  const phrases = itemPhrases(item);
  item.why = plainText(phrases.why);
  item.advice = phrases.advice.map(plainText);
  return item;
}

/** Why and what to do, as phrases: the block page's words (src/act/explain.ts). Plain text in the item; HTML renders them again with emphasis. */
export function itemPhrases(item: Pick<ReportItem, 'kind' | 'basis' | 'verdict'>): { why: Phrase; advice: readonly Phrase[] } {
  const why = item.basis?.rule === 'denylist' ? whyDenied(item.basis.comment) : whyFlux(item.verdict?.flux ?? null);
  const advice = item.kind === 'blocked' ? [...BLOCKED_ADVICE, MISTAKE_ADVICE_REPORT] : item.kind === 'exposed' ? EXPOSED_ADVICE : LOGGED_ADVICE;
  return { why, advice };
}

/** Without a recorded verdict, what the query-log entry itself said (a feed's listing: its reason names the feed and the entry). */
function fromEntry(t: Tally): ReportVerdict | null {
  if (t.label === null || (t.rule !== 'verdict' && t.rule !== 'intel')) return null;
  return { label: t.label, flux: null, score: t.score ?? 0, reasons: t.reason === null ? [] : [clip(t.reason)], recorded: null, network: null };
}

function reportVerdict(r: RecordedVerdict): ReportVerdict {
  const v = r.verdict;
  return {
    label: v.verdict,
    flux: v.flux,
    score: Math.round(v.score),
    reasons: v.reasons.slice(0, REASONS_LISTED).map(clip),
    recorded: isoTime(r.ts),
    network: v.network === null ? null : printable(v.network),
  };
}

function evidenceOf(v: Verdict): ReportEvidence {
  const f = v.features;
  const e = v.evidence;
  return {
    addresses: (e?.addresses ?? []).slice(0, ADDRESSES_LISTED).map(reportAddress),
    ips: f?.ips ?? 0,
    asns: f?.asns ?? 0,
    countries: f?.countries ?? 0,
    name_servers: (e?.name_servers ?? []).slice(0, ADDRESSES_LISTED).map(escapeName),
    ns_addresses: (e?.ns_addresses ?? []).slice(0, ADDRESSES_LISTED).map(reportAddress),
  };
}

function reportAddress(a: EvidenceAddress): ReportAddress {
  return { address: printable(a.address), asn: a.asn, known: a.known, last_seen: printable(a.last_seen) };
}

/** Counts keyed in QUERY_ACTIONS order (not in the order the log happened to list them), so the JSON reads the same every time. */
function inActionOrder(counts: Partial<Record<QueryAction, number>>): Partial<Record<QueryAction, number>> {
  const ordered: Partial<Record<QueryAction, number>> = {};
  for (const action of QUERY_ACTIONS) if (counts[action] !== undefined) ordered[action] = counts[action];
  return ordered;
}

function clip(text: string): string {
  return printable(text).slice(0, REASON_CHARS);
}

/** Histories read at once (with a cluster each is a request). */
const HISTORY_READS = 16;

/** The store reads behind the items, each done once per report, all before the items are built. */
class EvidenceLookup {
  private readonly histories = new Map<string, RecordedVerdict[]>();
  private denied: Map<string, { by: string; at: number; comment: string }> | null = null;

  /** Reads the history of every tally's domain and, when a tally was denied, the deny entries and their audit lines. */
  static async load(store: AsyncStore, tallies: readonly Tally[]): Promise<EvidenceLookup> {
    const lookup = new EvidenceLookup();
    const domains = [...new Set(tallies.flatMap((t) => (t.domain === null ? [] : [t.domain])))];
    for (let i = 0; i < domains.length; i += HISTORY_READS) {
      const chunk = domains.slice(i, i + HISTORY_READS);
      const read = await Promise.all(chunk.map((d) => store.history(d)));
      chunk.forEach((d, j) => lookup.histories.set(d, read[j]!.filter((r) => r.verdict.verdict !== 'benign')));
    }
    if (tallies.some((t) => t.rule === 'denylist')) {
      const denied = new Map<string, { by: string; at: number; comment: string }>();
      for (const a of (await store.audit(0, AUDIT_LINES)).reverse()) {
        if (a.action === 'deny.add') denied.set(a.target, { by: a.by, at: a.at, comment: a.comment });
      }
      for (const e of await store.listEntries('deny')) denied.set(e.name, { by: e.by, at: e.at, comment: e.comment });
      lookup.denied = denied;
    }
    return lookup;
  }

  /** The verdict in force at `ts`: the latest flagged one recorded by then, else the first flagged one after (recorded a moment late). */
  verdictAt(domain: string, ts: number): RecordedVerdict | null {
    const history = this.histories.get(domain) ?? [];
    let found: RecordedVerdict | null = null;
    for (const r of history) {
      if (r.ts <= ts) found = r;
      else return found ?? r;
    }
    return found;
  }

  /** Who denied the name and when: the deny entry, or (removed since) its audit line. */
  denyBasis(domain: string, reason: string): ReportBasis {
    const entry = this.denied?.get(domain);
    const comment = printable(entry?.comment ?? reason).slice(0, REASON_CHARS);
    return { rule: 'denylist', comment, by: entry === undefined ? null : printable(entry.by), at: entry === undefined ? null : isoTime(entry.at) };
  }
}
