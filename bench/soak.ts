/**
 * The soak (issue 12, "Proof"): hostile clients on every listener of
 * `fluxhound serve` at once for `seconds` (60 by default) while dnsperf
 * measures well-behaved clients, all on 127.0.0.1, bounded in count and time.
 *
 * 1. An Unbound upstream answers the bench names (A) and a ~56 KB TXT for any
 *    name under big.test (a redirect local-zone), so the cache fills with
 *    large distinct answers.
 * 2. fluxhound runs with every listener: --dns, --block-page, --rpz-server,
 *    --dnstap tcp:, --http, with its defaults otherwise (rate limit off: every
 *    client here is 127.0.0.1). Its RSS (VmRSS and VmHWM) and its open
 *    descriptors are sampled from /proc every 100 ms for the whole run.
 * 3. Baseline: the cache is warmed, then dnsperf measures good clients
 *    (qps, p99) for `goodSeconds` while every listener is probed once a second.
 * 4. Attack: attacker processes (bench/soak-attack.ts) run for `seconds`;
 *    after `rampSeconds`, dnsperf measures the same good clients again, and
 *    every listener keeps being probed until the attack ends.
 * 5. Everything is stopped; the report gives the figures and the targets.
 *
 * A safety stop: when fluxhound's RSS passes `rssAbortMb` (the host is
 * shared) the attackers and fluxhound are killed and the report says so.
 *
 * Alone: `npm run -s build && node dist/bench/soak.js [--seconds 60]
 * [--slowloris 300] [--pipeliners 20] ...` (--help lists them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI, dnsperf, freePort, nameOf, start, waitForDns, which, type DnsperfResult, type Started } from './dns-run.js';
import { attackSources, type AttackPlan, type AttackReport, type AttackTarget } from './soak-attack.js';
import { probe, type ProbePorts } from './soak-probe.js';
import { LISTENERS, procPeaks, soakVerdicts, splitAttack, tallyProbes, type GoodClients, type ProbeOutcome, type ProbeTally, type ProcPeaks, type ProcSample, type Verdict } from './soak-summary.js';
import { unboundServerLines } from './unbound-config.js';
import { writeTokenFile } from '../test/support/tokens.js';

export interface SoakOptions {
  /** How long the attack lasts. */
  seconds: number;
  /** Each dnsperf measurement of the good clients (baseline, then under attack). */
  goodSeconds: number;
  /** Attack time before the attacked measurement starts (connections opening, cache filling). */
  rampSeconds: number;
  /** Slowloris connections per listener. */
  slowloris: number;
  /** Non-reading DNS-over-TCP clients pipelining queries for a large answer. */
  pipeliners: number;
  garbagePerSecond: number;
  cacheFillPerSecond: number;
  /** Slowloris connections opened per second per listener, at most. */
  openPerSecond: number;
  /** One byte every this many ms on each slowloris connection. */
  trickleMs: number;
  /** Names the good clients ask (all cached). */
  names: number;
  /** Kill everything when fluxhound's RSS passes this (a shared host). */
  rssAbortMb: number;
  /** Loopback addresses the attack comes from (127.0.1.1, …); the good clients are 127.0.0.1. */
  attackSources: number;
  /**
   * The attacker processes' nice value. A real attack comes from other
   * machines: on this 2-core host the generators' own CPU would otherwise be
   * taken from fluxhound and the good clients, and the bench would measure
   * the generators. 0 runs them at the same priority as everything else.
   */
  attackNice: number;
}

export const DEFAULT_SOAK: SoakOptions = {
  seconds: 60,
  goodSeconds: 20,
  rampSeconds: 15,
  slowloris: 300,
  pipeliners: 20,
  garbagePerSecond: 1000,
  cacheFillPerSecond: 200,
  openPerSecond: 100,
  trickleMs: 3000,
  names: 10_000,
  rssAbortMb: 3072,
  attackSources: 16,
  attackNice: 19,
};

const FLAGS: Record<string, keyof SoakOptions> = {
  '--seconds': 'seconds',
  '--good-seconds': 'goodSeconds',
  '--ramp-seconds': 'rampSeconds',
  '--slowloris': 'slowloris',
  '--pipeliners': 'pipeliners',
  '--garbage': 'garbagePerSecond',
  '--cache-fill': 'cacheFillPerSecond',
  '--open-rate': 'openPerSecond',
  '--trickle-ms': 'trickleMs',
  '--names': 'names',
  '--rss-abort-mb': 'rssAbortMb',
  '--attack-sources': 'attackSources',
  '--attack-nice': 'attackNice',
};

