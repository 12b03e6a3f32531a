/** `fluxhound analyze [FILE...]`: find fast-flux domains in DNS logs. */
import { availableParallelism } from 'node:os';
import { analyzeWorkers, parseWorkers } from './workers.js';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { IP_FORMATS, type IpFormat } from '../act/blocklist/formats.js';
import { ndjsonSink } from '../act/report/ndjson.js';
import { networksNdjson, networksTable } from '../act/report/networks.js';
import { tableSink } from '../act/report/table.js';
import { TLP_LEVELS, type TlpLevel } from '../act/stix/tlp.js';
import type { VerdictSink } from '../act/sink.js';
import type { Config } from '../config/schema.js';
import type { Infra } from '../enrich/infra/index.js';
import { analyze, type AnalyzeSummary } from '../analyze.js';
import { startConfig } from '../config/start.js';
import { createEnricher } from '../enrich/index.js';
import { loadInfra } from '../enrich/infra/index.js';
import { isRegistrable } from '../detect/registered-domain.js';
import { withWarninglistFiles } from '../intel/warninglist/index.js';
import { formatNames } from '../sources/registry.js';
import { UsageError } from './errors.js';
import { exampleConfigPath } from './example-config.js';
import { progressBar } from './progress.js';
import { printSummary } from './summary.js';
import { clusterSink } from './cluster-sink.js';
import { collectIntel, INTEL_FLAG_HELP, intelSummaryLines, loadAnalyzeIntel } from './intel.js';
import type { IntelFeedConfig } from '../intel/feeds/loader.js';

interface AnalyzeFlags {
  format: string;
  json?: boolean;
  all?: boolean;
  baseline?: string;
  config?: string;
  window?: string;
  maxDomains?: string;
  asnMmdb?: string;
  countryMmdb?: string;
  top: string;
  progress: boolean;
  quiet?: boolean;
  statsJson?: string;
  networks?: boolean;
  reference: boolean;
  rpz?: string;
  ipBlocklist?: string;
  ipFormat: IpFormat;
  stix?: string;
  stixTlp?: TlpLevel;
  stixIdentity?: string;
  stixSuspicious?: boolean;
  mispFeed?: string;
  intel?: string[];
  cluster?: string;
  node?: string;
  workers?: string;
}

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('Score every domain in DNS logs and report the fast-flux ones; with flow data, who talked to them')
    .argument('[files...]', 'Zeek dns.log (TSV or JSON), Suricata eve.json, passive-DNS NDJSON, pcap/pcapng captures; flows: NetFlow/IPFIX files and captures, Zeek conn.log, eve flow/netflow, nfdump csv; .gz is read transparently; - or nothing = stdin')
    .addOption(new Option('-f, --format <name>', 'input format').choices(['auto', ...formatNames()]).default('auto'))
    .option('--json', 'write one JSON verdict per line to stdout instead of a table')
    .option('--all', 'report benign domains too')
    .addOption(new Option('--baseline <name>', 'also compute a published baseline score').choices(['holz']))
    .option('-c, --config <file>', `detection config (YAML or JSON); every setting documented in ${exampleConfigPath()}`)
    .option('--window <seconds>', 'sliding window in seconds (config: window)')
    .option('--max-domains <n>', 'domains held in memory at most (config: limits.maxDomains)')
    .option('--asn-mmdb <file>', 'use a MaxMind GeoLite2-ASN .mmdb instead of the bundled ASN data')
    .option('--country-mmdb <file>', 'use a MaxMind GeoLite2-Country or City .mmdb instead of the bundled country data')
    .option('--networks', 'also list the flux service networks found (NDJSON records with "record":"network" under --json)')
    .option('--no-reference', 'ignore the reference lists in data/reference (CDNs, clouds, pools, dynamic DNS, top sites)')
    .option('--top <n>', 'rows in the table', '50')
    .option('--no-progress', 'no progress line on stderr')
    .option('-q, --quiet', 'no summary on stderr')
    .option('--stats-json <file>', 'write run statistics as JSON (for benchmarks)')
    .option('--rpz <file>', 'write the flagged domains as an RPZ zone file (atomically, at the end; config: rpz, policy)')
    .option('--ip-blocklist <file>', 'write the flux addresses (never CDN/cloud/allowlisted) as a blocklist file')
    .addOption(new Option('--ip-format <format>', 'format of --ip-blocklist').choices([...IP_FORMATS]).default('plain'))
    .option('--stix <file>', 'write the fast-flux names, their addresses and flux networks as a STIX 2.1 bundle (atomically, at the end; config: stix)')
    .addOption(new Option('--stix-tlp <level>', 'TLP 2.0 marking of --stix (config: stix.tlp, default amber)').choices([...TLP_LEVELS]))
    .option('--stix-identity <name>', 'producer name on the identity of --stix (config: stix.identity, default fluxhound)')
    .option('--stix-suspicious', 'also share suspicious names in --stix (config: stix.suspicious)')
    .option('--intel <source>', INTEL_FLAG_HELP, collectIntel)
    .option('--workers <n>', "detector worker threads: 'auto' (the machine's cores, at most 16) or N; 1 = one thread (config: workers)")
    .option('--misp-feed <dir>', 'write the flagged names as a MISP feed directory (events, manifest.json, hashes.csv; config: misp)')
    .option('--cluster <url>', 'also write every observation, enriched, to a ClickHouse cluster: http(s)://[USER:PASSWORD@]HOST:8123 (config: cluster.url)')
    .option('--node <name>', "this sensor's name in the cluster's rows (config: cluster.node; default: the host name)")
    .action(async (files: string[], flags: AnalyzeFlags) => {
      await runAnalyze(files, flags);
    });
}

