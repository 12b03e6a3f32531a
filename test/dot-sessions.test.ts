/**
 * DNS over TLS connection management (RFC 7766, 7858, 7828) and TLS
 * session resumption, against an in-process forwarder on 127.0.0.1 with a
 * certificate from a test CA, asked by real TLS clients (node:tls and
 * openssl s_client):
 * - edns-tcp-keepalive: a query carrying it gets it back with the
 *   listener's idle timeout (serve.dns.dot.idleMs over DoT,
 *   serve.net.idleMs over TCP); the upstream's own keepalive and padding
 *   never reach a client (not over TCP, not from the cache over UDP);
 * - an idle DoT connection is closed with a TLS close_notify, counted;
 * - a reconnecting client resumes its session (TLS 1.3 and 1.2 tickets,
 *   openssl -sess_out/-sess_in), not after the ticket keys rotated, still
 *   after a reload of the same certificate, not after a new certificate.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { waitFor } from './support/daemon.js';
import { makeTestCertificates, openssl } from './support/test-certs.js';

const KEEPALIVE = 11;
const PADDING = 12;
/** What the upstream says in its own keepalive (its TIMEOUT, not ours). */
const UPSTREAM_TIMEOUT = 7777;
/** serve.dns.dot.idleMs here: short enough to see the idle close, long enough that a loaded CI box never takes that long between two queries of one test. */
const DOT_IDLE_MS = 3000;
/** serve.dns.dot.maxInFlight here (32 by default). */
const MAX_IN_FLIGHT = 16;

type Opt = { code: number; data?: Buffer };
const optRecord = (options: Opt[]) => ({ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options }) as unknown as packet.Answer;

/** An upstream on UDP and TCP whose every answer carries its own keepalive and padding options (as BIND's would over TCP). */
class OptionEchoingUpstream {
  udp!: UdpSocket;
  tcp!: Server;
  port = 0;
  /** While true, answers to names starting with 'slow' wait until release(). */
  holding = false;
  /** Answers held back now, and the most at once. */
  private held: (() => void)[] = [];
  mostWaiting = 0;
  /** Queries that arrived over UDP, and TCP connections accepted. */
  udpQueries = 0;
  tcpConnections = 0;
  get waiting(): number {
    return this.held.length;
  }
  release(): void {
    this.holding = false;
    for (const send of this.held.splice(0)) send();
  }
  private answer(raw: Buffer): Buffer {
    const q = packet.decode(raw);
    const timeout = Buffer.alloc(2);
    timeout.writeUInt16BE(UPSTREAM_TIMEOUT);
    return packet.encode({
      type: 'response',
      id: q.id,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
      questions: q.questions,
      answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 300, data: '192.0.2.7' }],
      additionals: [optRecord([{ code: KEEPALIVE, data: timeout }, { code: PADDING, data: Buffer.alloc(17) }, { code: 65001, data: Buffer.from('kept') }])],
    });
  }
  async start(): Promise<void> {
    this.tcp = createServer((socket) => {
      this.tcpConnections++;
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          const raw = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
          const answer = frame(this.answer(raw));
          this.sendOrHold(raw, () => socket.write(answer));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.tcp.listen(0, '127.0.0.1', () => r()));
    this.port = (this.tcp.address() as { port: number }).port;
    this.udp = createSocket('udp4');
    await new Promise<void>((r) => this.udp.bind(this.port, '127.0.0.1', () => r()));
    // DoT queries reach a plain upstream over UDP (Upstreams.askStream): held there the same way.
    this.udp.on('message', (raw, from) => {
      this.udpQueries++;
      this.sendOrHold(raw, () => this.udp.send(this.answer(raw), from.port, from.address));
    });
  }
  private sendOrHold(raw: Buffer, send: () => void): void {
    if (!this.holding || !packet.decode(raw).questions![0]!.name.startsWith('slow')) return send();
    this.held.push(send);
    this.mostWaiting = Math.max(this.mostWaiting, this.held.length);
  }
  async stop(): Promise<void> {
    this.udp.close();
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

function frame(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length + 2);
  out.writeUInt16BE(bytes.length);
  bytes.copy(out, 2);
  return out;
}

function query(name: string, options: Opt[] | null): Buffer {
  return packet.encode({ type: 'query', id: 4242, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }], additionals: options === null ? [] : [optRecord(options)] });
}

