/**
 * Encrypted DNS against its peer (issue 17): DNS over TLS and DNS over HTTPS
 * queries per second and latency of `fluxhound serve --dot --doh` against
 * Unbound's own DoT and DoH, on the same names, in the same run, with the
 * ratio fluxhound / Unbound.
 *
 * - Unbound 1.17 (one thread by default, like fluxhound's one Node.js thread) answers
 *   the bench names from local-data on its plain port (fluxhound's
 *   upstream) and on its DoT and DoH ports (the peer), certificate and key
 *   from a test CA that openssl makes here (test/support/test-certs.ts).
 * - fluxhound forwards to that Unbound; its cache (64 MB) is warmed with
 *   every name first, so both sides answer every measured query themselves,
 *   as in the plain DNS bench (bench/dnsperf.ts).
 * - DoT: dnsperf -m dot against both. DoH: dnsperf 2.10 cannot measure a
 *   server that packs several answers into one TLS record (bench/doh-load.ts
 *   says why), so both sides get our generator (HTTP/2 GET), and the same
 *   generator and dnsperf -m doh are run once on Unbound's DoH, the one
 *   server dnsperf can measure, so the report shows how the two clients agree.
 * - Same load for both sides and both protocols: `clients` connections kept
 *   open the whole run (reconnections are counted: 0 expected) and
 *   `outstanding` queries in flight over them. 25 per connection by default:
 *   under fluxhound's 32 queries in flight per DoT connection and its 32
 *   HTTP/2 streams, and Unbound's 100 streams.
 * - After 1 s unrecorded per side, `runs` full-rate runs per side, alternating Unbound and fluxhound, give
 *   the qps medians; then both sides at one fixed rate, half of the slower
 *   side's median, `runs` times each after 1 s at that rate not recorded,
 *   give p50/p99 (medians over runs) at a load both can carry.
 * Neither client verifies certificates (dnsperf sets no verification, the
 * generator is told not to): the handshake costs the same, the chain is a
 * test one.
 *
 * Alone: `npm run -s build && node dist/bench/encrypted-dns.js`. Environment:
 * FLUXHOUND_BENCH_ENCRYPTED_SECONDS (each run, 5), FLUXHOUND_BENCH_ENCRYPTED_RUNS
 * (3), FLUXHOUND_BENCH_ENCRYPTED_NAMES (10000), FLUXHOUND_BENCH_ENCRYPTED_CLIENTS (4),
 * FLUXHOUND_BENCH_ENCRYPTED_OUTSTANDING (100), FLUXHOUND_BENCH_ENCRYPTED_UNBOUND_THREADS (1; or 2).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeTestCertificates } from '../test/support/test-certs.js';
import { dnsperf, fluxhoundArgs, freePort, median, nameOf, ROOT, schedOf, start, waitForDns, which, type DnsperfResult, type Started } from './dns-run.js';
import type { DohLoadOptions, DohLoadResult } from './doh-load.js';
import { medianRun, UNBOUND_VARIANTS, unboundVariantConfig } from './unbound-best.js';
import { unboundEncryptedLines } from './unbound-config.js';

export type Protocol = 'dot' | 'doh';

export interface EncryptedDnsOptions {
  seconds: number;
  runs: number;
  names: number;
  clients: number;
  outstanding: number;
  /** Unbound's num-threads (1, as fluxhound's one Node.js thread; 2 with so-reuseport, its best for plain cache hits). */
  unboundThreads: 1 | 2;
}

/** One protocol, both sides: every run, the medians and the ratio. */
export interface ProtocolFigures {
  protocol: Protocol;
  /** The client and its load, as the report prints it. */
  client: string;
  unbound: DnsperfResult[];
  fluxhound: DnsperfResult[];
  /** The median runs by qps (a real run each, bench/unbound-best.ts medianRun). */
  unboundMedian: DnsperfResult | null;
  fluxhoundMedian: DnsperfResult | null;
  /** fluxhound median qps / Unbound median qps. */
  ratio: number | null;
  /** The fixed rate of the latency runs: half the slower side's median qps. */
  latencyRate: number | null;
  unboundLatency: DnsperfResult[];
  fluxhoundLatency: DnsperfResult[];
  unboundP50Ms: number | null;
  unboundP99Ms: number | null;
  fluxhoundP50Ms: number | null;
  fluxhoundP99Ms: number | null;
}

