/**
 * How fast fluxhound reads packet captures, side by side in one run with
 * tshark extracting the same fields from the same file:
 *   - fluxhound's pcap decoder alone (readInputs into a counting sink, in this process);
 *   - the whole `fluxhound analyze` (decoding, enrichment, detection, report), on
 *     every core (`--workers auto`) when the build has the flag;
 *   - `tshark -r FILE -T fields -e dns.qry.name -e dns.a -e dns.aaaa -e dns.ns -e dns.resp.ttl`.
 * The capture (bench/pcap-capture.ts) is generated into bench/.data once per
 * size and seed. Medians over runs; `node dist/bench/pcap.js [RESPONSES] [RUNS]` runs it alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pcapFormat } from '../src/sources/pcap/index.js';
import { readInputs } from '../src/sources/input.js';
import { parseStats, workersArgs, workersLabel, type FluxhoundStats } from './fluxhound-run.js';
import { CAPTURE_VERSION, writeCapture, type CaptureFile } from './pcap-capture.js';

export interface PcapBenchOptions {
  /** DNS responses in the capture (packets are a few more: some queries, TCP segments). */
  responses: number;
  runs: number;
  seed: number;
}

export const DEFAULT_PCAP_OPTIONS: PcapBenchOptions = { responses: 1_000_000, runs: 3, seed: 1 };

/** Issue 17: the decoder alone against tshark; issue 18: the whole analyze, end to end, on all cores. */
export const DECODER_TARGET = 20;
export const ANALYZE_TARGET = 3;

export interface PcapSide {
  label: string;
  /** Wall time per run. */
  seconds: number[];
  /** CPU time (user + system, all threads) per run; empty when it could not be measured. */
  cpuSeconds: number[];
  medianSeconds: number;
  medianCpuSeconds: number | null;
  packetsPerSecond: number;
  /** Packets per CPU second: steadier than wall time on a shared machine. */
  packetsPerCpuSecond: number | null;
}

interface Timing {
  wall: number;
  cpu: number | null;
}

export interface PcapFigures {
  capture: CaptureFile | null;
  decoder: PcapSide | null;
  analyze: PcapSide | null;
  tshark: PcapSide | null;
  /** What the decoder produced in its last run, as a sanity check. */
  observations: number;
  skipped: number;
  /** Said beside the figures, not failures: e.g. why analyze stayed on one thread. */
  notes: string[];
  failures: string[];
}

const ROOT = resolve(import.meta.dirname, '../..');
const DATA_DIR = join(ROOT, 'bench/.data');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function side(label: string, runs: readonly Timing[], packets: number): PcapSide {
  const seconds = runs.map((r) => r.wall);
  const cpuSeconds = runs.flatMap((r) => (r.cpu === null ? [] : [r.cpu]));
  const m = median(seconds);
  const cpu = cpuSeconds.length === runs.length ? median(cpuSeconds) : null;
  return { label, seconds, cpuSeconds, medianSeconds: m, medianCpuSeconds: cpu, packetsPerSecond: packets / m, packetsPerCpuSecond: cpu === null ? null : packets / cpu };
}

const GNU_TIME = '/usr/bin/time';

/** Runs a command with stdout to /dev/null; wall and CPU time from GNU time when installed. */
function timed(what: string, command: string, args: readonly string[]): Promise<Timing> {
  const timeFile = join(DATA_DIR, 'pcap.time');
  const useTime = existsSync(GNU_TIME);
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%e %U %S', '-o', timeFile, command, ...args]] : [command, [...args]];
  const started = process.hrtime.bigint();
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`bench: ${what} exited with ${code}: ${stderr.trim() || '(no output)'}`));
      if (!useTime) return resolveRun({ wall, cpu: null });
      const [elapsed, user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
      rmSync(timeFile, { force: true });
      resolveRun({ wall: Number.isFinite(elapsed) ? elapsed! : wall, cpu: Number.isFinite(user) && Number.isFinite(system) ? user! + system! : null });
    });
  });
}

