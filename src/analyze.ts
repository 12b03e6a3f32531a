/**
 * The whole analysis in one function: read inputs → detect → report.
 * Enrichment happens inside detection, once per new address per domain.
 */
import type { VerdictSink } from './act/sink.js';
import type { Config } from './config/schema.js';
import { Detector, type DetectorStats } from './detect/detector.js';
import type { Enricher } from './enrich/enricher.js';
import { describeSources } from './enrich/index.js';
import type { Infra } from './enrich/infra/index.js';
import type { IntelView } from './intel/view.js';
import type { DnsObservation, SkippedRecord } from './model/observation.js';
import type { Exposure, FanOut } from './model/flow.js';
import { CustomerMap } from './act/customers.js';
import { createFlowAnalysis, type FlowAnalysisCounts } from './detect/flows/index.js';
import type { FlowAnalysis, FlowFindingSink } from './detect/flows/analysis.js';
import type { Verdict } from './model/verdict.js';
import type { FluxNetworkSummary } from './detect/networks.js';
import { sourceFormats } from './sources/registry.js';
import type { SourceFormat } from './sources/source.js';
import { createNetflowFormat } from './sources/netflow/index.js';
import { createPcapFormat } from './sources/pcap/index.js';
import { flowFreeFrom, readInputs, type InputSummary } from './sources/input.js';
import { loadAllowlist } from './act/rpz/allowlist.js';
import { isIntelListing } from './detect/intel-verdict.js';
import { PartitionedDetector, type DetectorRecipe } from './detect/parallel/index.js';
import { parallelPlan } from './detect/parallel/plan.js';

export interface AnalyzeOptions {
  files: string[];
  /** 'auto' or a format name from the registry. */
  format: string;
  config: Config;
  enricher: Enricher;
  /** Known CDNs, clouds, pools, dynamic DNS, top sites; null to go without. */
  infra: Infra | null;
  baseline: 'holz' | null;
  /** Threat-intelligence feeds loaded before the input is read (--intel, intel.feeds); null: none. */
  intel?: IntelView | null;
  /** Names intel never flags; absent: the configured allowlist (policy.allowlist, allowlistFiles) when there are feeds. */
  isAllowlisted?: ((name: string) => boolean) | null;
  /** Report benign verdicts too. */
  all: boolean;
  sinks: VerdictSink[];
  onProgress?: (bytesRead: number, totalBytes: number | null, file: string, records: number) => void;
  /** Called once input has ended, before the remaining domains are finalised (for memory measurements); null detector: partitioned run. */
  onInputEnd?: (detector: Detector | null) => void;
  /**
   * Worker threads (--workers, config workers): with 2 or more, an input that qualifies
   * (detect/parallel/README.md: large enough, no flows, no intel feeds) is detected by a
   * PartitionedDetector built from `recipe`; null or absent: one Detector in this thread.
   */
  workers?: AnalyzeWorkers | null;
  /** Every observation read, as it is read (`analyze --cluster` writes them to the cluster); must not throw. */
  onObservation?: (observation: DnsObservation) => void;
}

export interface AnalyzeWorkers {
  count: number;
  /** What each worker loads to build its Detector (the same enricher and reference lists as this thread's). */
  recipe: DetectorRecipe;
  /** Smallest total input (bytes) worth starting workers for; default PARALLEL_MIN_BYTES. */
  minBytes?: number;
  /** The compiled worker (tests running from TypeScript sources). */
  workerUrl?: URL;
}

