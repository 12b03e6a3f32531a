/**
 * conn.log throughput (issue 16): how fast fluxhound reads a Zeek conn.log,
 * side by side in one run with a named peer doing the same work on the same
 * file. The work: read every record and sum bytes per destination address.
 *   - fluxhound: readInputs with the registry's formats (sniffed as
 *     zeek-conn, every line through the real FlowLineDecoder and checks) into
 *     a sink that sums FlowRecord.bytes per dst, in this process;
 *   - peer: `awk -F'\t'` summing orig_ip_bytes + resp_ip_bytes per id.resp_h
 *     (the system awk: mawk on Debian). See bench/README.md for why awk and
 *     not nfdump.
 * The conn.log (~1M lines, seeded) is generated on the fly into bench/.data,
 * never committed, and removed afterwards. Medians over runs; the ratio is
 * fluxhound's records/s over awk's. `node dist/bench/flow-logs.js [RECORDS] [RUNS]` runs it alone.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FlowRecord } from '../src/model/flow.js';
import { readInputs } from '../src/sources/input.js';
import { sourceFormats } from '../src/sources/registry.js';

export interface FlowLogBenchOptions {
  records: number;
  runs: number;
  seed: number;
}

export const DEFAULT_FLOW_LOG_OPTIONS: FlowLogBenchOptions = { records: 1_000_000, runs: 5, seed: 1 };

export interface FlowLogSide {
  label: string;
  /** Wall time per run. */
  seconds: number[];
  /** CPU time (user + system) per run: steadier than wall time on a shared host. */
  cpuSeconds: number[];
  medianSeconds: number;
  medianCpuSeconds: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  recordsPerCpuSecond: number;
}

export interface FlowLogFigures {
  records: number;
  bytes: number;
  fluxhound: FlowLogSide | null;
  awk: FlowLogSide | null;
  /** fluxhound's records/s over awk's (wall), and per CPU second; null when a side failed. */
  ratio: number | null;
  cpuRatio: number | null;
  /** Both sides' answers agree (distinct destinations and total bytes): the work was the same. */
  agree: boolean | null;
  failures: string[];
}

/** Same totals from both sides, so a fast wrong answer is seen. */
interface Totals {
  records: number;
  destinations: number;
  bytes: number;
}

const ROOT = resolve(import.meta.dirname, '../..');
const DATA_DIR = join(ROOT, 'bench/.data');

export const CONN_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration',
  'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history',
  'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
];
const CONN_TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string',
  'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]',
];

/** The awk program: the same sum as the fluxhound side (columns 5, 18, 20 of the header above). */
export const AWK_PROGRAM = '!/^#/ { n++; b[$5] += $18 + $20 } END { d = 0; t = 0; for (k in b) { d++; t += b[k] } printf "%d %d %.0f\\n", n, d, t }';

/** mulberry32: a small seeded generator, so the same seed gives the same file. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A conn.log as Zeek writes it: 5,000 clients in 10/8 (one in ten on IPv6),
 * 50,000 destinations (a few busy, a long tail), 80% TCP (443/80), 17% UDP
 * (53/123/443), 3% ICMP; times in order over a day, realistic counts.
 */
export function writeConnLog(path: string, records: number, seed: number): number {
  const random = generator(seed);
  const fd = openSync(path, 'w');
  let written = 0;
  const put = (text: string): void => {
    written += writeSync(fd, text);
  };
  try {
    put(`#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-03-12-00-00-00\n`);
    put(`#fields\t${CONN_FIELDS.join('\t')}\n#types\t${CONN_TYPES.join('\t')}\n`);
    const t0 = 1710201600;
    let lines: string[] = [];
    for (let i = 0; i < records; i++) {
      const ts = (t0 + (i * 86400) / records + random() * 0.001).toFixed(6);
      const client = Math.floor(random() * 5000);
      const orig = client % 10 === 0 ? `2001:db8:${(client >> 8).toString(16)}::${(client & 255).toString(16)}` : `10.${client >> 8}.${client & 255}.${1 + (client % 200)}`;
      const skew = random();
      const server = Math.floor(skew * skew * skew * 50000);
      const resp = orig.includes(':') ? `2001:db8:ffff::${server.toString(16)}` : `${23 + (server >> 16)}.${(server >> 8) & 255}.${server & 255}.${1 + (server % 250)}`;
      const kind = random();
      let proto: string;
      let origPort: number;
      let respPort: number;
      if (kind < 0.8) {
        proto = 'tcp';
        origPort = 1024 + Math.floor(random() * 64000);
        respPort = random() < 0.85 ? 443 : 80;
      } else if (kind < 0.97) {
        proto = 'udp';
        origPort = 1024 + Math.floor(random() * 64000);
        respPort = [53, 123, 443][Math.floor(random() * 3)]!;
      } else {
        proto = 'icmp';
        origPort = 8;
        respPort = 0;
      }
      const origPkts = 1 + Math.floor(random() * 40);
      const respPkts = Math.floor(random() * 60);
      const origBytes = origPkts * Math.floor(40 + random() * 500);
      const respBytes = respPkts * Math.floor(40 + random() * 1400);
      const duration = random() < 0.1 ? '-' : (random() * 30).toFixed(6);
      lines.push(
        `${ts}\tC${i.toString(36)}\t${orig}\t${origPort}\t${resp}\t${respPort}\t${proto}\t${proto === 'tcp' ? 'ssl' : '-'}\t${duration}\t` +
          `${origBytes}\t${respBytes}\tSF\tT\tF\t0\tShADadFf\t${origPkts}\t${origBytes + origPkts * 40}\t${respPkts}\t${respBytes + respPkts * 40}\t(empty)`,
      );
      if (lines.length === 10_000) {
        put(`${lines.join('\n')}\n`);
        lines = [];
      }
    }
    if (lines.length > 0) put(`${lines.join('\n')}\n`);
    put('#close\t2024-03-13-00-00-00\n');
  } finally {
    closeSync(fd);
  }
  return written;
}