/** The EDNS options of an answer (code → data). */
function optionsOf(answer: Buffer): Map<number, Buffer> {
  const decoded = packet.decode(answer) as unknown as { additionals: { type: string; options?: { code: number; data: Buffer }[] }[] };
  const opts = decoded.additionals.filter((a) => a.type === 'OPT');
  expect(opts.length).toBeLessThanOrEqual(1);
  return new Map((opts[0]?.options ?? []).map((o) => [o.code, o.data]));
}

/** Reads one length-prefixed answer from a stream. */
function readAnswer(socket: NodeJS.ReadableStream & { write(b: Buffer): boolean }, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        socket.removeListener('data', onData);
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(frame(bytes));
  });
}

describe.skipIf(openssl.missing !== null)('DNS over TLS: keepalive, idle close, session resumption', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dot-sessions-'));
  const upstream = new OptionEchoingUpstream();
  let files: { ca: string; cert: string; key: string };
  let daemon: Daemon;
  let fwd: DnsForwarder;
  let ca: Buffer;

  beforeAll(async () => {
    files = makeTestCertificates(dir, 'dns.test');
    ca = readFileSync(files.ca);
    await upstream.start();
    daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
    fwd = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: files.cert, key: files.key }, idleMs: DOT_IDLE_MS, maxInFlight: MAX_IN_FLIGHT } }), daemon.context);
    await fwd.start();
  });

  afterAll(async () => {
    await fwd?.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A verified DoT connection (ALPN dot, SNI dns.test); `session`: a ticket to resume. */
  function dot(options: { session?: Buffer; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; socket?: Duplex } = {}): Promise<{ socket: TLSSocket; tickets: Buffer[] }> {
    return new Promise((resolve, reject) => {
      const tickets: Buffer[] = [];
      const socket = tlsConnect({ host: '127.0.0.1', port: fwd.dotPort, servername: 'dns.test', ca, ALPNProtocols: ['dot'], session: options.session, maxVersion: options.maxVersion, socket: options.socket }, () => resolve({ socket, tickets }));
      socket.on('session', (ticket: Buffer) => tickets.push(ticket));
      socket.once('error', reject);
    });
  }

  /** Connects, asks one query (so TLS 1.3 tickets have arrived), closes; the last ticket. */
  async function ticketFrom(maxVersion?: 'TLSv1.2' | 'TLSv1.3'): Promise<{ ticket: Buffer; reused: boolean }> {
    const { socket, tickets } = await dot({ maxVersion });
    await readAnswer(socket, query('www.ticket.test', null));
    const reused = socket.isSessionReused();
    socket.end();
    expect(tickets.length).toBeGreaterThan(0);
    return { ticket: tickets[tickets.length - 1]!, reused };
  }

  async function resumes(ticket: Buffer, maxVersion?: 'TLSv1.2' | 'TLSv1.3'): Promise<boolean> {
    const { socket } = await dot({ session: ticket, maxVersion });
    const answer = await readAnswer(socket, query('www.resumed.test', null));
    expect(answer[3]! & 15).toBe(0); // NOERROR
    const reused = socket.isSessionReused();
    socket.end();
    return reused;
  }

  it('answers edns-tcp-keepalive with the DoT idle timeout in 100 ms units, and only when asked', async () => {
    const { socket } = await dot();
    const asked = optionsOf(await readAnswer(socket, query('www.keepalive.test', [{ code: KEEPALIVE }])));
    expect(asked.get(KEEPALIVE)?.readUInt16BE(0)).toBe(DOT_IDLE_MS / 100);
    // The upstream's padding is gone, its other options stay.
    expect(asked.has(PADDING)).toBe(false);
    expect(asked.get(65001)?.toString()).toBe('kept');
    const notAsked = optionsOf(await readAnswer(socket, query('www.keepalive.test', [])));
    expect(notAsked.has(KEEPALIVE)).toBe(false);
    // Padding asked too: keepalive first, then the whole message padded to the block.
    const both = await readAnswer(socket, query('www.both.test', [{ code: KEEPALIVE }, { code: PADDING, data: Buffer.alloc(0) }]));
    expect(both.length % 468).toBe(0);
    expect(optionsOf(both).get(KEEPALIVE)?.readUInt16BE(0)).toBe(DOT_IDLE_MS / 100);
    socket.end();
  });

  it('announces serve.net.idleMs over plain TCP, and never passes the upstream keepalive on (TCP, or UDP from the cache)', async () => {
    const tcp = netConnect(fwd.port, '127.0.0.1');
    await new Promise((r) => tcp.once('connect', r));
    const asked = optionsOf(await readAnswer(tcp, query('www.plain.test', [{ code: KEEPALIVE }])));
    expect(asked.get(KEEPALIVE)?.readUInt16BE(0)).toBe(defaultConfig().serve.net.idleMs / 100);
    const notAsked = optionsOf(await readAnswer(tcp, query('www.plain2.test', [])));
    expect([...notAsked.keys()]).toEqual([65001]);
    tcp.destroy();
    // www.plain.test is cached now (fetched over TCP with the upstream's keepalive): the UDP answer has none.
    const udp = createSocket('udp4');
    const answer = await new Promise<Buffer>((resolve) => {
      udp.on('message', (m) => resolve(m));
      udp.send(query('www.plain.test', [{ code: KEEPALIVE }]), fwd.port, '127.0.0.1');
    });
    udp.close();
    expect(fwd.stats.cacheHits).toBeGreaterThan(0);
    expect([...optionsOf(answer).keys()]).toEqual([65001]);
  });

  it('holds the queries past serve.dns.dot.maxInFlight on one connection unread until a slot frees: all answered, none dropped', async () => {
    upstream.holding = true;
    const { socket } = await dot();
    const [udpBefore, tcpBefore] = [upstream.udpQueries, upstream.tcpConnections];
    const ids = new Set<number>();
    const all = new Promise<void>((resolve) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          ids.add(buffered.readUInt16BE(2));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
        if (ids.size === 40) resolve();
      });
    });
    const pipelined = Array.from({ length: 40 }, (_, i) => frame(packet.encode({ type: 'query', id: 1000 + i, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: `slow${i}.hold.test` }] })));
    socket.write(Buffer.concat(pipelined));
    // The first MAX_IN_FLIGHT reach the upstream and wait there; the rest wait unread in fluxhound.
    await waitFor('the in-flight cap to fill', () => upstream.waiting === MAX_IN_FLIGHT && fwd.stats.tcpHeld >= 1, 10_000, 20);
    expect(ids.size).toBe(0);
    upstream.release();
    await all;
    expect(ids.size).toBe(40);
    // Released answers free slots one by one; the held queries then go upstream and are answered at once.
    expect(upstream.mostWaiting).toBe(MAX_IN_FLIGHT);
    // Uncached names from a DoT client reach the plain upstream over UDP: no TCP connection per query (REVIEW17 #2).
    expect(upstream.udpQueries - udpBefore).toBe(40);
    expect(upstream.tcpConnections - tcpBefore).toBe(0);
    const counted = await daemon.context.registry.getSingleMetricAsString('fluxhound_dns_tcp_held_total');
    expect(counted).toMatch(/fluxhound_dns_tcp_held_total [1-9]/);
    socket.end();
  });

  it('closes an idle DoT connection with close_notify at serve.dns.dot.idleMs, counted as idle', async () => {
    // TLS 1.2, so the alert's record type is visible on the wire; the client's bytes pass through a tap.
    const raw = netConnect(fwd.dotPort, '127.0.0.1');
    const records: number[] = [];
    let wire = Buffer.alloc(0);
    const tap = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => raw.write(chunk, cb),
      final: (cb) => {
        raw.end();
        cb();
      },
    });
    raw.on('data', (chunk: Buffer) => {
      wire = Buffer.concat([wire, chunk]);
      while (wire.length >= 5 && wire.length >= 5 + wire.readUInt16BE(3)) {
        records.push(wire[0]!);
        wire = wire.subarray(5 + wire.readUInt16BE(3));
      }
      tap.push(chunk);
    });
    raw.on('end', () => tap.push(null));
    const { socket } = await dot({ maxVersion: 'TLSv1.2', socket: tap });
    await readAnswer(socket, query('www.idle.test', null));
    const answeredAt = records.length;
    await new Promise<void>((resolve) => raw.once('close', () => resolve()));
    // After the answer: exactly one more record, an alert (21): close_notify, then FIN.
    expect(records.slice(answeredAt)).toEqual([21]);
    const refused = await daemon.context.registry.getSingleMetricAsString('fluxhound_net_refused_total');
    expect(refused).toMatch(/listener="dns-tls",reason="idle"\} [1-9]/);
    socket.destroy();
  });

  it('resumes TLS 1.3 and TLS 1.2 sessions from a ticket; not after the ticket keys rotate', async () => {
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = await ticketFrom(version);
      expect(first.reused).toBe(false);
      expect(await resumes(first.ticket, version)).toBe(true);
    }
    const before = await ticketFrom();
    fwd.dotTls!.rotate();
    expect(await resumes(before.ticket)).toBe(false);
    expect(fwd.dotTls!.rotations).toBe(1);
  });

  it('openssl s_client resumes with -sess_out / -sess_in', async () => {
    const sess = join(dir, 'session.pem');
    const sClient = (extra: string[]): Promise<string> =>
      new Promise((resolve) => {
        // One query on stdin (-ign_eof: sent as bytes, no commands), then read until the server's idle close.
        const child = execFile(openssl.path!, ['s_client', '-connect', `127.0.0.1:${fwd.dotPort}`, '-servername', 'dns.test', '-CAfile', files.ca, '-alpn', 'dot', '-ign_eof', ...extra], { timeout: 10_000, encoding: 'latin1' }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`));
        child.stdin?.end(frame(query('www.s-client.test', null)));
      });
    const first = await sClient(['-sess_out', sess]);
    expect(first).toMatch(/^New, TLSv1\.3/m);
    expect(first).toMatch(/Verify return code: 0 \(ok\)/);
    const second = await sClient(['-sess_in', sess]);
    expect(second).toMatch(/^Reused, TLSv1\.3/m);
    // The answer came (its name on the wire), and the idle close was a clean one (close_notify, no truncation).
    for (const out of [first, second]) {
      expect(out).toContain('s-client');
      expect(out).not.toMatch(/unexpected eof/);
    }
  });

  // Last: it swaps the certificate under the running listener.
  it('still resumes after a reload of the same certificate; not after a new certificate', async () => {
    const before = await ticketFrom();
    (await fwd.prepareReload(defaultConfig()))();
    expect(await resumes(before.ticket)).toBe(true);
    // A new certificate (same CA) under the same file names, then a reload.
    const again = await ticketFrom();
    const other = join(dir, 'other');
    mkdirSync(other);
    const next = makeTestCertificates(other, 'dns.test');
    ca = Buffer.concat([ca, readFileSync(next.ca)]);
    copyFileSync(next.cert, files.cert);
    copyFileSync(next.key, files.key);
    (await fwd.prepareReload(defaultConfig()))();
    expect(await resumes(again.ticket)).toBe(false);
  });
});
