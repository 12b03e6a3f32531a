/**
 * Same answer matching and timeouts whatever the transport: an upstream that
 * answers the wrong question, with the wrong ID, with a cut message, or not
 * at all is skipped (counted) and the query fails over to the next upstream,
 * and with no upstream left the caller gets null (the forwarder's SERVFAIL),
 * over plain UDP, DNS over TLS (a scripted node:tls server) and DNS over
 * HTTPS (a scripted HTTP/2 server, also: not 200, not
 * application/dns-message, a body over 64 KiB). Plus the padding rules:
 * queries to encrypted upstreams padded to 128-byte blocks, none to plain
 * ones, and the answer's padding never handed on.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, openssl } from '../../../test/support/test-certs.js';
import { parseUpstream, type Endpoint } from '../endpoint.js';
import { Upstreams } from './upstream.js';

type Misbehaviour = 'wrong question' | 'wrong ID' | 'cut short' | 'never' | 'padded answer';
type DohMisbehaviour = 'wrong question' | 'status 500' | 'text/plain' | 'body over 64 KiB' | 'never';

const PADDING = 12;

function answerTo(query: Buffer, address = '192.0.2.66', extra: Partial<packet.Packet> = {}): Buffer {
  const q = packet.decode(query);
  return packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: address }], ...extra });
}

/** What a misbehaving upstream sends back for `query` (null: nothing). */
function misanswer(query: Buffer, how: Misbehaviour | DohMisbehaviour): Buffer | null {
  switch (how) {
    case 'wrong question': {
      const other = answerTo(packet.encode({ type: 'query', id: 0, questions: [{ type: 'A', name: 'other.test' }] }));
      other.writeUInt16BE(query.readUInt16BE(0), 0);
      return other;
    }
    case 'wrong ID': {
      const answer = answerTo(query);
      answer.writeUInt16BE((query.readUInt16BE(0) + 1) & 0xffff, 0);
      return answer;
    }
    case 'cut short':
      return answerTo(query).subarray(0, 10);
    case 'padded answer':
      return answerTo(query, '192.0.2.66', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: PADDING, data: Buffer.alloc(400) }] } as packet.Answer] });
    default:
      return null;
  }
}

function optionCodes(message: Buffer): number[] | null {
  const opt = (packet.decode(message).additionals as { type: string; options?: { code: number }[] }[] | undefined)?.find((r) => r.type === 'OPT');
  return opt === undefined ? null : (opt.options ?? []).map((o) => o.code);
}

function ask(upstreams: Upstreams, query: Buffer): Promise<{ answer: Buffer | null; from: Endpoint | null }> {
  // Header and one question: what precedes the OPT record.
  const questionEnd = packet.encode({ type: 'query', questions: packet.decode(query).questions }).length;
  return new Promise((resolve) => upstreams.ask(query, questionEnd, '127.0.0.1', (answer, from) => resolve({ answer, from })));
}

function query(name: string, padded = false): Buffer {
  return packet.encode({
    type: 'query', id: 4242, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }],
    additionals: padded ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: PADDING, data: Buffer.alloc(20) }] } as packet.Answer] : [],
  });
}

