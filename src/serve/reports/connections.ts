/**
 * The report's section "Hosts that connected to flux" (issue 16): from the
 * store's flow exposures, the customer's devices that exchanged traffic with
 * an address of a flagged name or a flux network over the period, counted
 * per domain, with those that did so without looking the name up through
 * the monitored resolvers (DNS bypass: a resolver of their own, a hard-coded
 * address, malware). Flow data is stronger evidence than a DNS answer: the
 * device did connect. Bounded: at most MAX_ROWS exposure rows are read
 * (newest first); `complete` says whether that was all of them.
 */
import { printable } from '../../act/report/table.js';
import { escapeName } from '../../dns/name-text.js';
import { isoTime } from '../../model/verdict.js';
import type { Exposure } from '../../model/flow.js';
import type { AsyncStore } from '../../store/store.js';

/** Exposure rows read per report at most (one per device, domain and direction). */
export const MAX_ROWS = 20_000;
const PAGE = 1000;
/** Devices named per domain (the counts cover the rest). */
const DEVICES_LISTED = 20;
/** Domains listed (ordered by devices); the totals cover the rest. */
const DOMAINS_LISTED = 500;

export interface ConnectedDomain {
  /** The flagged name, in the one escaping rule. */
  domain: string;
  /** Distinct devices that connected to its addresses (outbound). */
  hosts: number;
  /** Of those, devices with no lookup of the name through the monitored resolvers. */
  bypass: number;
  /** Distinct devices its addresses connected to (inbound: flux bots calling in). */
  inbound: number;
  flows: number;
  /** Bytes, multiplied by the sampling rate where the exporter sampled (then an estimate). */
  bytes: number;
  sampled: boolean;
  first: string;
  last: string;
  /** Up to 20 of the devices, sorted. */
  device_list: string[];
  /** The flux network ('fn-3') of the latest exposure; null if none. */
  network: string | null;
}

export interface ReportConnections {
  /** Distinct devices that connected to a flux host (outbound), over every domain. */
  hosts: number;
  /** Of those, devices that did so at least once without a lookup through the monitored resolvers. */
  bypass: number;
  /** Distinct devices flux hosts connected to (inbound). */
  inbound: number;
  /** Exposure rows read. */
  rows: number;
  /** False when MAX_ROWS cut the reading short (the counts are then lower bounds). */
  complete: boolean;
  /** Domains with the most devices first. */
  domains: ConnectedDomain[];
}

interface DomainTally {
  hosts: Set<string>;
  bypass: Set<string>;
  inbound: Set<string>;
  flows: number;
  bytes: number;
  sampled: boolean;
  first: number;
  last: number;
  network: string | null;
}

/**
 * Reads the section page by page (step), so a caller inside the daemon can
 * yield between pages as it does between query-log pages; finish() makes
 * the section.
 */
export class ConnectionsReader {
  private readonly tallies = new Map<string, DomainTally>();
  private readonly hosts = new Set<string>();
  private readonly bypass = new Set<string>();
  private readonly inbound = new Set<string>();
  private rows = 0;
  private cursor: string | null = null;
  private done = false;
  private complete = true;

  constructor(
    private readonly store: AsyncStore,
    private readonly customer: string,
    private readonly range: { since: number; until: number },
    private readonly maxRows = MAX_ROWS,
  ) {}

  /** Reads the next page of exposures; false once everything (or the bound) is read. */
  async step(): Promise<boolean> {
    if (this.done) return false;
    const { since, until } = this.range;
    const page = await this.store.exposures({ customer: this.customer, since, until }, Math.min(PAGE, this.maxRows - this.rows), this.cursor);
    for (const e of page.items) this.add(e);
    this.cursor = page.next;
    if (this.cursor !== null && this.rows >= this.maxRows) this.complete = false;
    this.done = this.cursor === null || this.rows >= this.maxRows;
    return !this.done;
  }

  async finish(): Promise<ReportConnections> {
    while (await this.step());
    const domains = [...this.tallies.entries()]
      .map(([domain, t]): ConnectedDomain => ({
        domain,
        hosts: t.hosts.size,
        bypass: t.bypass.size,
        inbound: t.inbound.size,
        flows: t.flows,
        bytes: t.bytes,
        sampled: t.sampled,
        first: isoTime(t.first),
        last: isoTime(t.last),
        device_list: [...new Set([...t.hosts, ...t.inbound])].sort().slice(0, DEVICES_LISTED),
        network: t.network,
      }))
      .sort((a, b) => b.hosts + b.inbound - (a.hosts + a.inbound) || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0))
      .slice(0, DOMAINS_LISTED);
    return { hosts: this.hosts.size, bypass: this.bypass.size, inbound: this.inbound.size, rows: this.rows, complete: this.complete, domains };
  }

  private add(e: Exposure): void {
    this.rows++;
    const domain = escapeName(e.domain);
    const client = printable(e.client);
    let t = this.tallies.get(domain);
    if (t === undefined) {
      // Newest first: the first row seen carries the latest network.
      t = { hosts: new Set(), bypass: new Set(), inbound: new Set(), flows: 0, bytes: 0, sampled: false, first: Infinity, last: -Infinity, network: e.network === null ? null : printable(e.network) };
      this.tallies.set(domain, t);
    }
    if (e.direction === 'outbound') {
      t.hosts.add(client);
      this.hosts.add(client);
      if (e.bypass) {
        t.bypass.add(client);
        this.bypass.add(client);
      }
    } else {
      t.inbound.add(client);
      this.inbound.add(client);
    }
    t.flows += e.flows;
    t.bytes += e.bytes;
    t.sampled ||= e.sampled;
    t.first = Math.min(t.first, Date.parse(e.first) / 1000);
    t.last = Math.max(t.last, Date.parse(e.last) / 1000);
  }
}

/** The section for one customer over [since, until), read in one go. */
export function connectionsOf(store: AsyncStore, customer: string, range: { since: number; until: number }, maxRows = MAX_ROWS): Promise<ReportConnections> {
  return new ConnectionsReader(store, customer, range, maxRows).finish();
}

/** The row's reason in plain words. */
export function connectedWhy(d: ConnectedDomain): string {
  const parts = [`${d.hosts} device${d.hosts === 1 ? '' : 's'} connected to addresses of ${d.domain}${d.network === null ? '' : ` (flux network ${d.network})`} in ${d.flows} flow${d.flows === 1 ? '' : 's'}`];
  if (d.bypass > 0) parts.push(`${d.bypass} of them without a lookup through our resolvers (DNS bypass)`);
  if (d.inbound > 0) parts.push(`its addresses connected to ${d.inbound} device${d.inbound === 1 ? '' : 's'}`);
  return parts.join('; ');
}
