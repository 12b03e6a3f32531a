import { chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { waitFor } from '../../../test/support/daemon.js';
import { bearer, fetchWithToken, writeTokenFile } from '../../../test/support/tokens.js';
import { defaultConfig } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { Daemon } from '../daemon.js';
import { HttpService, httpService, TOKENS_REQUIRED } from './index.js';
import { apiError, type ApiRequest, type Route } from './route.js';

const config = defaultConfig();
config.serve.http.maxBodyBytes = 1024;
config.serve.net.logBurst = 1;
const logged: Array<Record<string, unknown>> = [];
const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log, out: null, factories: [], flags: {} });
const tokens = writeTokenFile();
const seen: ApiRequest[] = [];
const echo = (request: ApiRequest) => {
  seen.push(request);
  return { status: 200, body: { params: request.params, query: Object.fromEntries(request.query), body: request.body ?? null, by: request.principal.name, path: request.path } };
};
const routes: Route[] = [
  { method: 'GET', path: '/api/v1/things', role: 'read', handle: echo },
  { method: 'GET', path: '/api/v1/things/{name}', role: 'read', handle: echo },
  { method: 'POST', path: '/api/v1/things', role: 'admin', handle: (r) => ({ ...echo(r), status: 201 }) },
  { method: 'DELETE', path: '/api/v1/things/{name}', role: 'admin', handle: (r) => (r.params.name === 'absent' ? apiError(404, 'no such thing') : echo(r)) },
  { method: 'PUT', path: '/api/v1/samples', role: 'write', handle: echo },
  { method: 'GET', path: '/api/v1/broken', role: 'read', handle: () => { throw new Error('boom: the store is gone'); } },
  { method: 'GET', path: '/api/v1/refused', role: 'read', handle: () => { throw new UsageError('allow: not a domain name'); } },
  { method: 'GET', path: '/api/v1/report', role: 'read', handle: () => ({ status: 200, body: null, raw: { type: 'text/csv; charset=utf-8', text: 'a,b\n1,2\n' }, headers: { 'content-disposition': 'attachment; filename="r.csv"' } }) },
];
const http = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, routes, bodyTimeoutMs: 1500 });
daemon.services.push(http);
const url = (path: string): string => `http://127.0.0.1:${http.port}${path}`;
const json = { 'content-type': 'application/json' };

beforeAll(() => http.start());
afterAll(() => http.stop());

async function metric(text: string): Promise<number> {
  const all = await daemon.context.registry.metrics();
  const line = all.split('\n').find((l) => l.startsWith(`${text} `));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('http service: /metrics and /health', () => {
  it('serves the daemon metrics to a read token, with every service in them', async () => {
    const res = await fetchWithToken(url('/metrics'), tokens.read);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toMatch(/^fluxhound_flagged_domains 0$/m);
    expect(text).toMatch(/^fluxhound_http_auth_failures_total\{reason="invalid"\} \d+$/m);
  });

  it('says it is healthy to a read token; HEAD too; 401 without one', async () => {
    const res = await fetchWithToken(url('/health'), tokens.read);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', flagged_domains: 0 });
    expect((await fetchWithToken(url('/health'), tokens.read, { method: 'HEAD' })).status).toBe(200);
    const bare = await fetch(url('/metrics'));
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="fluxhound"');
    expect((await fetchWithToken(url('/metrics'), tokens.read, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('is off without --http; --http without tokens and a bad address are one-line usage errors', () => {
    expect(httpService().create({}, daemon.context)).toBeNull();
    expect(() => httpService().create({ http: '127.0.0.1:9153' }, daemon.context)).toThrow(TOKENS_REQUIRED);
    expect(() => httpService().create({ http: 'nowhere', apiTokens: tokens.file }, daemon.context)).toThrow(/--http: 'nowhere'/);
    expect(() => httpService().create({ http: '127.0.0.1:9153', apiTokens: tokens.file, httpCert: tokens.file }, daemon.context)).toThrow(/--http-cert and --http-key go together/);
    expect(httpService().create({ http: '127.0.0.1:9153', apiTokens: tokens.file }, daemon.context)).toBeInstanceOf(HttpService);
  });
});

describe('http service: SIGHUP', () => {
  const asks = async (service: HttpService, token: string): Promise<number> => (await fetchWithToken(`http://127.0.0.1:${service.port}/health`, token)).status;

  it('re-reads the token file the next config names when it came from the config; the flag\'s file when it came from a flag', async () => {
    const other = writeTokenFile();
    chmodSync(other.file, 0o644);
    const next = structuredClone(config);
    next.serve.http.tokens = other.file;
    const fromConfig = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, fixedFiles: { tokens: false, tls: false } });
    const fromFlag = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, daemon.context, { tokens: tokens.file, fixedFiles: { tokens: true, tls: true } });
    await fromConfig.start();
    await fromFlag.start();
    try {
      (await fromConfig.prepareReload(next))();
      (await fromFlag.prepareReload(next))();
      expect([await asks(fromConfig, tokens.read), await asks(fromConfig, other.read)]).toEqual([401, 200]);
      expect(logged).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining(`${other.file} is readable by every user of this machine`) }));
      expect([await asks(fromFlag, tokens.read), await asks(fromFlag, other.read)]).toEqual([200, 401]);
      next.serve.http.tokens = null;
      await expect(fromConfig.prepareReload(next)).rejects.toThrow(TOKENS_REQUIRED);
      next.serve.http.tokens = other.file;
      next.serve.http.tls = { cert: tokens.file, key: tokens.file };
      await expect(fromConfig.prepareReload(next)).rejects.toThrow('http: turning TLS on or off takes a restart');
    } finally {
      await fromConfig.stop();
      await fromFlag.stop();
    }
  });
});

