/**
 * The cost of the query log on the forwarder: dnsperf at full rate against
 * `fluxhound serve --dns` (cache hot, store on as by default) without
 * recording other queries (serve.querylog.sample 0: only blocked ones,
 * and this load blocks none) and recording every query (sample 1) into the
 * store, and into the store and an NDJSON file, in the same run: the
 * daemons run side by side and are measured in turn, `runs` times each,
 * with the same load and names. Medians are reported, with what the
 * recording daemons recorded and whether they kept up (entries dropped by a
 * full queue, the store's written rows). On a shared host qps follows
 * what the other jobs leave; each daemon's own CPU per query (/proc
 * schedstat) is the steadier figure, reported beside it.
 *
 * Run alone: `npm run -s build && node dist/bench/querylog-forwarder.js`. Environment:
 * FLUXHOUND_BENCH_QLOG_FORWARDER_SECONDS (each run, default 10),
 * FLUXHOUND_BENCH_QLOG_FORWARDER_RUNS (runs per daemon, default 3),
 * FLUXHOUND_BENCH_DNS_NAMES (default 10000).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dnsperf, fluxhoundArgs, freePort, median, nameOf, ROOT, rssMb, start, waitForDns, which, type DnsperfResult, type Started } from './dns-run.js';
import { UNBOUND_VARIANTS, unboundVariantConfig } from './unbound-best.js';

export interface QueryLogVariant {
  label: string;
  sample: number;
  ndjson: boolean;
  store: boolean;
  runs: DnsperfResult[];
  medianQps: number | null;
  /** The daemon's own CPU per answered query (all its threads, /proc), median over runs: what recording costs, whatever else the host runs. */
  medianCpuUsPerQuery: number | null;
  /** From the daemon's /metrics after the runs. */
  recorded: number | null;
  dropped: number | null;
  storeWritten: number | null;
  rssMb: number;
}

export interface ForwarderLogBenchResults {
  startedAt: string;
  seconds: number;
  names: number;
  variants: QueryLogVariant[];
  failures: string[];
}

export interface ForwarderLogBenchOptions {
  seconds: number;
  runs: number;
  names: number;
}

export function forwarderLogBenchOptionsFromEnv(): ForwarderLogBenchOptions {
  const n = (name: string, fallback: number): number => {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return { seconds: n('FLUXHOUND_BENCH_QLOG_FORWARDER_SECONDS', 10), runs: Math.round(n('FLUXHOUND_BENCH_QLOG_FORWARDER_RUNS', 3)), names: n('FLUXHOUND_BENCH_DNS_NAMES', 10_000) };
}

/** The value of one sample of Prometheus text (the sum over label sets when `prefix` ends with '{'); null when absent. */
export function metricValue(text: string, prefix: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix) || (!prefix.endsWith('{') && line[prefix.length] !== ' ')) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

interface Running {
  variant: QueryLogVariant;
  port: number;
  http: number;
  server: Started;
}