export interface AnalyzeSummary {
  files: number;
  bytes: number;
  records: number;
  skipped: number;
  /** The first few skipped records, with positions. */
  skippedSamples: SkippedRecord[];
  /** Skipped records per reason. */
  skippedByReason: Map<string, number>;
  detector: DetectorStats;
  /** Domains held in memory when the input ended. */
  trackedAtEnd: number;
  reported: number;
  fastFlux: number;
  suspicious: number;
  /** Names whose answers were injected (a censoring middlebox) or poisoned (Verdict.tampering). */
  injected: number;
  poisoned: number;
  /** Responses the capture sources marked as a second, different response to one query. */
  conflictingResponses: number;
  enrichment: string[];
  /** Flux service networks found, largest first. */
  networks: FluxNetworkSummary[];
  /**
   * Reported verdicts with intel provenance (Verdict.intel): listing verdicts
   * (a feed lists the domain: detect/intel-verdict) and detection verdicts
   * naming feed entries (listed addresses as evidence, or a listing of a
   * name that is fast-flux on its own evidence).
   */
  intelListings: number;
  intelEvidence: number;
  /** Flow data read beside the DNS (NetFlow/IPFIX, conn.log, eve flow, nfdump csv) and what it showed. */
  flows: FlowSummary;
  /**
   * What the flow analysis held at the end to prove DNS bypass (detect/flows): names looked up and
   * answer receipts. Both 0 when the run knew no flow would come (a DNS-only log, a capture with no export traffic).
   */
  bypassMemory: { lookups: number; receipts: number };
  /** Detector threads used: 1 (this thread) or the partitions of a PartitionedDetector. */
  workers: number;
  /** Why the run used one thread although more were asked for (null: as asked). */
  workersNote: string | null;
}

/** The flow side of a run; all zero when no input held flows. */
export interface FlowSummary {
  /** Flow records read. */
  records: number;
  /** Flow records skipped (bad ones, with positions among skippedSamples). */
  skipped: number;
  /** Exposure records reported; of them, DNS bypass (no lookup through the monitored resolvers) and inbound (a flux host called in). */
  exposures: number;
  bypass: number;
  inbound: number;
  /** Fan-out records reported. */
  fanOuts: number;
  /**
   * Flows the analysis dropped: late (ending more than max(window, flows.fanOut.window) + flows.lateness
   * before the newest flow: flow files out of time order) and invalid (impossible times or counts).
   */
  late: number;
  invalid: number;
  /**
   * Flows to or from a flux host, from a client past flows.limits.maxClientsPerAddress, that came
   * before the name's verdict: counted in the flow evidence, in no exposure.
   */
  unattributed: number;
  /** Outbound exposures whose "no lookup" could not be proven (the lookup memory was full): reported as no DNS bypass. */
  bypassUnknown: number;
}

const SKIP_SAMPLES = 10;
const SKIP_REASONS = 100;

