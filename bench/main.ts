/**
 * `npm run bench`: fluxhound against DuckDB on a generated Zeek dns.log, plus
 * the memory-per-domain scenario and the enrichment lookup micro-benchmark.
 * See bench/README.md for what is measured and how to read it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ensureDataset, memorySpec, throughputSpec } from './dataset.js';
import type { Dataset } from './dataset.js';
import type { DuckdbVariant } from './duckdb-count.js';
import type { DuckdbRun } from './duckdb-run.js';
import { runDuckdb, runDuckdbFeatures, runPlainJs } from './duckdb-run.js';
import { ensureRangesDatabase } from './duckdb-features.js';
import type { FluxhoundRun } from './fluxhound-run.js';
import { runFluxhound, workersArgs, workersLabel } from './fluxhound-run.js';
import { formatReport } from './report.js';
import { benchDnstap, DEFAULT_DNSTAP_OPTIONS, formatDnstap } from './dnstap.js'; // dnstap listener (bench/dnstap.ts)
import { benchDns, dnsBenchOptionsFromEnv, formatDns } from './dnsperf.js'; // Protective DNS forwarder vs Unbound (bench/dnsperf.ts)
import { benchEncryptedDns, encryptedDnsOptionsFromEnv, formatEncryptedDns } from './encrypted-dns.js'; // DoT and DoH vs Unbound's own (bench/encrypted-dns.ts)
import { benchPcap, DEFAULT_PCAP_OPTIONS, formatPcap } from './pcap.js'; // pcap decoding vs tshark (bench/pcap.ts)
import { benchFlowLogs, DEFAULT_FLOW_LOG_OPTIONS, formatFlowLogs } from './flow-logs.js'; // conn.log throughput vs awk (bench/flow-logs.ts)
import { benchForwarderLog, formatForwarderLog, forwarderLogBenchOptionsFromEnv } from './querylog-forwarder.js'; // the forwarder with and without the query log (bench/querylog-forwarder.ts)
import { formatSoak, runSoak, soakOptions } from './soak.js'; // hostile clients on every listener at once (bench/soak.ts)
import { benchQuerylog, formatQuerylog, optionsFromEnv as querylogOptionsFromEnv } from './querylog.js'; // the query log at 10M rows (bench/querylog.ts)
import { benchIntel, formatIntel, optionsFromEnv as intelOptionsFromEnv } from './intel.js'; // a 1M-entry intel feed: load and hot-path lookups (bench/intel.ts)
import { benchIntelPeer, formatIntelPeer, optionsFromEnv as intelPeerOptionsFromEnv, type IntelPeerFigures } from './intel-peer.js'; // the same feed as RPZ, loaded by Unbound and by fluxhound (bench/intel-peer.ts)
import { benchFlows, formatFlows, optionsFromEnv as flowsOptionsFromEnv, type FlowFigures } from './flows.js'; // the flow collector's zero-loss rate against nfcapd (bench/flows.ts)
import { benchFlowMemory, formatFlowMemory, type FlowMemoryFigures } from './flow-memory.js'; // memory per tracked host in the flow analysis (bench/flow-memory.ts)
import type { BenchResults, EnrichFigures } from './results.js';
import type { SideSummary } from './summary.js';
import { featureRatio, summariseDuckdb, summariseFluxhound, summariseMemory, throughputRatio } from './summary.js';
import { clusterFigures, type ClusterPart } from './cluster-parts.js';
import { floorRuns, formatFloor } from './plain-js-features-part.js'; // the per-name features in plain JS: the floor (bench/plain-js-features.ts)

const ROOT = resolve(import.meta.dirname, '../..');
const DATA_DIR = join(ROOT, 'bench/.data');
const RATIO_TARGET = 1.5;
/** Issue 18: analyze on all cores against DuckDB's per-name feature query on all cores. */
const FEATURE_TARGET = 1.0;
const FEATURE_GOAL = 1.5;
const MEMORY_TARGET_BYTES = 1024;

interface Options {
  records: number;
  runs: number;
  seed: number;
  memoryNames: number;
  skip: Set<string>;
}

