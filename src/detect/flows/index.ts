/**
 * createFlowAnalysis: the one FlowAnalysis of a run (analyze, batch
 * reporting) or daemon (serve, live reporting). See README.md.
 */
import type { Config } from '../../config/schema.js';
import type { Infra } from '../../enrich/infra/index.js';
import type { FlowEvidence, FlowRecord } from '../../model/flow.js';
import { isPlausibleTime, type DnsObservation } from '../../model/observation.js';
import type { Verdict } from '../../model/verdict.js';
import type { FlowAnalysis, FlowAnalysisStats, FlowFindingSink } from './analysis.js';
import { AnswerTable, type LookupProof } from './answer-table.js';
import { classify, isReply, isServicePort, KNOWN, PUBLIC } from './endpoints.js';
import { ExposureBook, exposureOf, type ExposurePolicy, type ExposureTally } from './exposures.js';
import { closeWindow, noteContact, sketchBits } from './fan-out.js';
import { FluxIndex, type FluxHost } from './flux-index.js';
import { HostTable, type HostEntry } from './host-table.js';
import { Recency } from './recency.js';
import { PEER_SKETCH_WORDS, RemoteTable, type PeerTally } from './remote-table.js';
import { fileFlow, segmentsOf, segmentWithin } from './segments.js';
import { sketchAdd, sketchCount } from './sketch.js';

export interface FlowAnalysisOptions {
  config: Config;
  /** Known CDNs and clouds: their addresses are never flux hosts nor fan-out; null to go without. */
  infra?: Infra | null;
  /** The customer of one of our hosts (serve's CustomerMap: act sits above detect, so a function); null when none. */
  customers?: ((client: string) => string | null) | null;
  findings: FlowFindingSink;
  /** 'batch' (analyze: one exposure line per client, domain and direction at flush) or 'live' (serve). Default 'batch'. */
  reporting?: ExposurePolicy;
}

/** Counts beyond the contract's FlowAnalysisStats (additive). */
export interface FlowAnalysisCounts extends FlowAnalysisStats {
  /** Flows older than the tables' horizon (max(window, fanOut.window) + lateness behind the newest flow): dropped. */
  late: number;
  /** Outbound exposures without a lookup in memory whose proof of "no lookup" was forgotten (tables full): reported as no bypass. */
  bypassUnknown: number;
  /** Flows to or from a flux host that came before its verdict from a client past limits.maxClientsPerAddress: in the flow evidence, in no exposure. */
  unattributed: number;
  /** Flows with an implausible time (isPlausibleTime), an end before the start or negative counts: dropped. */
  invalid: number;
  /** Exposure accumulators reported early to make room (limits.maxHosts). */
  evictedExposures: number;
  /** Flux hosts (addresses of flagged names) forgotten to make room (limits.maxAddresses). */
  evictedFluxHosts: number;
  /** Per-address client tallies held now, and dropped with their addresses (limits.maxClientEntries, maxAddresses). */
  clientEntries: number;
  evictedClientEntries: number;
  /** Flows waiting in dropped tallies that no verdict had joined: lost to a late verdict's exposures. */
  evictedPendingFlows: number;
  /** Clients remembered as having received an address in a DNS answer (DNS bypass proof), and dropped. */
  answerEntries: number;
  evictedAnswerEntries: number;
  /** Names remembered as looked up, over all hosts (limits.maxClientEntries). */
  lookups: number;
  /** Entries held now. */
  hosts: number;
  addresses: number;
  fluxHosts: number;
}

export function createFlowAnalysis(options: FlowAnalysisOptions): FlowAnalysis & { readonly stats: FlowAnalysisCounts; noFlowsToCome(): void } {
  return new FlowJoin(options);
}

class FlowJoin implements FlowAnalysis {
  private readonly lateness: number;
  private readonly window: number;
  private readonly fanWindow: number;
  private readonly fanThreshold: number;
  private readonly fanBits: number;
  private readonly horizon: number;
  private readonly infra: Infra | null;
  private readonly customers: ((client: string) => string | null) | null;
  private readonly findings: FlowFindingSink;
  private readonly remote: RemoteTable;
  private hosts: HostTable;
  private readonly flux: FluxIndex;
  private readonly book: ExposureBook;
  /** Who received each address in an answer (DNS bypass proof). */
  private answers: AnswerTable;
  /** False once told no flow will come (noFlowsToCome): DNS answers and lookups are no longer remembered. */
  private dnsMemory = true;
  /** Hosts with an open fan-out window, in the order the windows opened. */
  private readonly openWindows = new Recency<HostEntry>();
  /** Newest flow end seen (data time). */
  private watermark = -Infinity;
  /** Data time of the next sweep of open fan-out windows (once a second of data time is enough). */
  private nextSweep = -Infinity;
  /** Some DNS observation named its client: without any, DNS bypass cannot be told and is never claimed. */
  private clientsSeen = false;
  private readonly counts = { flows: 0, unmatched: 0, exposures: 0, fanOuts: 0, bypasses: 0, bypassUnknown: 0, late: 0, invalid: 0, unattributed: 0 };

