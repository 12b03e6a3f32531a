/**
 * A DNS-over-HTTPS load generator for the encrypted DNS bench: HTTP/2 GETs
 * of /dns-query?dns= (RFC 8484), `clients` connections kept open for the
 * whole run, `outstanding` queries in flight over all of them (as dnsperf's
 * -c and -q), optionally paced to `rate` queries a second (dnsperf's -Q).
 * The HTTP/2 is its own few frames over node:tls (runDohLoad says why).
 *
 * Why not dnsperf -m doh: dnsperf 2.10 hands on one DNS answer per socket
 * read and does not look at what it has already read until the socket is
 * readable again, so when a server packs several answers into one TLS record
 * (Node's HTTP/2 does: one write per tick for every stream answered in it)
 * the rest wait for the next bytes or the 5 s timeout. Unbound writes one
 * record per answer, so dnsperf can measure it; fluxhound it cannot. This
 * generator is checked against dnsperf on Unbound's DoH in every bench run.
 *
 * Certificates are not verified (like dnsperf): the bench's server
 * certificate is a throwaway one for a test name.
 *
 * Run as its own process (so its CPU is its own, like dnsperf's):
 * `node dist/bench/doh-load.js '{"port":8443,"names":"FILE",...}'`; one JSON line out.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { FLAG_RD } from '../src/dns/constants.js';
import { writeMessage } from '../src/dns/message-writer.js';
import { typeCode } from '../src/dns/mnemonics.js';
import { LatencyHistogram } from './dns-run.js';

export interface DohLoadOptions {
  port: number;
  /** dnsperf's data file: `NAME TYPE` a line. */
  names: string;
  seconds: number;
  clients: number;
  outstanding: number;
  /** Queries a second over all connections; 0 = as fast as answers come back. */
  rate: number;
  /** The path before `?dns=`. */
  path: string;
  /** When the run's time is up, how long in-flight queries may still take before they count as lost. */
  drainMs: number;
}

export interface DohLoadResult {
  sent: number;
  completed: number;
  lost: number;
  /** Answers with an HTTP status other than 200 (not in `completed`). */
  httpErrors: number;
  qps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  avgMs: number | null;
  /** Connections opened: `clients` when every connection stayed open. */
  connections: number;
  seconds: number;
  /** This generator's own CPU seconds over the run: near `seconds` means it, not the server, set the pace. */
  clientCpuS: number;
}

/**
 * The GET paths for a dnsperf data file: each name's query in wire form
 * (ID 0, RD, as RFC 8484 §4.1 suggests), base64url without padding. Lines
 * that are empty or comments are skipped; an unknown type is an error.
 */
export function dohQueryPaths(text: string, path: string): string[] {
  const paths: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, type = 'A'] = line.split(/\s+/);
    const qtype = typeCode(type!.toUpperCase());
    if (qtype === null) throw new Error(`doh-load: line ${i + 1}: unknown type '${type}'`);
    const wire = writeMessage({ id: 0, flags: FLAG_RD, rcode: 0, qname: name!, qtype });
    paths.push(`${path}?dns=${Buffer.from(wire).toString('base64url')}`);
  }
  if (paths.length === 0) throw new Error('doh-load: no names');
  return paths;
}

/** How many of `outstanding` each of `clients` connections carries: as even as it goes, none with zero. */
export function spread(outstanding: number, clients: number): number[] {
  const per = Math.max(1, Math.floor(outstanding / clients));
  const extra = Math.max(0, outstanding - per * clients);
  return Array.from({ length: clients }, (_, i) => per + (i < extra ? 1 : 0));
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** The connection's receive window is topped up by this much whenever half of it is used. */
const CONNECTION_WINDOW = 1 << 30;

/** An HTTP/2 frame (RFC 9113 §4.1). */
export function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(9 + payload.length);
  frame.writeUIntBE(payload.length, 0, 3);
  frame[3] = type;
  frame[4] = flags;
  frame.writeUInt32BE(stream, 5);
  payload.copy(frame, 9);
  return frame;
}