/** fluxhound's side: the real input path (sniffing, decoder, checks) into a per-destination byte sum. */
export async function fluxhoundTotals(path: string): Promise<Totals & { format: string | null; skipped: number }> {
  const perDestination = new Map<string, number>();
  let records = 0;
  let skipped = 0;
  const [summary] = await readInputs([path], {
    format: 'auto',
    formats: sourceFormats,
    sink: {
      observe: () => undefined,
      skip: () => {
        skipped++;
      },
      flow: (flow: FlowRecord) => {
        records++;
        perDestination.set(flow.dst, (perDestination.get(flow.dst) ?? 0) + flow.bytes);
      },
    },
  });
  let bytes = 0;
  for (const sum of perDestination.values()) bytes += sum;
  return { records, destinations: perDestination.size, bytes, format: summary?.format ?? null, skipped };
}

/**
 * The shell that runs awk prints its own /proc stat after awk ended: its
 * cutime + cstime are awk's CPU (in USER_HZ ticks, 100 a second on Linux),
 * with no GNU time needed.
 */
const AWK_SHELL = 'awk -F "$(printf \'\\t\')" "$1" "$2"; status=$?; cat /proc/$$/stat >&2; exit $status';

/** awk's side, as a child process; its answer parsed from stdout, its CPU from the shell's stat. */
export function awkTotals(path: string): Promise<Totals & { cpuSeconds: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-c', AWK_SHELL, 'sh', AWK_PROGRAM, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const [records, destinations, bytes] = out.trim().split(' ').map(Number);
      if (code !== 0 || records === undefined || destinations === undefined || bytes === undefined) {
        reject(new Error(`awk exited ${code}: ${err.trim() || out.trim()}`));
      } else {
        resolvePromise({ records, destinations, bytes, cpuSeconds: childCpu(err) });
      }
    });
  });
}