  private readonly config: Config;

  constructor(options: FlowAnalysisOptions) {
    const { config } = options;
    this.config = config;
    this.lateness = config.flows.lateness;
    this.window = config.window;
    this.fanWindow = config.flows.fanOut.window;
    this.fanThreshold = config.flows.fanOut.distinct;
    this.fanBits = sketchBits(this.fanThreshold);
    this.horizon = Math.max(this.window, this.fanWindow) + this.lateness;
    this.infra = options.infra ?? null;
    this.customers = options.customers ?? null;
    this.findings = options.findings;
    const limits = config.flows.limits;
    this.remote = new RemoteTable(limits.maxAddresses, limits.maxClientsPerAddress, limits.maxClientEntries);
    this.answers = new AnswerTable(limits.maxAddresses, limits.maxClientsPerAddress, limits.maxClientEntries);
    this.hosts = this.hostTable(config);
    this.flux = new FluxIndex(this.lateness, limits.maxAddresses, this.infra);
    this.book = new ExposureBook(options.reporting ?? 'batch', this.lateness, limits.maxHosts, (t) => this.reportExposure(t));
  }

  private hostTable(config: Config): HostTable {
    const limits = config.flows.limits;
    return new HostTable(limits.maxHosts, limits.maxLookupsPerHost, (entry) => this.closeHostWindow(entry), limits.maxClientEntries);
  }

  noFlowsToCome(): void {
    if (this.counts.flows > 0 || !this.dnsMemory) return;
    this.dnsMemory = false;
    // Without flows the host table holds lookups only (fan-out windows open on flows): both tables start again empty.
    const limits = this.config.flows.limits;
    this.answers = new AnswerTable(limits.maxAddresses, limits.maxClientsPerAddress, limits.maxClientEntries);
    this.hosts = this.hostTable(this.config);
  }

  get stats(): FlowAnalysisCounts {
    return {
      ...this.counts,
      evictedHosts: this.hosts.evicted,
      evictedAddresses: this.remote.evicted,
      evictedExposures: this.book.evicted,
      evictedFluxHosts: this.flux.evicted,
      clientEntries: this.remote.tallies,
      evictedClientEntries: this.remote.evictedTallies,
      evictedPendingFlows: this.remote.evictedPending,
      answerEntries: this.answers.receiptCount,
      evictedAnswerEntries: this.answers.evicted,
      lookups: this.hosts.lookupCount,
      hosts: this.hosts.size,
      addresses: this.remote.size,
      fluxHosts: this.flux.size,
    };
  }

  flow(f: FlowRecord): void {
    this.counts.flows++;
    // Decoders skip bad records; one that still carries no usable time or counts would poison the watermark or totals.
    if (!isPlausibleTime(f.start) || !isPlausibleTime(f.end) || f.end < f.start || !(f.bytes >= 0) || !(f.packets >= 0)) {
      this.counts.invalid++;
      return;
    }
    if (f.end > this.watermark) this.watermark = f.end;
    else if (f.end < this.watermark - this.horizon) {
      this.counts.late++;
      return;
    }
    const rate = f.samplingRate > 1 && Number.isFinite(f.samplingRate) ? f.samplingRate : 1;
    const bytes = f.bytes * rate;
    const packets = f.packets * rate;
    const sampled = rate > 1;
    // The ports are guessed from only when the format did not say who started the connection (REVIEW16 #2).
    const reply = f.initiator !== 'src' && isReply(f);
    const initiator = reply ? f.dst : f.src;
    const responder = reply ? f.src : f.dst;
    const responderClass = classify(responder, this.infra);
    const initiatorClass = classify(initiator, this.infra);
    let matched = false;
    if (responderClass === PUBLIC) {
      const host = this.flux.match(responder, f.start, f.end);
      const tally = this.remote.add(responder, initiator, 'outbound', f.start, f.end, bytes, packets, sampled);
      if (tally === null && host === null) this.remote.get(responder)!.unattributed++;
      if (tally !== null) this.addSegment(tally, f, bytes, packets, host !== null);
      if (host !== null) {
        matched = true;
        this.join(host, initiator, 'outbound', f.start, f.end, 1, bytes, packets, sampled);
      }
    }
    if (initiatorClass === PUBLIC) {
      const host = this.flux.match(initiator, f.start, f.end);
      const tally = this.remote.add(initiator, responder, 'inbound', f.start, f.end, bytes, packets, sampled);
      if (tally === null && host === null) this.remote.get(initiator)!.unattributed++;
      if (tally !== null) this.addSegment(tally, f, bytes, packets, host !== null);
      if (host !== null) {
        matched = true;
        this.join(host, responder, 'inbound', f.start, f.end, 1, bytes, packets, sampled);
      }
    }
    if (!matched) this.counts.unmatched++;
    if (this.fanThreshold > 0 && responderClass === PUBLIC && initiatorClass !== KNOWN && !isServicePort(reply ? f.srcPort : f.dstPort)) {
      this.countContact(initiator, responder, f.start, f.end);
    }
    if (this.watermark >= this.nextSweep) this.sweepWindows();
  }