describe.skipIf(openssl.missing !== null)('answer matching and failover over UDP, DNS over TLS and DNS over HTTPS', () => {
  let dir = '';
  let ca: Buffer;
  let good: UdpSocket;
  let badUdp: UdpSocket;
  let badTls: Server;
  let badDoh: Http2SecureServer;
  const endpoints: Record<'good' | 'udp' | 'tls' | 'https', Endpoint> = {} as never;
  let how: Misbehaviour | DohMisbehaviour = 'never';
  /** What each upstream received, for the padding checks. */
  const seen: Record<'good' | 'tls' | 'https', Buffer[]> = { good: [], tls: [], https: [] };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-upstream-answers-'));
    const files = makeTestCertificates(dir, 'upstream.test');
    ca = readFileSync(files.ca);
    const credentials = { key: readFileSync(files.key), cert: readFileSync(files.cert) };
    good = createSocket('udp4');
    good.on('message', (q, from) => {
      seen.good.push(q);
      good.send(answerTo(q, '192.0.2.1'), from.port, from.address);
    });
    badUdp = createSocket('udp4');
    badUdp.on('message', (q, from) => {
      const out = misanswer(q, how);
      if (out !== null) badUdp.send(out, from.port, from.address);
    });
    await Promise.all([good, badUdp].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
    badTls = createServer({ ...credentials, ALPNProtocols: ['dot'] }, (socket) => {
      let received = Buffer.alloc(0);
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 2 && received.length >= received.readUInt16BE(0) + 2) {
          const q = received.subarray(2, 2 + received.readUInt16BE(0));
          received = received.subarray(2 + q.length);
          seen.tls.push(Buffer.from(q));
          const out = how === 'cut short' ? answerTo(q) : misanswer(q, how);
          if (out === null) continue;
          const framed = Buffer.alloc(out.length + 2);
          framed.writeUInt16BE(out.length, 0);
          out.copy(framed, 2);
          // Cut short: the frame's length promises the whole answer, half of it comes, and the connection stays open.
          socket.write(how === 'cut short' ? framed.subarray(0, 2 + (out.length >> 1)) : framed);
        }
      });
    });
    await new Promise<void>((r) => badTls.listen(0, '127.0.0.1', r));
    badDoh = createSecureServer(credentials, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const q = Buffer.concat(chunks);
        seen.https.push(q);
        switch (how as DohMisbehaviour) {
          case 'never':
            return;
          case 'status 500':
            res.writeHead(500, { 'content-type': 'application/dns-message' }).end(answerTo(q));
            return;
          case 'text/plain':
            res.writeHead(200, { 'content-type': 'text/plain' }).end(answerTo(q));
            return;
          case 'body over 64 KiB':
            res.writeHead(200, { 'content-type': 'application/dns-message' }).end(Buffer.concat([answerTo(q), Buffer.alloc(70_000)]));
            return;
          default:
            res.writeHead(200, { 'content-type': 'application/dns-message' }).end(misanswer(q, how) ?? Buffer.alloc(0));
        }
      });
    });
    await new Promise<void>((r) => badDoh.listen(0, '127.0.0.1', r));
    endpoints.good = parseUpstream(`127.0.0.1:${good.address().port}`, 'test');
    endpoints.udp = parseUpstream(`127.0.0.1:${badUdp.address().port}`, 'test');
    endpoints.tls = parseUpstream(`tls://127.0.0.1:${(badTls.address() as AddressInfo).port}#upstream.test`, 'test');
    endpoints.https = parseUpstream(`https://127.0.0.1:${(badDoh.address() as AddressInfo).port}/dns-query#upstream.test`, 'test');
  });

  afterAll(async () => {
    good.close();
    badUdp.close();
    await new Promise((r) => badTls.close(r));
    await new Promise((r) => badDoh.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Asks [bad, good] (fails over to good) and [bad] alone (null: SERVFAIL), at once. */
  async function run(bad: Endpoint): Promise<{ failover: { answer: Buffer | null; from: Endpoint | null }; alone: { answer: Buffer | null; from: Endpoint | null }; pair: Upstreams; single: Upstreams }> {
    // 1 s: a TLS or HTTP/2 handshake to the misbehaving upstream must end inside it on a loaded CI box, or a mismatch reads as a timeout.
    const options = { timeout: 1000, maxPending: 16, maxPendingPerClient: 16, tlsCa: ca };
    const pair = new Upstreams([bad, endpoints.good], options);
    const single = new Upstreams([bad], options);
    pair.start();
    single.start();
    const [failover, alone] = await Promise.all([ask(pair, query('www.example.test')), ask(single, query('www.example.test'))]);
    pair.stop();
    single.stop();
    return { failover, alone, pair, single };
  }

  const rows: [transport: 'udp' | 'tls', Misbehaviour, mismatched: number][] = [
    ['udp', 'wrong question', 1],
    ['udp', 'wrong ID', 1],
    ['udp', 'cut short', 1],
    ['udp', 'never', 0],
    ['tls', 'wrong question', 1],
    ['tls', 'wrong ID', 1],
    ['tls', 'cut short', 0],
    ['tls', 'never', 0],
  ];
  it.each(rows)('%s upstream answering %s: skipped, the next upstream answers; alone, SERVFAIL', async (transport, misbehaviour, mismatched) => {
    how = misbehaviour;
    const { failover, alone, single } = await run(endpoints[transport]);
    expect(failover.from).toEqual(endpoints.good);
    expect(packet.decode(failover.answer!).answers).toMatchObject([{ data: '192.0.2.1' }]);
    expect(alone).toEqual({ answer: null, from: null });
    const tls = single.tlsTotals();
    expect(single.stats.mismatched + tls.mismatched).toBe(mismatched);
    // Every try that got no usable answer waited its timeout, on either transport.
    expect(single.stats.timeouts).toBe(1);
    expect(single.stats.failures).toBe(1);
  });

  const dohRows: [DohMisbehaviour, timeouts: number][] = [
    ['wrong question', 0],
    ['status 500', 0],
    ['text/plain', 0],
    ['body over 64 KiB', 0],
    ['never', 1],
  ];
  it.each(dohRows)('https upstream answering %s: skipped (counted), the next upstream answers; alone, SERVFAIL', async (misbehaviour, timeouts) => {
    how = misbehaviour;
    const { failover, alone, single } = await run(endpoints.https);
    expect(failover.from).toEqual(endpoints.good);
    expect(packet.decode(failover.answer!).answers).toMatchObject([{ data: '192.0.2.1' }]);
    expect(alone).toEqual({ answer: null, from: null });
    expect(single.tlsTotals().mismatched).toBe(1 - timeouts);
    expect(single.stats.timeouts).toBe(timeouts);
    expect(single.stats.failures).toBe(1);
  });

  it('pads queries to encrypted upstreams to 128-byte blocks, never those to a plain one, and hands no padding on', async () => {
    how = 'padded answer';
    seen.tls.length = 0;
    seen.https.length = 0;
    seen.good.length = 0;
    const options = { timeout: 1000, maxPending: 16, maxPendingPerClient: 16, tlsCa: ca };
    const tls = new Upstreams([endpoints.tls], options);
    const plain = new Upstreams([endpoints.good], options);
    tls.start();
    plain.start();
    // A client without EDNS: the OPT record added for the padding is taken out of the answer again.
    const bare = await ask(tls, query('www.example.test'));

    expect(optionCodes(bare.answer!)).toBeNull();
    expect(packet.decode(bare.answer!).answers).toMatchObject([{ data: '192.0.2.66' }]);
    // A client that padded its own query (over DoT, say): the upstream's padding does not come back, the OPT does.
    const padded = await ask(tls, query('www.example.test', true));
    expect(optionCodes(padded.answer!)).toEqual([]);
    // To a plain upstream the client's padding option is taken off.
    await ask(plain, query('www.example.test', true));
    tls.stop();
    plain.stop();
    expect(seen.tls.map((q) => q.length % 128)).toEqual([0, 0]);
    expect(seen.tls.map(optionCodes)).toEqual([[PADDING], [PADDING]]);
    expect(seen.good.map(optionCodes)).toEqual([[]]);
    how = 'never';
    const doh = new Upstreams([endpoints.https], options);
    await ask(doh, query('www.example.test'));
    doh.stop();
    expect(seen.https.map((q) => [q.length % 128, optionCodes(q)])).toEqual([[0, [PADDING]]]);
  });
});