export async function analyze(options: AnalyzeOptions): Promise<AnalyzeSummary> {
  const flows: FlowSummary = { records: 0, skipped: 0, exposures: 0, bypass: 0, inbound: 0, fanOuts: 0, late: 0, invalid: 0, unattributed: 0, bypassUnknown: 0 };
  const analysis = flowAnalysisFor(options, flows);
  const plan = await parallelPlan(options.files, options.format, formatsFor(options.config), {
    workers: options.workers?.count ?? 1,
    minBytes: options.workers?.minBytes,
    intel: options.intel !== undefined && options.intel !== null,
  });
  const detector: Detector | PartitionedDetector =
    plan.partitions >= 2 && options.workers !== undefined && options.workers !== null
      ? await PartitionedDetector.start({
          recipe: options.workers.recipe,
          partitions: plan.partitions,
          workerUrl: options.workers.workerUrl,
          onFinal: (v) => report(v),
        })
      : new Detector({
          config: options.config,
          enricher: options.enricher,
          infra: options.infra,
          baseline: options.baseline,
          intel: options.intel ?? null,
          isAllowlisted: options.isAllowlisted !== undefined ? options.isAllowlisted : allowlistFor(options),
          flows: analysis,
          // Final verdicts only, not flag events: a flag verdict's network id (fn-N) is provisional (networks merge and are
          // numbered at the end), and an exposure joined at the flag would keep the old id. The cost: fan-out counts no
          // flux contacts in analyze (no address is a flux host yet when the flows are read).
          onFinal: (v) => report(v),
          reportBenign: options.all,
        });
  // Partitioned: no input holds flows (plan), so the flow analysis has nothing to match lookups against.
  const partitioned = detector instanceof PartitionedDetector ? detector : null;
  const summary: AnalyzeSummary = {
    files: options.files.length,
    bytes: 0,
    records: 0,
    skipped: 0,
    skippedSamples: [],
    skippedByReason: new Map(),
    detector: detector.stats,
    trackedAtEnd: 0,
    reported: 0,
    fastFlux: 0,
    suspicious: 0,
    injected: 0,
    poisoned: 0,
    conflictingResponses: 0,
    enrichment: [
      ...describeSources(options.enricher.sources),
      ...(options.infra === null ? [] : [`infra: data/reference (${options.infra.sources.length} lists)`]),
    ],
    networks: [],
    intelListings: 0,
    intelEvidence: 0,
    flows,
    bypassMemory: { lookups: 0, receipts: 0 },
    workers: partitioned === null ? 1 : partitioned.partitions,
    workersNote: plan.reason,
  };
  /** Set once no flow came and none will (noFlowsToCome): the flow analysis has nothing to match verdicts with. */
  let flowless = false;
  const noFlowsToCome = (): void => {
    analysis.noFlowsToCome();
    flowless = flows.records === 0;
  };
  function report(v: Verdict): void {
    if (reportable(v)) for (const sink of options.sinks) sink.verdict(v);
    // After the verdict line: the exposures this verdict settles follow it in the stream. Without
    // flows there are none, and indexing its addresses as flux hosts (each one's time parsed) is waste.
    if (!flowless) analysis.verdict(v, 'final');
  }
  function reportable(v: Verdict): boolean {
    if (v.tampering?.kind === 'injected') summary.injected++;
    else if (v.tampering?.kind === 'poisoned') summary.poisoned++;
    if (v.verdict === 'fast-flux') summary.fastFlux++;
    else if (v.verdict === 'suspicious') summary.suspicious++;
    // A tampering finding is reported whatever the label: the operator's DNS is being tampered with.
    else if (!options.all && v.tampering === undefined) return false;
    summary.reported++;
    if (v.intel !== undefined) {
      if (isIntelListing(v)) summary.intelListings++;
      else summary.intelEvidence++;
    }
    return true;
  }

  try {
    return await run();
  } finally {
    // On an input error too: no worker outlives the run.
    await partitioned?.close();
  }

  function skip(s: SkippedRecord): void {
    summary.skipped++;
    if (s.flow === true) flows.skipped++;
    if (summary.skippedSamples.length < SKIP_SAMPLES) summary.skippedSamples.push(s);
    const count = summary.skippedByReason.get(s.reason);
    if (count !== undefined) summary.skippedByReason.set(s.reason, count + 1);
    else if (summary.skippedByReason.size < SKIP_REASONS) summary.skippedByReason.set(s.reason, 1);
  }

  /** Partitioned, and nobody here needs each observation: the workers read the inputs themselves (detect/parallel README, "Reading"). */
  async function readInWorkers(workers: PartitionedDetector): Promise<InputSummary[]> {
    // The plan admits DNS-only inputs: no flow will come.
    noFlowsToCome();
    const read = await workers.read(options.files, options.format, {
      onProgress:
        options.onProgress === undefined
          ? undefined
          : (bytes, total, file, records) => {
              summary.records = records;
              options.onProgress?.(bytes, total, file, records);
            },
      onSkip: skip,
    });
    summary.records = read.records;
    summary.conflictingResponses = read.conflictingResponses;
    return read.inputs;
  }

  async function run(): Promise<AnalyzeSummary> {
    if (partitioned !== null && options.onObservation === undefined) return finish(await readInWorkers(partitioned));
    const formats = formatsFor(options.config);
    // From this input on, none holds a flow (a DNS-only format, or a capture scanned for export datagrams first):
    // the flow analysis need not remember the DNS to prove bypasses (most of its cost on a large DNS input).
    const flowFree = await flowFreeFrom(options.files, { format: options.format, formats });
    return finish(await readInputs(options.files, {
      format: options.format,
      formats,
      onProgress:
        options.onProgress === undefined
          ? undefined
          : (read, total, file) => options.onProgress?.(read, total, file, summary.records),
      // Ignored once a flow came (flows before the DNS still prove bypass from the DNS read after them).
      onFormat(_format, index) {
        if (index >= flowFree) noFlowsToCome();
      },
      sink: {
        observe(o) {
          summary.records++;
          if (o.conflict === true) summary.conflictingResponses++;
          // Who looked up what (DNS bypass) and which names answered with which address.
          if (partitioned === null) analysis.observe(o);
          detector.observe(o);
          options.onObservation?.(o);
        },
        skip,
        flow(f) {
          flows.records++;
          analysis.flow(f);
        },
      },
    }));
  }

  async function finish(inputs: InputSummary[]): Promise<AnalyzeSummary> {
    for (const input of inputs) summary.bytes += input.bytes;
    if (partitioned === null) {
      summary.trackedAtEnd = detector.tracked;
      options.onInputEnd?.(detector as Detector);
      detector.flush();
    } else {
      options.onInputEnd?.(null);
      await partitioned.flush();
      summary.trackedAtEnd = partitioned.tracked;
    }
    // Every verdict is final now: what the flows still hold (exposures, fan-out) is reported before the sinks close.
    analysis.flush();
    flows.late = analysis.stats.late;
    flows.invalid = analysis.stats.invalid;
    flows.unattributed = analysis.stats.unattributed;
    flows.bypassUnknown = analysis.stats.bypassUnknown;
    summary.bypassMemory = { lookups: analysis.stats.lookups, receipts: analysis.stats.answerEntries };
    summary.networks = detector.networks.summaries();
    for (const sink of options.sinks) sink.networks?.(summary.networks);
    for (const sink of options.sinks) await sink.close();
    return summary;
  }
}

