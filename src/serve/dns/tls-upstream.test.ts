import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, openssl } from '../../../test/support/test-certs.js';
import { parseUpstream, upstreamLabel } from '../endpoint.js';
import { DOWN_AFTER_TIMEOUTS, UpstreamHealth } from './upstream-health.js';
import { MAX_IDS, TlsUpstream } from './tls-upstream.js';

function query(name: string): Buffer {
  return packet.encode({ type: 'query', id: 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
}

function ask(upstream: TlsUpstream, name: string, id: number): Promise<packet.Packet | null> {
  const q = query(name);
  return new Promise((resolve) => upstream.ask(q, q.length, id, (answer) => resolve(answer === null ? null : packet.decode(answer))));
}

function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

describe('parseUpstream', () => {
  it.each([
    ['192.0.2.1', { host: '192.0.2.1', port: 53, family: 4 }],
    ['192.0.2.1:5353', { host: '192.0.2.1', port: 5353, family: 4 }],
    ['tls://192.0.2.1#dns.example', { host: '192.0.2.1', port: 853, family: 4, tls: 'dns.example' }],
    ['tls://[2001:db8::1]:8853#DNS.Example', { host: '2001:db8::1', port: 8853, family: 6, tls: 'dns.example' }],
    ['https://192.0.2.1#dns.example', { host: '192.0.2.1', port: 443, family: 4, tls: 'dns.example', dohPath: '/dns-query' }],
    ['https://192.0.2.1:8443/resolve/a?x=1#dns.example', { host: '192.0.2.1', port: 8443, family: 4, tls: 'dns.example', dohPath: '/resolve/a?x=1' }],
  ])('%s', (text, expected) => {
    expect(parseUpstream(text, 'serve: --upstream')).toEqual(expected);
  });
  it.each([
    ['tls://192.0.2.1:853', /needs the name its certificate carries/],
    ['tls://192.0.2.1:853#', /needs the name/],
    ['tls://dns.example:853#dns.example', /IP address/],
    ['quic://192.0.2.1#dns.example', /an upstream is ADDRESS:PORT, tls:/],
    ['https://192.0.2.1/dns query#dns.example', /printable ASCII/],
  ])('refuses %s', (text, message) => {
    expect(() => parseUpstream(text, 'serve: --upstream')).toThrow(message);
  });
});

describe('upstreamLabel: how metrics, /health and logs name an upstream', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1:53'],
    ['[2001:db8::1]:5353', '[2001:db8::1]:5353'],
    ['tls://192.0.2.1#dns.example', 'tls://192.0.2.1:853#dns.example'],
    ['tls://[2001:db8::1]#dns.example', 'tls://[2001:db8::1]:853#dns.example'],
    ['https://192.0.2.1:8443#dns.example', 'https://192.0.2.1:8443/dns-query#dns.example'],
  ])('%s → %s', (text, label) => {
    expect(upstreamLabel(parseUpstream(text, 'test'))).toBe(label);
  });

  it('/health tells a DoT upstream from a plain one on the same address', () => {
    const health = new UpstreamHealth([parseUpstream('127.0.0.1:853', 'test'), parseUpstream('tls://127.0.0.1#dns.example', 'test')]);
    for (let i = 0; i < DOWN_AFTER_TIMEOUTS; i++) {
      health.timedOut(0);
      health.timedOut(1);
    }
    expect(health.problem(Date.now())).toMatch(/^dns: every upstream is down: 127\.0\.0\.1:853 \(.*\), tls:\/\/127\.0\.0\.1:853#dns\.example \(/);
  });
});