  observe(o: DnsObservation): void {
    if (o.origin === 'probe') return;
    if (o.client !== null) {
      this.clientsSeen = true;
      if (this.dnsMemory) this.remember(o, o.client);
    }
    for (const host of this.flux.addAnswer(o)) this.joinPending(host);
  }

  /** Who received which address in an answer, and who looked up what: the DNS bypass proof. */
  private remember(o: DnsObservation, client: string): void {
    let target: string | null = null;
    for (const rr of o.answers) {
      if (rr.type !== 'A' && rr.type !== 'AAAA') continue;
      this.answers.note(rr.data, client, o.ts);
      if (rr.name !== o.qname) target = rr.name;
    }
    this.hosts.noteLookup(client, o.qname, o.ts, target);
  }

  verdict(v: Verdict, _event: 'flag' | 'final'): void {
    for (const host of this.flux.addVerdict(v)) this.joinPending(host);
  }

  flush(): void {
    for (let entry = this.openWindows.shift(); entry !== undefined; entry = this.openWindows.shift()) this.closeHostWindow(entry);
    this.book.flush(this.watermark);
  }

  hasEvidence(): boolean {
    return this.remote.size > 0;
  }

  evidence(addresses: readonly string[], at: number): FlowEvidence | null {
    if (!this.hasEvidence()) return null; // a run without flow inputs: nothing to say, nothing allocated
    const lo = at - this.window - this.lateness;
    const hi = at + this.lateness;
    let taken = 0;
    let flows = 0;
    const clients = new Set<string>();
    const inbound = new Set<string>();
    // Past a tally cap an address knows its peers by sketch only: the union is then a sketch too.
    let outSketch: Uint32Array | null = null;
    let inSketch: Uint32Array | null = null;
    for (const address of addresses) {
      const entry = this.remote.get(address);
      if (entry === undefined || entry.last < lo || entry.first > hi) continue;
      // Only flows inside the window count, and only peers with such a flow (segments.ts).
      let inWindow = 0;
      for (const t of entry.tallies) {
        let n = 0;
        for (const s of segmentsOf(t)) if (segmentWithin(s, lo, hi)) n += s.flows;
        if (n === 0) continue;
        inWindow += n;
        (t.direction === 'outbound' ? clients : inbound).add(t.peer);
      }
      // Untallied flows and sketched peers carry no times: they count only when all of the address's flows lie inside.
      if (entry.outSketch !== null && entry.first >= lo && entry.last <= hi) {
        inWindow += entry.untallied;
        outSketch = orInto(outSketch, entry.outSketch);
        inSketch = orInto(inSketch, entry.inSketch!);
      }
      if (inWindow === 0) continue;
      taken++;
      flows += inWindow;
    }
    if (taken === 0) return null;
    // Each peer counted had a flow counted: a sketch's estimate above the flows is its error.
    return { addresses: taken, clients: Math.min(union(clients, outSketch), flows), inbound: Math.min(union(inbound, inSketch), flows), flows, window: this.window };
  }

  /** Flows counted before a verdict named this address a flux host: join those inside its span (segments.ts), no others. */
  private joinPending(host: FluxHost): void {
    const entry = this.remote.get(host.address);
    if (entry === undefined) return;
    if (entry.unattributed > 0) {
      // Waiting flows of clients past the tally cap: in the evidence, in no exposure; counted once.
      this.counts.unattributed += entry.unattributed;
      entry.unattributed = 0;
    }
    for (const t of entry.tallies) {
      if (t.flows === t.joinedFlows || t.last < host.from || t.first > host.to) continue;
      let flows = 0;
      let bytes = 0;
      let packets = 0;
      let first = Infinity;
      let last = -Infinity;
      for (const s of segmentsOf(t)) {
        if (s.flows === s.joinedFlows || !segmentWithin(s, host.from, host.to)) continue;
        flows += s.flows - s.joinedFlows;
        bytes += s.bytes - s.joinedBytes;
        packets += s.packets - s.joinedPackets;
        first = Math.min(first, s.minStart);
        last = Math.max(last, s.maxEnd);
        s.joinedFlows = s.flows;
        s.joinedBytes = s.bytes;
        s.joinedPackets = s.packets;
      }
      if (flows === 0) continue;
      if (t.segments !== null) {
        // A tally that is its own one segment took the join above already.
        t.joinedFlows += flows;
        t.joinedBytes += bytes;
        t.joinedPackets += packets;
      }
      this.join(host, t.peer, t.direction, first, last, flows, bytes, packets, t.sampled);
    }
  }

