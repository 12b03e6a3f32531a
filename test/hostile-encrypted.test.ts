/**
 * Hostile clients against the encrypted DNS listeners (issue 17): DNS over
 * TLS (`dns-tls`) and DNS over HTTPS (`dns-doh`) in one forwarder, real TLS
 * on 127.0.0.x with a test CA, small deadlines and budgets in serve.net.
 * Handshake floods (a real ClientHello then silence, or nothing at all)
 * from several addresses, half-open TLS, HTTP/2 stream floods, rapid
 * reset, PING floods, slow and oversized DoH bodies: each is cut or
 * refused and counted in fluxhound_net_refused_total, while a DoT client
 * and a DoH client that were already connected keep getting answers and a
 * newcomer from another address (node's TLS client, and kdig +tls) still
 * gets in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as h2connect, constants, type ClientHttp2Session } from 'node:http2';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { startFixedUpstream, type AnsweringAuthority } from './support/answer-all.js';
import { findBinary } from './support/binaries.js';
import { waitFor } from './support/daemon.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { makeTestCertificates } from './support/test-certs.js';
import { octetEnricher } from './helpers/octet-enricher.js';

const NAME = 'dns.fluxhound.test';
const kdig = findBinary('kdig', 'knot-dnsutils');

function query(name: string, id = 0): Buffer {
  return packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
}

/** A DoT client kept open: each ask() sends one framed query and waits for its answer (3 s at most). */
class DotClient {
  private buffered = Buffer.alloc(0);
  private waiting = new Map<number, (rcode: string | null) => void>();
  private nextId = 1;
  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 2 && this.buffered.length >= this.buffered.readUInt16BE(0) + 2) {
        const answer = packet.decode(this.buffered.subarray(2, 2 + this.buffered.readUInt16BE(0))) as unknown as { id: number; rcode: string };
        this.buffered = this.buffered.subarray(2 + this.buffered.readUInt16BE(0));
        this.waiting.get(answer.id)?.(answer.rcode);
      }
    });
    socket.on('close', () => {
      for (const done of this.waiting.values()) done(null);
    });
  }
  static open(port: number, ca: Buffer, localAddress = '127.0.0.1'): Promise<DotClient> {
    return new Promise((resolve, reject) => {
      const tcp = connect({ port, host: '127.0.0.1', localAddress });
      const socket = tlsConnect({ socket: tcp, ca, servername: NAME, ALPNProtocols: ['dot'] }, () => resolve(new DotClient(socket)));
      socket.once('error', reject);
    });
  }
  ask(name: string): Promise<string | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), 3000);
      const finish = (rcode: string | null): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(rcode);
      };
      this.waiting.set(id, finish);
      const q = query(name, id);
      this.socket.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]));
    });
  }
}

/** One DoH GET on an open HTTP/2 session: the HTTP status, or null when the stream failed or took over 3 s. */
function dohGet(session: ClientHttp2Session, name: string): Promise<number | null> {
  return new Promise((resolve) => {
    let status: number | null = null;
    const timer = setTimeout(() => done(null), 3000);
    const done = (result: number | null): void => {
      clearTimeout(timer);
      resolve(result);
    };
    if (session.destroyed || session.closed) return done(null);
    const stream = session.request({ ':method': 'GET', ':path': `/dns-query?dns=${query(name).toString('base64url')}` });
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', () => undefined);
    stream.on('error', () => done(null));
    stream.on('close', () => done(status));
  });
}