describe.skipIf(openssl.missing !== null)('TlsUpstream against a scripted DoT server', () => {
  let dir = '';
  let server: Server;
  let port = 0;
  let ca: Buffer;
  /** What the server does with the frames of one connection. */
  let script: (socket: TLSSocket, queries: Buffer[]) => void = () => {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-tls-upstream-'));
    const files = makeTestCertificates(dir, 'upstream.test');
    ca = readFileSync(files.ca);
    server = createServer({ key: readFileSync(files.key), cert: readFileSync(files.cert), ALPNProtocols: ['dot'] }, (socket) => {
      let received = Buffer.alloc(0);
      const queries: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 2 && received.length >= received.readUInt16BE(0) + 2) {
          queries.push(received.subarray(2, 2 + received.readUInt16BE(0)));
          received = received.subarray(2 + received.readUInt16BE(0));
        }
        script(socket, queries);
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function answerTo(q: Buffer, address: string): Buffer {
    const decoded = packet.decode(q);
    return packet.encode({ type: 'response', id: decoded.id, flags: packet.RECURSION_DESIRED, questions: decoded.questions, answers: [{ type: 'A', name: decoded.questions![0]!.name, data: address }] });
  }

  it('matches out-of-order answers by ID and ignores strays (wrong ID, wrong question)', async () => {
    script = (socket, queries) => {
      if (queries.length < 3) return;
      const [a, b, c] = queries.splice(0, 3) as [Buffer, Buffer, Buffer];
      const stray = Buffer.from(answerTo(a, '203.0.113.1'));
      stray.writeUInt16BE((a.readUInt16BE(0) + 7) & 0xffff, 0);
      const wrongQuestion = answerTo(query('evil.test').fill(0, 0, 2), '203.0.113.2');
      wrongQuestion.writeUInt16BE(b.readUInt16BE(0), 0);
      socket.write(Buffer.concat([frame(stray), frame(wrongQuestion), frame(answerTo(c, '192.0.2.3')), frame(answerTo(b, '192.0.2.2')), frame(answerTo(a, '192.0.2.1'))]));
    };
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 3000 });
    const answers = await Promise.all([ask(upstream, 'a.test', 10), ask(upstream, 'b.test', 20), ask(upstream, 'c.test', 30)]);
    expect(answers.map((a) => (a?.answers?.[0] as { data?: string } | undefined)?.data)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(upstream.stats.mismatched).toBe(2);
    expect(upstream.stats.connects).toBe(1);
    upstream.close();
  });

  it('times a silent upstream out, and fails the pending queries when the connection drops', async () => {
    script = () => {};
    // 1.5 s: the second query's new connection must finish its handshake inside it (a loaded CI box), or it counts as a timeout too.
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 1500 });
    expect(await ask(upstream, 'a.test', 1)).toBeNull();
    expect(upstream.stats.timeouts).toBe(1);
    script = (socket) => socket.destroy();
    expect(await ask(upstream, 'b.test', 2)).toBeNull();
    expect(upstream.stats.timeouts).toBe(1);
    expect(upstream.pending).toBe(0);
    upstream.close();
  });

  it('replaces a connection that stops answering but stays open: the query after the timeout goes on a fresh one', async () => {
    const sockets: TLSSocket[] = [];
    script = (socket, queries) => {
      if (!sockets.includes(socket)) sockets.push(socket);
      // The first connection reads and never answers, and never closes (an upstream hung, or NAT state dropped).
      if (socket === sockets[0]) return void queries.splice(0);
      for (const q of queries.splice(0)) socket.write(frame(answerTo(q, '192.0.2.6')));
    };
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 300 });
    expect(await ask(upstream, 'a.test', 1)).toBeNull();
    expect(upstream.stats.discarded).toBe(1);
    expect((await ask(upstream, 'b.test', 2))?.answers?.length).toBe(1);
    expect(upstream.stats.connects).toBe(2);
    expect(sockets).toHaveLength(2);
    upstream.close();
  });

  it('keeps a connection that answered since a query was written, even when that query times out (a slow name, not a dead link)', async () => {
    script = (socket, queries) => {
      for (const q of queries.splice(0)) if (packet.decode(q).questions![0]!.name !== 'slow.test') socket.write(frame(answerTo(q, '192.0.2.4')));
    };
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 300, connections: 1 });
    const [slow, fast] = await Promise.all([ask(upstream, 'slow.test', 1), ask(upstream, 'fast.test', 2)]);
    expect(slow).toBeNull();
    expect(fast?.answers?.length).toBe(1);
    expect(upstream.stats.discarded).toBe(0);
    expect((await ask(upstream, 'again.test', 3))?.answers?.length).toBe(1);
    expect(upstream.stats.connects).toBe(1);
    upstream.close();
  });

  it('fails a query at once when every one of the 65,536 IDs is in flight, instead of searching forever', async () => {
    script = () => {};
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 60_000, maxInFlight: 1, connections: 1 });
    const q = query('full.test');
    const pending: Promise<Buffer | null>[] = [];
    for (let id = 0; id < MAX_IDS; id++) pending.push(new Promise((resolve) => upstream.ask(q, q.length, id, resolve)));
    expect(upstream.pending).toBe(MAX_IDS);
    let last: Buffer | null | undefined;
    upstream.ask(q, q.length, 7, (answer) => (last = answer));
    expect(last).toBeNull();
    expect(upstream.lastError).toMatch(/no free query ID/);
    upstream.close();
    expect(await Promise.all(pending)).toHaveLength(MAX_IDS);
  });

  it('sends a query once more on a fresh connection when a reused one closes under it (RFC 7766 idle close)', async () => {
    let connections = 0;
    script = (socket, queries) => {
      const q = queries.shift();
      if (q === undefined) return;
      connections++;
      // The first connection answers its first query, then closes as the second arrives.
      if ((socket as TLSSocket & { served?: number }).served === 1) return void socket.destroy();
      (socket as TLSSocket & { served?: number }).served = 1;
      socket.write(frame(answerTo(q, '192.0.2.9')));
    };
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 3000 });
    expect((await ask(upstream, 'a.test', 1))?.answers?.length).toBe(1);
    expect((await ask(upstream, 'b.test', 2))?.answers?.length).toBe(1);
    expect(upstream.stats.connects).toBe(2);
    expect(connections).toBe(3);
    upstream.close();
  });
  it('keeps at most maxInFlight queries on a connection, opens the pool\'s second one when the first is full, and makes the rest wait', async () => {
    const held: { socket: TLSSocket; query: Buffer }[] = [];
    const unanswered = new Map<TLSSocket, number>();
    let mostOnOne = 0;
    let received = 0;
    script = (socket, queries) => {
      for (const q of queries.splice(0)) {
        received++;
        held.push({ socket, query: q });
        unanswered.set(socket, (unanswered.get(socket) ?? 0) + 1);
        mostOnOne = Math.max(mostOnOne, unanswered.get(socket)!);
      }
      // Nothing is answered until both connections are full (4 queries); then everything as it comes.
      if (received < 4) return;
      for (const h of held.splice(0)) {
        unanswered.set(h.socket, unanswered.get(h.socket)! - 1);
        h.socket.write(frame(answerTo(h.query, '192.0.2.7')));
      }
    };
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 5000, maxInFlight: 2, connections: 2 });
    const names = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'];
    const answers = await Promise.all(names.map((n, i) => ask(upstream, n, 100 + i)));
    expect(answers.map((a) => a?.questions?.[0]?.name)).toEqual(names);
    expect(upstream.stats.connects).toBe(2);
    expect(upstream.stats.waited).toBe(2);
    expect(mostOnOne).toBe(2);
    expect(upstream.pending).toBe(0);
    upstream.close();
  });

  it('a query waiting for a slot times out within its own timeout (and is counted as a timeout)', async () => {
    script = () => {};
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 300, maxInFlight: 1, connections: 1 });
    expect(await Promise.all([ask(upstream, 'a.test', 1), ask(upstream, 'b.test', 2)])).toEqual([null, null]);
    expect(upstream.stats.waited).toBe(1);
    expect(upstream.stats.timeouts).toBe(2);
    expect(upstream.pending).toBe(0);
    upstream.close();
  });

  it('resumes the TLS session on reconnect, and not after the CA changed (a new CA is verified in full)', async () => {
    script = (socket, queries) => {
      for (const q of queries.splice(0)) socket.write(frame(answerTo(q, '192.0.2.8')));
    };
    const upstream = new TlsUpstream({ host: '127.0.0.1', port, servername: 'upstream.test', ca, timeout: 3000 });
    expect((await ask(upstream, 'a.test', 1))?.answers?.length).toBe(1);
    expect(upstream.stats.resumed).toBe(0);
    upstream.close();
    expect((await ask(upstream, 'b.test', 2))?.answers?.length).toBe(1);
    expect(upstream.stats.connects).toBe(2);
    expect(upstream.stats.resumed).toBe(1);
    upstream.close();
    // Another CA: the old ticket is not offered, so the server's certificate is checked against the new CA and refused.
    mkdirSync(join(dir, 'other'));
    upstream.setCa(readFileSync(makeTestCertificates(join(dir, 'other'), 'upstream.test').ca));
    expect(await ask(upstream, 'c.test', 3)).toBeNull();
    expect(upstream.stats.handshakeFailures).toBe(1);
    expect(upstream.stats.resumed).toBe(1);
    upstream.setCa(ca);
    expect((await ask(upstream, 'd.test', 4))?.answers?.length).toBe(1);
    upstream.close();
  });
});
