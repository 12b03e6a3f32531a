/**
 * The flow collector's zero-loss rate against nfcapd (issue 16), same stream,
 * same run: softflowd's export of a generated capture (bench/flows-stream.ts)
 * is replayed over UDP on 127.0.0.1 at rising rates to `fluxhound serve
 * --flows` (the built CLI) and to nfcapd (nfdump 1.7.1), one after the other
 * at each rate. A trial is lossless when the collector counted every record
 * sent: fluxhound's `fluxhound_flows_records_total` (from /metrics), nfcapd's
 * flow count in its file (`nfdump -I`). Each side climbs the ladder until its
 * first loss, then halves the gap to the last rate passed twice; its figure
 * is the highest lossless rate the sender achieved (datagrams/s and flows/s).
 * When that is well under the target, the sender (one node process on the
 * same host) was the limit, not the collector: the log shows both. Both get the same socket receive buffer (8 MiB asked, what
 * net.core.rmem_max allows). Medians over runs; `node dist/bench/flows.js`
 * runs it alone. FLUXHOUND_BENCH_FLOWS_CONVERSATIONS (100,000),
 * _RUNS (3), _SECONDS (2, per trial), _VERSION (9; 5 or 10), _START (2,000
 * datagrams/s) and _MAX (256,000) change it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Socket } from 'node:dgram';
import { freePort, startDaemon, waitFor, type Daemon } from '../test/support/daemon.js';
import { nfcapdBinary, nfdumpCount, startNfcapd, udpSocketState } from '../test/support/nfcapd.js';
import { softflowd, type ExportVersion } from '../test/support/softflowd.js';
import { fetchWithToken, writeTokenFile, type TestTokens } from '../test/support/tokens.js';
import { captureStream, replay, senderSocket, type FlowStream } from './flows-stream.js';
import { median } from './summary.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RECEIVE_BUFFER = 8 << 20;

export interface FlowBenchOptions {
  conversations: number;
  runs: number;
  seconds: number;
  version: ExportVersion;
  startRate: number;
  maxRate: number;
}

export interface Trial {
  side: 'fluxhound' | 'nfcapd';
  target: number;
  /** Datagrams/s the sender achieved. */
  rate: number;
  sent: number;
  records: number;
  counted: number;
  kernelDrops: number;
  lossless: boolean;
}

export interface SideFigures {
  /** Highest lossless rate per run (datagrams/s achieved); 0 when even the first rate lost. */
  rates: number[];
  medianRate: number;
  medianFlowsPerSecond: number;
}

export interface FlowFigures {
  options: FlowBenchOptions;
  datagrams: number;
  records: number;
  recordsPerDatagram: number;
  fluxhound: SideFigures;
  nfcapd: SideFigures;
  /** fluxhound's median lossless rate over nfcapd's (above 1: fluxhound takes more). */
  ratio: number;
  trials: Trial[];
  failures: string[];
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): FlowBenchOptions {
  const n = (key: string, fallback: number) => {
    const v = Number(env[key] ?? fallback);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`bench: ${key} takes a positive number`);
    return v;
  };
  const version = n('FLUXHOUND_BENCH_FLOWS_VERSION', 9);
  if (version !== 5 && version !== 9 && version !== 10) throw new Error('bench: FLUXHOUND_BENCH_FLOWS_VERSION is 5, 9 or 10');
  return {
    conversations: Math.floor(n('FLUXHOUND_BENCH_FLOWS_CONVERSATIONS', 100_000)),
    runs: Math.floor(n('FLUXHOUND_BENCH_FLOWS_RUNS', 3)),
    seconds: n('FLUXHOUND_BENCH_FLOWS_SECONDS', 2),
    version,
    startRate: n('FLUXHOUND_BENCH_FLOWS_START', 2_000),
    maxRate: n('FLUXHOUND_BENCH_FLOWS_MAX', 256_000),
  };
}