/** A ClientHello as node's TLS client sends it, caught by a plain TCP server: what the flood replays. */
async function captureClientHello(): Promise<Buffer> {
  const catcher = createServer();
  await new Promise<void>((r) => catcher.listen(0, '127.0.0.1', () => r()));
  const hello = new Promise<Buffer>((resolve) => catcher.once('connection', (s) => s.once('data', (b: Buffer) => resolve(b))));
  const client = tlsConnect({ port: (catcher.address() as { port: number }).port, host: '127.0.0.1', servername: NAME, rejectUnauthorized: false });
  client.on('error', () => undefined);
  const bytes = await hello;
  client.destroy();
  await new Promise<void>((r) => catcher.close(() => r()));
  return bytes;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

/** HTTP/2 frames written by hand: a hostile client does not obey the server's SETTINGS. */
function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, payload]);
}
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const SETTINGS = 0x4;
const HEADERS = 0x1;
const PING = 0x6;
const END_HEADERS = 0x4;
/** HPACK, static table only: POST https /dns-query, :authority x (never huffman). */
const POST_HEADERS = Buffer.concat([Buffer.from([0x83, 0x87]), Buffer.from([0x44, 10]), Buffer.from('/dns-query'), Buffer.from([0x41, 1]), Buffer.from('x')]);

/** A TLS connection speaking HTTP/2 (ALPN h2) with the preface and an empty SETTINGS sent. */
function rawH2(port: number, ca: Buffer): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', ca, servername: NAME, ALPNProtocols: ['h2'] }, () => {
      socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
      resolve(socket);
    });
    socket.on('data', () => undefined);
    socket.once('error', reject);
  });
}

let upstream: AnsweringAuthority;
const config = defaultConfig();
// Small budgets and deadlines so a test sees them work: 40 handshakes per listener, 12 per address, no rate limit (its own test below).
// The deadlines are short for a test but long enough that a well-behaved client on a loaded 2-core CI box never
// meets them: a real handshake under the flood must end within firstByteMs, and a DoH session that waits between
// two requests (while the test builds its flood) is closed after frameMs.
config.serve.net = { ...config.serve.net, listenerHandshakes: 40, clientHandshakes: 12, clientHandshakesPerSecond: 0, clientConnections: 64, firstByteMs: 2500, frameMs: 4000, idleMs: 10_000 };
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
let dir = '';
let ca: Buffer;
let fwd: DnsForwarder;

async function refused(listener: string, reason: string): Promise<number> {
  const m = await daemon.context.registry.getSingleMetric('fluxhound_net_refused_total')!.get();
  return m.values.find((v) => v.labels.listener === listener && v.labels.reason === reason)?.value ?? 0;
}

async function pending(listener: string): Promise<number> {
  const m = await daemon.context.registry.getSingleMetric('fluxhound_net_handshakes_pending')!.get();
  return m.values.find((v) => v.labels.listener === listener)?.value ?? 0;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-hostile-tls-'));
  const files = makeTestCertificates(dir, NAME);
  ca = readFileSync(files.ca);
  upstream = await startFixedUpstream();
  const tls = { cert: files.cert, key: files.key };
  const at = { host: '127.0.0.1', port: 0, family: 4 as const };
  fwd = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: at, tls }, doh: { listen: at, tls } }), daemon.context);
  await fwd.start();
});