  /** File the flow just counted in the tally under its time; joined now when a flux host matched it on arrival. */
  private addSegment(t: PeerTally, f: FlowRecord, bytes: number, packets: number, joined: boolean): void {
    fileFlow(t, f.start, f.end, bytes, packets, this.lateness, joined);
  }

  private join(host: FluxHost, client: string, direction: 'outbound' | 'inbound', first: number, last: number, flows: number, bytes: number, packets: number, sampled: boolean): void {
    this.book.join({ client, domain: host.domain, network: host.network, address: host.address, direction, first, last, flows, bytes, packets, sampled }, this.watermark);
  }

  private reportExposure(t: ExposureTally): void {
    let bypass = false;
    if (t.direction === 'outbound' && this.clientsSeen) {
      const proof = this.lookupProof(t);
      if (proof === 'no') bypass = true;
      else if (proof === 'unknown') this.counts.bypassUnknown++;
    }
    this.counts.exposures++;
    if (bypass) this.counts.bypasses++;
    this.findings.exposure(exposureOf(t, this.customerOf(t.client), bypass, this.lateness));
  }

  /**
   * Whether the client looked the domain up (or an alias of it), or received
   * one of the exposure's addresses in an answer, within lateness before its
   * flows or during them. 'no' only when every memory that could say 'yes'
   * is complete for that span: a bypass is claimed only when proven.
   */
  private lookupProof(t: ExposureTally): LookupProof {
    if (!this.dnsMemory) return 'unknown';
    const from = t.first - this.lateness;
    let proof: LookupProof = this.hosts.lookedUp(t.client, t.domain, from, t.last);
    if (proof === 'yes') return proof;
    for (const address of t.addresses) {
      const received = this.answers.received(address, t.client, from, t.last);
      if (received === 'yes') return received;
      if (received === 'unknown') proof = received;
    }
    // Addresses beyond those the tally remembers were not asked about.
    return t.moreAddresses > 0 ? 'unknown' : proof;
  }

  private customerOf(client: string): string | null {
    return this.customers === null ? null : this.customers(client);
  }

  private countContact(host: string, address: string, start: number, end: number): void {
    const entry = this.hosts.touch(host);
    if (entry.windowStart >= 0 && start >= entry.windowStart + this.fanWindow) {
      this.openWindows.delete(host);
      this.closeHostWindow(entry);
    }
    if (entry.windowStart < 0) {
      // A quiet window in between ends an episode (a window under the threshold does too, at its close).
      if (start >= entry.lastWindowEnd + this.fanWindow) entry.inEpisode = false;
      entry.windowStart = start;
      this.openWindows.add(host, entry);
    }
    noteContact(entry, address, this.flux.match(address, start, end) !== null, start, end, this.fanBits);
  }

  /** Close the windows the data time has passed by lateness (hosts that went quiet). */
  private sweepWindows(): void {
    this.nextSweep = this.watermark + 1;
    const cutoff = this.watermark - this.fanWindow - this.lateness;
    for (let entry = this.openWindows.oldest(); entry !== undefined && entry.windowStart < cutoff; entry = this.openWindows.oldest()) {
      this.openWindows.shift();
      this.closeHostWindow(entry);
    }
  }

  private closeHostWindow(entry: HostEntry): void {
    if (entry.windowStart < 0) return;
    this.openWindows.delete(entry.host);
    const report = closeWindow(entry, this.fanThreshold, this.fanWindow, null);
    if (report === null) return;
    report.customer = this.customerOf(entry.host);
    this.counts.fanOuts++;
    this.findings.fanOut(report);
  }
}

function orInto(into: Uint32Array | null, from: Uint32Array): Uint32Array {
  const out = into ?? new Uint32Array(PEER_SKETCH_WORDS);
  for (let i = 0; i < out.length; i++) out[i]! |= from[i]!;
  return out;
}

/** Distinct peers: the exact set, or with a sketch (some address past its cap) the set sketched in and estimated. */
function union(peers: Set<string>, sketch: Uint32Array | null): number {
  if (sketch === null) return peers.size;
  for (const p of peers) sketchAdd(sketch, p);
  return Math.max(peers.size, sketchCount(sketch));
}