/** Sum of a metric over all its label sets in a Prometheus text page. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

interface FluxhoundCollector {
  daemon: Daemon;
  port: number;
  http: number;
  tokens: TestTokens;
}

async function startFluxhound(dir: string): Promise<FluxhoundCollector> {
  const tokens = writeTokenFile(dir);
  const http = await freePort();
  const daemon = startDaemon(process.execPath, [
    CLI, 'serve', '--no-flags', '--no-store', '--log-level', 'info',
    '--flows', 'udp:127.0.0.1:0', '--http', `127.0.0.1:${http}`, '--api-tokens', tokens.file,
  ]);
  const port = await waitFor('fluxhound serve --flows to listen', () => {
    const match = /flows: listening on udp:127\.0\.0\.1:(\d+)/.exec(daemon.output());
    return match === null ? undefined : Number(match[1]);
  }, 30_000);
  return { daemon, port, http, tokens };
}

async function fluxhoundCounts(c: FluxhoundCollector): Promise<{ records: number; drops: number }> {
  const text = await (await fetchWithToken(`http://127.0.0.1:${c.http}/metrics`, c.tokens.read)).text();
  return {
    records: metricSum(text, 'fluxhound_flows_records_total'),
    drops: metricSum(text, 'fluxhound_flows_kernel_drops_total') + metricSum(text, 'fluxhound_flows_refused_datagrams_total'),
  };
}

/** Waits until `read()` reaches `target` or stops moving for a second (the rest was lost). */
async function settle(read: () => Promise<number>, target: number): Promise<number> {
  let last = await read();
  let still = Date.now();
  while (last < target && Date.now() - still < 1_000) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await read();
    if (now !== last) still = Date.now();
    last = now;
  }
  return last;
}

async function fluxhoundTrial(c: FluxhoundCollector, socket: Socket, stream: FlowStream, target: number, seconds: number): Promise<Trial> {
  const before = await fluxhoundCounts(c);
  const sent = await replay(socket, stream, c.port, target, Math.ceil(target * seconds));
  const counted = (await settle(async () => (await fluxhoundCounts(c)).records, before.records + sent.records)) - before.records;
  const drops = (await fluxhoundCounts(c)).drops - before.drops;
  return { side: 'fluxhound', target, rate: sent.rate, sent: sent.datagrams, records: sent.records, counted, kernelDrops: drops, lossless: counted === sent.records && drops === 0 };
}