afterAll(async () => {
  await fwd?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS handshake floods', () => {
  it('a flood of stalled handshakes from ten addresses is capped and cut; connected DoT and DoH clients keep their answers and a newcomer gets in', async () => {
    const dot = await DotClient.open(fwd.dotPort, ca);
    const doh = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
    doh.on('error', () => undefined);
    const hello = await captureClientHello();
    const flood: Socket[] = [];
    try {
      expect(await dot.ask('before.example.test')).toBe('NOERROR');
      expect(await dohGet(doh, 'before.example.test')).toBe(200);
      // 10 addresses × 30 connections on each listener: half send a real ClientHello (the server answers it, then waits), half nothing.
      for (let a = 2; a < 12; a++) {
        for (let i = 0; i < 30; i++) {
          for (const port of [fwd.dotPort, fwd.dohPort]) {
            const s = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${a}` }, () => {
              if (i % 2 === 0) s.write(hello);
            });
            s.on('error', () => undefined);
            s.on('data', () => undefined);
            flood.push(s);
          }
        }
      }
      let peak = 0;
      const sampler = setInterval(() => void pending('dns-tls').then((n) => (peak = Math.max(peak, n))), 5);
      try {
        await waitFor('the DoT handshake budget to fill', async () => (await pending('dns-tls')) >= 40 && (await pending('dns-doh')) >= 40, 15_000, 10);
        // While the budgets are full: the connected clients are answered, names not cached included.
        for (let i = 0; i < 3; i++) {
          expect(await dot.ask(`during-${i}.example.test`)).toBe('NOERROR');
          expect(await dohGet(doh, `during-${i}.example.test`)).toBe(200);
        }
        // A newcomer from an address holding no handshake displaces the heaviest flooder's oldest.
        const newcomer = await DotClient.open(fwd.dotPort, ca, '127.0.0.20');
        expect(await newcomer.ask('newcomer.example.test')).toBe('NOERROR');
        newcomer.socket.destroy();
        // And a real DoT client, kdig +tls (asynchronous: the server answers from this process).
        if (kdig.path !== null) {
          const out = await new Promise<string>((resolve) =>
            execFile(kdig.path!, ['@127.0.0.1', '-p', String(fwd.dotPort), '+tls', `+tls-ca=${join(dir, 'ca.pem')}`, `+tls-hostname=${NAME}`, '+timeout=3', '+retry=0', 'kdig.example.test', 'A'], { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)),
          );
          expect(out).toMatch(/status: NOERROR/);
          expect(out).toMatch(/kdig\.example\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.1/);
        }
        const late = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME, localAddress: '127.0.0.21' } as never);
        late.on('error', () => undefined);
        expect(await dohGet(late, 'late.example.test')).toBe(200);
        late.close();
        // The stalled handshakes die at the deadline.
        await waitFor('the flood to be cut', () => flood.every((s) => s.destroyed), 15_000, 20);
      } finally {
        clearInterval(sampler);
      }
      expect(peak).toBeLessThanOrEqual(40);
      for (const listener of ['dns-tls', 'dns-doh']) {
        expect(await refused(listener, 'handshake_client_cap')).toBeGreaterThan(0);
        expect((await refused(listener, 'handshake_cap')) + (await refused(listener, 'displaced'))).toBeGreaterThan(0);
        expect(await refused(listener, 'handshake_deadline')).toBeGreaterThan(0);
      }
      expect(await pending('dns-tls')).toBe(0);
      expect(await pending('dns-doh')).toBe(0);
      // And new clients are served after the flood (the old ones may have reached their idle deadline meanwhile).
      const after = await DotClient.open(fwd.dotPort, ca);
      expect(await after.ask('after.example.test')).toBe('NOERROR');
      after.socket.destroy();
      const again = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
      again.on('error', () => undefined);
      expect(await dohGet(again, 'after.example.test')).toBe(200);
      again.close();
    } finally {
      for (const s of flood) s.destroy();
      dot.socket.destroy();
      doh.destroy();
    }
  }, 30_000);
});

describe('half-open TLS', () => {
  it('a partial TLS record is cut at the handshake deadline; a finished handshake with no query at the first-byte or header deadline', async () => {
    const before = { dot: await refused('dns-tls', 'handshake_deadline'), doh: await refused('dns-doh', 'handshake_deadline') };
    const firstByte = await refused('dns-tls', 'first_byte_deadline');
    const header = await refused('dns-doh', 'frame_deadline');
    const partial = [fwd.dotPort, fwd.dohPort].map((port) => {
      // The first bytes of a TLS record header, then nothing.
      const s = connect({ port, host: '127.0.0.1' }, () => s.write(Buffer.from([0x16, 0x03, 0x01])));
      s.on('error', () => undefined);
      return s;
    });
    const silentDot = await DotClient.open(fwd.dotPort, ca);
    const silentDoh = await new Promise<TLSSocket>((resolve) => {
      const s = tlsConnect({ port: fwd.dohPort, host: '127.0.0.1', ca, servername: NAME, ALPNProtocols: ['h2'] }, () => resolve(s));
    });
    silentDoh.on('error', () => undefined);
    // Read, or the end of the connection goes unnoticed.
    silentDoh.on('data', () => undefined);
    await Promise.all([...partial.map(closed), closed(silentDot.socket), closed(silentDoh)]);
    expect(await refused('dns-tls', 'handshake_deadline')).toBe(before.dot + 1);
    expect(await refused('dns-doh', 'handshake_deadline')).toBe(before.doh + 1);
    expect(await refused('dns-tls', 'first_byte_deadline')).toBe(firstByte + 1);
    expect(await refused('dns-doh', 'frame_deadline')).toBe(header + 1);
  }, 30_000);
});

describe('per-client handshake rate', () => {
  it('an address starting handshakes faster than clientHandshakesPerSecond is refused; another address is not', async () => {
    const rated = defaultConfig();
    // One handshake per 100 s (a burst of one): of 30 connects exactly one is admitted however slowly a loaded machine makes them.
    rated.serve.net = { ...rated.serve.net, clientHandshakesPerSecond: 0.01 };
    const own = new Daemon({ config: rated, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
    const files = { cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
    const f = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: files } }), own.context);
    await f.start();
    const burst: Socket[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const s = connect({ port: f.dotPort, host: '127.0.0.1', localAddress: '127.0.0.30' });
        s.on('error', () => undefined);
        burst.push(s);
      }
      const m = own.context.registry.getSingleMetric('fluxhound_net_refused_total')!;
      const rate = async (): Promise<number> => (await m.get()).values.find((v) => v.labels.listener === 'dns-tls' && v.labels.reason === 'handshake_rate')?.value ?? 0;
      await waitFor('handshakes over the rate to be refused', async () => (await rate()) >= 29, 10_000, 10);
      expect(await rate()).toBe(29);
      const other = await DotClient.open(f.dotPort, ca, '127.0.0.31');
      expect(await other.ask('other.example.test')).toBe('NOERROR');
      other.socket.destroy();
    } finally {
      for (const s of burst) s.destroy();
      await f.stop();
    }
  });
});

describe('HTTP/2 abuse on DoH', () => {
  it('rapid reset (streams opened and cancelled at once) cuts the session, counted; another session still answers', async () => {
    const session = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
    session.on('error', () => undefined);
    const before = await refused('dns-doh', 'h2_reset_flood');
    await new Promise<void>((r) => session.once('connect', () => r()));
    for (let i = 0; i < 300 && !session.destroyed && !session.closed; i++) {
      const stream = session.request({ ':method': 'GET', ':path': `/dns-query?dns=${query(`reset-${i}.example.test`).toString('base64url')}` });
      stream.on('error', () => undefined);
      stream.close(constants.NGHTTP2_CANCEL);
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    // The server ends the connection (node's client may not notice until it writes): counted once, and the session answers nothing more.
    await waitFor('the reset flood to be counted', async () => (await refused('dns-doh', 'h2_reset_flood')) === before + 1, 15_000, 20);
    expect(await dohGet(session, 'after-reset.example.test')).toBeNull();
    session.destroy();
    const other = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
    other.on('error', () => undefined);
    expect(await dohGet(other, 'other.example.test')).toBe(200);
    other.close();
  });

  it.each([
    ['PING', (i: number) => frame(PING, 0, 0, Buffer.alloc(8, i))],
    ['SETTINGS', () => frame(SETTINGS, 0, 0, Buffer.from([0x00, 0x03, 0x00, 0x00, 0x00, 0x64]))],
  ])('a %s flood cuts the session, counted', async (_kind, make) => {
    const before = await refused('dns-doh', 'h2_control_flood');
    const socket = await rawH2(fwd.dohPort, ca);
    socket.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => make(i))));
    await closed(socket);
    expect(await refused('dns-doh', 'h2_control_flood')).toBe(before + 1);
  });

  it('a header list over 16 KiB or 64 fields is refused, and the session keeps answering', async () => {
    const session = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
    session.on('error', () => undefined);
    try {
      const ask = (headers: Record<string, string>): Promise<{ status: number | null; rstCode: number | undefined }> =>
        new Promise((resolve) => {
          const stream = session.request({ ':method': 'GET', ':path': `/dns-query?dns=${query('big.example.test').toString('base64url')}`, ...headers });
          let status: number | null = null;
          stream.on('response', (h) => (status = Number(h[':status'])));
          stream.on('data', () => undefined);
          stream.on('error', () => undefined);
          stream.on('close', () => resolve({ status, rstCode: stream.rstCode }));
        });
      // After one answer: the server's SETTINGS are acknowledged, so its header limits apply.
      expect(await dohGet(session, 'first.example.test')).toBe(200);
      const big = await ask({ 'x-pad': 'a'.repeat(20_000) });
      const many = await ask(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`x-h${i}`, 'v'])));
      // The server resets the stream (node's header checks answer ENHANCE_YOUR_CALM), no answer.
      expect(big).toEqual({ status: null, rstCode: constants.NGHTTP2_ENHANCE_YOUR_CALM });
      expect(many).toEqual({ status: null, rstCode: constants.NGHTTP2_ENHANCE_YOUR_CALM });
      expect(await dohGet(session, 'small.example.test')).toBe(200);
    } finally {
      session.close();
    }
  });

  it('streams past SETTINGS_MAX_CONCURRENT_STREAMS (a client that ignores it) end the session, counted', async () => {
    const before = await refused('dns-doh', 'h2_protocol');
    const socket = await rawH2(fwd.dohPort, ca);
    // 200 POSTs whose bodies never come: 32 are held, the rest refused, then the session is ended.
    const opened = Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(HEADERS, END_HEADERS, 2 * i + 1, POST_HEADERS)));
    socket.write(opened);
    await closed(socket);
    expect(await refused('dns-doh', 'h2_protocol')).toBe(before + 1);
  });
});

describe('DoH bodies', () => {
  it('a POST body that never finishes is cut at the body deadline, counted', async () => {
    const before = await refused('dns-doh', 'body_deadline');
    const session = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
    session.on('error', () => undefined);
    const stream = session.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, { endStream: false });
    stream.on('error', () => undefined);
    stream.write(query('slow.example.test').subarray(0, 5));
    await new Promise<void>((r) => session.once('close', () => r()));
    expect(await refused('dns-doh', 'body_deadline')).toBe(before + 1);
  });

  it('an HTTP/1.1 chunked body past the limit gets 413 and the connection is closed, counted', async () => {
    const before = await refused('dns-doh', 'body_too_large');
    const deadline = await refused('dns-doh', 'body_deadline');
    const socket = tlsConnect({ port: fwd.dohPort, host: '127.0.0.1', ca, servername: NAME, ALPNProtocols: ['http/1.1'] });
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (b: Buffer) => (text += b.toString('latin1')));
    await new Promise<void>((r) => socket.once('secureConnect', () => r()));
    socket.write('POST /dns-query HTTP/1.1\r\nHost: x\r\nContent-Type: application/dns-message\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.concat([Buffer.from('1000\r\n'), Buffer.alloc(4096, 1), Buffer.from('\r\n')]);
    for (let i = 0; i < 64 && !socket.destroyed; i++) socket.write(chunk);
    await closed(socket);
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(await refused('dns-doh', 'body_too_large')).toBe(before + 1);
    expect(await refused('dns-doh', 'body_deadline')).toBe(deadline);
  });

  it('an HTTP/2 body longer than its Content-Length is reset (nghttp2 checks the length) and the session keeps answering', async () => {
    const session = h2connect(`https://127.0.0.1:${fwd.dohPort}`, { ca, servername: NAME });
    session.on('error', () => undefined);
    try {
      const outcome = await new Promise<{ status: number | null; rstCode: number | undefined }>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message', 'content-length': 40 }, { endStream: false });
        let status: number | null = null;
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', () => undefined);
        stream.on('error', () => undefined);
        stream.on('close', () => resolve({ status, rstCode: stream.rstCode }));
        stream.end(Buffer.alloc(60_000, 1));
      });
      expect(outcome).toEqual({ status: null, rstCode: constants.NGHTTP2_PROTOCOL_ERROR });
      expect(await dohGet(session, 'still.example.test')).toBe(200);
    } finally {
      session.close();
    }
  });

  it('every DoH connection leaves the gate when it ends', async () => {
    await waitFor('the DoH gate to empty', () => fwd.doh!.gate.size === 0, 15_000, 20);
    expect(await pending('dns-doh')).toBe(0);
  });
});
