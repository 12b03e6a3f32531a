/**
 * How fast the live dnstap listener keeps up without loss. A receiver process
 * (bench/dnstap-receiver.ts: the daemon's detector, enrichment and listener)
 * listens on a unix socket; this process opens N Frame Streams connections
 * (bidirectional handshake, as Unbound and BIND do) and each sends its share
 * of pre-encoded CLIENT_RESPONSE frames as fast as the socket takes them,
 * then STOP. FINISH comes back only after every frame before STOP was
 * decoded and handed to the detector, so the clock stops when the last
 * FINISH arrives; the receiver's count must then equal what was sent (zero
 * loss), else the run fails. Medians over runs; `node dist/bench/dnstap.js`
 * runs it alone.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import dnsPacket from 'dns-packet';
import { Prng } from '../src/corpus/prng.js';
import { addressBytes, encodeDnstap } from '../test/support/dnstap-encode.js';
import { encodeData } from '../src/sources/dnstap/frames.js';
import { MessageType } from '../src/sources/dnstap/protobuf.js';
import { FrameStreamsProducer } from '../test/support/dnstap-producer.js';
import type { ReceiverCount } from './dnstap-receiver.js';

export interface DnstapBenchOptions {
  /** Messages per run. */
  messages: number;
  /** Concurrent producer connections per case. */
  connections: readonly number[];
  runs: number;
}

export interface DnstapCase {
  connections: number;
  messages: number;
  /** Messages per second, one per run, in run order. */
  rates: number[];
  medianRate: number;
  /** Mean frame size in bytes. */
  frameBytes: number;
  /** Receiver RSS at the end of the median run. */
  receiverRssBytes: number;
}

export interface DnstapFigures {
  cases: DnstapCase[];
  failures: string[];
}

export const DEFAULT_DNSTAP_OPTIONS: DnstapBenchOptions = { messages: 400_000, connections: [1, 8], runs: 3 };

/** Public-looking IPv4 (1.0.0.0..223.255.255.255 without 10/8, 127/8, 192.168/16). */
function publicV4(rng: Prng): string {
  for (;;) {
    const a = rng.range(1, 223);
    if (a === 10 || a === 127) continue;
    const b = rng.int(256);
    if (a === 192 && b === 168) continue;
    return `${a}.${b}.${rng.int(256)}.${rng.range(1, 254)}`;
  }
}

/**
 * A pool of real-looking resolver answers: 20,000 names; most answer one to
 * four A records from one /24 (hosting), some AAAA, CNAME chains, NXDOMAIN,
 * and 1% flux-like sets of 8 scattered addresses with a 60 s TTL.
 */
export function framePool(size: number, seed = 1): Buffer[] {
  const rng = new Prng(seed);
  const frames: Buffer[] = [];
  const names = 20_000;
  const t0 = 1_750_000_000;
  for (let i = 0; i < size; i++) {
    const n = rng.int(names);
    const name = `${['www', 'api', 'cdn', 'mail', 'img'][n % 5]}.site${n}.${['com', 'net', 'org', 'de', 'io'][n % 7 % 5]}`;
    const kind = rng.next();
    let answers: dnsPacket.Answer[] = [];
    let qtype: 'A' | 'AAAA' = 'A';
    let rcode = 0;
    if (kind < 0.01) {
      answers = Array.from({ length: 8 }, () => ({ type: 'A' as const, name, ttl: 60, data: publicV4(rng) }));
    } else if (kind < 0.2) {
      qtype = 'AAAA';
      answers = [{ type: 'AAAA', name, ttl: 300, data: `2001:db8:${(n % 65535).toString(16)}::${rng.range(1, 65535).toString(16)}` }];
    } else if (kind < 0.35) {
      const edge = `e${n % 997}.edge.cdnprovider.net`;
      answers = [
        { type: 'CNAME', name, ttl: 3600, data: edge },
        { type: 'A', name: edge, ttl: 20, data: publicV4(rng) },
        { type: 'A', name: edge, ttl: 20, data: publicV4(rng) },
      ];
    } else if (kind < 0.4) {
      rcode = 3;
    } else {
      const base = publicV4(new Prng(n + 7)).split('.').slice(0, 3).join('.');
      answers = Array.from({ length: 1 + (n % 4) }, (_, k) => ({ type: 'A' as const, name, ttl: 300, data: `${base}.${k + 1}` }));
    }
    const message = dnsPacket.encode({
      type: 'response',
      id: rng.int(65536),
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: [{ type: qtype, name, class: 'IN' }],
      answers,
    });
    const ts = t0 + Math.floor(i / 100);
    frames.push(
      encodeDnstap({
        identity: 'resolver1',
        version: 'unbound 1.17.1',
        type: MessageType.CLIENT_RESPONSE,
        socketFamily: 1,
        socketProtocol: 1,
        queryAddress: addressBytes(`10.${rng.int(4)}.${rng.int(256)}.${rng.range(1, 254)}`),
        responseAddress: addressBytes('10.0.0.53'),
        queryPort: rng.range(1024, 65535),
        responsePort: 53,
        queryTimeSec: ts,
        queryTimeNsec: rng.int(1e9),
        responseTimeSec: ts,
        responseTimeNsec: rng.int(1e9),
        responseMessage: message,
      }),
    );
  }
  return frames;
}

