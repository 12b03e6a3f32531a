/**
 * Exposures being counted: one per client, flagged domain and direction,
 * with totals over the flows joined to it. When they are reported is the
 * caller's choice (ExposurePolicy): 'batch' (analyze) reports each once, at
 * flush; 'live' (serve) reports on the first flow and again only when the
 * totals grew and at least flows.lateness (data time) passed since the last
 * report. Bounded by limits.maxHosts accumulators; the least recently
 * joined one is reported early to make room (counted in `evicted`): its
 * client's later flows start a new line.
 */
import { escapeName } from '../../dns/name-text.js';
import type { Exposure, FlowDirection } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import { plural } from '../features/family.js';
import { Recency } from './recency.js';

export type ExposurePolicy = 'batch' | 'live';

/** Addresses of the domain a client reached that one exposure remembers (the first is named, the rest counted; DNS bypass asks about each). */
const ADDRESSES_KEPT = 16;

export interface ExposureTally {
  client: string;
  domain: string;
  direction: FlowDirection;
  network: string | null;
  addresses: string[];
  /** Addresses joined beyond ADDRESSES_KEPT (not told apart: may repeat). */
  moreAddresses: number;
  first: number;
  last: number;
  flows: number;
  bytes: number;
  packets: number;
  sampled: boolean;
  /** Flows at the last report (0: never reported) and its data time. */
  reportedFlows: number;
  reportedAt: number;
}

export interface ExposureJoin {
  client: string;
  domain: string;
  network: string | null;
  address: string;
  direction: FlowDirection;
  first: number;
  last: number;
  flows: number;
  bytes: number;
  packets: number;
  sampled: boolean;
}

export class ExposureBook {
  private readonly tallies = new Recency<ExposureTally>();
  evicted = 0;

  constructor(
    private readonly policy: ExposurePolicy,
    private readonly lateness: number,
    private readonly max: number,
    /** Builds and hands out one exposure line (bypass and customer are the caller's). */
    private readonly report: (t: ExposureTally) => void,
  ) {}

  get size(): number {
    return this.tallies.size;
  }

  /** Add flows to the client's exposure to the domain; `now` is the data time (live reporting). */
  join(j: ExposureJoin, now: number): void {
    const key = `${j.direction === 'outbound' ? '>' : '<'}${j.client} ${j.domain}`;
    let t = this.tallies.use(key);
    if (t === undefined) {
      if (this.tallies.size >= this.max) this.evictOldest();
      t = { client: j.client, domain: j.domain, direction: j.direction, network: j.network, addresses: [j.address], moreAddresses: 0, first: j.first, last: j.last, flows: 0, bytes: 0, packets: 0, sampled: false, reportedFlows: 0, reportedAt: -Infinity };
      this.tallies.add(key, t);
    } else {
      if (!t.addresses.includes(j.address)) {
        if (t.addresses.length < ADDRESSES_KEPT) t.addresses.push(j.address);
        else t.moreAddresses++;
      }
      if (j.first < t.first) t.first = j.first;
      if (j.last > t.last) t.last = j.last;
      t.network = j.network ?? t.network;
    }
    t.flows += j.flows;
    t.bytes += j.bytes;
    t.packets += j.packets;
    if (j.sampled) t.sampled = true;
    if (this.policy === 'live' && (t.reportedFlows === 0 || (t.flows > t.reportedFlows && now - t.reportedAt >= this.lateness))) this.emit(t, now);
  }

  /** Report every tally not reported with its current totals. */
  flush(now: number): void {
    for (const t of this.tallies.values()) if (t.flows > t.reportedFlows) this.emit(t, now);
    if (this.policy === 'batch') this.tallies.clear();
  }

  private evictOldest(): void {
    const t = this.tallies.shift();
    if (t === undefined) return;
    this.evicted++;
    if (t.flows > t.reportedFlows) this.emit(t, t.last);
  }

  private emit(t: ExposureTally, now: number): void {
    t.reportedFlows = t.flows;
    t.reportedAt = now;
    this.report(t);
  }
}

/** The NDJSON record for a tally (bypass and customer decided by the caller). */
export function exposureOf(t: ExposureTally, customer: string | null, bypass: boolean, lateness: number): Exposure {
  return {
    record: 'exposure',
    client: t.client,
    customer,
    address: t.addresses[0]!,
    domain: t.domain,
    network: t.network,
    first: isoTime(t.first),
    last: isoTime(t.last),
    flows: t.flows,
    bytes: Math.round(t.bytes),
    packets: Math.round(t.packets),
    sampled: t.sampled,
    direction: t.direction,
    bypass,
    reason: exposureReason(t, bypass, lateness),
  };
}

/** "10.0.0.7 connected to 51.178.15.143 (flux.example, fn-1) in 3 flows, 1.2 MB, 40 packets, 12:00:01–12:04:10 UTC" */
export function exposureReason(t: ExposureTally, bypass: boolean, lateness: number): string {
  const others = t.addresses.length - 1;
  const more = t.moreAddresses > 0 ? `at least ${plural(others, 'more address', 'more addresses')}` : plural(others, 'more address', 'more addresses');
  const where = `${t.addresses[0]!}${others > 0 ? ` and ${more}` : ''} (${escapeName(t.domain)}${t.network === null ? '' : `, ${t.network}`})`;
  const what = `${plural(t.flows, 'flow')}, ${bytesText(t.bytes)}, ${plural(Math.round(t.packets), 'packet')}${t.sampled ? ' (estimated from sampled flows)' : ''}, ${clock(t.first)}–${clock(t.last)} UTC`;
  const head = t.direction === 'outbound' ? `${t.client} connected to ${where} in ${what}` : `${where} connected in to ${t.client} in ${what}`;
  return bypass ? `${head}; no lookup of ${escapeName(t.domain)} or of a name answering with that address through the monitored resolvers within ${lateness} s before (DNS bypass)` : head;
}

function clock(t: number): string {
  const iso = isoTime(t);
  return iso === '' ? '?' : iso.slice(11, 19);
}

export function bytesText(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]!}`;
}