/** An HPACK integer (RFC 7541 §5.1) with `prefix` bits in a first byte that starts with `high`. */
export function hpackInteger(value: number, prefix: number, high: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [high | value];
  const bytes = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest & 127) | 128);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}

/** A literal field without indexing whose name is static-table entry `index`, the value as a plain string (RFC 7541 §6.2.2). */
function literal(index: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from(hpackInteger(index, 4, 0)), Buffer.from(hpackInteger(bytes.length, 7, 0)), bytes]);
}

/**
 * The header block of a DoH GET: `:method GET` and `:scheme https` from the
 * static table, `:authority`, `:path` and `accept` as literals never added to
 * the table, so every block stands alone and can be made once per name.
 */
export function dohRequestBlock(authority: string, path: string): Buffer {
  return Buffer.concat([Buffer.from([0x82, 0x87]), literal(1, authority), literal(4, path), literal(19, 'application/dns-message')]);
}

/**
 * Whether a response header block starts with `:status: 200`. Servers built
 * on nghttp2 (Node's http2, Unbound) send it as static-table entry 8, one
 * byte 0x88, after any dynamic-table size updates; anything else is not 200.
 */
export function isStatus200(block: Buffer): boolean {
  let i = 0;
  while (i < block.length && (block[i]! & 0xe0) === 0x20) {
    // A dynamic table size update: its integer may run on in bytes with the high bit set.
    if ((block[i]! & 0x1f) === 0x1f) while (++i < block.length && (block[i]! & 0x80) !== 0);
    i++;
  }
  return block[i] === 0x88;
}

/** The header block fragment of a HEADERS frame's payload, padding and priority taken off. */
export function headerBlockOf(flags: number, payload: Buffer): Buffer {
  let start = 0;
  let end = payload.length;
  if ((flags & PADDED) !== 0) {
    end -= payload[0]!;
    start = 1;
  }
  if ((flags & PRIORITY) !== 0) start += 5;
  return payload.subarray(start, Math.max(start, end));
}

/** Splits a byte stream into HTTP/2 frames. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (type: number, flags: number, stream: number, payload: Buffer) => void): void {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (data.length >= 9) {
      const length = data.readUIntBE(0, 3);
      if (data.length < 9 + length) break;
      onFrame(data[3]!, data[4]!, data.readUInt32BE(5) & 0x7fffffff, data.subarray(9, 9 + length));
      data = data.subarray(9 + length);
    }
    this.buffered = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  }
}

/**
 * A plain HTTP/2 client over TLS, written for this load only: requests are
 * pre-made header blocks, answers are told apart by stream id, bodies are
 * counted and dropped. Node's http2 client costs ~100 µs of CPU a request,
 * more than the servers it would measure; this costs a few.
 */