export const SOAK_USAGE = `usage: node dist/bench/soak.js [flags]; npm run bench takes the same as FLUXHOUND_BENCH_SOAK_<FLAG> (e.g. FLUXHOUND_BENCH_SOAK_SECONDS=20)
${Object.entries(FLAGS)
  .map(([flag, key]) => `  ${flag.padEnd(16)} ${String(DEFAULT_SOAK[key]).padStart(6)}`)
  .join('\n')}`;

/** Defaults, overridden by FLUXHOUND_BENCH_SOAK_* in the environment, then by flags. */
export function soakOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SoakOptions {
  const options = { ...DEFAULT_SOAK };
  const set = (key: keyof SoakOptions, value: string, where: string): void => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`soak: ${where} takes a number ≥ 0, not '${value}'`);
    options[key] = n;
  };
  for (const [flag, key] of Object.entries(FLAGS)) {
    const name = `FLUXHOUND_BENCH_SOAK_${flag.slice(2).replace(/-/g, '_').toUpperCase()}`;
    const value = env[name];
    if (value !== undefined && value !== '') set(key, value, name);
  }
  for (let i = 0; i < argv.length; i++) {
    const key = FLAGS[argv[i]!];
    const value = argv[i + 1];
    if (key === undefined || value === undefined) throw new Error(`soak: unknown flag or missing value: ${argv[i]}\n${SOAK_USAGE}`);
    set(key, value, argv[i]!);
    i++;
  }
  if (options.rampSeconds + 1 >= options.seconds) throw new Error('soak: --ramp-seconds must leave time for the attacked measurement');
  return options;
}

export interface SoakResults {
  startedAt: string;
  options: SoakOptions;
  fdLimit: { soft: number; hard: number; attackerProcesses: number };
  baseline: DnsperfResult | null;
  attacked: DnsperfResult | null;
  peaks: ProcPeaks;
  /** RSS (MB) at each tenth of the run. */
  rssTimelineMb: number[];
  probes: ProbeTally[];
  attackers: AttackReport[];
  aliveAfter: boolean;
  aborted: string | null;
  verdicts: Verdict[];
  failures: string[];
}

const LARGE_ZONE = 'big.test';
const RPZ_ORIGIN = 'rpz.fluxhound.';

/** ~56 KB of TXT for every name under big.test, and the bench names' A records. */
function upstreamConfig(dir: string, port: number, names: number): string {
  const strings = Array.from({ length: 220 }, () => `"${'x'.repeat(255)}"`).join(' ');
  const lines = [
    ...unboundServerLines(dir, port),
    '  do-ip6: no',
    '  verbosity: 0',
    '  num-threads: 1',
    '  module-config: "iterator"',
    '  local-zone: "test." nodefault',
    `  local-zone: "${LARGE_ZONE}." redirect`,
    `  local-data: '${LARGE_ZONE}. 300 IN TXT ${strings}'`,
    '  local-zone: "bench.test." static',
    '  local-data: "bench.test. 3600 IN SOA ns.bench.test. hostmaster.bench.test. 1 300 60 86400 300"',
  ];
  for (let i = 0; i < names; i++) lines.push(`  local-data: "${nameOf(i)}. 3600 IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"`);
  lines.push('remote-control:', '  control-enable: no', '');
  return lines.join('\n');
}

function procSample(pid: number, atMs: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number | null => {
      const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
      return m === null ? null : Number(m[1]);
    };
    const rss = kb('VmRSS');
    // A process that has exited (a zombie until reaped) has no VmRSS: not a sample.
    if (rss === null) return null;
    return { atMs, rssMb: rss / 1024, hwmMb: (kb('VmHWM') ?? rss) / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return null;
  }
}

function fdLimits(): { soft: number; hard: number } {
  const read = (flag: string): number => {
    const out = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
    return out === 'unlimited' ? 1_048_576 : Number(out);
  };
  return { soft: read('-n'), hard: read('-Hn') };
}

/** Probes every listener once a second while `running()` is true; outcomes go to `out`. */
async function probeLoop(ports: ProbePorts, phase: ProbeOutcome['phase'], running: () => boolean, out: ProbeOutcome[]): Promise<void> {
  await Promise.all(
    LISTENERS.map(async (listener) => {
      while (running()) {
        const started = Date.now();
        const r = await probe(listener, ports, 2000);
        if (!running() && !r.ok) break; // a probe cut short by the end of the phase is not counted
        out.push({ listener, phase, ok: r.ok, detail: r.detail });
        await new Promise((res) => setTimeout(res, Math.max(0, 1000 - (Date.now() - started))));
      }
    }),
  );
}