function ensureCapture(options: PcapBenchOptions, log: (line: string) => void): CaptureFile {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `dns-responses-${options.responses}-seed${options.seed}.pcap`);
  const described = `${path}.json`;
  // Generated once per size and seed; the description says what it holds.
  if (existsSync(path) && existsSync(described)) {
    const known = JSON.parse(readFileSync(described, 'utf8')) as CaptureFile;
    if (known.version === CAPTURE_VERSION && statSync(path).size === known.bytes) {
      log(`pcap input: ${known.packets.toLocaleString('en-US')} packets (${known.responses.toLocaleString('en-US')} responses), ${(known.bytes / 1e6).toFixed(0)} MB, reused`);
      return known;
    }
  }
  const started = process.hrtime.bigint();
  const capture = writeCapture(path, options);
  writeFileSync(described, `${JSON.stringify(capture)}\n`);
  log(`pcap input: ${capture.packets.toLocaleString('en-US')} packets (${capture.responses.toLocaleString('en-US')} responses), ${(capture.bytes / 1e6).toFixed(0)} MB, generated in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  return capture;
}

async function decoderRun(path: string): Promise<{ timing: Timing; observations: number; skipped: number }> {
  let observations = 0;
  let skipped = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await readInputs([path], {
    format: 'pcap',
    formats: [pcapFormat],
    sink: {
      observe: () => {
        observations++;
      },
      skip: () => {
        skipped++;
      },
    },
  });
  const cpu = process.cpuUsage(cpuBefore);
  return { timing: { wall: Number(process.hrtime.bigint() - started) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 }, observations, skipped };
}

function describe(t: Timing): string {
  return `${t.wall.toFixed(2)} s${t.cpu === null ? '' : ` (CPU ${t.cpu.toFixed(2)} s)`}`;
}

function tsharkPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export async function benchPcap(options: PcapBenchOptions = DEFAULT_PCAP_OPTIONS, log: (line: string) => void = () => undefined): Promise<PcapFigures> {
  const figures: PcapFigures = { capture: null, decoder: null, analyze: null, tshark: null, observations: 0, skipped: 0, notes: [], failures: [] };
  const capture = ensureCapture(options, log);
  figures.capture = capture;
  const cli = join(ROOT, 'dist/src/cli/main.js');
  const tshark = tsharkPath();
  if (tshark === null) figures.failures.push('tshark not found: install the Debian package tshark');
  if (!existsSync(cli)) figures.failures.push(`${cli} does not exist (is the CLI built?)`);
  const workers = existsSync(cli) ? workersArgs(ROOT) : [];
  const fields = ['dns.qry.name', 'dns.a', 'dns.aaaa', 'dns.ns', 'dns.resp.ttl'].flatMap((f) => ['-e', f]);
  const decoder: Timing[] = [];
  const analyze: Timing[] = [];
  const tsharkRuns: Timing[] = [];
  let analyzeStats: FluxhoundStats | undefined;
  // The sides take turns, run by run, so that a change in the machine's load falls on all of them.
  for (let i = 0; i < options.runs; i++) {
    const run = await decoderRun(capture.path);
    decoder.push(run.timing);
    figures.observations = run.observations;
    figures.skipped = run.skipped;
    log(`pcap decoder run ${i + 1}/${options.runs}: ${describe(run.timing)} (${run.observations.toLocaleString('en-US')} observations, ${run.skipped} skipped)`);
    try {
      if (existsSync(cli)) {
        const statsFile = join(DATA_DIR, 'pcap-analyze-stats.json');
        const args = [cli, 'analyze', '--json', '--no-progress', '--quiet', '--stats-json', statsFile, ...workers, capture.path];
        const timing = await timed('fluxhound analyze (pcap)', process.execPath, args);
        analyzeStats = parseStats(readFileSync(statsFile, 'utf8'), statsFile);
        rmSync(statsFile, { force: true });
        analyze.push(timing);
        log(`pcap analyze run ${i + 1}/${options.runs}: ${describe(timing)}`);
      }
      if (tshark !== null) {
        const timing = await timed('tshark -T fields', tshark, ['-r', capture.path, '-n', '-T', 'fields', ...fields]);
        tsharkRuns.push(timing);
        log(`tshark run ${i + 1}/${options.runs}: ${describe(timing)}`);
      }
    } catch (error) {
      figures.failures.push((error as Error).message);
      break;
    }
  }
  figures.decoder = side('fluxhound pcap decoder (1 core)', decoder, capture.packets);
  if (figures.observations < capture.responses) figures.failures.push(`decoder gave ${figures.observations} observations for ${capture.responses} responses`);
  if (analyze.length > 0) figures.analyze = side(workersLabel(workers, analyzeStats).replace('fluxhound analyze', 'analyze'), analyze, capture.packets);
  // A capture may hold flows, which keep analyze on one thread (src/detect/parallel/README.md): say so beside the ratio.
  if (typeof analyzeStats?.workersNote === 'string') figures.notes.push(`analyze ran on one detector thread: ${analyzeStats.workersNote}`);
  if (tsharkRuns.length > 0) figures.tshark = side('tshark -T fields (same fields)', tsharkRuns, capture.packets);
  return figures;
}

export function formatPcap(figures: PcapFigures): string {
  const c = figures.capture;
  const count = (n: number | null) => (n === null ? 'n/a' : Math.round(n).toLocaleString('en-US'));
  const lines = [
    `pcap decoding${c === null ? '' : `: ${c.packets.toLocaleString('en-US')} packets (${c.responses.toLocaleString('en-US')} DNS responses, ${(statSafe(c.path) / 1e6).toFixed(0)} MB)`}, medians of ${figures.decoder?.seconds.length ?? 0} runs`,
    `  ${'side'.padEnd(38)} ${'wall (s)'.padStart(9)} ${'packets/s'.padStart(11)} ${'CPU (s)'.padStart(9)} ${'packets/CPU s'.padStart(14)}`,
  ];
  for (const s of [figures.decoder, figures.analyze, figures.tshark]) {
    if (s === null) continue;
    lines.push(
      `  ${s.label.padEnd(38)} ${s.medianSeconds.toFixed(2).padStart(9)} ${count(s.packetsPerSecond).padStart(11)} ` +
        `${(s.medianCpuSeconds === null ? 'n/a' : s.medianCpuSeconds.toFixed(2)).padStart(9)} ${count(s.packetsPerCpuSecond).padStart(14)}`,
    );
  }
  const t = figures.tshark;
  if (t !== null && figures.decoder !== null) {
    const ratio = (s: PcapSide) => {
      const wall = `${(s.packetsPerSecond / t.packetsPerSecond).toFixed(1)}× wall`;
      return s.packetsPerCpuSecond === null || t.packetsPerCpuSecond === null ? wall : `${wall}, ${(s.packetsPerCpuSecond / t.packetsPerCpuSecond).toFixed(1)}× CPU`;
    };
    lines.push(`  decoder / tshark: ${ratio(figures.decoder)} (target ≥ ${DECODER_TARGET}×)`);
    const a = figures.analyze;
    if (a !== null) {
      const wall = a.packetsPerSecond / t.packetsPerSecond;
      lines.push(`  analyze end to end / tshark: ${ratio(a)}, ${wall >= ANALYZE_TARGET ? 'meets' : 'BELOW'} the ≥ ${ANALYZE_TARGET}× target (wall time)`);
      const paired = pairedRatio(a.seconds, t.seconds);
      // The sides take turns run by run: a run's ratio to its neighbour is the least moved by a host whose speed drifts.
      if (paired !== null) lines.push(`  paired: the median of the ${Math.min(a.seconds.length, t.seconds.length)} per-run ratios (each analyze run against the tshark run after it): ${paired.toFixed(1)}× wall`);
    }
  }
  for (const note of figures.notes) lines.push(`  note: ${note}`);
  for (const failure of figures.failures) lines.push(`  failed: ${failure}`);
  return lines.join('\n');
}

/** Median over i of peer[i] / ours[i] (seconds of runs made in turn); null without a pair. */
export function pairedRatio(ours: readonly number[], peer: readonly number[]): number | null {
  const n = Math.min(ours.length, peer.length);
  if (n === 0) return null;
  return median(Array.from({ length: n }, (_, i) => peer[i]! / ours[i]!));
}

function statSafe(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const responses = Number(process.argv[2] ?? DEFAULT_PCAP_OPTIONS.responses);
  const runs = Number(process.argv[3] ?? DEFAULT_PCAP_OPTIONS.runs);
  benchPcap({ ...DEFAULT_PCAP_OPTIONS, responses, runs }, (line) => process.stderr.write(`${line}\n`))
    .then((figures) => {
      process.stdout.write(`${formatPcap(figures)}\n`);
      if (figures.failures.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