/**
 * The run's flow analysis; its findings go to every sink that takes them
 * (NDJSON, table) and are counted for the summary. Clients are attributed
 * to the configured customers (config customers), as the daemon's query log does.
 */
function flowAnalysisFor(options: AnalyzeOptions, flows: FlowSummary): FlowAnalysis & { readonly stats: FlowAnalysisCounts; noFlowsToCome(): void } {
  const customers = new CustomerMap(options.config.customers);
  const findings: FlowFindingSink = {
    exposure(e: Exposure) {
      flows.exposures++;
      if (e.bypass) flows.bypass++;
      if (e.direction === 'inbound') flows.inbound++;
      for (const sink of options.sinks) sink.exposure?.(e);
    },
    fanOut(f: FanOut) {
      flows.fanOuts++;
      for (const sink of options.sinks) sink.fanOut?.(f);
    },
  };
  return createFlowAnalysis({
    config: options.config,
    infra: options.infra,
    customers: customers.size === 0 ? null : (client: string) => customers.customerOf(client)?.id ?? null,
    findings,
    // One exposure line per client, domain and direction, totalled over the run, reported at flush.
    reporting: 'batch',
  });
}

/** The registry's formats, the NetFlow/IPFIX reader with the configured template lifetime and cap (flows.templates). */
function formatsFor(config: Config): SourceFormat[] {
  const templates = { lifetimeSeconds: config.flows.templates.lifetime, maxTemplates: config.flows.templates.max };
  return sourceFormats.map((format) =>
    format.name === 'netflow' ? createNetflowFormat({ templates }) : format.name === 'pcap' ? createPcapFormat({ flowTemplates: templates }) : format,
  );
}

/** The configured allowlist, read only when feeds could flag something (intel never overrides it). */
function allowlistFor(options: AnalyzeOptions): ((name: string) => boolean) | null {
  if (options.intel === undefined || options.intel === null) return null;
  const allowlist = loadAllowlist(options.config.policy);
  return allowlist.size === 0 ? null : (name) => allowlist.isAllowed(name);
}