async function runAnalyze(files: string[], flags: AnalyzeFlags): Promise<void> {
  const started = process.hrtime.bigint();
  const inputs = files.length === 0 ? ['-'] : files;
  if (inputs.includes('-') && process.stdin.isTTY) {
    throw new UsageError('analyze: no input files and stdin is a terminal (give FILE..., or pipe a log in)');
  }
  const overrides: Record<string, unknown> = {};
  if (flags.window !== undefined) overrides.window = positiveInt('--window', flags.window);
  const config = await startConfig(flags.config, overrides);
  if (flags.maxDomains !== undefined) config.limits.maxDomains = positiveInt('--max-domains', flags.maxDomains);
  const top = positiveInt('--top', flags.top);
  const workers = analyzeWorkers(flags.workers !== undefined ? parseWorkers('analyze', flags.workers) : config.workers, availableParallelism());

  const enricher = await createEnricher({ asnMmdb: flags.asnMmdb, countryMmdb: flags.countryMmdb });
  // Feeds first: a bad --intel is exit 2 before anything is read.
  const feeds = await feedsOf(config, flags.intel ?? []);
  // Warninglist feeds (kind warninglist, config or --intel) extend the reference lists, with or without data/reference.
  const infra = withWarninglistFiles(flags.reference ? loadInfra() : null, { ...config.intel, feeds }, { isRegistrable });
  // The other feeds, loaded before the input; a feed that fails is one line and no copy.
  const intel = await loadAnalyzeIntel(config, feeds, infra, process.stderr);
  const heapBaseline = heapAfterGc();
  let heapAtEnd: number | null = null;

  const sinks: VerdictSink[] = [];
  if (flags.json) sinks.push(ndjsonSink(process.stdout));
  else {
    const tty = process.stdout.isTTY === true;
    sinks.push(
      tableSink(process.stdout, {
        top,
        color: tty && process.env.NO_COLOR === undefined,
        width: tty ? process.stdout.columns : null,
        holz: flags.baseline === 'holz',
      }),
    );
  }
  sinks.push(...(await blockingSinks(flags, config, infra)));
  const progress = flags.progress && process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  // Before the input is read: a cluster without fluxhound's tables is exit 2 before any work.
  const cluster = await clusterSink(config, flags, enricher);

  const summary = await analyze({
    files: inputs,
    format: flags.format,
    config,
    enricher,
    infra,
    baseline: flags.baseline === 'holz' ? 'holz' : null,
    intel,
    all: flags.all === true,
    sinks,
    onProgress: progress?.update,
    ...(cluster === null ? {} : { onObservation: cluster.observe }),
    workers: {
      count: workers,
      recipe: {
        config,
        asnMmdb: flags.asnMmdb,
        countryMmdb: flags.countryMmdb,
        reference: flags.reference,
        intelSpecs: flags.intel ?? [],
        baseline: flags.baseline === 'holz' ? 'holz' : null,
        reportBenign: flags.all === true,
      },
    },
    onInputEnd: () => {
      // Cleared before the sinks close: the table is printed then, on the same terminal.
      progress?.done();
      heapAtEnd = heapAfterGc();
    },
  });
  if (flags.networks) {
    const text = flags.json ? networksNdjson(summary.networks) : networksTable(summary.networks);
    if (text.length > 0) process.stdout.write(text);
  }
  // Drained before the summary: its rows written and spooled are part of the run.
  const clusterSummary = cluster === null ? null : await cluster.finish();
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (!flags.quiet) printSummary(process.stderr, summary, elapsedMs);
  if (!flags.quiet && clusterSummary !== null) process.stderr.write(`${clusterSummary.line}\n`);
  if (!flags.quiet && intel !== null) {
    const lines = intelSummaryLines(intel.details(), (name) => intel.skippedOf(name));
    if (lines.length > 0) process.stderr.write(lines.join('\n') + '\n');
  }
  if (flags.statsJson !== undefined) writeStats(flags.statsJson, summary, elapsedMs, heapBaseline, heapAtEnd);
}