/** cutime + cstime (fields 16 and 17) of a /proc/PID/stat line, in seconds; null when absent. */
function childCpu(stat: string): number | null {
  const line = stat.trim().split('\n').at(-1) ?? '';
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? ticks / 100 : null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function side(label: string, seconds: number[], cpuSeconds: number[], records: number, bytes: number): FlowLogSide {
  const medianSeconds = median(seconds);
  const medianCpuSeconds = median(cpuSeconds);
  return {
    label, seconds, cpuSeconds, medianSeconds, medianCpuSeconds,
    recordsPerSecond: records / medianSeconds, megabytesPerSecond: bytes / 1e6 / medianSeconds, recordsPerCpuSecond: records / medianCpuSeconds,
  };
}

export async function benchFlowLogs(options: FlowLogBenchOptions, log: (line: string) => void): Promise<FlowLogFigures> {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `conn-${options.records}-${options.seed}.log`);
  const figures: FlowLogFigures = { records: options.records, bytes: 0, fluxhound: null, awk: null, ratio: null, cpuRatio: null, agree: null, failures: [] };
  try {
    const started = performance.now();
    writeConnLog(path, options.records, options.seed);
    figures.bytes = statSync(path).size;
    log(`conn.log: ${options.records.toLocaleString('en-US')} records, ${(figures.bytes / 1e6).toFixed(0)} MB, generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const fluxSeconds: number[] = [];
    const fluxCpu: number[] = [];
    const awkSeconds: number[] = [];
    const awkCpu: number[] = [];
    let flux: Totals | null = null;
    let awk: Totals | null = null;
    // Alternating sides, so a busy spell on a shared host falls on both.
    for (let run = 0; run < options.runs; run++) {
      try {
        const t = performance.now();
        const cpu = process.cpuUsage();
        const totals = await fluxhoundTotals(path);
        fluxSeconds.push((performance.now() - t) / 1000);
        const used = process.cpuUsage(cpu);
        fluxCpu.push((used.user + used.system) / 1e6);
        if (totals.format !== 'zeek-conn' || totals.skipped !== 0) throw new Error(`read as ${totals.format} with ${totals.skipped} skips`);
        flux = totals;
        log(`flow-logs fluxhound run ${run + 1}/${options.runs}: ${fluxSeconds.at(-1)!.toFixed(2)} s (CPU ${fluxCpu.at(-1)!.toFixed(2)} s)`);
      } catch (error) {
        figures.failures.push(`fluxhound: ${(error as Error).message}`);
        break;
      }
      try {
        const t = performance.now();
        const totals = await awkTotals(path);
        awkSeconds.push((performance.now() - t) / 1000);
        if (totals.cpuSeconds === null) throw new Error('no CPU time from /proc');
        awkCpu.push(totals.cpuSeconds);
        awk = { records: totals.records, destinations: totals.destinations, bytes: totals.bytes };
        log(`flow-logs awk run ${run + 1}/${options.runs}: ${awkSeconds.at(-1)!.toFixed(2)} s (CPU ${awkCpu.at(-1)!.toFixed(2)} s)`);
      } catch (error) {
        figures.failures.push(`awk: ${(error as Error).message}`);
        break;
      }
    }
    if (fluxSeconds.length > 0) figures.fluxhound = side('fluxhound (readInputs → zeek-conn → sum per dst)', fluxSeconds, fluxCpu, options.records, figures.bytes);
    if (awkSeconds.length > 0) figures.awk = side("awk -F'\\t' (sum per id.resp_h)", awkSeconds, awkCpu, options.records, figures.bytes);
    if (figures.fluxhound !== null && figures.awk !== null) {
      figures.ratio = figures.fluxhound.recordsPerSecond / figures.awk.recordsPerSecond;
      figures.cpuRatio = figures.fluxhound.recordsPerCpuSecond / figures.awk.recordsPerCpuSecond;
    }
    if (flux !== null && awk !== null) {
      figures.agree = flux.records === awk.records && flux.destinations === awk.destinations && flux.bytes === awk.bytes;
      if (!figures.agree) figures.failures.push(`the sides disagree: fluxhound ${JSON.stringify(flux)}, awk ${JSON.stringify(awk)}`);
    }
  } finally {
    rmSync(path, { force: true });
  }
  return figures;
}

export function formatFlowLogs(figures: FlowLogFigures): string {
  const lines = [`conn.log throughput: ${figures.records.toLocaleString('en-US')} records, ${(figures.bytes / 1e6).toFixed(0)} MB, medians`];
  for (const s of [figures.fluxhound, figures.awk]) {
    if (s === null) continue;
    lines.push(
      `  ${s.label.padEnd(50)} ${s.medianSeconds.toFixed(2).padStart(7)} s  ${Math.round(s.recordsPerSecond).toLocaleString('en-US').padStart(9)} records/s  ${s.megabytesPerSecond.toFixed(1).padStart(6)} MB/s  ` +
        `CPU ${s.medianCpuSeconds.toFixed(2)} s: ${Math.round(s.recordsPerCpuSecond).toLocaleString('en-US')} records/CPU-s  (runs: ${s.seconds.map((x) => x.toFixed(2)).join(', ')})`,
    );
  }
  if (figures.ratio !== null && figures.cpuRatio !== null) {
    lines.push(`  ratio fluxhound / awk: ${figures.ratio.toFixed(2)}× (records/s), ${figures.cpuRatio.toFixed(2)}× (records per CPU second)${figures.agree === true ? '; same totals on both sides' : ''}`);
  }
  for (const failure of figures.failures) lines.push(`  failure: ${failure}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const records = Number(process.argv[2] ?? DEFAULT_FLOW_LOG_OPTIONS.records);
  const runs = Number(process.argv[3] ?? DEFAULT_FLOW_LOG_OPTIONS.runs);
  const figures = await benchFlowLogs({ ...DEFAULT_FLOW_LOG_OPTIONS, records, runs }, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatFlowLogs(figures)}\n`);
  if (figures.failures.length > 0) process.exitCode = 1;
}