function startAttacker(plan: AttackPlan, raiseTo: number | null, nice: number): { child: ChildProcess; report: Promise<AttackReport | null> } {
  const script = join(import.meta.dirname, 'soak-attack.js');
  const args = ['-n', String(nice), process.execPath, script, JSON.stringify(plan)];
  const child = raiseTo === null ? spawn('nice', args, { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn('sh', ['-c', `ulimit -n ${raiseTo} && exec nice "$@"`, 'sh', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  const report = new Promise<AttackReport | null>((res) =>
    child.once('exit', () => {
      try {
        res(JSON.parse(text.trim().split('\n').pop() ?? '') as AttackReport);
      } catch {
        res(null);
      }
    }),
  );
  return { child, report };
}

export async function runSoak(options: SoakOptions, log: (line: string) => void): Promise<SoakResults> {
  const limits = fdLimits();
  const results: SoakResults = {
    startedAt: new Date().toISOString(),
    options,
    fdLimit: { ...limits, attackerProcesses: 0 },
    baseline: null,
    attacked: null,
    peaks: procPeaks([]),
    rssTimelineMb: [],
    probes: [],
    attackers: [],
    aliveAfter: false,
    aborted: null,
    verdicts: [],
    failures: [],
  };
  const unbound = which('unbound');
  if (unbound === null || which('dnsperf') === null) {
    results.failures.push('unbound and dnsperf are needed (apt-get install unbound dnsperf)');
    return results;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-soak-'));
  const running: Started[] = [];
  const attackers: ChildProcess[] = [];
  const samples: ProcSample[] = [];
  const outcomes: ProbeOutcome[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const [upstreamPort, dnsPort, blockPort, rpzPort, dnstapPort, httpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]) as [number, number, number, number, number, number];
    writeFileSync(join(dir, 'upstream.conf'), upstreamConfig(dir, upstreamPort, options.names));
    const upstream = start(unbound, ['-d', '-c', join(dir, 'upstream.conf')]);
    running.push(upstream);
    if (!(await waitForDns(upstreamPort, 30_000))) throw new Error(`soak: the upstream Unbound did not start: ${upstream.output().slice(-300)}`);

    const tokens = writeTokenFile(dir);
    const flux = start(process.execPath, [
      CLI, 'serve', '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`, '--rate-limit', '0',
      '--block-page', `127.0.0.1:${blockPort}`, '--rpz-server', `127.0.0.1:${rpzPort}`, '--dnstap', `tcp:127.0.0.1:${dnstapPort}`,
      '--http', `127.0.0.1:${httpPort}`, '--api-tokens', tokens.file, '--store', join(dir, 'soak.db'), '--log-level', 'warn', '--no-flags',
    ]);
    running.push(flux);
    const pid = flux.child.pid!;
    if (!(await waitForDns(dnsPort, 60_000))) throw new Error(`soak: fluxhound did not start: ${flux.output().slice(-300)}`);
    const t0 = Date.now();
    const killAll = (why: string): void => {
      if (results.aborted !== null) return;
      results.aborted = why;
      log(`soak: ${why}`);
      for (const a of attackers) a.kill('SIGKILL');
      flux.child.kill('SIGKILL');
    };
    sampler = setInterval(() => {
      const s = procSample(pid, Date.now() - t0);
      if (s === null) return;
      samples.push(s);
      if (s.rssMb > options.rssAbortMb) killAll(`safety stop: fluxhound RSS ${s.rssMb.toFixed(0)} MB passed ${options.rssAbortMb} MB at ${(s.atMs / 1000).toFixed(1)} s; attackers and fluxhound killed`);
    }, 100);

    const names = join(dir, 'names.txt');
    writeFileSync(names, Array.from({ length: options.names }, (_, i) => `${nameOf(i)} A`).join('\n') + '\n');
    const ports: ProbePorts = { dns: dnsPort, blockPage: blockPort, rpz: rpzPort, dnstap: dnstapPort, http: httpPort, httpToken: tokens.read, name: `${nameOf(0)}.`, rpzOrigin: RPZ_ORIGIN };
    const good = ['-c', '4', '-q', '200'];
    log('soak: warming the cache with every good-client name');
    await dnsperf('warm-up', dnsPort, names, 3, ['-n', '1', '-q', '50'], false);

    log(`soak: baseline, good clients for ${options.goodSeconds} s, every listener probed once a second`);
    let phase: 'baseline' | 'attack' | 'done' = 'baseline';
    const baselineProbes = probeLoop(ports, 'baseline', () => phase === 'baseline', outcomes);
    results.baseline = await dnsperf('good clients, no attack', dnsPort, names, options.goodSeconds, good, true);
    phase = 'done';
    await baselineProbes;

    const targets: AttackTarget[] = [
      { listener: 'dns-tcp', port: dnsPort, kind: 'dns' },
      { listener: 'block-page', port: blockPort, kind: 'http' },
      { listener: 'rpz-server', port: rpzPort, kind: 'dns' },
      { listener: 'dnstap', port: dnstapPort, kind: 'dnstap' },
      { listener: 'http', port: httpPort, kind: 'http' },
    ];
    const needed = options.slowloris * targets.length + options.pipeliners + 128;
    const limit = needed > limits.soft ? limits.hard : limits.soft;
    const shares = splitAttack(options.slowloris, targets.length, options.pipeliners, limit);
    results.fdLimit.attackerProcesses = shares.length + 2;
    log(`soak: attack for ${options.seconds} s: ${options.slowloris} slowloris connections per listener (${targets.length} listeners), ${options.pipeliners} non-reading pipeliners, ${options.garbagePerSecond} garbage datagrams/s, ${options.cacheFillPerSecond} cache-filling queries/s; ${shares.length} attacker process(es), descriptor limit ${limit}`);
    // Slowloris in `shares.length` processes, the pipeliners in one, the UDP flood in one: a busy
    // pipeliner (a server that keeps reading) cannot slow the other attacks below their rates.
    const plan = (index: number, perListener: number, pipeliners: number, udp: boolean): AttackPlan => ({
      seconds: options.seconds, dnsPort, targets, perListener, openPerSecond: options.openPerSecond / shares.length, trickleMs: options.trickleMs,
      pipeliners, largeName: `pipeline.${LARGE_ZONE}`, largeZone: LARGE_ZONE,
      garbagePerSecond: udp ? options.garbagePerSecond : 0, cacheFillPerSecond: udp ? options.cacheFillPerSecond : 0, index,
      sources: attackSources(options.attackSources),
    });
    const plans = [...shares.map((share, i) => plan(i, share, 0, false)), plan(shares.length, 0, options.pipeliners, false), plan(shares.length + 1, 0, 0, true)];
    const reports = plans.map((p) => {
      const a = startAttacker(p, needed > limits.soft ? limits.hard : null, options.attackNice);
      attackers.push(a.child);
      return a.report;
    });
    const attackEnds = Date.now() + options.seconds * 1000;
    phase = 'attack';
    const attackProbes = probeLoop(ports, 'attack', () => phase === 'attack' && Date.now() < attackEnds && results.aborted === null, outcomes);
    await new Promise((res) => setTimeout(res, options.rampSeconds * 1000));
    const attackedSeconds = Math.max(1, Math.min(options.goodSeconds, options.seconds - options.rampSeconds - 1));
    log(`soak: good clients under attack for ${attackedSeconds} s`);
    if (results.aborted === null) {
      try {
        results.attacked = await dnsperf('good clients, under attack', dnsPort, names, attackedSeconds, good, true);
      } catch (error) {
        results.failures.push((error as Error).message);
      }
    }
    results.attackers = (await Promise.all(reports)).filter((r): r is AttackReport => r !== null);
    phase = 'done';
    await attackProbes;
    log('soak: attack over; 3 s for fluxhound to settle');
    await new Promise((res) => setTimeout(res, 3000));
    results.aliveAfter = flux.child.exitCode === null && flux.child.signalCode === null && (await waitForDns(dnsPort, 5000));
  } catch (error) {
    results.failures.push((error as Error).message);
    log((error as Error).message);
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    for (const a of attackers) if (a.exitCode === null) a.kill('SIGKILL');
    for (const s of running.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  results.peaks = procPeaks(samples);
  results.rssTimelineMb = Array.from({ length: 10 }, (_, i) => Math.round(samples[Math.min(samples.length - 1, Math.floor(((i + 1) * samples.length) / 10) - 1)]?.rssMb ?? 0));
  results.probes = tallyProbes(outcomes);
  const goodOf = (r: DnsperfResult | null): GoodClients | null => (r === null ? null : { qps: r.qps, p99Ms: r.p99Ms, lost: r.lost });
  results.verdicts = soakVerdicts(results.peaks, goodOf(results.baseline), goodOf(results.attacked), results.probes);
  return results;
}

export function formatSoak(r: SoakResults): string {
  const o = r.options;
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const rows = [
    `Soak: ${o.seconds} s of hostile clients on every listener of fluxhound serve at once, on 127.0.0.1`,
    `attack: ${o.slowloris} slowloris connections per listener (one byte every ${o.trickleMs} ms; DNS-over-TCP, block page, RPZ server, dnstap TCP, HTTP), ${o.pipeliners} non-reading DNS-over-TCP clients pipelining queries for a ~56 KB TXT, ${o.garbagePerSecond} garbage UDP datagrams/s, ${o.cacheFillPerSecond} queries/s over TCP (4 connections reading their answers) for distinct names with ~56 KB answers`,
    `the attack comes from ${o.attackSources} loopback address(es) from 127.0.1.1 on, its generators at nice ${o.attackNice} (they stand for other machines); the good clients and probes from 127.0.0.1`,
    `descriptor limit: soft ${r.fdLimit.soft}, hard ${r.fdLimit.hard}; ${r.fdLimit.attackerProcesses} attacker process(es)`,
    '',
    '| good clients (dnsperf -c 4 -q 200, UDP, cached names) | qps | lost | p50 (ms) | p99 (ms) |',
    '|---|---|---|---|---|',
  ];
  for (const x of [r.baseline, r.attacked]) if (x !== null) rows.push(`| ${x.label} (${o.goodSeconds} s) | ${n(x.qps)} | ${x.lost} | ${x.p50Ms?.toFixed(3) ?? '–'} | ${x.p99Ms?.toFixed(3) ?? '–'} |`);
  rows.push('', `fluxhound process: peak RSS ${r.peaks.rssPeakMb.toFixed(0)} MB (VmHWM/VmRSS every 100 ms, ${r.peaks.samples} samples), ${r.peaks.rssEndMb.toFixed(0)} MB at the end; peak open descriptors ${r.peaks.fdsPeak}, ${r.peaks.fdsEnd} at the end`);
  rows.push(`  RSS at each tenth of the run (MB): ${r.rssTimelineMb.join(', ')}`);
  rows.push('', '| listener | probes without attack (ok / failed) | probes during the attack (ok / failed) | why they failed |', '|---|---|---|---|');
  for (const l of LISTENERS) {
    const b = r.probes.find((p) => p.listener === l && p.phase === 'baseline');
    const a = r.probes.find((p) => p.listener === l && p.phase === 'attack');
    const why = [...(b?.reasons ?? []), ...(a?.reasons ?? [])].map(([reason, count]) => `${reason} ×${count}`).join('; ');
    rows.push(`| ${l} | ${b?.ok ?? 0} / ${b?.failed ?? 0} | ${a?.ok ?? 0} / ${a?.failed ?? 0} | ${why || '–'} |`);
  }
  rows.push('', '| attacked listener | connections opened | refused | closed by the server | most open at once |', '|---|---|---|---|---|');
  for (const l of LISTENERS) {
    const counts = r.attackers.flatMap((a) => a.listeners.filter((x) => x.listener === l));
    const sum = (f: (x: (typeof counts)[number]) => number): number => counts.reduce((s, x) => s + f(x), 0);
    rows.push(`| ${l} | ${sum((x) => x.opened)} | ${sum((x) => x.refused)} | ${sum((x) => x.closedByServer)} | ${sum((x) => x.peakOpen)} |`);
  }
  const total = (f: (a: AttackReport) => number): number => r.attackers.reduce((s, a) => s + f(a), 0);
  const rate = (count: number): string => `${n(count)} (${n(count / o.seconds)}/s)`;
  rows.push(`pipelined queries written: ${n(total((a) => a.pipelinedQueries))} (${(total((a) => a.pipelinedBytes) / 1e6).toFixed(1)} MB), pipeliners closed by the server: ${total((a) => a.pipelinersClosedByServer)}; garbage datagrams sent: ${rate(total((a) => a.garbageDatagrams))}; cache-filling queries sent: ${rate(total((a) => a.cacheFillQueries))}`);
  rows.push(`fluxhound alive after the attack: ${r.aliveAfter ? 'yes' : 'NO'}${r.aborted === null ? '' : `; ${r.aborted}`}`, '');
  for (const v of r.verdicts) rows.push(`${v.pass ? 'pass' : 'FAIL'}: ${v.what}: ${v.figure}`);
  for (const f of r.failures) rows.push(`failure: ${f}`);
  return rows.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.dirname, 'soak.js')) {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${SOAK_USAGE}\n`);
    process.exit(0);
  }
  const results = await runSoak(soakOptions(argv), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatSoak(results)}\n`);
  try {
    writeFileSync(join(resolve(import.meta.dirname, '../..'), 'bench', '.data', 'soak.json'), `${JSON.stringify(results, null, 2)}\n`);
  } catch {
    // no bench/.data yet: the report on stdout is the result
  }
  if (results.failures.length > 0 || results.verdicts.some((v) => !v.pass)) process.exitCode = 1;
}
