/**
 * nfcapd and nfdump (Debian package nfdump, 1.7.1) as the reference collector:
 * nfcapd listens on 127.0.0.1, writes what it decodes into a directory, and
 * `nfdump -R DIR -o json` reads it back. Used by the flow tests (field by
 * field against fluxhound's decode) and by the bench (zero-loss rate).
 *
 *   nfcapd -b 127.0.0.1 -p PORT -w DIR -t 3600 [-E] [-B BYTES]
 * -t 3600: one file per hour (a run that straddles the hour writes two, and
 * -R reads the whole directory). SIGTERM makes nfcapd flush and close its
 * file, so the records are read after stop(). Before stopping, drained()
 * waits until the kernel holds no datagram for nfcapd's socket (its queue in
 * /proc/net/udp is empty): once the exporter has exited, everything it sent
 * was then read, and nfcapd decodes what it reads before it looks at the
 * signal (no sleeping on a guess; -E's printout is block-buffered on a pipe
 * and cannot be counted).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { findBinary } from './binaries.js';

export const nfcapdBinary = findBinary('nfcapd', 'nfdump');
export const nfdumpBinary = findBinary('nfdump', 'nfdump');

/** One record of `nfdump -o json` (1.7.1), the fields the comparison reads. */
export interface NfdumpFlow {
  first: string;
  last: string;
  proto: number;
  src_port: number;
  dst_port: number;
  src4_addr?: string;
  dst4_addr?: string;
  src6_addr?: string;
  dst6_addr?: string;
  in_packets: number;
  in_bytes: number;
  /** 1 when nfcapd applied a sampling rate (its counters are then already multiplied). */
  sampled: number;
  ip4_router?: string;
  ip6_router?: string;
}

export interface Nfcapd {
  port: number;
  /** Waits until nfcapd's socket has no datagram queued, or throws after `ms`. */
  drained(ms?: number): Promise<void>;
  /** Datagrams the kernel dropped for nfcapd's socket (full receive buffer). */
  kernelDrops(): number;
  /** SIGTERM, and wait for the exit (nfcapd flushes its file first). */
  stop(): Promise<void>;
  output(): string;
  child: ChildProcess;
}

export interface NfcapdOptions {
  /** -B: socket receive buffer in bytes. */
  receiveBuffer?: number;
}

/** A UDP port free on 127.0.0.1 right now (nfcapd cannot be given port 0 and tell us which it took). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function spawnOnce(dir: string, port: number, options: NfcapdOptions): Promise<Nfcapd | null> {
  const args = ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600'];
  if (options.receiveBuffer !== undefined) args.push('-B', String(options.receiveBuffer));
  const child = spawn(nfcapdBinary.path!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    const text = b.toString();
    output += text;
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve) => {
    const check = () => {
      if (output.includes('Startup nfcapd.')) {
        waiters.delete(check);
        resolve({
          port,
          child,
          output: () => output,
          drained: (ms = 10_000) => waitDrained(port, ms),
          kernelDrops: () => udpSocketState(port)?.drops ?? 0,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    waiters.add(check);
    // A port taken between freeUdpPort() and the bind: nfcapd exits; the caller tries another.
    void exited.then(() => {
      waiters.delete(check);
      resolve(null);
    });
  });
}

/** The kernel's view of the UDP socket bound to 127.0.0.1:port (/proc/net/udp): datagrams queued and dropped. */
export function udpSocketState(port: number): { queued: number; drops: number } | null {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns[1] !== local) continue;
    // tx_queue:rx_queue in hex bytes; drops is the last column.
    return { queued: parseInt(columns[4]!.split(':')[1]!, 16), drops: Number(columns[12]) };
  }
  return null;
}

async function waitDrained(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const state = udpSocketState(port);
    if (state === null || state.queued === 0) return;
    if (Date.now() > until) throw new Error(`127.0.0.1:${port} still has ${state.queued} bytes queued after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts nfcapd on 127.0.0.1 writing into `dir` (which must exist); resolves once it listens. */
export async function startNfcapd(dir: string, options: NfcapdOptions = {}): Promise<Nfcapd> {
  if (nfcapdBinary.path === null) throw new Error(nfcapdBinary.missing!);
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await spawnOnce(dir, await freeUdpPort(), options);
    if (started !== null) return started;
  }
  throw new Error('nfcapd: could not bind a free port on 127.0.0.1 in 3 attempts');
}

/** Every record nfcapd wrote into `dir`, as `TZ=UTC nfdump -R dir -o json` decodes it. */
export function nfdumpRecords(dir: string): Promise<NfdumpFlow[]> {
  if (nfdumpBinary.path === null) throw new Error(nfdumpBinary.missing!);
  if (!readdirSync(dir).some((f) => f.startsWith('nfcapd.') && !f.startsWith('nfcapd.current'))) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    execFile(nfdumpBinary.path!, ['-R', dir, '-o', 'json'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 30, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`nfdump -R ${dir} -o json: ${err.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as NfdumpFlow[]);
    });
  });
}

/**
 * The flow count nfcapd keeps in its files' statistics (`nfdump -R dir -I`,
 * "Flows: N"): the bench counts millions of records without decoding them.
 */
export function nfdumpCount(dir: string): Promise<number> {
  if (nfdumpBinary.path === null) throw new Error(nfdumpBinary.missing!);
  if (!readdirSync(dir).some((f) => f.startsWith('nfcapd.') && !f.startsWith('nfcapd.current'))) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    execFile(nfdumpBinary.path!, ['-R', dir, '-I'], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      const flows = /^Flows: (\d+)$/m.exec(stdout);
      if (err !== null || flows === null) {
        reject(new Error(`nfdump -R ${dir} -I: ${err?.message ?? 'no Flows line'}\n${stdout}${stderr}`));
        return;
      }
      resolve(Number(flows[1]));
    });
  });
}

/** nfdump's time text ('2026-11-30T10:00:00.125', UTC under TZ=UTC) as epoch milliseconds. */
export function nfdumpMillis(text: string): number {
  return Date.parse(`${text}Z`);
}
