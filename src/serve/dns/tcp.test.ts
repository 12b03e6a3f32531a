/**
 * DNS over TCP under attack, on 127.0.0.1 with real sockets and an upstream
 * this test runs (UDP and TCP, answering a 60 KB TXT): non-reading clients
 * pipelining queries (issue 12, defect 1) and a slowloris byte trickle
 * (defect 9). Both bounded in count and time; both assert the server stays
 * usable for a well-behaved client and that the governor counted them.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/daemon.js';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { defaultConfig, type Config } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { DnsForwarder } from './forwarder.js';
import { TCP_IN_FLIGHT } from './tcp.js';
import { testForwarderOptions } from '../../../test/support/forwarder-options.js';

/** 240 strings of 250 bytes: a 60 KB TXT answer. */
const BIG_TXT = Array.from({ length: 240 }, (_, i) => Buffer.alloc(250, 97 + (i % 26)));

function bigAnswer(raw: Buffer): Buffer {
  const q = packet.decode(raw);
  const question = q.questions![0]!;
  return packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'TXT', name: question.name, ttl: 300, data: BIG_TXT }] });
}

/** The upstream: every question gets the 60 KB TXT, over UDP and TCP. */
class BigUpstream {
  udp!: UdpSocket;
  tcp!: Server;
  port = 0;
  async start(): Promise<void> {
    this.tcp = createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          const answer = bigAnswer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          const frame = Buffer.alloc(answer.length + 2);
          frame.writeUInt16BE(answer.length);
          answer.copy(frame, 2);
          socket.write(frame);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.tcp.listen(0, '127.0.0.1', () => r()));
    this.port = (this.tcp.address() as { port: number }).port;
    this.udp = createSocket('udp4');
    await new Promise<void>((r) => this.udp.bind(this.port, '127.0.0.1', () => r()));
    this.udp.on('message', (raw, from) => this.udp.send(bigAnswer(raw), from.port, from.address));
  }
  async stop(): Promise<void> {
    this.udp.close();
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

function query(name: string, id = 7): Buffer {
  return packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'TXT', name, class: 'IN' }] });
}

function frame(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length + 2);
  out.writeUInt16BE(bytes.length);
  bytes.copy(out, 2);
  return out;
}

/** A well-behaved client: one query over TCP, the answer's record count, or null when refused or cut. */
function askTcp(port: number, name: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(frame(query(name))));
    let buffered = Buffer.alloc(0);
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(null);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        socket.destroy();
        resolve(packet.decode(buffered.subarray(2)).answers?.length ?? 0);
      }
    });
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
  });
}