/**
 * The feeds of config intel.feeds and --intel (intelFeedsOf). Without any,
 * intel/feeds/spec.ts, and zod with it, is not loaded (see config/start.ts).
 */
async function feedsOf(config: Config, specs: readonly string[]): Promise<IntelFeedConfig[]> {
  if (config.intel.feeds.length === 0 && specs.length === 0) return [];
  const { fluxFeeds, intelFeedsOf, requireFeedPaths } = await import('../intel/feeds/spec.js');
  const feeds = intelFeedsOf(config.intel.feeds, specs);
  // Warninglists have their own missing-file error (intel/warninglist); flux feeds fail here.
  requireFeedPaths(fluxFeeds(feeds), 'analyze');
  return feeds;
}

/** --rpz, --ip-blocklist, --stix and --misp-feed: paths checked now, so a bad one fails before the input is read. */
async function blockingSinks(flags: AnalyzeFlags, config: Config, infra: Infra | null): Promise<VerdictSink[]> {
  const sinks: VerdictSink[] = [];
  // The writers load only when asked for: most runs write none, and each is a few modules.
  if (flags.rpz === undefined && flags.ipBlocklist === undefined && flags.stix === undefined && flags.mispFeed === undefined) return sinks;
  const [{ blocklistSink }, { mispFeedSink }, { rpzSink }, { stixSink }, { rpzOptionsOf }, { checkWritable }] = await Promise.all([
    import('../act/blocklist/sink.js'),
    import('../act/misp/sink.js'),
    import('../act/rpz/sink.js'),
    import('../act/stix/sink.js'),
    import('../act/rpz/zone.js'),
    import('../act/rpz/zone-file.js'),
  ]);
  const writable = (flag: string, path: string): void => {
    try {
      checkWritable(path);
    } catch (err) {
      throw new UsageError(`analyze: ${flag}: ${(err as Error).message}`);
    }
  };
  if (flags.rpz !== undefined) {
    writable('--rpz', flags.rpz);
    sinks.push(usageErrors('--rpz', rpzSink(flags.rpz, rpzOptionsOf(config, infra))));
  }
  if (flags.ipBlocklist !== undefined) {
    writable('--ip-blocklist', flags.ipBlocklist);
    const options = rpzOptionsOf(config, infra);
    sinks.push(
      usageErrors(
        '--ip-blocklist',
        blocklistSink(flags.ipBlocklist, flags.ipFormat, { actions: options.actions, allowlist: options.allowlist, infra, expiry: config.policy.expiry }),
      ),
    );
  }
  if (flags.stix !== undefined) {
    writable('--stix', flags.stix);
    const identity = flags.stixIdentity ?? config.stix.identity;
    if (identity.length === 0 || identity.length > 200) throw new UsageError('analyze: --stix-identity takes 1 to 200 characters');
    sinks.push(
      usageErrors(
        '--stix',
        stixSink(flags.stix, {
          identity,
          tlp: flags.stixTlp ?? config.stix.tlp,
          suspicious: flags.stixSuspicious === true || config.stix.suspicious,
          expiry: config.policy.expiry,
        }),
      ),
    );
  }
  if (flags.mispFeed !== undefined) {
    // The directory may not exist yet (MISP feeds are often published from a fresh web root): probe a file in it.
    const dir = flags.mispFeed;
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`analyze: --misp-feed: ${dir} is not a directory`);
    if (existsSync(dir)) writable('--misp-feed', join(dir, 'manifest.json'));
    const options = rpzOptionsOf(config, infra);
    sinks.push(
      usageErrors(
        '--misp-feed',
        mispFeedSink(dir, { org: config.misp.org, tlp: config.misp.tlp, distribution: config.misp.distribution, allowlist: options.allowlist, infra }),
      ),
    );
  }
  return sinks;
}