export interface EncryptedDnsResults {
  startedAt: string;
  options: EncryptedDnsOptions;
  /** Load average (1 min) at the start and at the end: the host is shared. */
  loadAverage: number[];
  unboundConfig: string;
  dot: ProtocolFigures | null;
  doh: ProtocolFigures | null;
  /** Unbound's DoH measured by dnsperf -m doh and by bench/doh-load.ts under the same load, back to back. */
  generatorCheck: { dnsperf: DnsperfResult; generator: DnsperfResult } | null;
  failures: string[];
}

export function encryptedDnsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptedDnsOptions {
  const n = (name: string, fallback: number): number => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? Math.round(v) : fallback;
  };
  return {
    seconds: n('FLUXHOUND_BENCH_ENCRYPTED_SECONDS', 5),
    runs: n('FLUXHOUND_BENCH_ENCRYPTED_RUNS', 3),
    names: n('FLUXHOUND_BENCH_ENCRYPTED_NAMES', 10_000),
    clients: n('FLUXHOUND_BENCH_ENCRYPTED_CLIENTS', 4),
    outstanding: n('FLUXHOUND_BENCH_ENCRYPTED_OUTSTANDING', 100),
    unboundThreads: n('FLUXHOUND_BENCH_ENCRYPTED_UNBOUND_THREADS', 1) === 2 ? 2 : 1,
  };
}

/** dnsperf's arguments for DoT or DoH at `port` (DoH: GET to /dns-query, its default method). */
export function dnsperfTransportArgs(protocol: Protocol, port: number): string[] {
  return protocol === 'dot' ? ['-m', 'dot'] : ['-m', 'doh', '-O', `doh-uri=https://127.0.0.1:${port}/dns-query`, '-O', 'doh-method=GET'];
}

/** Medians, ratio and the latency rate from the runs of one protocol. */
export function summariseProtocol(protocol: Protocol, client: string, unbound: DnsperfResult[], fluxhound: DnsperfResult[], unboundLatency: DnsperfResult[] = [], fluxhoundLatency: DnsperfResult[] = []): ProtocolFigures {
  const unboundMedian = unbound.length > 0 ? medianRun(unbound) : null;
  const fluxhoundMedian = fluxhound.length > 0 ? medianRun(fluxhound) : null;
  const both = unboundMedian !== null && fluxhoundMedian !== null;
  const med = (xs: DnsperfResult[], pick: (r: DnsperfResult) => number | null): number | null => median(xs.flatMap((r) => (pick(r) === null ? [] : [pick(r)!])));
  return {
    protocol,
    client,
    unbound,
    fluxhound,
    unboundMedian,
    fluxhoundMedian,
    ratio: both && unboundMedian.qps > 0 ? fluxhoundMedian.qps / unboundMedian.qps : null,
    latencyRate: both ? Math.max(100, Math.round(Math.min(unboundMedian.qps, fluxhoundMedian.qps) / 2)) : null,
    unboundLatency,
    fluxhoundLatency,
    unboundP50Ms: med(unboundLatency, (r) => r.p50Ms),
    unboundP99Ms: med(unboundLatency, (r) => r.p99Ms),
    fluxhoundP50Ms: med(fluxhoundLatency, (r) => r.p50Ms),
    fluxhoundP99Ms: med(fluxhoundLatency, (r) => r.p99Ms),
  };
}