const USAGE = `usage: npm run bench -- [--records N] [--runs N] [--seed N] [--memory-names N] [--skip fluxhound,duckdb-features,plain-js-features,duckdb,plain-js,memory,enrich,dnstap,pcap,flow-logs,dns,encrypted-dns,querylog-forwarder,soak,querylog,intel,flows,flow-memory,cluster-ingest,cluster-judge]
  --records N        records in the throughput file (default 5000000)
  --runs N           runs per side; medians are reported (default 3)
  --seed N           corpus seed (default 1)
  --memory-names N   distinct names asked in the memory scenario (default 1000000)
  --skip LIST        parts to leave out
The DNS bench, the soak and the query log take their settings from the environment: FLUXHOUND_BENCH_DNS_*,
FLUXHOUND_BENCH_SOAK_* (node dist/bench/soak.js --help lists the soak's), FLUXHOUND_BENCH_QUERYLOG_ROWS/_RUNS
FLUXHOUND_BENCH_QLOG_FORWARDER_SECONDS/_RUNS (the forwarder with and without the query log) and
FLUXHOUND_BENCH_INTEL_ENTRIES/_LOOKUPS (the intel feed), FLUXHOUND_BENCH_INTEL_PEER_RUNS (its runs against Unbound, 3),
FLUXHOUND_BENCH_FLOWS_CONVERSATIONS/_RUNS/_SECONDS/_VERSION/_START/_MAX (the flow collector against nfcapd) and
FLUXHOUND_BENCH_FLOW_HOSTS (hosts through the flow analysis, 1000000), FLUXHOUND_BENCH_ENCRYPTED_SECONDS/_RUNS/_NAMES/
_CLIENTS/_OUTSTANDING (DoT and DoH against Unbound's).`;

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { records: 5_000_000, runs: 3, seed: 1, memoryNames: 1_000_000, skip: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`bench: ${flag} needs a value\n${USAGE}`);
    if (flag === '--skip') {
      for (const part of value.split(',')) options.skip.add(part.trim());
      continue;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bench: ${flag} takes a positive whole number, not '${value}'`);
    if (flag === '--records') options.records = n;
    else if (flag === '--runs') options.runs = n;
    else if (flag === '--seed') options.seed = n;
    else if (flag === '--memory-names') options.memoryNames = n;
    else throw new Error(`bench: unknown flag ${flag}\n${USAGE}`);
  }
  return options;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describeDataset(what: string, d: Dataset): void {
  const how = d.generation === null ? 'reused' : `generated in ${d.generation.seconds.toFixed(1)} s, ${Math.round(d.generation.linesPerSecond).toLocaleString('en-US')} lines/s`;
  log(`${what}: ${relative(ROOT, d.path)} (${d.records.toLocaleString('en-US')} records, ${(d.bytes / 1e6).toFixed(0)} MB, ${how})`);
}

/**
 * `runs` measurements of one side, each logged with its time; the first
 * failure is recorded and ends that side (what was measured is kept).
 */
async function repeatRuns<T>(what: string, runs: number, failures: string[], measure: () => Promise<T>, seconds: (run: T) => number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      const run = await measure();
      out.push(run);
      log(`${what} run ${i + 1}/${runs}: ${seconds(run).toFixed(2)} s`);
    } catch (error) {
      failures.push((error as Error).message);
      log((error as Error).message);
      break;
    }
  }
  return out;
}

async function fluxhoundRuns(dataset: Dataset, runs: number, failures: string[], workers: readonly string[]): Promise<FluxhoundRun[]> {
  return repeatRuns('fluxhound', runs, failures, () => runFluxhound(ROOT, dataset.path, DATA_DIR, workers), (r) => r.stats.elapsedMs / 1000);
}

/** DuckDB's per-name feature query (bench/duckdb-features.ts), default threads; the range tables are loaded once, untimed. */
async function featureRuns(dataset: Dataset, runs: number, failures: string[]): Promise<DuckdbRun[]> {
  let ranges: string;
  try {
    ranges = await ensureRangesDatabase(DATA_DIR);
  } catch (error) {
    failures.push(`duckdb features: range tables: ${(error as Error).message}`);
    return [];
  }
  return repeatRuns('duckdb features', runs, failures, () => runDuckdbFeatures(dataset.path, ranges, null, DATA_DIR), countSeconds);
}

const DUCKDB_CASES: readonly { key: string; label: string; variant: DuckdbVariant; threads: number | null }[] = [
  { key: 'unnest-default', label: 'DuckDB distinct answers, default threads', variant: 'unnest', threads: null },
  { key: 'unnest-1', label: 'DuckDB distinct answers, 1 thread', variant: 'unnest', threads: 1 },
  { key: 'sets-default', label: 'DuckDB distinct answer sets, default thr.', variant: 'sets', threads: null },
];

const countSeconds = (run: DuckdbRun): number => run.result.elapsedMs / 1000;

async function duckdbRuns(dataset: Dataset, runs: number, failures: string[]): Promise<Record<string, DuckdbRun[]>> {
  const out: Record<string, DuckdbRun[]> = {};
  for (const c of DUCKDB_CASES) {
    out[c.key] = await repeatRuns(`duckdb ${c.key}`, runs, failures, () => runDuckdb(dataset.path, c.variant, c.threads, DATA_DIR), countSeconds);
  }
  return out;
}

/** DuckDB's query in plain JavaScript (bench/plain-js-count.ts): how fast any JS analyzer could go. */
async function plainJsRuns(dataset: Dataset, runs: number, failures: string[]): Promise<DuckdbRun[]> {
  return repeatRuns('plain-js', runs, failures, () => runPlainJs(dataset.path, DATA_DIR), countSeconds);
}

/** bench/enrich-lookup.ts belongs to the enrichment work; it is optional here. */
async function enrichFigures(failures: string[]): Promise<EnrichFigures | null> {
  const url = new URL('./enrich-lookup.js', import.meta.url);
  if (!existsSync(url)) return null;
  try {
    const module = (await import(url.href)) as { benchEnrich?: () => Promise<EnrichFigures> };
    if (typeof module.benchEnrich !== 'function') throw new Error('bench: enrich-lookup.js has no benchEnrich()');
    return await module.benchEnrich();
  } catch (error) {
    failures.push(`enrich: ${(error as Error).message}`);
    return null;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  mkdirSync(DATA_DIR, { recursive: true });
  const failures: string[] = [];
  const startedAt = new Date().toISOString();

  const dataset = await ensureDataset(DATA_DIR, 'throughput', throughputSpec(options.seed, options.records));
  describeDataset('throughput input', dataset);
  // All cores when the build has --workers (issue 18), as the feature query has all of DuckDB's threads.
  const workers = workersArgs(ROOT);
  log(`fluxhound: ${workersLabel(workers)}`);
  const fluxhound = options.skip.has('fluxhound') ? [] : await fluxhoundRuns(dataset, options.runs, failures, workers);
  const features = options.skip.has('duckdb-features') ? [] : await featureRuns(dataset, options.runs, failures);
  // The floor alternates with DuckDB's feature query itself; right after the main runs, in the same spell of the host.
  const floor = options.skip.has('plain-js-features') ? null : await floorRuns(dataset, DATA_DIR, options.runs, failures, log);
  const duckdb = options.skip.has('duckdb') ? {} : await duckdbRuns(dataset, options.runs, failures);
  const plainJs = options.skip.has('plain-js') ? [] : await plainJsRuns(dataset, options.runs, failures);

  let memoryDataset: Dataset | null = null;
  let memory: FluxhoundRun | null = null;
  if (!options.skip.has('memory') && !options.skip.has('fluxhound')) {
    memoryDataset = await ensureDataset(DATA_DIR, 'memory', memorySpec(options.seed, options.memoryNames));
    describeDataset('memory input', memoryDataset);
    try {
      // Room for every name, so the figure is per tracked domain rather than an eviction limit's effect.
      const maxDomains = String(memoryDataset.records * 2);
      memory = await runFluxhound(ROOT, memoryDataset.path, DATA_DIR, ['--max-domains', maxDomains], { heap: true });
    } catch (error) {
      failures.push(`memory scenario: ${(error as Error).message}`);
    }
  }
  const enrich = options.skip.has('enrich') ? null : await enrichFigures(failures);
  // dnstap listener rate (bench/dnstap.ts): its own lines after the report, its failures counted.
  const dnstap = options.skip.has('dnstap') ? null : await benchDnstap({ ...DEFAULT_DNSTAP_OPTIONS, runs: options.runs }, log);
  if (dnstap !== null) failures.push(...dnstap.failures.map((f) => `dnstap: ${f}`));
  // Protective DNS forwarder vs Unbound with dnsperf (bench/dnsperf.ts): its own lines after the report, its failures counted.
  const dns = options.skip.has('dns') ? null : await benchDns(dnsBenchOptionsFromEnv(), log);
  if (dns !== null) failures.push(...dns.failures.map((f) => `dns: ${f}`));
  // DoT and DoH against Unbound's own on the same names (bench/encrypted-dns.ts): its own lines after the report.
  const encrypted = options.skip.has('encrypted-dns') ? null : await benchEncryptedDns(encryptedDnsOptionsFromEnv(), log);
  if (encrypted !== null) failures.push(...encrypted.failures.map((f) => `encrypted-dns: ${f}`));
  // The forwarder's qps without and with recording every query (bench/querylog-forwarder.ts), in one run.
  const forwarderLog = options.skip.has('querylog-forwarder') ? null : await benchForwarderLog(forwarderLogBenchOptionsFromEnv(), log);
  if (forwarderLog !== null) failures.push(...forwarderLog.failures.map((f) => `querylog-forwarder: ${f}`));
  // The soak (bench/soak.ts): every listener attacked at once while dnsperf measures good clients; a target missed is a failure.
  const soak = options.skip.has('soak') ? null : await runSoak(soakOptions([]), log);
  if (soak !== null) failures.push(...soak.failures.map((f) => `soak: ${f}`), ...soak.verdicts.filter((v) => !v.pass).map((v) => `soak: target missed: ${v.what}: ${v.figure}`));
  // pcap decoding against tshark on one generated capture (bench/pcap.ts): its own lines after the report.
  const pcap = options.skip.has('pcap') ? null : await benchPcap({ ...DEFAULT_PCAP_OPTIONS, runs: options.runs }, log);
  if (pcap !== null) failures.push(...pcap.failures.map((f) => `pcap: ${f}`));
  // conn.log throughput against awk on the same generated file (bench/flow-logs.ts): its own lines after the report.
  const flowLogs = options.skip.has('flow-logs') ? null : await benchFlowLogs({ ...DEFAULT_FLOW_LOG_OPTIONS, runs: Math.max(options.runs, 3) }, log);
  if (flowLogs !== null) failures.push(...flowLogs.failures.map((f) => `flow-logs: ${f}`));

  // The query log at scale (bench/querylog.ts): 10M rows through the writer thread, then the console's searches against 1 s.
  const querylog = options.skip.has('querylog') ? null : await benchQuerylog(querylogOptionsFromEnv(), log);
  if (querylog !== null) failures.push(...querylog.failures);

  // A 1M-entry intel feed (bench/intel.ts): parse and index time, heap, allocation-free lookups; its own lines after the report.
  const intel = options.skip.has('intel') ? null : benchIntel(intelOptionsFromEnv(), log);
  // Its named peer, side by side: the same feed as an RPZ zone, Unbound's load against fluxhound's, with the ratio.
  let intelPeer: IntelPeerFigures | null = null;
  if (!options.skip.has('intel')) {
    try {
      intelPeer = await benchIntelPeer(intelPeerOptionsFromEnv(), log);
    } catch (err) {
      failures.push(`intel peer: ${(err as Error).message}`);
    }
  }

  // The flow collector against nfcapd on one softflowd stream (bench/flows.ts), side by side with the ratio.
  let flows: FlowFigures | null = null;
  if (!options.skip.has('flows')) {
    try {
      flows = await benchFlows(flowsOptionsFromEnv(), log);
      failures.push(...flows.failures);
    } catch (err) {
      failures.push(`flows: ${(err as Error).message}`);
    }
  }
  // Memory per tracked host in the flow analysis, with room for all and with the default limits (bench/flow-memory.ts).
  let flowMemory: FlowMemoryFigures | null = null;
  if (!options.skip.has('flow-memory')) {
    try {
      flowMemory = benchFlowMemory(Number(process.env.FLUXHOUND_BENCH_FLOW_HOSTS ?? 1_000_000), log);
    } catch (err) {
      failures.push(`flow memory: ${(err as Error).message}`);
    }
  }

  // The cluster parts (bench/cluster-ingest.ts, bench/cluster-judge.ts), when this build has them.
  const cluster: ClusterPart[] = [];
  for (const part of ['cluster-ingest', 'cluster-judge'] as const) {
    if (options.skip.has(part)) continue;
    const figures = await clusterFigures(part, log);
    if (figures === null) continue;
    cluster.push(figures);
    failures.push(...figures.failures.map((f) => `${part}: ${f}`));
  }

  const flux = fluxhound.length > 0 ? summariseFluxhound(dataset, fluxhound, workersLabel(workers, fluxhound[0]?.stats)) : null;
  const why = fluxhound[0]?.stats.workersNote;
  if (workers.length > 0 && typeof why === 'string') log(`fluxhound: one detector thread: ${why}`);
  const featureSide = features.length > 0 ? summariseDuckdb('DuckDB per-name features, default thr.', dataset, features) : null;
  const peers = new Map<string, SideSummary>();
  for (const c of DUCKDB_CASES) {
    const runs = duckdb[c.key] ?? [];
    if (runs.length > 0) peers.set(c.key, summariseDuckdb(c.label, dataset, runs));
  }
  const plain = plainJs.length > 0 ? summariseDuckdb('plain JS, same query, 1 thread, no detect.', dataset, plainJs) : null;
  const peer = peers.get('unnest-default');
  const results: BenchResults = {
    startedAt,
    node: process.version,
    cpus: availableParallelism(),
    runs: options.runs,
    dataset,
    fluxhound: flux,
    duckdb: [...peers.values()],
    ratio: throughputRatio(flux, peer, peers.get('unnest-1'), RATIO_TARGET),
    features: featureSide,
    featureRatio: featureRatio(flux, featureSide, FEATURE_TARGET, FEATURE_GOAL),
    plainJs: plain,
    plainJsRatio: plain === null || peer === undefined ? null : plain.recordsPerSecond / peer.recordsPerSecond,
    memoryTargetBytes: MEMORY_TARGET_BYTES,
    memory: memory === null ? null : summariseMemory(memory),
    memoryDataset,
    enrich,
    failures,
    raw: { fluxhound, duckdb, features, plainJs, memory },
  };
  const report = formatReport(results);
  process.stdout.write(`\n${report}`);
  if (floor !== null) process.stdout.write(`\n${formatFloor(floor, flux)}\n`);
  if (dnstap !== null) process.stdout.write(`\n${formatDnstap(dnstap)}\n`);
  if (dns !== null) process.stdout.write(`\n${formatDns(dns)}\n`);
  if (encrypted !== null) process.stdout.write(`\n${formatEncryptedDns(encrypted)}\n`);
  if (forwarderLog !== null) process.stdout.write(`\n${formatForwarderLog(forwarderLog)}\n`);
  if (pcap !== null) process.stdout.write(`\n${formatPcap(pcap)}\n`);
  if (flowLogs !== null) process.stdout.write(`\n${formatFlowLogs(flowLogs)}\n`);
  if (soak !== null) process.stdout.write(`\n${formatSoak(soak)}\n`);
  if (querylog !== null) process.stdout.write(`\n${formatQuerylog(querylog)}\n`);
  if (intel !== null) process.stdout.write(`\n${formatIntel(intel)}\n`);
  if (intelPeer !== null) process.stdout.write(`\n${formatIntelPeer(intelPeer)}\n`);
  if (flows !== null) process.stdout.write(`\n${formatFlows(flows)}\n`);
  if (flowMemory !== null) process.stdout.write(`\n${formatFlowMemory(flowMemory)}\n`);
  for (const part of cluster) process.stdout.write(`\n${part.lines.join('\n')}\n`);
  const latest = join(DATA_DIR, 'latest.json');
  writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
  if (floor !== null) writeFileSync(join(DATA_DIR, 'plain-js-features.json'), `${JSON.stringify(floor, null, 2)}\n`);
  if (dns !== null) writeFileSync(join(DATA_DIR, 'dns.json'), `${JSON.stringify(dns, null, 2)}\n`);
  if (encrypted !== null) writeFileSync(join(DATA_DIR, 'encrypted-dns.json'), `${JSON.stringify(encrypted, null, 2)}\n`);
  if (forwarderLog !== null) writeFileSync(join(DATA_DIR, 'querylog-forwarder.json'), `${JSON.stringify(forwarderLog, null, 2)}\n`);
  if (soak !== null) writeFileSync(join(DATA_DIR, 'soak.json'), `${JSON.stringify(soak, null, 2)}\n`);
  if (querylog !== null) writeFileSync(join(DATA_DIR, 'querylog.json'), `${JSON.stringify(querylog, null, 2)}\n`);
  if (intel !== null) writeFileSync(join(DATA_DIR, 'intel.json'), `${JSON.stringify(intel, null, 2)}\n`);
  if (intelPeer !== null) writeFileSync(join(DATA_DIR, 'intel-peer.json'), `${JSON.stringify(intelPeer, null, 2)}\n`);
  if (flows !== null) writeFileSync(join(DATA_DIR, 'flows.json'), `${JSON.stringify(flows, null, 2)}\n`);
  if (flowMemory !== null) writeFileSync(join(DATA_DIR, 'flow-memory.json'), `${JSON.stringify(flowMemory, null, 2)}\n`);
  for (const part of cluster) writeFileSync(join(DATA_DIR, `${part.part}.json`), `${JSON.stringify(part, null, 2)}\n`);
  log(`results: ${relative(ROOT, latest)}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