function opened(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.on('error', (err) => reject(err));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const upstream = new BigUpstream();
const running: DnsForwarder[] = [];

async function forwarder(net: Partial<Config['serve']['net']>): Promise<{ fwd: DnsForwarder; daemon: Daemon }> {
  const config = defaultConfig();
  config.serve.net = { ...config.serve.net, ...net };
  const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
  const fwd = new DnsForwarder(
    // The 60 KB answer is cached: the attack is all cache hits.
    testForwarderOptions(upstream.port, { cacheAnswerBytes: 65_536 }),
    daemon.context,
  );
  await fwd.start();
  running.push(fwd);
  return { fwd, daemon };
}

async function refused(daemon: Daemon, reason: string): Promise<number> {
  const metric = await daemon.context.registry.getSingleMetric('fluxhound_net_refused_total')!.get();
  return metric.values.filter((v) => v.labels.listener === 'dns-tcp' && v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

beforeAll(() => upstream.start());
afterAll(() => upstream.stop());
afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
});

describe('DNS over TCP under attack', () => {
  it('defect 1: 20 clients pipelining queries for a 60 KB TXT without reading stop being read; server-side bytes stay bounded and are freed', async () => {
    const pauseBytes = 65_536;
    const { fwd, daemon } = await forwarder({ idleMs: 1500, frameMs: 1500, outboundPauseBytes: pauseBytes });
    expect(await askTcp(fwd.port, 'big.test')).toBe(1); // warm the cache: every attack query is a cache hit
    const attackers = await Promise.all(Array.from({ length: 20 }, () => opened(fwd.port)));
    // 1000 queries per write (about 27 KB), never reading a reply.
    const burst = Buffer.concat(Array.from({ length: 1000 }, (_, i) => frame(query('big.test', i))));
    let peak = 0;
    const writer = setInterval(() => {
      for (const a of attackers) if (!a.destroyed && a.writableLength < 1 << 20) a.write(burst);
    }, 20);
    const sampler = setInterval(() => (peak = Math.max(peak, fwd.tcp.gate.bufferedBytes())), 10);
    try {
      await sleep(600);
      // A well-behaved client is served over TCP during the attack.
      expect(await askTcp(fwd.port, 'big.test')).toBe(1);
      await sleep(1900);
    } finally {
      clearInterval(writer);
    }
    await waitFor('the non-readers to be cut', () => fwd.tcp.gate.size === 0, 8000, 10);
    clearInterval(sampler);
    // Unbounded before: every query's 60 KB answer was queued (2.2 GB in 10 s). Now per connection: the pause budget,
    // the answers still in flight when it paused, and what Node read ahead.
    const perConnection = pauseBytes + (TCP_IN_FLIGHT + 1) * 65_537 + 65_536;
    expect(peak).toBeLessThanOrEqual(20 * perConnection);
    const pauses = await daemon.context.registry.getSingleMetricAsString('fluxhound_net_backpressure_pauses_total');
    expect(pauses).toMatch(/fluxhound_net_backpressure_pauses_total\{listener="dns-tcp"\} ([2-9]\d|\d{3,})/);
    // The non-readers are cut once idle (they sit paused with nothing to parse) and their buffers go with them.
    const cut = (await refused(daemon, 'idle')) + (await refused(daemon, 'frame_deadline')) + (await refused(daemon, 'outbound_budget'));
    expect(cut).toBeGreaterThanOrEqual(20);
    expect(fwd.tcp.gate.size).toBe(0);
    expect(fwd.tcp.gate.bufferedBytes()).toBe(0);
    for (const a of attackers) a.destroy();
    expect(await askTcp(fwd.port, 'big.test')).toBe(1);
    console.log(`defect 1: peak server-side bytes ${peak} for 20 non-reading clients (bound ${20 * perConnection})`);
  }, 20_000);

  it('defect 9: a slowloris byte trickle dies at the frame deadline, whatever its pace; TCP DNS stays available', async () => {
    const { fwd, daemon } = await forwarder({ frameMs: 800, idleMs: 5000, firstByteMs: 5000, listenerConnections: 100, clientConnections: 1000 });
    // 100 connections (the whole listener) each send one byte of a query every 200 ms: an idle timer reset by every byte
    // would never fire (the issue: 600 connections, a byte every 4 s, denied TCP DNS for the whole run).
    const attackers = await Promise.all(Array.from({ length: 100 }, () => opened(fwd.port)));
    const bytes = frame(query('slow.test'));
    let sent = 0;
    const trickle = setInterval(() => {
      for (const a of attackers) if (!a.destroyed) a.write(bytes.subarray(sent % bytes.length, (sent % bytes.length) + 1));
      sent++;
    }, 200);
    try {
      await waitFor('the listener to fill', () => fwd.tcp.gate.size === 100, 3000, 5);
      // Every slot is taken: a new client is refused at the listener cap.
      expect(await askTcp(fwd.port, 'big.test')).toBeNull();
      expect(await refused(daemon, 'listener_cap')).toBeGreaterThanOrEqual(1);
      await waitFor('the tricklers to be cut', () => fwd.tcp.gate.size === 0, 5000, 10);
      // Still trickling, yet every attacker was cut at the frame deadline, and a good client gets its answer.
      expect(sent).toBeLessThan(bytes.length);
      expect(await refused(daemon, 'frame_deadline')).toBe(100);
      expect(await askTcp(fwd.port, 'big.test')).toBe(1);
    } finally {
      clearInterval(trickle);
      for (const a of attackers) a.destroy();
    }
  }, 20_000);
});