/** The generator's result in the shape of a dnsperf run, with the server's CPU per query over the run. */
export function dohLoadAsRun(label: string, r: DohLoadResult, clients: number, cpuS: number | null): DnsperfResult {
  return {
    label,
    qps: r.qps,
    sent: r.sent,
    completed: r.completed,
    lost: r.lost + r.httpErrors,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    avgMs: r.avgMs,
    reconnections: r.connections - clients,
    cpuUsPerQuery: cpuS === null || r.completed === 0 ? null : (cpuS * 1e6) / r.completed,
    runQueueWait: null,
  };
}

/** bench/doh-load.ts as its own process (its CPU is not the server's nor this process's). */
async function dohLoad(label: string, options: DohLoadOptions, serverPid: number | undefined): Promise<DnsperfResult> {
  const before = schedOf(serverPid);
  const child = spawn(process.execPath, [join(import.meta.dirname, 'doh-load.js'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  const after = schedOf(serverPid);
  if (code !== 0) throw new Error(`doh-load ${label}: exit ${code}: ${err.trim()}`);
  const result = JSON.parse(out) as DohLoadResult;
  return dohLoadAsRun(label, result, options.clients, before === null || after === null ? null : after.cpuS - before.cpuS);
}

interface Side {
  name: 'Unbound' | 'fluxhound';
  ports: Record<Protocol, number>;
  pid: number | undefined;
}

/** Seconds at the measured rate, not recorded, before each latency run: as in bench/dnsperf.ts, the steady state, not the first moments after the other side's turn. */
const LATENCY_WARMUP_S = 1;

export async function benchEncryptedDns(options: EncryptedDnsOptions, log: (line: string) => void): Promise<EncryptedDnsResults> {
  const results: EncryptedDnsResults = { startedAt: new Date().toISOString(), options, loadAverage: [loadavg()[0]!], unboundConfig: '', dot: null, doh: null, generatorCheck: null, failures: [] };
  const unbound = which('unbound');
  if (unbound === null || which('dnsperf') === null || which('openssl') === null) {
    results.failures.push('unbound, dnsperf and openssl are needed (apt-get install unbound dnsperf openssl)');
    return results;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-encrypted-'));
  const running: Started[] = [];
  try {
    const certs = makeTestCertificates(dir, 'dns.bench.test');
    const names = join(dir, 'names.txt');
    writeFileSync(names, Array.from({ length: options.names }, (_, i) => `${nameOf(i)} A`).join('\n') + '\n');

    const [plainPort, dotPort, dohPort] = [await freePort(), await freePort(), await freePort()];
    const variant = UNBOUND_VARIANTS.find((v) => v.source === 'local-data' && v.threads === options.unboundThreads)!;
    writeFileSync(join(dir, 'unbound.conf'), unboundVariantConfig(dir, plainPort, options.names, variant, null, 'unbound.pid', unboundEncryptedLines({ dotPort, dohPort, cert: certs.cert, key: certs.key })));
    results.unboundConfig = `Unbound ${variant.source}, num-threads ${variant.threads}, so-reuseport ${variant.reuseport ? 'yes' : 'no'}, tls-port and https-port (nghttp2) on 127.0.0.1, incoming-num-tcp 64, http-max-streams 100 (default)`;
    const u = start(unbound, ['-d', '-c', join(dir, 'unbound.conf')]);
    running.push(u);
    if (!(await waitForDns(plainPort, 30_000))) throw new Error(`unbound did not start: ${u.output().slice(-300)}`);

    const fluxDns = await freePort();
    const fluxDot = await freePort();
    const fluxDoh = await freePort();
    const config = join(dir, 'hot.yaml');
    writeFileSync(config, 'serve:\n  dns:\n    cacheBytes: 67108864\n');
    const args = [...fluxhoundArgs(fluxDns, plainPort, join(dir, 'hot.db'), config), '--dot', `127.0.0.1:${fluxDot}`, '--dot-cert', certs.cert, '--dot-key', certs.key, '--doh', `127.0.0.1:${fluxDoh}`, '--doh-cert', certs.cert, '--doh-key', certs.key];
    const f = start(process.execPath, args);
    running.push(f);
    if (!(await waitForDns(fluxDns, 60_000))) throw new Error(`fluxhound did not start: ${f.output().slice(-300)}`);
    // Every name into fluxhound's cache once, over UDP: DoT and DoH answer from the same cache.
    await dnsperf('warm-up', fluxDns, names, Math.max(2, options.seconds), ['-n', '1', '-q', '50'], false);

    const sides: Side[] = [
      { name: 'Unbound', ports: { dot: dotPort, doh: dohPort }, pid: u.child.pid },
      { name: 'fluxhound', ports: { dot: fluxDot, doh: fluxDoh }, pid: f.child.pid },
    ];
    const load = ['-c', String(options.clients), '-q', String(options.outstanding)];
    const generator = (port: number, seconds: number, rate: number): DohLoadOptions => ({ port, names, seconds, clients: options.clients, outstanding: options.outstanding, rate, path: '/dns-query', drainMs: 2000 });
    const measure = async (protocol: Protocol, side: Side, seconds: number, rate: number, verbose: boolean, label: string): Promise<DnsperfResult> => {
      const port = side.ports[protocol];
      if (protocol === 'doh') return dohLoad(label, generator(port, seconds, rate), side.pid);
      return dnsperf(label, port, names, seconds, [...dnsperfTransportArgs(protocol, port), ...load, ...(rate > 0 ? ['-Q', String(rate)] : [])], verbose, side.pid);
    };

    for (const protocol of ['dot', 'doh'] as const) {
      const client = protocol === 'dot' ? `dnsperf -m dot -c ${options.clients} -q ${options.outstanding}` : `bench/doh-load.ts, HTTP/2 GET, ${options.clients} connections, ${options.outstanding} in flight`;
      const runs: Record<Side['name'], DnsperfResult[]> = { Unbound: [], fluxhound: [] };
      // 1 s unrecorded per side first: a side's first connections of a protocol (its first sessions,
      // buffers, JIT) are not what a resolver with continuous traffic runs on.
      for (const side of sides) await measure(protocol, side, LATENCY_WARMUP_S, 0, false, `${side.name} ${protocol} warm-up`);
      for (let run = 0; run < options.runs; run++) {
        log(`encrypted dns: ${protocol} full rate, run ${run + 1}/${options.runs}, ${options.seconds} s per side`);
        for (const side of sides) runs[side.name].push(await measure(protocol, side, options.seconds, 0, false, `${side.name} ${protocol}`));
      }
      const rate = summariseProtocol(protocol, client, runs.Unbound, runs.fluxhound).latencyRate!;
      const latency: Record<Side['name'], DnsperfResult[]> = { Unbound: [], fluxhound: [] };
      for (let run = 0; run < options.runs; run++) {
        log(`encrypted dns: ${protocol} at ${rate} qps (half the slower side's median), run ${run + 1}/${options.runs}`);
        for (const side of sides) {
          await measure(protocol, side, LATENCY_WARMUP_S, rate, false, `${side.name} ${protocol} warm-up`);
          latency[side.name].push(await measure(protocol, side, options.seconds, rate, true, `${side.name} ${protocol} at ${rate} qps`));
        }
      }
      results[protocol] = summariseProtocol(protocol, client, runs.Unbound, runs.fluxhound, latency.Unbound, latency.fluxhound);
    }

    log('encrypted dns: the DoH generator against dnsperf -m doh on Unbound, same load');
    const check = await dnsperf('Unbound doh, dnsperf', dohPort, names, options.seconds, [...dnsperfTransportArgs('doh', dohPort), ...load], false, u.child.pid);
    results.generatorCheck = { dnsperf: check, generator: await measure('doh', sides[0]!, options.seconds, 0, false, 'Unbound doh, bench/doh-load.ts') };
  } catch (error) {
    results.failures.push((error as Error).message);
    log(`encrypted dns: ${(error as Error).message}`);
  } finally {
    for (const s of running.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  results.loadAverage.push(loadavg()[0]!);
  return results;
}

const qps = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const ms = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(3));

export function formatEncryptedDns(r: EncryptedDnsResults): string {
  const o = r.options;
  const rows = [`Encrypted DNS: fluxhound serve --dot --doh vs Unbound's DoT and DoH on 127.0.0.1, ${o.names.toLocaleString('en-US')} names, cache hits on both sides`, `peer: ${r.unboundConfig}`, ''];
  rows.push('| | client | qps (median) | each run | lost | reconnections | server CPU µs/query | p50 (ms) | p99 (ms) |', '|---|---|---|---|---|---|---|---|---|');
  for (const p of [r.dot, r.doh]) {
    if (p === null) continue;
    const line = (side: string, runs: DnsperfResult[], m: DnsperfResult | null, lat: DnsperfResult[], p50: number | null, p99: number | null): string => {
      const cpu = median(runs.flatMap((x) => (x.cpuUsPerQuery === null ? [] : [x.cpuUsPerQuery])));
      const reconnections = runs.reduce((n, x) => n + (x.reconnections ?? 0), 0) + lat.reduce((n, x) => n + (x.reconnections ?? 0), 0);
      return `| ${side} ${p.protocol === 'dot' ? 'DoT' : 'DoH'} | ${p.client} | ${qps(m?.qps)} | ${runs.map((x) => qps(x.qps)).join(', ')} | ${runs.reduce((n, x) => n + x.lost, 0)} | ${reconnections} | ${cpu === null ? '–' : cpu.toFixed(1)} | ${ms(p50)} | ${ms(p99)} |`;
    };
    rows.push(line('Unbound', p.unbound, p.unboundMedian, p.unboundLatency, p.unboundP50Ms, p.unboundP99Ms));
    rows.push(line('fluxhound', p.fluxhound, p.fluxhoundMedian, p.fluxhoundLatency, p.fluxhoundP50Ms, p.fluxhoundP99Ms));
  }
  rows.push('');
  for (const p of [r.dot, r.doh]) {
    if (p === null) continue;
    const name = p.protocol === 'dot' ? 'DoT' : 'DoH';
    rows.push(`${name}: fluxhound / Unbound ${p.ratio === null ? '–' : p.ratio.toFixed(2)}× qps (medians of ${p.fluxhound.length} full-rate runs of ${o.seconds} s, alternating)`);
    const each = (xs: DnsperfResult[]): string => xs.map((x) => ms(x.p99Ms)).join(', ');
    rows.push(`${name} at ${qps(p.latencyRate)} qps, medians of ${p.unboundLatency.length}: p99 Unbound ${ms(p.unboundP99Ms)} ms (${each(p.unboundLatency)}), fluxhound ${ms(p.fluxhoundP99Ms)} ms (${each(p.fluxhoundLatency)})`);
  }
  const g = r.generatorCheck;
  if (g !== null) {
    rows.push(`DoH client check on Unbound, same load: dnsperf -m doh ${qps(g.dnsperf.qps)} qps, bench/doh-load.ts ${qps(g.generator.qps)} qps (${(g.generator.qps / g.dnsperf.qps).toFixed(2)}×: at or above 1 the generator is not what limits the DoH figures)`);
  }
  rows.push(`connections: ${o.clients} per run, opened at its start and kept to its end (reconnections counted above); full-rate qps at ${o.outstanding} queries in flight; neither client verifies the test certificate`);
  rows.push(`host load average (1 min): ${r.loadAverage.map((x) => x.toFixed(2)).join(' → ')}: the host is shared, compare figures from the same run`);
  for (const f of r.failures) rows.push(`failure: ${f}`);
  return rows.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.dirname, 'encrypted-dns.js')) {
  const results = await benchEncryptedDns(encryptedDnsOptionsFromEnv(), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatEncryptedDns(results)}\n`);
  try {
    writeFileSync(join(ROOT, 'bench', '.data', 'encrypted-dns.json'), `${JSON.stringify(results, null, 2)}\n`);
  } catch {
    // no bench/.data yet: the report on stdout is the result
  }
  if (results.failures.length > 0) process.exitCode = 1;
}
