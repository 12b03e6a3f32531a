import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { attack, attackSources, type AttackPlan } from './soak-attack.js';
import { controlFrame, FSTRM, readControlType } from './soak-wire.js';

interface Seen {
  server: Server;
  port: number;
  /** Bytes received on each connection, and the address it came from. */
  connections: { from: string; bytes: Buffer }[];
}

async function listen(onData?: (seen: Seen, c: { from: string; bytes: Buffer }, write: (b: Buffer) => void) => void): Promise<Seen> {
  const seen: Seen = { server: createServer(), port: 0, connections: [] };
  seen.server.on('connection', (socket) => {
    const c = { from: socket.remoteAddress ?? '', bytes: Buffer.alloc(0) };
    seen.connections.push(c);
    socket.on('data', (chunk: Buffer) => {
      c.bytes = Buffer.concat([c.bytes, chunk]);
      onData?.(seen, c, (b) => socket.write(b));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((res) => seen.server.listen(0, '127.0.0.1', res));
  const address = seen.server.address();
  seen.port = typeof address === 'object' && address !== null ? address.port : 0;
  return seen;
}

const open: (Server | UdpSocket)[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('attack', () => {
  it('trickles each listener from the attack addresses, pipelines without reading, sends garbage, fills the cache over TCP', async () => {
    const dns = await listen();
    const http = await listen();
    const dnstap = await listen((_, c, write) => {
      if (c.bytes.length === controlFrame(FSTRM.READY).length) write(controlFrame(FSTRM.ACCEPT));
    });
    const udp = createSocket('udp4');
    const datagrams: Buffer[] = [];
    udp.on('message', (m) => datagrams.push(m));
    await new Promise<void>((res) => udp.bind(dns.port, '127.0.0.1', res));
    open.push(dns.server, http.server, dnstap.server, udp);
    const plan: AttackPlan = {
      seconds: 1.5,
      dnsPort: dns.port,
      targets: [
        { listener: 'dns-tcp', port: dns.port, kind: 'dns' },
        { listener: 'http', port: http.port, kind: 'http' },
        { listener: 'dnstap', port: dnstap.port, kind: 'dnstap' },
      ],
      perListener: 3,
      openPerSecond: 100,
      trickleMs: 100,
      pipeliners: 2,
      largeName: 'pipeline.big.test',
      largeZone: 'big.test',
      garbagePerSecond: 200,
      cacheFillPerSecond: 100,
      index: 0,
      sources: attackSources(2),
    };
    const report = await attack(plan);

    expect(report.listeners.map((l) => [l.listener, l.opened, l.refused, l.peakOpen])).toEqual([
      ['dns-tcp', 3, 0, 3],
      ['http', 3, 0, 3],
      ['dnstap', 3, 0, 3],
    ]);
    for (const seen of [dns, http, dnstap]) for (const c of seen.connections) expect(['127.0.1.1', '127.0.1.2']).toContain(c.from);
    // DNS-over-TCP connections by what they ask first: slowloris (a few bytes, never a whole message),
    // the pipeliners (framed TXT queries for the large name) and the cache fillers (distinct names).
    const firstName = (bytes: Buffer): string | null => {
      if (bytes.length < 2 || bytes.length < 2 + bytes.readUInt16BE(0)) return null;
      return dnsPacket.decode(bytes.subarray(2, 2 + bytes.readUInt16BE(0))).questions?.[0]?.name ?? null;
    };
    const slow = dns.connections.filter((c) => firstName(c.bytes) === null);
    expect(slow).toHaveLength(3);
    for (const c of slow) expect(c.bytes.length).toBeGreaterThan(0);
    const pipelined = dns.connections.filter((c) => firstName(c.bytes) === 'pipeline.big.test');
    expect(pipelined).toHaveLength(2);
    // What was still in flight when the attack ended is lost with the socket: at most what was written arrived.
    expect(pipelined.reduce((n, c) => n + c.bytes.length, 0)).toBeLessThanOrEqual(report.pipelinedBytes);
    const fillers = dns.connections.filter((c) => firstName(c.bytes)?.startsWith('fill0-') === true);
    expect(fillers).toHaveLength(4);
    const fills: string[] = [];
    for (const c of fillers) {
      for (let at = 0; at + 2 <= c.bytes.length && at + 2 + c.bytes.readUInt16BE(at) <= c.bytes.length; at += 2 + c.bytes.readUInt16BE(at)) {
        const q = dnsPacket.decode(c.bytes.subarray(at + 2, at + 2 + c.bytes.readUInt16BE(at)));
        expect(q.questions?.[0]).toMatchObject({ type: 'TXT' });
        fills.push(q.questions?.[0]?.name ?? '');
      }
    }
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.length).toBeLessThanOrEqual(report.cacheFillQueries);
    expect(fills.every((name) => name.endsWith('.big.test'))).toBe(true);
    expect(new Set(fills).size).toBe(fills.length);
    for (const c of http.connections) {
      expect(c.bytes.length).toBeGreaterThan(0);
      expect('GET / HTTP/1.1\r\nHost: blocked.test\r\nX-Slow: aaaa'.startsWith(c.bytes.toString('latin1').slice(0, 40))).toBe(true);
      expect(c.bytes.includes('\r\n\r\n')).toBe(false);
    }
    // dnstap: READY, then START after the ACCEPT, then the first bytes of a data frame that never ends.
    for (const c of dnstap.connections) {
      expect(readControlType(c.bytes)).toBe(FSTRM.READY);
      expect(readControlType(c.bytes.subarray(controlFrame(FSTRM.READY).length))).toBe(FSTRM.START);
    }
    // UDP: garbage only, as many datagrams as were counted at most (the last may be lost when the socket closes).
    expect(datagrams.length).toBeGreaterThan(0);
    expect(datagrams.length).toBeLessThanOrEqual(report.garbageDatagrams);
  });
});

describe('attackSources', () => {
  it('counts up from 127.0.1.1, 250 to a /24, never 127.0.0.1', () => {
    const sources = attackSources(252);
    expect(sources.slice(0, 2)).toEqual(['127.0.1.1', '127.0.1.2']);
    expect(sources.slice(249)).toEqual(['127.0.1.250', '127.0.2.1', '127.0.2.2']);
    expect(attackSources(0)).toEqual(['127.0.1.1']);
  });
});
