/**
 * DNS over HTTPS (RFC 8484) on 127.0.0.1 with real parts: kdig +https (knot-dnsutils)
 * against a test CA made here by openssl gets an answer and a block, and a
 * query to /dns-query/acme is attributed to customer acme in the query log and
 * the query stats; node's http2 client checks GET, POST, max-age from the TTL,
 * unknown customers (404, counted), the JSON form, the DoH metrics and a 413
 * for an oversized body; HTTP/1.1 still answers.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../../test/support/binaries.js';
import { makeTestCertificates } from '../../../test/support/test-certs.js';
import { waitFor } from '../../../test/support/daemon.js';
import { startFixedUpstream, type AnsweringAuthority } from '../../../test/support/answer-all.js';
import type { QueryLogEntry } from '../../model/query-log.js';
import { testForwarderOptions } from '../../../test/support/forwarder-options.js';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { defaultConfig } from '../../config/schema.js';
import { verdictFixture } from '../../store/store.case.js';
import { Daemon } from '../daemon.js';
import { DnsForwarder } from './forwarder.js';
import { forwarderOptions } from './index.js';
import { UsageError } from '../../model/errors.js';
import { minTtl, routeOf } from './doh.js';

const kdig = findBinary('kdig', 'knot-dnsutils');
const curl = findBinary('curl', 'curl');

/** curl over HTTP/1.1 or HTTP/2 to the DoH listener, trusting the test CA: status line and body. Asynchronous: the server is in this process. */
function curlGet(path: string, version: '--http1.1' | '--http2', ...headers: string[]): Promise<{ status: number; type: string; body: string }> {
  const port = fwd.dohPort;
  const args = ['-sS', version, '--cacert', files.ca, '--resolve', `${HOSTNAME}:${port}:127.0.0.1`, '-o', '-', '-w', '\n%{http_code} %{content_type} %{http_version}', ...headers.flatMap((h) => ['-H', h]), `https://${HOSTNAME}:${port}${path}`];
  return new Promise((resolve) => {
    execFile(curl.path!, args, { encoding: 'utf8' }, (_err, stdout) => {
      const cut = stdout.lastIndexOf('\n');
      const [status = '0', type = '', httpVersion = ''] = stdout.slice(cut + 1).split(' ');
      resolve({ status: Number(status), type: `${type} http/${httpVersion}`, body: stdout.slice(0, cut) });
    });
  });
}
const HOSTNAME = 'doh.fluxhound.test';

function query(name: string): Buffer {
  return packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
}

function h2(session: ClientHttp2Session, headers: Record<string, string | number>, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let response: Reply['headers'] = {};
    stream.on('response', (h) => (response = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status: Number(response[':status']), headers: response, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

let upstream: AnsweringAuthority;
let dir = '';
let files: { ca: string; cert: string; key: string };
let fwd: DnsForwarder;
let daemon: Daemon;
/** What the forwarder handed to the query log. */
const logged: QueryLogEntry[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-doh-'));
  files = makeTestCertificates(dir, HOSTNAME);
  upstream = await startFixedUpstream();
  // Customer acme's network is not loopback: only the path can attribute a query from 127.0.0.1 to it. 127.0.0.2 is beta's.
  const config = { ...defaultConfig(), customers: [
    { id: 'acme', name: 'Acme', contact: '', networks: ['198.51.100.0/24'] },
    { id: 'beta', name: 'Beta', contact: '', networks: ['127.0.0.2/32'] },
  ] };
  config.serve.querylog.sample = 1;
  daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
  daemon.context.onQuery?.((e) => logged.push(e));
  fwd = new DnsForwarder(testForwarderOptions(upstream.port, { doh: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: files.cert, key: files.key } } }), daemon.context);
  await fwd.start();
  daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
});

