/**
 * What every DNS bench shares: finding and starting servers on 127.0.0.1,
 * waiting for them to answer, and running dnsperf with its figures read back
 * (qps, loss, per-query latency percentiles, the server's CPU per query).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** One dnsperf run: what its output says (without the text), and what the server's share of the host was. */
export interface DnsperfResult extends Omit<DnsperfFigures, 'summary'> {
  label: string;
  /**
   * The server's own share of the host during the run (Linux /proc, all its
   * threads), when its pid was given: CPU microseconds per completed query,
   * and the fraction of the run its threads spent runnable but waiting for a
   * CPU (schedstat). On a shared host the second is where tail latency comes from.
   */
  cpuUsPerQuery: number | null;
  runQueueWait: number | null;
}

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export function which(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : null;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => res(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export function nameOf(i: number): string {
  return `n${i}.bench.test`;
}

/** Waits until something on 127.0.0.1:port answers a DNS query over UDP. */
export async function waitForDns(port: number, timeoutMs: number): Promise<boolean> {
  const query = Buffer.from('abcd01000001000000000000026e300562656e636804746573740000010001', 'hex');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const s = createSocket('udp4');
      const timer = setTimeout(() => {
        s.close();
        res(false);
      }, 300);
      s.on('message', () => {
        clearTimeout(timer);
        s.close();
        res(true);
      });
      s.send(query, port, '127.0.0.1');
    });
    if (ok) return true;
  }
  return false;
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

export function start(command: string, args: string[]): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr?.on('data', (b: Buffer) => {
    if (text.length < 100_000) text += b.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    output: () => text,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Runs dnsperf; with `verbose`, per-query latencies give p50/p99 (kept in a
 * 1 µs histogram up to 1 s). Its output goes to a file and is read after the
 * run, so this process takes no CPU from the servers while they are measured.
 */
export async function dnsperf(label: string, port: number, file: string, seconds: number, extra: string[], verbose: boolean, serverPid?: number, wrapper: string[] = []): Promise<DnsperfResult> {
  const before = schedOf(serverPid);
  const startedAt = performance.now();
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), ...extra];
  if (verbose) args.push('-v');
  const outPath = `${file}.${process.pid}.out`;
  const out = openSync(outPath, 'w');
  const command = [...wrapper, 'dnsperf', ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', out, 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = keepTail(errors + chunk.toString().replace(/^\[Timeout\].*\n/gm, ''));
  });
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  const after = schedOf(serverPid);
  const elapsedS = (performance.now() - startedAt) / 1000;
  closeSync(out);
  const figures = parseDnsperfOutput(readFileSync(outPath, 'latin1'), errors);
  rmSync(outPath, { force: true });
  if (code !== 0 || !Number.isFinite(figures.qps)) throw new Error(`dnsperf ${label}: exit ${code}: ${figures.summary.slice(-400)}`);
  const { summary: _text, ...measured } = figures;
  return {
    label,
    ...measured,
    cpuUsPerQuery: before === null || after === null || !(figures.completed > 0) ? null : ((after.cpuS - before.cpuS) * 1e6) / figures.completed,
    runQueueWait: before === null || after === null ? null : (after.waitS - before.waitS) / elapsedS,
  };
}

/** Per-query latencies in 1 µs bins up to 1 s (slower ones in the last bin): percentiles without keeping every sample. */
export class LatencyHistogram {
  private readonly bins = new Uint32Array(1_000_001);
  samples = 0;
  sumS = 0;

  add(seconds: number): void {
    this.bins[Math.min(1_000_000, Math.max(0, Math.round(seconds * 1e6)))]!++;
    this.samples++;
    this.sumS += seconds;
  }

  /** The latency in ms at or below which a share `p` of the samples fall; null with no samples. */
  percentileMs(p: number): number | null {
    if (this.samples === 0) return null;
    const goal = Math.ceil(this.samples * p);
    let seen = 0;
    for (let us = 0; us < this.bins.length; us++) {
      seen += this.bins[us]!;
      if (seen >= goal) return us / 1000;
    }
    return null;
  }
}

/** What dnsperf's output says: its statistics block, and p50/p99 from the `-v` per-query lines when there are any. */
export interface DnsperfFigures {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  p50Ms: number | null;
  p99Ms: number | null;
  avgMs: number | null;
  /** "Connection Statistics: Reconnections" (TCP, DoT, DoH); null over UDP, which has no connections. */
  reconnections: number | null;
  /** stderr and the lines that are not per-query latencies (the tail), for error messages. */
  summary: string;
}

/**
 * Reads dnsperf 2.x output. `-v` prints `> RCODE NAME TYPE LATENCY` per answered query and
 * `> T NAME TYPE` per timed-out one (no number at the end: not a latency); `[Timeout]` lines are dropped. A figure
 * missing from the output is NaN (qps NaN means dnsperf did not finish).
 */
export function parseDnsperfOutput(stdout: string, stderr = ''): DnsperfFigures {
  const histogram = new LatencyHistogram();
  let summary = stderr.replace(/^\[Timeout\].*\n/gm, '');
  for (const line of stdout.split('\n')) {
    if (line.startsWith('> ')) {
      const latency = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(latency)) histogram.add(latency);
    } else if (!line.startsWith('[Timeout]')) summary = keepTail(`${summary}${line}\n`);
  }
  const number = (re: RegExp): number => Number(re.exec(summary)?.[1] ?? NaN);
  const reconnections = number(/Reconnections:\s+(\d+)/);
  return {
    qps: number(/Queries per second:\s+([\d.]+)/),
    sent: number(/Queries sent:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    p50Ms: histogram.percentileMs(0.5),
    p99Ms: histogram.percentileMs(0.99),
    avgMs: histogram.samples === 0 ? number(/Average Latency \(s\):\s+([\d.]+)/) * 1000 : (histogram.sumS / histogram.samples) * 1000,
    reconnections: Number.isFinite(reconnections) ? reconnections : null,
    summary,
  };
}

/** CPU seconds used and seconds spent waiting for a CPU, summed over a process's threads; null off Linux. */
export function schedOf(pid: number | undefined): { cpuS: number; waitS: number } | null {
  if (pid === undefined) return null;
  try {
    let cpuS = 0;
    let waitS = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      cpuS += Number(run) / 1e9;
      waitS += Number(wait) / 1e9;
    }
    return Number.isFinite(cpuS) && Number.isFinite(waitS) ? { cpuS, waitS } : null;
  } catch {
    return null;
  }
}

/** The statistics block is at the end of dnsperf's output; keep the last 20,000 characters. */
export function keepTail(text: string): string {
  return text.length > 20_000 ? text.slice(-20_000) : text;
}

export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

export function fluxhoundArgs(dnsPort: number, upstreamPort: number, store: string, config: string): string[] {
  return [CLI, 'serve', '--config', config, '--dns', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`, '--rate-limit', '0', '--store', store, '--log-level', 'warn', '--no-flags'];
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