/** A write that fails at the end (disk full, directory gone) is one line and exit 2, not an internal error. */
function usageErrors(flag: string, sink: VerdictSink): VerdictSink {
  return {
    name: sink.name,
    verdict: (v) => sink.verdict(v),
    networks: (n) => sink.networks?.(n),
    exposure: (e) => sink.exposure?.(e),
    fanOut: (f) => sink.fanOut?.(f),
    close: () => sink.close().catch((err: unknown) => Promise.reject(new UsageError(`analyze: ${flag}: ${(err as Error).message}`))),
  };
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`analyze: ${flag} takes a positive whole number, not '${value}'`);
  return n;
}

function heapAfterGc(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  return process.memoryUsage().heapUsed;
}

function writeStats(
  path: string,
  s: AnalyzeSummary,
  elapsedMs: number,
  heapBaseline: number | null,
  heapAtEnd: number | null,
): void {
  const stats = {
    files: s.files,
    bytes: s.bytes,
    records: s.records,
    skipped: s.skipped,
    // Detector threads used, and why one when more were asked for (detect/parallel/plan.ts).
    workers: s.workers,
    workersNote: s.workersNote,
    domainsTracked: s.trackedAtEnd,
    namesTracked: s.detector.namesTracked,
    registeredTracked: s.detector.registeredTracked,
    evicted: s.detector.evicted,
    flagged: s.fastFlux + s.suspicious,
    fastFlux: s.fastFlux,
    suspicious: s.suspicious,
    intelListings: s.intelListings,
    intelEvidence: s.intelEvidence,
    flows: s.flows.records,
    flowsSkipped: s.flows.skipped,
    exposures: s.flows.exposures,
    bypass: s.flows.bypass,
    inbound: s.flows.inbound,
    fanOuts: s.flows.fanOuts,
    flowsLate: s.flows.late,
    flowsInvalid: s.flows.invalid,
    flowsUnattributed: s.flows.unattributed,
    bypassUnknown: s.flows.bypassUnknown,
    elapsedMs: Math.round(elapsedMs),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBaselineBytes: heapBaseline,
    heapUsedAfterGcBytes: heapAtEnd,
  };
  try {
    writeFileSync(path, JSON.stringify(stats, null, 2) + '\n');
  } catch (err) {
    throw new UsageError(`analyze: cannot write --stats-json ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