async function nfcapdTrial(dir: string, socket: Socket, stream: FlowStream, target: number, seconds: number): Promise<Trial> {
  const out = mkdtempSync(join(dir, 'nfcapd-'));
  const nfcapd = await startNfcapd(out, { receiveBuffer: RECEIVE_BUFFER });
  try {
    const sent = await replay(socket, stream, nfcapd.port, target, Math.ceil(target * seconds));
    await nfcapd.drained(30_000);
    const drops = udpSocketState(nfcapd.port)?.drops ?? 0;
    await nfcapd.stop();
    const counted = await nfdumpCount(out);
    return { side: 'nfcapd', target, rate: sent.rate, sent: sent.datagrams, records: sent.records, counted, kernelDrops: drops, lossless: counted === sent.records && drops === 0 };
  } finally {
    await nfcapd.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

function sideFigures(rates: number[], recordsPerDatagram: number): SideFigures {
  const m = median(rates);
  return { rates, medianRate: m, medianFlowsPerSecond: m * recordsPerDatagram };
}

export async function benchFlows(options: FlowBenchOptions, log: (line: string) => void): Promise<FlowFigures> {
  const missing = softflowd.missing ?? nfcapdBinary.missing;
  if (missing !== null) throw new Error(`bench: flows: ${missing}`);
  const failures: string[] = [];
  const stream = await captureStream(options.conversations, options.version);
  const recordsPerDatagram = stream.totalRecords / stream.datagrams.length;
  log(`flows: softflowd -v ${options.version}: ${stream.conversations.toLocaleString('en-US')} conversations → ${stream.datagrams.length.toLocaleString('en-US')} datagrams, ${stream.totalRecords.toLocaleString('en-US')} records (${recordsPerDatagram.toFixed(1)} a datagram)`);
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-flows-'));
  mkdirSync(dir, { recursive: true });
  const trials: Trial[] = [];
  const best = { fluxhound: [] as number[], nfcapd: [] as number[] };
  const collector = await startFluxhound(dir);
  const socket = await senderSocket();
  try {
    for (let run = 1; run <= options.runs; run++) {
      const climbing = { fluxhound: true, nfcapd: true };
      const highest = { fluxhound: 0, nfcapd: 0 };
      /** Targets last passed and first failed, per side, for the refinement. */
      const bounds = { fluxhound: { good: 0, bad: 0 }, nfcapd: { good: 0, bad: 0 } };
      const attempt = async (side: 'fluxhound' | 'nfcapd', target: number): Promise<boolean> => {
        try {
          const t = side === 'fluxhound'
            ? await fluxhoundTrial(collector, socket, stream, target, options.seconds)
            : await nfcapdTrial(dir, socket, stream, target, options.seconds);
          trials.push(t);
          log(`flows run ${run}/${options.runs} ${side}: target ${Math.round(target)}/s, sent ${Math.round(t.rate)}/s, ${t.counted}/${t.records} records, ${t.kernelDrops} dropped${t.lossless ? '' : ' — LOSS'}`);
          if (t.lossless) highest[side] = Math.max(highest[side], t.rate);
          return t.lossless;
        } catch (error) {
          failures.push(`flows ${side} at ${Math.round(target)}/s: ${(error as Error).message}`);
          return false;
        }
      };
      for (let target = options.startRate; target <= options.maxRate && (climbing.fluxhound || climbing.nfcapd); target *= 2) {
        // The two sides alternate at each rate, so a busy spell on the host hits both.
        for (const side of ['fluxhound', 'nfcapd'] as const) {
          if (!climbing[side]) continue;
          if (await attempt(side, target)) bounds[side].good = target;
          else {
            bounds[side].bad = target;
            climbing[side] = false;
          }
        }
      }
      // Two halvings between the last rate passed and the first failed: the doubling ladder is coarse.
      for (let step = 0; step < 2; step++) {
        for (const side of ['fluxhound', 'nfcapd'] as const) {
          const b = bounds[side];
          if (b.bad === 0 || b.good === 0) continue;
          const mid = (b.good + b.bad) / 2;
          if (await attempt(side, mid)) b.good = mid;
          else b.bad = mid;
        }
      }
      best.fluxhound.push(highest.fluxhound);
      best.nfcapd.push(highest.nfcapd);
    }
  } finally {
    socket.close();
    await collector.daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const fluxhound = sideFigures(best.fluxhound, recordsPerDatagram);
  const nfcapd = sideFigures(best.nfcapd, recordsPerDatagram);
  return {
    options,
    datagrams: stream.datagrams.length,
    records: stream.totalRecords,
    recordsPerDatagram,
    fluxhound,
    nfcapd,
    ratio: nfcapd.medianRate > 0 ? fluxhound.medianRate / nfcapd.medianRate : Number.NaN,
    trials,
    failures,
  };
}

export function formatFlows(f: FlowFigures): string {
  const row = (name: string, s: SideFigures) =>
    `  ${name.padEnd(28)} ${Math.round(s.medianRate).toLocaleString('en-US').padStart(10)} datagrams/s ${Math.round(s.medianFlowsPerSecond).toLocaleString('en-US').padStart(12)} flows/s   runs: ${s.rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')}`;
  return [
    `Flow collector, zero-loss rate (softflowd -v ${f.options.version} stream: ${f.datagrams.toLocaleString('en-US')} datagrams, ${f.records.toLocaleString('en-US')} records, ${f.recordsPerDatagram.toFixed(1)} a datagram; ${f.options.seconds} s a trial, rates doubling from ${f.options.startRate}/s; medians of ${f.options.runs})`,
    row('fluxhound serve --flows', f.fluxhound),
    row('nfcapd (nfdump 1.7.1)', f.nfcapd),
    `  ratio fluxhound / nfcapd: ${Number.isFinite(f.ratio) ? f.ratio.toFixed(2) : 'n/a'}`,
    ...f.failures.map((x) => `  FAILED: ${x}`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  benchFlows(optionsFromEnv(), log)
    .then((f) => {
      process.stdout.write(`${formatFlows(f)}\n`);
      if (f.failures.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
