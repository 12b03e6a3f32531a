/**
 * Upstreams.askStream, the path of DoT and DoH clients to a plain upstream:
 * UDP (no TCP connection and TIME_WAIT port per query), and TCP only when
 * the UDP answer is truncated. A scripted upstream on 127.0.0.1 answers on
 * UDP and TCP on one port and counts what arrives on each.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUpstream } from '../endpoint.js';
import { Upstreams } from './upstream.js';

function query(name: string): Buffer {
  return packet.encode({ type: 'query', id: 9, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
}

function answerTo(raw: Buffer, truncated: boolean): Buffer {
  const q = packet.decode(raw);
  const question = q.questions![0]!;
  // TC set, no records: what a UDP answer too large for the asker's size looks like.
  if (truncated) return packet.encode({ type: 'response', id: q.id, flags: 0x8380, questions: [question] });
  return packet.encode({ type: 'response', id: q.id, flags: 0x8180, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.3' }] });
}

describe('Upstreams.askStream (DoT and DoH clients to a plain upstream)', () => {
  let udp: UdpSocket;
  let tcp: Server;
  let port = 0;
  let udpQueries = 0;
  let tcpConnections = 0;

  beforeAll(async () => {
    // UDP first on an ephemeral port, then TCP on the same number; another port when that one is taken.
    for (;;) {
      udp = createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      port = udp.address().port;
      tcp = createServer((socket) => {
        tcpConnections++;
        let received = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          if (received.length < 2 || received.length < received.readUInt16BE(0) + 2) return;
          const answer = answerTo(received.subarray(2, 2 + received.readUInt16BE(0)), false);
          const framed = Buffer.alloc(answer.length + 2);
          framed.writeUInt16BE(answer.length, 0);
          answer.copy(framed, 2);
          socket.end(framed);
        });
        socket.on('error', () => {});
      });
      const bound = await new Promise<boolean>((r) => {
        tcp.once('error', () => r(false));
        tcp.listen(port, '127.0.0.1', () => r(true));
      });
      if (bound) break;
      udp.close();
    }
    udp.on('message', (raw, from) => {
      udpQueries++;
      udp.send(answerTo(raw, packet.decode(raw).questions![0]!.name.startsWith('big.')), from.port, from.address);
    });
  });

  afterAll(async () => {
    udp.close();
    await new Promise((r) => tcp.close(r));
  });

  function askStream(upstreams: Upstreams, name: string): Promise<packet.Packet | null> {
    const q = query(name);
    return new Promise((resolve) => upstreams.askStream(q, q.length, '127.0.0.1', (answer) => resolve(answer === null ? null : packet.decode(answer))));
  }

  it('asks over UDP, opening no TCP connection; and over TCP once more only for a truncated answer', async () => {
    const upstreams = new Upstreams([parseUpstream(`127.0.0.1:${port}`, 'test')], { timeout: 2000, maxPending: 100, maxPendingPerClient: 10 });
    upstreams.start();
    try {
      const small = await askStream(upstreams, 'small.test');
      expect((small?.answers?.[0] as { data?: string } | undefined)?.data).toBe('192.0.2.3');
      expect(udpQueries).toBe(1);
      expect(tcpConnections).toBe(0);
      expect(upstreams.stats.tcpQueries).toBe(0);

      const big = await askStream(upstreams, 'big.test');
      expect((big?.answers?.[0] as { data?: string } | undefined)?.data).toBe('192.0.2.3');
      expect((big as { flag_tc?: boolean } | null)?.flag_tc).toBe(false);
      expect(udpQueries).toBe(2);
      expect(tcpConnections).toBe(1);
      expect(upstreams.stats.truncatedRetries).toBe(1);
      expect(upstreams.inFlight).toBe(0);
      expect(upstreams.budget.of('127.0.0.1')).toBe(0);
    } finally {
      upstreams.stop();
    }
  });
});