export async function runDohLoad(o: DohLoadOptions): Promise<DohLoadResult> {
  const authority = `127.0.0.1:${o.port}`;
  const blocks = dohQueryPaths(readFileSync(o.names, 'utf8'), o.path).map((path) => dohRequestBlock(authority, path));
  const histogram = new LatencyHistogram();
  let next = 0;
  let sent = 0;
  let completed = 0;
  let httpErrors = 0;
  let connections = 0;
  let sending = true;
  let inFlight = 0;
  let drained: () => void = () => undefined;
  const waiting: (() => void)[] = [];
  const sockets: TLSSocket[] = [];
  const cpuBefore = process.cpuUsage();
  let startedAt = performance.now();
  const allowed = (): boolean => o.rate <= 0 || sent < (o.rate * (performance.now() - startedAt)) / 1000;

  const open = (slots: number): Promise<() => void> =>
    new Promise((res, rej) => {
      connections++;
      const pending = new Map<number, { began: number; ok: boolean }>();
      const reader = new FrameReader();
      let stream = 1;
      let unacknowledged = 0;
      const socket = connect({ host: '127.0.0.1', port: o.port, ALPNProtocols: ['h2'], rejectUnauthorized: false });
      sockets.push(socket);
      const slot = (): void => {
        if (!sending || socket.destroyed) return;
        if (!allowed()) {
          waiting.push(slot);
          return;
        }
        const block = blocks[next]!;
        next = next + 1 === blocks.length ? 0 : next + 1;
        pending.set(stream, { began: performance.now(), ok: false });
        socket.write(h2Frame(HEADERS, END_STREAM | END_HEADERS, stream, block));
        stream += 2;
        sent++;
        inFlight++;
      };
      const finish = (id: number, answered: boolean): void => {
        const p = pending.get(id);
        if (p === undefined) return;
        pending.delete(id);
        inFlight--;
        if (answered && p.ok) {
          completed++;
          histogram.add((performance.now() - p.began) / 1000);
        } else if (answered) httpErrors++;
        if (inFlight === 0 && !sending) drained();
        slot();
      };
      socket.on('error', (err) => rej(new Error(`doh-load: ${err.message}`)));
      socket.once('secureConnect', () => {
        if (socket.alpnProtocol !== 'h2') return rej(new Error(`doh-load: the server did not choose h2 (ALPN ${String(socket.alpnProtocol)})`));
        // SETTINGS: no push, 1 MiB per stream; then the connection's window opened wide.
        const settings = Buffer.from([0, 2, 0, 0, 0, 0, 0, 4, 0, 0x10, 0, 0]);
        const window = Buffer.alloc(4);
        window.writeUInt32BE(CONNECTION_WINDOW);
        socket.write(Buffer.concat([PREFACE, h2Frame(SETTINGS, 0, 0, settings), h2Frame(8, 0, 0, window)]));
        res(() => {
          for (let s = 0; s < slots; s++) slot();
        });
      });
      socket.on('data', (chunk: Buffer) => {
        socket.cork();
        reader.push(chunk, (type, flags, id, payload) => {
          if (type === DATA) {
            unacknowledged += payload.length;
            if ((flags & END_STREAM) !== 0) finish(id, true);
          } else if (type === HEADERS) {
            const p = pending.get(id);
            if (p !== undefined && !p.ok) p.ok = isStatus200(headerBlockOf(flags, payload));
            if ((flags & END_STREAM) !== 0) {
              if (p !== undefined) p.ok = false; // a status without a body: not an answer
              finish(id, true);
            }
          } else if (type === RST_STREAM) finish(id, false);
          else if (type === SETTINGS && (flags & ACK) === 0) socket.write(h2Frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
          else if (type === PING && (flags & ACK) === 0) socket.write(h2Frame(PING, ACK, 0, payload));
          else if (type === GOAWAY) socket.destroy();
        });
        if (unacknowledged > CONNECTION_WINDOW / 2) {
          const window = Buffer.alloc(4);
          window.writeUInt32BE(unacknowledged);
          socket.write(h2Frame(8, 0, 0, window));
          unacknowledged = 0;
        }
        socket.uncork();
      });
      socket.once('close', () => {
        for (const id of [...pending.keys()]) finish(id, false);
      });
    });

  // Every connection is open (handshake done) before the clock starts, as dnsperf's sockets are.
  const starts = await Promise.all(spread(o.outstanding, o.clients).map(open));
  startedAt = performance.now();
  for (const go of starts) go();
  const pacer = o.rate > 0 ? setInterval(() => {
    while (waiting.length > 0 && allowed()) waiting.shift()!();
  }, 1) : null;
  await new Promise<void>((res) => setTimeout(res, o.seconds * 1000));
  sending = false;
  const ranS = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  if (pacer !== null) clearInterval(pacer);
  if (inFlight > 0) await new Promise<void>((res) => {
    drained = res;
    setTimeout(res, o.drainMs);
  });
  for (const s of sockets) s.destroy();
  return {
    sent,
    completed,
    lost: sent - completed - httpErrors,
    httpErrors,
    qps: completed / ranS,
    p50Ms: histogram.percentileMs(0.5),
    p99Ms: histogram.percentileMs(0.99),
    avgMs: histogram.samples === 0 ? null : (histogram.sumS / histogram.samples) * 1000,
    connections,
    seconds: ranS,
    clientCpuS: (cpu.user + cpu.system) / 1e6,
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.dirname, 'doh-load.js')) {
  const options = JSON.parse(process.argv[2] ?? '{}') as DohLoadOptions;
  runDohLoad(options).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