interface Receiver {
  count(): Promise<ReceiverCount>;
  stop(): Promise<void>;
}

async function startReceiver(socketPath: string): Promise<Receiver> {
  const script = new URL('./dnstap-receiver.js', import.meta.url);
  const child = fork(script, [`unix:${socketPath}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`dnstap receiver exited with ${code}`)));
  });
  return {
    count: () =>
      new Promise((resolve) => {
        child.once('message', (reply: { count: ReceiverCount }) => resolve(reply.count));
        child.send('count');
      }),
    async stop() {
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** frames[from..to) as data frames, concatenated into writes of about 64 KiB (a resolver's writer batches too). */
function batches(frames: readonly Buffer[], from: number, to: number): Buffer[] {
  const out: Buffer[] = [];
  let pending: Buffer[] = [];
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const frame = encodeData(frames[i % frames.length]!);
    pending.push(frame);
    bytes += frame.length;
    if (bytes >= 65536) {
      out.push(Buffer.concat(pending, bytes));
      pending = [];
      bytes = 0;
    }
  }
  if (bytes > 0) out.push(Buffer.concat(pending, bytes));
  return out;
}

/** One producer connection sending its batches as fast as the socket takes them. */
async function produce(socketPath: string, chunks: readonly Buffer[], ready: Promise<void>): Promise<boolean> {
  const producer = await FrameStreamsProducer.connect({ path: socketPath });
  await ready;
  for (const chunk of chunks) {
    if (!producer.sendRaw(chunk)) await producer.drain();
  }
  return producer.finish();
}

async function oneRun(socketPath: string, frames: readonly Buffer[], messages: number, connections: number): Promise<{ rate: number; rss: number }> {
  const receiver = await startReceiver(socketPath);
  try {
    let go!: () => void;
    const ready = new Promise<void>((resolve) => (go = resolve));
    const share = Math.ceil(messages / connections);
    const chunks = Array.from({ length: connections }, (_, c) => batches(frames, c * share, Math.min(messages, (c + 1) * share)));
    const producers = chunks.map((list) => produce(socketPath, list, ready));
    // Every connection has done its handshake before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    go();
    const finished = await Promise.all(producers);
    const seconds = (performance.now() - started) / 1000;
    const count = await receiver.count();
    if (finished.some((f) => !f)) throw new Error('a producer got no FINISH');
    if (count.observations !== messages || count.skipped !== 0) {
      throw new Error(`dnstap: sent ${messages}, the receiver observed ${count.observations} and skipped ${count.skipped}`);
    }
    return { rate: messages / seconds, rss: count.rssBytes };
  } finally {
    await receiver.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function benchDnstap(options: DnstapBenchOptions = DEFAULT_DNSTAP_OPTIONS, log: (line: string) => void = () => undefined): Promise<DnstapFigures> {
  const frames = framePool(Math.min(options.messages, 100_000));
  const frameBytes = frames.reduce((sum, f) => sum + f.length + 4, 0) / frames.length;
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-dnstap-'));
  const figures: DnstapFigures = { cases: [], failures: [] };
  try {
    for (const connections of options.connections) {
      const runs: { rate: number; rss: number }[] = [];
      for (let run = 0; run < options.runs; run++) {
        try {
          const result = await oneRun(join(dir, `r${connections}-${run}.sock`), frames, options.messages, connections);
          runs.push(result);
          log(`dnstap ${connections} connection(s) run ${run + 1}/${options.runs}: ${Math.round(result.rate).toLocaleString('en-US')} messages/s`);
        } catch (error) {
          figures.failures.push((error as Error).message);
          log((error as Error).message);
          break;
        }
      }
      if (runs.length === 0) continue;
      const rates = runs.map((r) => r.rate);
      const mid = median(rates);
      figures.cases.push({
        connections,
        messages: options.messages,
        rates,
        medianRate: mid,
        frameBytes,
        receiverRssBytes: runs.find((r) => r.rate === mid)?.rss ?? 0,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export function formatDnstap(figures: DnstapFigures): string {
  const lines = ['dnstap listener (daemon detector + enrichment, unix socket, zero loss checked):'];
  for (const c of figures.cases) {
    lines.push(
      `  ${String(c.connections).padStart(3)} connection(s): ${Math.round(c.medianRate).toLocaleString('en-US').padStart(9)} messages/s ` +
        `(median of ${c.rates.length}; ${c.messages.toLocaleString('en-US')} messages of ~${Math.round(c.frameBytes)} B; receiver RSS ${Math.round(c.receiverRssBytes / 1e6)} MB)`,
    );
  }
  for (const failure of figures.failures) lines.push(`  FAILED: ${failure}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const messages = Number(process.argv[2] ?? DEFAULT_DNSTAP_OPTIONS.messages);
  benchDnstap({ ...DEFAULT_DNSTAP_OPTIONS, messages }, (line) => process.stderr.write(`${line}\n`))
    .then((figures) => {
      process.stdout.write(`${formatDnstap(figures)}\n`);
      if (figures.failures.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