afterAll(async () => {
  await fwd?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DNS over HTTPS', () => {
  it.skipIf(kdig.missing !== null && process.env.CI !== 'true')('kdig +https gets an answer and a block, by POST and GET', async () => {
    // Asynchronous: the server answers from this same process.
    const dig = (name: string, ...more: string[]): Promise<string> =>
      new Promise((resolve) => {
        execFile(kdig.path!, ['@127.0.0.1', '-p', String(fwd.dohPort), `+tls-ca=${files.ca}`, `+tls-hostname=${HOSTNAME}`, '+https', ...more, '+timeout=3', '+retry=0', name, 'A'], { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
      });
    const answer = await dig('www.example.test');
    expect(answer).toMatch(/status: NOERROR/);
    expect(answer).toMatch(/www\.example\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.1/);
    expect(answer).toMatch(/HTTP\/2-POST\)-\(doh\.fluxhound\.test\/dns-query\)-\(status: 200\)/);
    const blocked = await dig('www.flux.test', '+https-get');
    expect(blocked).toMatch(/HTTP\/2-GET/);
    expect(blocked).toMatch(/status: NXDOMAIN/);
    expect(blocked).not.toMatch(/192\.0\.2\.1/);
    // The customer path: the block is acme's in the query log and in the per-minute stats, though 127.0.0.1 is not acme's network.
    logged.length = 0;
    daemon.context.queryStats.drain();
    const acme = await dig('www.flux.test', '+https=/dns-query/acme');
    expect(acme).toMatch(/doh\.fluxhound\.test\/dns-query\/acme\)-\(status: 200\)/);
    expect(acme).toMatch(/status: NXDOMAIN/);
    expect(logged).toEqual([expect.objectContaining({ name: 'www.flux.test', client: '127.0.0.1', customer: 'acme', action: 'nxdomain' })]);
    expect(daemon.context.queryStats.drain()).toEqual([expect.objectContaining({ customer: 'acme', queries: 1, blocked: 1 })]);
    // Without the path the same client has no customer.
    await dig('www.flux.test');
    expect(logged[1]).toMatchObject({ name: 'www.flux.test', customer: null });
  });

  it('hands the named customer to the detector with the answer (for exposure reports), and none without a path', async () => {
    const seen: { qname: string; customer: string | undefined }[] = [];
    const off = daemon.context.onObservation?.((o) => seen.push({ qname: o.qname, customer: o.customer }));
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      await h2(session, { ':method': 'POST', ':path': '/dns-query/acme', 'content-type': 'application/dns-message' }, query('named.example.test'));
      await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, query('plain.example.test'));
      await waitFor('both answers examined', () => seen.length >= 2);
    } finally {
      session.close();
      off?.();
    }
    expect(seen).toEqual([
      { qname: 'named.example.test', customer: 'acme' },
      { qname: 'plain.example.test', customer: undefined },
    ]);
  });

  it('attributes /dns-query/acme from beta\'s address to beta, counted; from an address of no customer to acme', async () => {
    logged.length = 0;
    const before = fwd.stats.mismatchedHttpsCustomers;
    // Dialled from 127.0.0.2 (http2.connect has no localAddress; its createConnection does).
    const ca = readFileSync(files.ca);
    const inBeta = connect(`https://127.0.0.1:${fwd.dohPort}`, {
      createConnection: () => tlsConnect({ socket: netConnect({ host: '127.0.0.1', port: fwd.dohPort, localAddress: '127.0.0.2' }), ca, servername: HOSTNAME, ALPNProtocols: ['h2'] }),
    });
    const roaming = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      const path = { ':method': 'POST', ':path': '/dns-query/acme', 'content-type': 'application/dns-message' };
      expect((await h2(inBeta, path, query('www.flux.test'))).status).toBe(200);
      expect((await h2(inBeta, { ...path, ':path': '/dns-query/beta' }, query('www.flux.test'))).status).toBe(200);
      expect((await h2(roaming, path, query('www.flux.test'))).status).toBe(200);
    } finally {
      inBeta.close();
      roaming.close();
    }
    expect(logged.map((e) => [e.client, e.customer])).toEqual([['127.0.0.2', 'beta'], ['127.0.0.2', 'beta'], ['127.0.0.1', 'acme']]);
    expect(fwd.stats.mismatchedHttpsCustomers).toBe(before + 1);
    expect(await daemon.context.registry.metrics()).toMatch(new RegExp(`^fluxhound_dns_mismatched_customers_total\\{proto="https"\\} ${before + 1}$`, 'm'));
  });

  it('refuses a customer that is not configured with 404, counted, and the query is not asked', async () => {
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      const before = fwd.stats.httpsQueries;
      const unknown = await h2(session, { ':method': 'POST', ':path': '/dns-query/nobody', 'content-type': 'application/dns-message' }, query('www.flux.test'));
      expect(unknown.status).toBe(404);
      expect(unknown.body.toString()).toBe('no such customer\n');
      expect(fwd.doh?.stats.unknownCustomers).toBe(1);
      expect(fwd.stats.httpsQueries).toBe(before);
      // Ids are exact: a configured id in another case is another id.
      expect((await h2(session, { ':method': 'GET', ':path': `/dns-query/ACME?dns=${query('a.test').toString('base64url')}` })).status).toBe(404);
      expect(fwd.doh?.stats.unknownCustomers).toBe(2);
    } finally {
      session.close();
    }
  });

  it('answers GET and POST over HTTP/2 with max-age from the smallest TTL, and a customer path', async () => {
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      const dns = query('get.example.test').toString('base64url');
      const get = await h2(session, { ':method': 'GET', ':path': `/dns-query?dns=${dns}`, accept: 'application/dns-message' });
      expect(get.status).toBe(200);
      expect(get.headers['content-type']).toBe('application/dns-message');
      expect(get.headers['cache-control']).toBe('max-age=60');
      expect(packet.decode(get.body).answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1' });
      const post = await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, query('www.flux.test'));
      expect(post.status).toBe(200);
      expect((packet.decode(post.body) as unknown as { rcode: string }).rcode).toBe('NXDOMAIN');
      expect((await h2(session, { ':method': 'GET', ':path': '/dns-query?dns=not*base64' })).status).toBe(400);
      expect((await h2(session, { ':method': 'GET', ':path': '/elsewhere' })).status).toBe(404);
      expect((await h2(session, { ':method': 'PUT', ':path': '/dns-query' })).status).toBe(405);
      expect((await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'text/plain' }, query('x.test'))).status).toBe(415);
    } finally {
      session.close();
    }
  });

  it('answers the plain HTTP/2 GET on the core stream, and leaves every other shape to the general path, same statuses', async () => {
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    const stats = fwd.doh!.stats;
    const getsBefore = stats.requests.get('GET\u00002.0') ?? 0;
    try {
      const dns = query('core.example.test').toString('base64url');
      const core = stats.streamQueries;
      const plain = await h2(session, { ':method': 'GET', ':path': `/dns-query?dns=${dns}` });
      expect(plain.status).toBe(200);
      expect(plain.headers['cache-control']).toBe('max-age=60');
      expect(packet.decode(plain.body).answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1' });
      expect((await h2(session, { ':method': 'GET', ':path': `/dns-query/acme?dns=${dns}` })).status).toBe(200);
      expect(stats.streamQueries).toBe(core + 2);
      // Another parameter, HEAD, dot segments, a short query, an unknown customer: request() as before.
      expect((await h2(session, { ':method': 'GET', ':path': `/dns-query?dns=${dns}&ct=1` })).status).toBe(200);
      const head = await h2(session, { ':method': 'HEAD', ':path': `/dns-query?dns=${dns}` });
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect((await h2(session, { ':method': 'GET', ':path': `/dns-query/..?dns=${dns}` })).body.toString()).toBe('not found\n');
      expect((await h2(session, { ':method': 'GET', ':path': `/dns-query/.?dns=${dns}` })).status).toBe(404);
      const short = await h2(session, { ':method': 'GET', ':path': '/dns-query?dns=AAAA' });
      expect([short.status, short.body.toString()]).toEqual([400, 'not a DNS query\n']);
      expect((await h2(session, { ':method': 'GET', ':path': `/dns-query/nobody?dns=${dns}` })).body.toString()).toBe('no such customer\n');
      expect(stats.streamQueries).toBe(core + 2);
      expect(stats.requests.get('GET\u00002.0')).toBe(getsBefore + 7);
    } finally {
      session.close();
    }
  });

  it('refuses an oversized body with 413, and the connection still answers', async () => {
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      const big = await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, Buffer.alloc(64 * 1024, 1));
      expect(big.status).toBe(413);
      expect(fwd.doh?.stats.httpErrors.get(413)).toBeGreaterThanOrEqual(1);
      const after = await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, query('after.example.test'));
      expect(after.status).toBe(200);
    } finally {
      session.close();
    }
  });

  it('answers over HTTP/1.1 too (ALPN http/1.1)', async () => {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: fwd.dohPort, path: '/dns-query', method: 'POST', ca: readFileSync(files.ca), servername: HOSTNAME, headers: { 'content-type': 'application/dns-message' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(query('h1.example.test'));
    });
    expect(reply.status).toBe(200);
    expect(packet.decode(reply.body).answers?.[0]).toMatchObject({ data: '192.0.2.1' });
  });

  it.skipIf(curl.missing !== null && process.env.CI !== 'true')('answers the JSON form (application/dns-json) over HTTP/1.1 and HTTP/2 with curl, blocks included', async () => {
    const json = await curlGet('/dns-query?name=json.example.test&type=A', '--http1.1', 'accept: application/dns-json');
    expect(json.status).toBe(200);
    expect(json.type).toBe('application/dns-json http/1.1');
    expect(JSON.parse(json.body)).toEqual({ Status: 0, TC: false, RD: true, RA: true, AD: false, CD: false, Question: [{ name: 'json.example.test.', type: 1 }], Answer: [{ name: 'json.example.test.', type: 1, TTL: 60, data: '192.0.2.1' }] });
    // Google's path, a blocked name, a customer: the same policy, attributed like the wire form.
    logged.length = 0;
    const blocked = await curlGet('/resolve/acme?name=www.flux.test', '--http2');
    expect(blocked.type).toBe('application/dns-json http/2');
    expect(JSON.parse(blocked.body)).toMatchObject({ Status: 3, Question: [{ name: 'www.flux.test.', type: 1 }] });
    expect(logged).toEqual([expect.objectContaining({ name: 'www.flux.test', customer: 'acme', action: 'nxdomain' })]);
    const bad = await curlGet('/resolve?name=a.test&cd=2', '--http1.1');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: 'cd must be empty, 0, false, 1 or true' });
    expect(fwd.doh?.stats.jsonQueries).toBe(2);
  });

  it('counts DoH in the metrics: queries by transport https, requests by method and version, responses by status', async () => {
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, query('metrics.example.test'));
      await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message', 'content-length': 70_000 }, Buffer.alloc(70_000));
    } finally {
      session.close();
    }
    const text = await daemon.context.registry.metrics();
    const value = (series: string): number => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('fluxhound_dns_queries_total{proto="https"}')).toBe(fwd.stats.httpsQueries);
    expect(value('fluxhound_dns_queries_total{proto="tcp"}')).toBe(0);
    expect(value('fluxhound_dns_request_duration_seconds_count{proto="https"}')).toBeGreaterThanOrEqual(1);
    expect(value('fluxhound_dns_doh_requests_total{method="POST",version="2.0"}')).toBeGreaterThanOrEqual(2);
    expect(value('fluxhound_dns_doh_responses_total{status="200"}')).toBeGreaterThanOrEqual(1);
    expect(value('fluxhound_dns_doh_responses_total{status="413"}')).toBeGreaterThanOrEqual(1);
    expect(value('fluxhound_dns_doh_bodies_refused_total')).toBe(fwd.doh?.stats.bodiesRefused);
    expect(value('fluxhound_dns_unknown_customers_total{proto="https"}')).toBe(fwd.doh?.stats.unknownCustomers);
  });

  it('pads a wire answer to a multiple of 468 when the query carried a padding option, and only then (RFC 8467, 8484 section 9)', async () => {
    // What Chrome and Firefox send: an OPT record with a padding option (the query itself padded to 128).
    const padded = (name: string): Buffer =>
      packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [{ code: 12, data: Buffer.alloc(60) }] } as unknown as packet.Answer] });
    type Opt = { type: string; options?: { code: number }[] };
    const paddingOf = (body: Buffer): boolean => ((packet.decode(body).additionals ?? []) as Opt[]).some((r) => r.type === 'OPT' && (r.options ?? []).some((o) => o.code === 12));
    const session = connect(`https://127.0.0.1:${fwd.dohPort}`, { ca: readFileSync(files.ca), servername: HOSTNAME });
    try {
      const post = await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, padded('pad.example.test'));
      const get = await h2(session, { ':method': 'GET', ':path': `/dns-query?dns=${padded('pad-get.example.test').toString('base64url')}` });
      const blocked = await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, padded('www.flux.test'));
      const plain = await h2(session, { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' }, query('pad.example.test'));
      for (const reply of [post, get, blocked]) {
        expect(reply.status).toBe(200);
        expect(reply.body.length % 468).toBe(0);
        expect(Number(reply.headers['content-length'])).toBe(reply.body.length);
        expect(paddingOf(reply.body)).toBe(true);
      }
      expect(packet.decode(post.body).answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1' });
      expect((packet.decode(blocked.body) as unknown as { rcode: string }).rcode).toBe('NXDOMAIN');
      // The same name without a padding option (and from the cache now): not padded.
      expect(plain.status).toBe(200);
      expect(plain.body.length % 468).not.toBe(0);
      expect(paddingOf(plain.body)).toBe(false);
    } finally {
      session.close();
    }
  });

  it('resumes a TLS session from its ticket (TLS 1.3 and 1.2), not after the ticket keys rotate, as DoT', async () => {
    /** One HTTP/1.1 request on a fresh TLS connection (so the TLS 1.3 tickets have arrived): the last ticket and whether the session was resumed. */
    const ask = (session?: Buffer, maxVersion?: 'TLSv1.2' | 'TLSv1.3'): Promise<{ ticket: Buffer | undefined; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const tickets: Buffer[] = [];
        const socket = tlsConnect({ host: '127.0.0.1', port: fwd.dohPort, servername: HOSTNAME, ca: readFileSync(files.ca), ALPNProtocols: ['http/1.1'], session, maxVersion }, () => {
          socket.write(`GET /dns-query?dns=${query('ticket.example.test').toString('base64url')} HTTP/1.1\r\nhost: ${HOSTNAME}\r\nconnection: close\r\n\r\n`);
        });
        socket.on('session', (t: Buffer) => tickets.push(t));
        socket.on('data', () => undefined);
        socket.once('error', reject);
        socket.once('end', () => resolve({ ticket: tickets[tickets.length - 1], reused: socket.isSessionReused() }));
      });
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = await ask(undefined, version);
      expect(first.reused).toBe(false);
      expect((await ask(first.ticket, version)).reused).toBe(true);
    }
    const before = await ask();
    fwd.rotateDohTickets();
    expect(fwd.dohTls?.rotations).toBe(1);
    expect((await ask(before.ticket)).reused).toBe(false);
    // SIGHUP re-reads the pair (the pair checked is the pair served) and keeps the ticket keys: a ticket from before still resumes.
    const kept = await ask();
    (await fwd.prepareReload(daemon.context.config))();
    expect((await ask(kept.ticket)).reused).toBe(true);
  });

  it.each([
    ['/dns-query', { json: false, customer: null }],
    ['/dns-query/acme', { json: false, customer: 'acme' }],
    ['/resolve', { json: true, customer: null }],
    ['/resolve/Beta-2.x_y', { json: true, customer: 'Beta-2.x_y' }],
    ['/dns-query/', null],
    ['/dns-query/a/b', null],
    ['/dns-query/%3Cscript%3E', null],
    [`/dns-query/${'a'.repeat(65)}`, null],
    ['/dns-queryx', null],
    ['/', null],
  ])('routes %s', (path, route) => {
    expect(routeOf(path)).toEqual(route);
  });

  it('takes max-age from the smallest TTL of the records, OPT aside', () => {
    const answer = packet.encode({ type: 'response', id: 0, questions: [{ type: 'A', name: 'a.test', class: 'IN' }], answers: [{ type: 'A', name: 'a.test', ttl: 300, data: '192.0.2.1' }, { type: 'A', name: 'a.test', ttl: 30, data: '192.0.2.2' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as packet.Answer] });
    expect(minTtl(answer)).toBe(30);
    expect(minTtl(packet.encode({ type: 'response', id: 0, questions: [{ type: 'A', name: 'a.test', class: 'IN' }] }))).toBe(-1);
  });
});

