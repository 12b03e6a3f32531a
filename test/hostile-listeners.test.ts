/**
 * Hostile clients against the daemon's listeners, in one process, on
 * 127.0.0.1 (issue 12, defect 2): thousands of slow block-page clients once
 * took every file descriptor, and with them the forwarder's upstream
 * sockets, TCP DNS and /health. Scaled down through serve.net (a budget of
 * 200 connections instead of the fd limit), the same attack must leave every
 * other listener serving.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from './helpers/octet-enricher.js';
import { defaultConfig } from '../src/config/schema.js';
import { BlockPageService } from '../src/serve/block-page/index.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { HttpService } from '../src/serve/http/index.js';
import { netGovernor } from '../src/serve/net/index.js';
import { waitFor } from './support/daemon.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { bearer, writeTokenFile } from './support/tokens.js';


function get(port: number, path: string, host = 'x.test', token?: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...(token === undefined ? {} : bearer(token)) }, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

function ask(port: number, name: string, tcp: boolean): Promise<string | null> {
  const bytes = packet.encode({ type: 'query', id: 9, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), 3000);
    let close = (): void => undefined;
    const done = (rcode: string | null): void => {
      clearTimeout(timer);
      close();
      resolve(rcode);
    };
    if (!tcp) {
      const socket = createSocket('udp4');
      close = () => socket.close();
      socket.on('message', (m) => done((packet.decode(m) as unknown as { rcode: string }).rcode));
      socket.send(bytes, port, '127.0.0.1');
      return;
    }
    const socket = connect(port, '127.0.0.1', () => socket.write(packet.streamEncode(packet.decode(bytes))));
    close = () => socket.destroy();
    let buffered = Buffer.alloc(0);
    socket.on('data', (c) => {
      buffered = Buffer.concat([buffered, c]);
      if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) done((packet.decode(buffered.subarray(2)) as unknown as { rcode: string }).rcode);
    });
    socket.on('error', () => done(null));
  });
}

const config = defaultConfig();
config.serve.net = { ...config.serve.net, maxConnections: 200, clientConnections: 10_000, frameMs: 3000 };
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
let upstream: UdpSocket;
let fwd: DnsForwarder;
const blockPage = new BlockPageService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context);
const tokens = writeTokenFile();
const http = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file });

beforeAll(async () => {
  upstream = createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  // Every name exists: an uncached name must reach this upstream through a fresh UDP socket.
  upstream.on('message', (raw, from) => {
    const q = packet.decode(raw);
    const question = q.questions![0]!;
    upstream.send(packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.7' }] }), from.port, from.address);
  });
  fwd = new DnsForwarder(
    testForwarderOptions(upstream.address().port),
    daemon.context,
  );
  await fwd.start();
  await blockPage.start();
  await http.start();
});

afterAll(async () => {
  await Promise.all([fwd.stop(), blockPage.stop(), http.stop()]);
  upstream.close();
});

describe('hostile clients against every listener at once', () => {
  it('defect 2: 400 slow block-page clients (one header byte at a time) cannot take the descriptors the other listeners need', async () => {
    const governor = netGovernor(daemon.context);
    expect(governor.budget).toBe(200);
    const slow: Socket[] = [];
    for (let i = 0; i < 400; i++) {
      const socket = connect(blockPage.port, '127.0.0.1');
      socket.on('error', () => undefined);
      slow.push(socket);
    }
    const header = Buffer.from(`GET / HTTP/1.1\r\nHost: slow.test\r\nX-Pad: ${'a'.repeat(100)}\r\n\r\n`);
    let sent = 0;
    const trickle = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(header.subarray(sent, sent + 1));
      sent++;
    }, 100);
    let peakOpen = 0;
    const sampler = setInterval(() => (peakOpen = Math.max(peakOpen, governor.open)), 5);
    try {
      // The block page fills up to its cap (half the budget) and refuses the rest.
      await waitFor('the block page to fill', () => blockPage.gate.size === 100, 2500, 5);
      // While it is full: uncached names over UDP and TCP, and /health, are still answered.
      expect(await ask(fwd.port, 'uncached-1.test', false)).toBe('NOERROR');
      // Over TCP (the upstream here speaks UDP only, so the name the UDP query cached).
      expect(await ask(fwd.port, 'uncached-1.test', true)).toBe('NOERROR');
      expect(await get(http.port, '/health', 'x.test', tokens.read)).toBe(200);
      // The header never completes within frameMs: the slow clients are cut while still trickling.
      await waitFor('the slow clients to be cut', () => blockPage.gate.size === 0, 6000, 10);
      expect(sent).toBeLessThan(header.length);
      expect(await get(blockPage.port, '/')).toBe(404);
    } finally {
      clearInterval(trickle);
      clearInterval(sampler);
      for (const s of slow) s.destroy();
    }
    expect(peakOpen).toBeLessThanOrEqual(governor.budget);
    const refused = await daemon.context.registry.getSingleMetricAsString('fluxhound_net_refused_total');
    expect(refused).toMatch(/fluxhound_net_refused_total\{listener="block-page",reason="listener_cap"\} (2\d\d|300)/);
    expect(refused).toMatch(/fluxhound_net_refused_total\{listener="block-page",reason="frame_deadline"\} 100/);
  }, 20_000);
});
