/**
 * HttpsUpstream against a scripted HTTP/2 server on 127.0.0.1 that allows
 * one stream at a time (SETTINGS_MAX_CONCURRENT_STREAMS 1): queries beyond it
 * wait for a stream instead of being refused, and are counted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, openssl } from '../../../test/support/test-certs.js';
import { HttpsUpstream } from './https-upstream.js';

function ask(upstream: HttpsUpstream, name: string): Promise<packet.Packet | null> {
  const q = packet.encode({ type: 'query', id: 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  return new Promise((resolve) => upstream.ask(q, q.length, 0, (answer) => resolve(answer === null ? null : packet.decode(answer))));
}

describe.skipIf(openssl.missing !== null)('HttpsUpstream and the server\'s stream limit', () => {
  let dir = '';
  let server: Http2SecureServer;
  let ca: Buffer;
  let port = 0;
  let open = 0;
  let mostOpen = 0;
  let refused = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-https-upstream-'));
    const files = makeTestCertificates(dir, 'upstream.test');
    ca = readFileSync(files.ca);
    server = createSecureServer({ key: readFileSync(files.key), cert: readFileSync(files.cert), settings: { maxConcurrentStreams: 1 } });
    server.on('stream', (stream) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      stream.on('close', () => {
        open--;
        if (stream.rstCode === 7) refused++;
      });
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const q = packet.decode(Buffer.concat(chunks));
        const name = q.questions![0]!.name;
        stream.respond({ ':status': 200, 'content-type': 'application/dns-message' });
        stream.end(packet.encode({ type: 'response', id: 0, questions: q.questions, answers: [{ type: 'A', name, ttl: 60, data: '192.0.2.5' }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens no more streams than the server allows: the others wait (counted) and are answered', async () => {
    const upstream = new HttpsUpstream({ host: '127.0.0.1', port, path: '/dns-query', servername: 'upstream.test', ca, timeout: 5000 });
    // The first answer brings the server's SETTINGS.
    expect((await ask(upstream, 'first.test'))?.answers).toHaveLength(1);
    const names = ['a.test', 'b.test', 'c.test', 'd.test'];
    const answers = await Promise.all(names.map((n) => ask(upstream, n)));
    expect(answers.map((a) => a?.questions?.[0]?.name)).toEqual(names);
    // Three wait at least; the fourth too when the first stream had not closed yet as they were asked.
    expect(upstream.stats.waited).toBeGreaterThanOrEqual(3);
    expect(mostOpen).toBe(1);
    expect(refused).toBe(0);
    expect(upstream.stats.connects).toBe(1);
    expect(upstream.pending).toBe(0);
    // Reconnecting resumes the TLS session.
    upstream.close();
    expect((await ask(upstream, 'again.test'))?.answers).toHaveLength(1);
    expect(upstream.stats.connects).toBe(2);
    expect(upstream.stats.resumed).toBe(1);
    upstream.close();
  });
});

/**
 * A scripted HTTP/2 server that records each request's :authority and
 * leaves the first session's streams unanswered, with its connection open
 * (a DoH server hung, or NAT state dropped on the way).
 */
describe.skipIf(openssl.missing !== null)('HttpsUpstream: the name it asks for, and a session that stops answering', () => {
  let dir = '';
  let server: Http2SecureServer;
  let ca: Buffer;
  let port = 0;
  const authorities: string[] = [];
  const sessions: unknown[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-https-upstream-'));
    const files = makeTestCertificates(dir, 'upstream.test');
    ca = readFileSync(files.ca);
    server = createSecureServer({ key: readFileSync(files.key), cert: readFileSync(files.cert) });
    server.on('stream', (stream, headers) => {
      authorities.push(String(headers[':authority']));
      if (!sessions.includes(stream.session)) sessions.push(stream.session);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => {});
      stream.on('end', () => {
        if (stream.session === sessions[0]) return;
        const q = packet.decode(Buffer.concat(chunks));
        stream.respond({ ':status': 200, 'content-type': 'application/dns-message' });
        stream.end(packet.encode({ type: 'response', id: 0, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.6' }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends NAME as :authority while dialling the address, and replaces a session that timed out with nothing answered', async () => {
    const upstream = new HttpsUpstream({ host: '127.0.0.1', port, path: '/dns-query', servername: 'upstream.test', ca, timeout: 300 });
    expect(await ask(upstream, 'a.test')).toBeNull();
    expect(upstream.stats.timeouts).toBe(1);
    expect(upstream.stats.discarded).toBe(1);
    expect((await ask(upstream, 'b.test'))?.answers).toHaveLength(1);
    expect(upstream.stats.connects).toBe(2);
    expect(sessions).toHaveLength(2);
    expect(authorities).toEqual([`upstream.test:${port}`, `upstream.test:${port}`]);
    upstream.close();
  });
});