describe('--doh options', () => {
  const context = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} }).context;
  const base = { dns: '127.0.0.1:5353', upstream: ['127.0.0.1:53'] };

  it('takes --doh with its certificate and key', () => {
    const options = forwarderOptions({ ...base, doh: '127.0.0.1:8443', dohCert: 'c.pem', dohKey: 'k.pem' }, context);
    expect(options?.doh).toEqual({ listen: { host: '127.0.0.1', port: 8443, family: 4 }, tls: { cert: 'c.pem', key: 'k.pem' }, fixedFiles: true, allow: ['127.0.0.0/8', '::1/128'], requireCustomer: false });
    expect(forwarderOptions(base, context)?.doh).toBeNull();
  });

  it.each([
    ['no certificate', { ...base, doh: '127.0.0.1:8443' }, /--doh needs --doh-cert and --doh-key/],
    ['no forwarder', { doh: '127.0.0.1:8443', dohCert: 'c.pem', dohKey: 'k.pem' }, /--doh needs --dns/],
    ['a bad address', { ...base, doh: 'nowhere:x', dohCert: 'c.pem', dohKey: 'k.pem' }, /serve: --doh/],
  ])('refuses %s in one line (a usage error: exit 2)', (_what, flags, message) => {
    expect(() => forwarderOptions(flags, context)).toThrow(UsageError);
    expect(() => forwarderOptions(flags, context)).toThrow(message);
  });
});