describe('http service: the API dispatcher', () => {
  it('hands a route its params (percent-decoded), query, principal and path; HEAD runs the GET', async () => {
    const res = await fetchWithToken(url('/api/v1/things/%C3%A9xample.test?limit=5&q=a%20b'), tokens.read);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.json()).toEqual({ params: { name: 'éxample.test' }, query: { limit: '5', q: 'a b' }, body: null, by: 'reader', path: '/api/v1/things/éxample.test' });
    const head = await fetchWithToken(url('/api/v1/things'), tokens.read, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses a path parameter holding a NUL or bad percent-encoding (400), an unknown path (404), a wrong method (405 with Allow)', async () => {
    // An encoded '/' stays inside its parameter (a DNS label may hold one).
    const slash = await fetchWithToken(url('/api/v1/things/a%2Fb'), tokens.read);
    expect(slash.status).toBe(200);
    expect(await slash.json()).toMatchObject({ params: { name: 'a/b' } });
    for (const bad of ['/api/v1/things/a%00b', '/api/v1/things/%E0%A4%A']) {
      const res = await fetchWithToken(url(bad), tokens.read);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/path parameter name/) });
    }
    const missing = await fetchWithToken(url('/api/v1/nothing'), tokens.read);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.any(String) });
    const wrong = await fetchWithToken(url('/api/v1/things/x'), tokens.admin, { method: 'PUT', headers: json, body: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, DELETE, HEAD');
    expect(await wrong.json()).toEqual({ error: 'method not allowed' });
    expect((await fetchWithToken(url('/api/v1/things'), tokens.admin, { method: 'PATCH' })).status).toBe(405);
  });

  it('401 before anything else under /api/ (even an unknown path), 403 for a weaker role, the role ladder read < write < admin', async () => {
    expect((await fetch(url('/api/v1/nothing'))).status).toBe(401);
    const bad = await fetch(url('/api/v1/things'), { headers: bearer('x'.repeat(32)) });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="fluxhound", error="invalid_token"');
    expect((await fetch(url('/api/v1/things'), { headers: { authorization: `Basic ${tokens.admin}` } })).status).toBe(401);
    const weak = await fetchWithToken(url('/api/v1/things'), tokens.write, { method: 'POST', headers: json, body: '{"name":"a"}' });
    expect(weak.status).toBe(403);
    expect(await weak.json()).toEqual({ error: 'this needs the admin role; writer holds write' });
    expect((await fetchWithToken(url('/api/v1/samples'), tokens.read, { method: 'PUT', headers: json, body: '{}' })).status).toBe(403);
    expect((await fetchWithToken(url('/api/v1/samples'), tokens.write, { method: 'PUT', headers: json, body: '{}' })).status).toBe(200);
    expect((await fetchWithToken(url('/api/v1/samples'), tokens.admin, { method: 'PUT', headers: json, body: '{}' })).status).toBe(200);
  });

  it('parses a JSON body for POST/PUT/DELETE: 201 from the route, 415 for another type, 400 for bad JSON, 413 past serve.http.maxBodyBytes', async () => {
    const created = await fetchWithToken(url('/api/v1/things'), tokens.admin, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"name":"a.test","comment":"ok"}' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ body: { name: 'a.test', comment: 'ok' }, by: 'admin' });
    expect((await fetchWithToken(url('/api/v1/things'), tokens.admin, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await fetchWithToken(url('/api/v1/things'), tokens.admin, { method: 'POST', body: '{}' })).status).toBe(415);
    const broken = await fetchWithToken(url('/api/v1/things'), tokens.admin, { method: 'POST', headers: json, body: '{"name":' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: 'the body is not valid JSON' });
    const big = await fetchWithToken(url('/api/v1/things'), tokens.admin, { method: 'POST', headers: json, body: JSON.stringify({ comment: 'x'.repeat(2000) }) });
    expect(big.status).toBe(413);
    const removed = await fetchWithToken(url('/api/v1/things/b.test'), tokens.admin, { method: 'DELETE' });
    expect(await removed.json()).toMatchObject({ params: { name: 'b.test' }, body: null });
    expect((await fetchWithToken(url('/api/v1/things/absent'), tokens.admin, { method: 'DELETE', headers: json, body: '{"comment":"x"}' })).status).toBe(404);
  });

  it('a chunked body past the cap is cut at the cap (413), not read to its end', async () => {
    const status = await new Promise<string>((resolve) => {
      const socket = connect(http.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => resolve(answer.split('\r\n')[0]!));
      socket.on('error', () => undefined);
      socket.write(`POST /api/v1/things HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = 'a'.repeat(600);
      for (let i = 0; i < 3; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      // The body never ends: the 413 and the close come from the cap, not the end.
    });
    expect(status).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('a route that throws is a 500 {error} (logged once, never the message to the client); a UsageError is the caller’s 400', async () => {
    const res = await fetchWithToken(url('/api/v1/broken'), tokens.read);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error (logged)' });
    expect((await fetchWithToken(url('/api/v1/broken'), tokens.read)).status).toBe(500);
    const lines = logged.filter((l) => l.msg === 'API route failed');
    // serve.net.logBurst 1: the second failure within the interval is counted, not logged.
    expect(lines).toEqual([expect.objectContaining({ service: 'http', route: '/api/v1/broken', method: 'GET', err: 'boom: the store is gone' })]);
    expect(await metric('fluxhound_log_suppressed_total{service="http"}')).toBe(1);
    const refused = await fetchWithToken(url('/api/v1/refused'), tokens.read);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'allow: not a domain name' });
  });

  it('sends a raw result (a CSV report) as is, with the route’s headers', async () => {
    const res = await fetchWithToken(url('/api/v1/report'), tokens.read);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="r.csv"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe('a,b\n1,2\n');
  });

  it('the console needs no token and has its own CSP; a missing file is 404, a POST 405', async () => {
    const res = await fetch(url('/no-such-asset.js'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(url('/'), { method: 'POST' })).status).toBe(405);
  });

  it('counts requests by route and status', async () => {
    const before = await metric('fluxhound_http_requests_total{route="/api/v1/things/{name}",status="400"}');
    await fetchWithToken(url('/api/v1/things/a%00b'), tokens.read);
    expect(await metric('fluxhound_http_requests_total{route="/api/v1/things/{name}",status="400"}')).toBe(before + 1);
    expect(await metric('fluxhound_http_requests_total{route="api",status="404"}')).toBeGreaterThan(0);
    expect(await metric('fluxhound_http_request_duration_seconds_count{route="/metrics"}')).toBeGreaterThan(0);
  });
});

describe('http service: hostile clients', () => {
  it('a body trickled byte by byte is cut at the body deadline (408); others are served meanwhile', async () => {
    const socket = connect(http.port, '127.0.0.1');
    let closed = false;
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.write(`PUT /api/v1/samples HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.write}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{`);
    const trickle = setInterval(() => socket.write(' '), 100);
    try {
      expect((await fetchWithToken(url('/health'), tokens.read)).status).toBe(200);
      await waitFor('the trickled body to be cut', () => closed, 8000, 20);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(seen.some((r) => r.method === 'PUT' && r.body === undefined)).toBe(false);
  });
});