export async function benchForwarderLog(options: ForwarderLogBenchOptions, log: (line: string) => void): Promise<ForwarderLogBenchResults> {
  const results: ForwarderLogBenchResults = { startedAt: new Date().toISOString(), seconds: options.seconds, names: options.names, variants: [], failures: [] };
  const unbound = which('unbound');
  if (unbound === null || which('dnsperf') === null) {
    results.failures.push('unbound and dnsperf are needed (apt-get install unbound dnsperf)');
    return results;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-querylog-'));
  const started: Started[] = [];
  try {
    const unboundPort = await freePort();
    writeFileSync(join(dir, 'unbound.conf'), unboundVariantConfig(dir, unboundPort, options.names, UNBOUND_VARIANTS[0]!, null, 'unbound.pid'));
    const u = start(unbound, ['-d', '-c', join(dir, 'unbound.conf')]);
    started.push(u);
    if (!(await waitForDns(unboundPort, 30_000))) throw new Error(`unbound did not start: ${u.output().slice(-300)}`);
    const names = join(dir, 'names.txt');
    writeFileSync(names, Array.from({ length: options.names }, (_, i) => `${nameOf(i)} A`).join('\n') + '\n');
    const specs: Omit<QueryLogVariant, 'runs' | 'medianQps' | 'medianCpuUsPerQuery' | 'recorded' | 'dropped' | 'storeWritten' | 'rssMb'>[] = [
      { label: 'query log: blocked only (sample 0), store on', sample: 0, ndjson: false, store: true },
      { label: 'query log: every query (sample 1) into the store', sample: 1, ndjson: false, store: true },
      { label: 'query log: every query into the store and an NDJSON file', sample: 1, ndjson: true, store: true },
      // The forwarder's own share: entries made and handed to the hub, no store and no file to write them.
      { label: 'query log: every query recorded, no store, no file (the forwarder\'s own cost)', sample: 1, ndjson: false, store: false },
    ];
    const running: Running[] = [];
    for (const [i, spec] of specs.entries()) {
      const config = join(dir, `v${i}.yaml`);
      writeFileSync(config, `serve:\n  dns:\n    cacheBytes: 67108864\n  querylog:\n    sample: ${spec.sample}\n`);
      const port = await freePort();
      const http = await freePort();
      const args = [...fluxhoundArgs(port, unboundPort, join(dir, `v${i}.db`), config), '--http', `127.0.0.1:${http}`];
      if (!spec.store) args.splice(args.indexOf('--store'), 2, '--no-store');
      if (spec.ndjson) args.push('--querylog-ndjson', join(dir, `v${i}.ndjson`));
      const server = start(process.execPath, args);
      started.push(server);
      if (!(await waitForDns(port, 60_000))) throw new Error(`fluxhound (${spec.label}) did not start: ${server.output().slice(-300)}`);
      const variant: QueryLogVariant = { ...spec, runs: [], medianQps: null, medianCpuUsPerQuery: null, recorded: null, dropped: null, storeWritten: null, rssMb: 0 };
      results.variants.push(variant);
      running.push({ variant, port, http, server });
      // Warm the cache with every name once.
      await dnsperf('warm-up', port, names, Math.max(2, Math.ceil(options.seconds / 5)), ['-n', '1', '-q', '50'], false);
    }
    const load = ['-c', '4', '-q', '200'];
    for (let run = 0; run < options.runs; run++) {
      for (const r of running) {
        log(`querylog-forwarder: ${r.variant.label}, run ${run + 1} of ${options.runs}, ${options.seconds} s at full rate`);
        r.variant.runs.push(await dnsperf(r.variant.label, r.port, names, options.seconds, load, false, r.server.child.pid));
      }
    }
    for (const r of running) {
      r.variant.medianQps = median(r.variant.runs.map((x) => x.qps));
      r.variant.medianCpuUsPerQuery = median(r.variant.runs.flatMap((x) => (x.cpuUsPerQuery === null ? [] : [x.cpuUsPerQuery])));
      r.variant.rssMb = rssMb(r.server.child.pid);
      // The store flushes every second by default: give the last batch time to commit before reading.
      await new Promise((res) => setTimeout(res, 3000));
      const text = await (await fetch(`http://127.0.0.1:${r.http}/metrics`)).text();
      r.variant.recorded = metricValue(text, 'fluxhound_dns_querylog_recorded_total');
      r.variant.dropped = (metricValue(text, 'fluxhound_querylog_dropped_total{') ?? 0) + (metricValue(text, 'fluxhound_store_querylog_dropped_total') ?? 0);
      r.variant.storeWritten = metricValue(text, 'fluxhound_store_querylog_written_total');
    }
  } catch (error) {
    results.failures.push((error as Error).message);
    log(`querylog-forwarder: ${(error as Error).message}`);
  } finally {
    for (const s of started.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(1)}`;
}

export function formatForwarderLog(r: ForwarderLogBenchResults): string {
  const rows = ['Query log: forwarder qps without and with recording every query (dnsperf -c 4 -q 200, cache hot, same run, same load)', ''];
  rows.push('| | median qps | runs (qps) | CPU µs/query (median) | recorded | dropped | store rows written | RSS MB |', '|---|---|---|---|---|---|---|---|');
  const num = (x: number | null): string => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));
  for (const v of r.variants) {
    rows.push(`| ${v.label} | ${num(v.medianQps)} | ${v.runs.map((x) => num(x.qps)).join(', ')} | ${v.medianCpuUsPerQuery === null ? '–' : v.medianCpuUsPerQuery.toFixed(1)} | ${num(v.recorded)} | ${num(v.dropped)} | ${num(v.storeWritten)} | ${v.rssMb.toFixed(0)} |`);
  }
  const base = r.variants[0]?.medianQps ?? null;
  for (const v of r.variants.slice(1)) {
    if (base !== null && v.medianQps !== null) rows.push(`${v.label}: ${((v.medianQps / base) * 100).toFixed(1)}% of the qps without it`);
    const baseCpu = r.variants[0]?.medianCpuUsPerQuery ?? null;
    if (baseCpu !== null && v.medianCpuUsPerQuery !== null) rows.push(`  CPU per query: ${signed(v.medianCpuUsPerQuery - baseCpu)} µs (${((v.medianCpuUsPerQuery / baseCpu) * 100).toFixed(0)}% of the forwarder's own without it)`);
  }
  for (const f of r.failures) rows.push(`failure: ${f}`);
  return rows.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.dirname, 'querylog-forwarder.js')) {
  const results = await benchForwarderLog(forwarderLogBenchOptionsFromEnv(), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatForwarderLog(results)}\n`);
  try {
    writeFileSync(join(ROOT, 'bench', '.data', 'querylog-forwarder.json'), `${JSON.stringify(results, null, 2)}\n`);
  } catch {
    // no bench/.data yet: the report on stdout is the result
  }
  if (results.failures.length > 0) process.exitCode = 1;
}
