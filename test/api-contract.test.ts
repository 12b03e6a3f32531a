/**
 * The API against its OpenAPI 3.1 document, on a real in-process daemon: the
 * store service on a temporary SQLite file, the lists service, the HTTP
 * listener with a token file; flagged names from live fast-flux lookups,
 * query-log rows and stats written through the real store, list changes
 * through the API. Every documented path is called with every documented
 * status, every response is validated (Ajv 2020, strict) against the
 * document's schema for that path, status and content type, and the test
 * fails when a documented path or status was never seen, or when a route
 * exists that the document lacks. A second listener (no store, no lists,
 * a throttle of one bad token) answers the 503s and the 429s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../src/config/schema.js';
import type { Exposure, FanOut } from '../src/model/flow.js';
import type { QueryLogEntry } from '../src/model/query-log.js';
import type { Daemon } from '../src/serve/daemon.js';
import { apiRoutes } from '../src/serve/http/api/index.js';
import { documentedOperations } from '../src/serve/http/api/openapi.js';
import { documentAjv, DOCUMENT_ID } from '../src/serve/http/api/validate.js';
import { HttpService } from '../src/serve/http/index.js';
import { listsService } from '../src/serve/lists/index.js';
import { storeService } from '../src/serve/store/index.js';
import { emptyBatch, type StatsBucket } from '../src/store/store.js';
import { aResponse, bot } from './helpers/observations.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import { waitFor } from './support/daemon.js';
import { quietDaemon } from './support/quiet-daemon.js';
import { writeTokenFile, type TestTokens } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-api-contract-'));
const tokens: TestTokens = writeTokenFile(dir);
const ajv = documentAjv();
const operations = documentedOperations();
/** 'GET /api/v1/flagged 200' for every documented operation and status. */
const documented = new Set(operations.flatMap((o) => o.statuses.map((s) => `${o.method} ${o.path} ${s}`)));
const exercised = new Set<string>();

// A minute-aligned "now" a little in the past, so every row lies inside the default ranges.
const NOW = Math.floor(Date.now() / 1000 / 60) * 60 - 120;
const LONG = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
const FLUX = ['login.evil-bank.com', 'pay.evil-bank.net', 'cdn.other-flux.org'];

function configOf(): Config {
  const config = defaultConfig();
  config.customers = [
    { id: 'acme', name: 'Acme <Corp> "West"', contact: 'noc@acme.example', networks: ['192.0.2.0/24'] },
    { id: 'beta', name: 'Beta', contact: '', networks: ['198.51.100.0/24'] },
  ];
  config.policy.allowlist = ['static-good.example'];
  config.serve.http.maxBodyBytes = 1024;
  config.serve.store.flushInterval = 50;
  return config;
}

/** Flow findings as the flow analysis reports them: two clients of acme (one bypassing the resolvers), one of beta. */
const EXPOSURES: Exposure[] = [
  ['192.0.2.7', 'acme', 'login.evil-bank.com', false, 3600],
  ['192.0.2.8', 'acme', 'login.evil-bank.com', true, 1800],
  ['198.51.100.9', 'beta', 'cdn.other-flux.org', false, 600],
].map(([client, customer, domain, bypass, ago]) => ({
  record: 'exposure',
  client: client as string,
  customer: customer as string,
  address: '51.178.15.143',
  domain: domain as string,
  network: 'fn-1',
  first: new Date((NOW - (ago as number)) * 1000).toISOString(),
  last: new Date((NOW - (ago as number) + 60) * 1000).toISOString(),
  flows: 3,
  bytes: 4500,
  packets: 30,
  sampled: false,
  direction: 'outbound',
  bypass: bypass as boolean,
  reason: `${String(client)} connected to 51.178.15.143 (${String(domain)}, fn-1) in 3 flows`,
}));
const FAN_OUT: FanOut = {
  record: 'fan-out',
  host: '192.0.2.66',
  customer: 'acme',
  distinct: 250,
  flux: 4,
  window: 300,
  first: new Date((NOW - 400) * 1000).toISOString(),
  last: new Date((NOW - 100) * 1000).toISOString(),
  flows: 610,
  reasons: ['contacted 250 distinct addresses in 5 min (threshold 200), 4 of them flux hosts'],
};

let main: Daemon;
let mainHttp: HttpService;
let bare: Daemon;
let bareHttp: HttpService;

function entry(ts: number, client: string, customer: string | null, name: string, action: QueryLogEntry['action'], domain: string | null): QueryLogEntry {
  const flagged = domain !== null;
  return {
    ts,
    client,
    customer,
    name,
    qtype: 'A',
    action,
    rcode: action === 'drop' ? null : action === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR',
    domain,
    verdict: flagged ? 'fast-flux' : null,
    score: flagged ? 92 : null,
    rule: flagged ? 'verdict' : null,
    reason: flagged ? '60 IPs in 41 ASNs across 12 countries' : null,
  };
}

beforeAll(async () => {
  main = quietDaemon(configOf(), { enricher: octetEnricher, factories: [storeService(), listsService], flags: { store: join(dir, 'fluxhound.db') } });
  mainHttp = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, main.context, { tokens: tokens.file, bodyTimeoutMs: 300 });
  main.services.push(mainHttp);
  await main.start();
  bare = quietDaemon(configOf(), { enricher: octetEnricher });
  bareHttp = new HttpService({ host: '127.0.0.1', port: 0, family: 4 }, bare.context, { tokens: tokens.file, throttle: { maxFailures: 1, windowMs: 600_000, maxClients: 10 } });
  bare.services.push(bareHttp);
  await bare.start();

  // Live fast-flux lookups: three flagged names, one flux network.
  for (const name of FLUX) {
    const salt = name.length * 100;
    for (let lookup = 0; lookup < 12; lookup++) {
      main.context.observations.observe(aResponse(NOW - 3600 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(salt + lookup * 5 + k)), 120, { client: '192.0.2.7' }));
    }
  }
  const store = main.context.store!;
  // The recorder writes the verdicts (history) and the tuples (passive DNS) on its next flush.
  await waitFor('verdict history in the store', () => store.history('login.evil-bank.com').length > 0);
  const queries: QueryLogEntry[] = [];
  for (let i = 0; i < 30; i++) {
    queries.push(entry(NOW - 3000 + i * 60, `192.0.2.${10 + (i % 3)}`, 'acme', i % 2 === 0 ? 'login.evil-bank.com' : 'www.pay.evil-bank.net', i % 3 === 0 ? 'drop' : 'nxdomain', i % 2 === 0 ? 'login.evil-bank.com' : 'pay.evil-bank.net'));
    queries.push(entry(NOW - 3000 + i * 60 + 1, '203.0.113.5', null, `host${i}.example.org`, 'pass', null));
  }
  queries.push(entry(NOW - 100, '198.51.100.9', 'beta', 'cdn.other-flux.org', 'log', 'cdn.other-flux.org'));
  queries.push(entry(NOW - 90, '192.0.2.50', 'acme', 'cdn.other-flux.org', 'exposed', 'cdn.other-flux.org'));
  const stats: StatsBucket[] = [];
  for (let m = 0; m < 50; m++) stats.push({ ts: NOW - 3000 + m * 60, customer: 'acme', queries: 10, blocked: 1, logged: 0 }, { ts: NOW - 3000 + m * 60, customer: '', queries: 5, blocked: 0, logged: 0 });
  store.write({ ...emptyBatch(), queries: queries.sort((a, b) => a.ts - b.ts), stats, exposures: EXPOSURES, fanOuts: [FAN_OUT] });
}, 30_000);

afterAll(async () => {
  await bare?.stop();
  await main?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Call {
  /** The documented path pattern the request is for. */
  pattern: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** The request target (path and query). */
  target: string;
  token?: string | null;
  body?: unknown;
  /** Sent as is, with this content type. */
  raw?: { type: string; text: string };
  on?: 'main' | 'bare';
}

interface Answer {
  status: number;
  type: string;
  body: unknown;
  text: string;
}

/** Sends one request, validates the answer against the document, notes the (path, status) exercised. */
async function call(c: Call): Promise<Answer> {
  const port = (c.on === 'bare' ? bareHttp : mainHttp).port;
  const headers: Record<string, string> = {};
  const token = c.token === undefined ? tokens.admin : c.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (c.raw !== undefined) {
    headers['content-type'] = c.raw.type;
    body = c.raw.text;
  } else if (c.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(c.body);
  }
  const res = await fetch(`http://127.0.0.1:${port}${c.target}`, { method: c.method, headers, body });
  const text = await res.text();
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const answer: Answer = { status: res.status, type, text, body: type === 'application/json' ? JSON.parse(text) : text };
  check(c.method, c.pattern, answer);
  return answer;
}

/** The answer's status is documented for the operation, and its body fits the schema of that status and content type. */
function check(method: string, pattern: string, answer: Answer): void {
  const key = `${method} ${pattern} ${answer.status}`;
  expect(documented.has(key), `${key} is not documented (${answer.text.slice(0, 200)})`).toBe(true);
  const pointer = `${DOCUMENT_ID}#/paths/${pattern.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${answer.status}/content/${answer.type.replace(/\//g, '~1')}/schema`;
  const validate = ajv.getSchema(pointer);
  expect(validate, `${key}: no schema for ${answer.type}`).toBeTypeOf('function');
  expect(validate!(answer.body), `${key}: ${JSON.stringify(validate!.errors?.slice(0, 3))}`).toBe(true);
  exercised.add(key);
}

/** Every documented operation, in a form a loop can call: a target that reaches it. */
function targetOf(path: string): string {
  return path.replace('{name}', 'example.com').replace('{id}', path.includes('networks') ? 'fn-1' : 'acme');
}

describe('the API against its OpenAPI document', () => {
  it('has a route for every documented operation and no route the document lacks', () => {
    const routes = apiRoutes(main.context).map((r) => `${r.method} ${r.path} ${r.role}`).sort();
    expect(routes).toEqual(operations.map((o) => `${o.method} ${o.path} ${o.role}`).sort());
  });

  it('serves the document itself, valid OpenAPI 3.1 with bearer security on every path', async () => {
    const doc = (await call({ pattern: '/api/v1/openapi.json', method: 'GET', target: '/api/v1/openapi.json', token: tokens.read })).body as Record<string, unknown>;
    expect(doc).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/' }], security: [{ bearer: [] }], components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } });
    expect(Object.keys(doc.paths as object).length).toBe(19);
  });

  it('refuses every operation without a token (401), a read token on every admin operation (403)', async () => {
    for (const o of operations) {
      const body = o.method === 'POST' ? { name: 'example.com', comment: 'c' } : o.method === 'DELETE' ? { comment: 'c' } : undefined;
      expect((await call({ pattern: o.path, method: o.method as Call['method'], target: targetOf(o.path), token: null, body })).status).toBe(401);
      if (o.role === 'admin') expect((await call({ pattern: o.path, method: o.method as Call['method'], target: targetOf(o.path), token: tokens.read, body })).status).toBe(403);
    }
  });

  it('says who is calling and what the daemon holds', async () => {
    expect((await call({ pattern: '/api/v1/whoami', method: 'GET', target: '/api/v1/whoami', token: tokens.read })).body).toEqual({ name: 'reader', role: 'read' });
    const overview = await call({ pattern: '/api/v1/overview', method: 'GET', target: '/api/v1/overview', token: tokens.read });
    expect(overview.body).toMatchObject({ flagged_domains: 3, customers: 2, observations: 36, networks: 3, health: { status: 'ok' } });
  });

  it('lists the flagged domains, filtered and paged, and refuses bad parameters naming them', async () => {
    const p = '/api/v1/flagged';
    const all = (await call({ pattern: p, method: 'GET', target: p })).body as { total: number; items: Array<{ domain: string; network: string; rule: string }> };
    expect(all.total).toBe(3);
    expect(all.items.every((i) => i.rule === 'verdict' && /^fn-[123]$/.test(i.network))).toBe(true);
    const page = (await call({ pattern: p, method: 'GET', target: `${p}?q=evil-bank&sort=last_seen&limit=1&offset=1&verdict=fast-flux&flux=single` })).body as typeof all;
    expect(page).toMatchObject({ total: 2, offset: 1, limit: 1 });
    const fn1 = all.items.find((i) => i.network === 'fn-1')!.domain;
    expect((await call({ pattern: p, method: 'GET', target: `${p}?network=fn-1` })).body).toMatchObject({ total: 1, items: [{ domain: fn1 }] });
    for (const [target, error] of [
      ['?limit=1e9', 'limit: "1e9" is not a whole number'],
      ['?offset=-1', 'offset: "-1" is not a whole number'],
      ['?verdict=benign', 'verdict: "benign" is not one of fast-flux, suspicious'],
      ['?sort=score&sort=last_seen', 'sort: given more than once'],
    ]) expect((await call({ pattern: p, method: 'GET', target: `${p}${target}` })).body).toEqual({ error });
  });

  it('shows one domain with its verdict, history and passive DNS; 404 for a name nobody saw; hostile names answered cleanly', async () => {
    const p = '/api/v1/domains/{name}';
    const one = await call({ pattern: p, method: 'GET', target: '/api/v1/domains/LOGIN.evil-bank.COM.', token: tokens.read });
    expect(one.status).toBe(200);
    const detail = one.body as { name: string; blocked: boolean; verdict: { verdict: string; reasons: string[] }; history: unknown[]; passive_dns: Array<{ name: string; type: string }> };
    expect(detail).toMatchObject({ name: 'login.evil-bank.com', blocked: true, blocked_by: 'login.evil-bank.com', allowlisted: false, denylisted: null });
    expect(detail.verdict.verdict).toBe('fast-flux');
    expect(detail.history.length).toBeGreaterThan(0);
    expect(detail.passive_dns.length).toBeGreaterThan(0);
    expect(detail.passive_dns.every((t) => t.name === 'login.evil-bank.com' && t.type === 'A')).toBe(true);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/domains/static-good.example' })).body).toMatchObject({ allowlisted: true, blocked: false });
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/domains/never-seen.example' })).status).toBe(404);
    expect((await call({ pattern: p, method: 'GET', target: `/api/v1/domains/${LONG}` })).status).toBe(404);
    expect((await call({ pattern: p, method: 'GET', target: `/api/v1/domains/${LONG}x` })).body).toEqual({ error: `name: "${LONG.slice(0, 40)}..." is not a domain name` });
    expect((await call({ pattern: p, method: 'GET', target: `/api/v1/domains/${encodeURIComponent('x"<script>\\000.example')}` })).status).toBe(404);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/domains/a%00b.example' })).status).toBe(400);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/domains/a..b' })).status).toBe(400);
  });

  it('shows the flux networks, one with its domains, addresses (ASN, country) and edges', async () => {
    const list = (await call({ pattern: '/api/v1/networks', method: 'GET', target: '/api/v1/networks' })).body as { items: Array<{ id: string; domains: number }> };
    // Three botnets that share no address: three networks.
    expect(list.items.map((n) => n.id).sort()).toEqual(['fn-1', 'fn-2', 'fn-3']);
    const p = '/api/v1/networks/{id}';
    const net = (await call({ pattern: p, method: 'GET', target: '/api/v1/networks/fn-1' })).body as { domains: string[]; addresses: Array<{ asn: number | null }>; edges: Array<{ domain: string }> };
    expect(net.domains).toHaveLength(1);
    expect(FLUX).toContain(net.domains[0]);
    expect(net.addresses.length).toBe(60);
    expect(net.addresses.every((a) => a.asn !== null)).toBe(true);
    expect(net.edges.length).toBe(60);
    expect(net.edges.every((e) => e.domain === net.domains[0])).toBe(true);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/networks/fn-4' })).status).toBe(404);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/networks/%3Cx%3E' })).body).toEqual({ error: "id: not a network id ('fn-3')" });
  });

  it('searches the query log by client, customer, name, action and time, page by page', async () => {
    const p = '/api/v1/querylog';
    const first = (await call({ pattern: p, method: 'GET', target: `${p}?customer=acme&action=nxdomain,drop&limit=7` })).body as { items: QueryLogEntry[]; next: string | null };
    expect(first.items).toHaveLength(7);
    expect(first.items.every((e) => e.customer === 'acme' && (e.action === 'nxdomain' || e.action === 'drop'))).toBe(true);
    const seen: QueryLogEntry[] = [...first.items];
    for (let next = first.next; next !== null; ) {
      const page = (await call({ pattern: p, method: 'GET', target: `${p}?customer=acme&action=nxdomain,drop&limit=7&cursor=${encodeURIComponent(next)}` })).body as typeof first;
      seen.push(...page.items);
      next = page.next;
    }
    expect(seen).toHaveLength(30);
    expect(seen.map((e) => e.ts)).toEqual(seen.map((e) => e.ts).sort((a, b) => b - a));
    const byName = (await call({ pattern: p, method: 'GET', target: `${p}?name=evil-bank.net&client=192.0.2.0/24&since=${NOW - 3000}&until=${new Date(NOW * 1000).toISOString()}` })).body as typeof first;
    expect(byName.items).toHaveLength(15);
    expect(byName.items.every((e) => e.name === 'www.pay.evil-bank.net')).toBe(true);
    for (const [target, error] of [
      ['?limit=1000000000', 'limit: must be between 1 and 1000'],
      ['?cursor=%00garbage%01', 'cursor: not a cursor this API gave'],
      ['?cursor=not-a-real-cursor', 'cursor: not a cursor this API gave'],
      [`?since=${NOW}&until=${NOW - 60}`, 'since: is after until'],
      ['?action=nxdomain,block', 'action: "block" is not one of nxdomain, nodata, drop, sinkhole, log, pass, exposed'],
      ['?client=evil.example', 'client: "evil.example" is not an address or a CIDR network'],
    ]) expect((await call({ pattern: p, method: 'GET', target: `${p}${target}` })).body, target).toEqual({ error });
  });

  it('searches the flow exposures by client, customer, domain, bypass and time, page by page; lists the fan-outs', async () => {
    const p = '/api/v1/exposures';
    const all = (await call({ pattern: p, method: 'GET', target: p, token: tokens.read })).body as { items: Exposure[]; next: string | null };
    expect(all).toEqual({ items: [...EXPOSURES].reverse(), next: null });
    const first = (await call({ pattern: p, method: 'GET', target: `${p}?customer=acme&limit=1` })).body as typeof all;
    expect(first.items.map((e) => e.client)).toEqual(['192.0.2.8']);
    const second = (await call({ pattern: p, method: 'GET', target: `${p}?customer=acme&limit=1&cursor=${encodeURIComponent(first.next!)}` })).body as typeof all;
    expect(second).toEqual({ items: [EXPOSURES[0]], next: null });
    const filtered = async (query: string): Promise<string[]> => ((await call({ pattern: p, method: 'GET', target: `${p}?${query}` })).body as typeof all).items.map((e) => e.client);
    expect(await filtered('bypass=true')).toEqual(['192.0.2.8']);
    expect(await filtered('bypass=false&client=192.0.2.0/24')).toEqual(['192.0.2.7']);
    expect(await filtered('domain=evil-bank.com')).toEqual(['192.0.2.8', '192.0.2.7']);
    expect(await filtered(`domain=CDN.Other-Flux.org.&since=${new Date((NOW - 1000) * 1000).toISOString()}`)).toEqual(['198.51.100.9']);
    expect(await filtered(`until=${NOW - 3000}`)).toEqual(['192.0.2.7']);
    for (const [target, error] of [
      ['?bypass=yes', 'bypass: "yes" is not one of true, false'],
      ['?limit=1001', 'limit: must be between 1 and 1000'],
      ['?cursor=not-a-real-cursor', 'cursor: not a cursor this API gave'],
      ['?domain=a..b', 'domain: "a..b" is not a domain name'],
      ['?client=evil.example', 'client: "evil.example" is not an address or a CIDR network'],
    ]) expect((await call({ pattern: p, method: 'GET', target: `${p}${target}` })).body, target).toEqual({ error });

    const f = '/api/v1/fan-out';
    expect((await call({ pattern: f, method: 'GET', target: f, token: tokens.read })).body).toEqual({ items: [FAN_OUT] });
    expect((await call({ pattern: f, method: 'GET', target: `${f}?host=198.51.100.0/24` })).body).toEqual({ items: [] });
    expect((await call({ pattern: f, method: 'GET', target: `${f}?host=nobody` })).status).toBe(400);
    // Its own limit (one list, no cursor), not the exposures page's.
    expect((await call({ pattern: f, method: 'GET', target: `${f}?limit=500` })).body).toEqual({ items: [FAN_OUT] });
    expect((await call({ pattern: f, method: 'GET', target: `${f}?limit=501` })).body).toEqual({ error: 'limit: must be between 1 and 500' });
  });

  it('gives the stats over time, per customer too', async () => {
    const p = '/api/v1/stats';
    const day = (await call({ pattern: p, method: 'GET', target: p })).body as { step: number; points: Array<{ queries: number; blocked: number }> };
    expect(day.step).toBe(900);
    expect(day.points.reduce((n, x) => n + x.queries, 0)).toBe(750);
    const acme = (await call({ pattern: p, method: 'GET', target: `${p}?customer=acme&step=3600&since=${NOW - 7200}&until=${NOW}` })).body as typeof day;
    expect(acme.points).toHaveLength(2);
    expect(acme.points.reduce((n, x) => n + x.blocked, 0)).toBe(50);
    expect((await call({ pattern: p, method: 'GET', target: `${p}?step=61` })).body).toEqual({ error: 'step: must be a multiple of 60 seconds' });
  });

  it('adds and removes list entries live, in the name of the token, audited; refuses bad bodies and names', async () => {
    const allow = '/api/v1/allowlist';
    const deny = '/api/v1/blocklist';
    const added = await call({ pattern: allow, method: 'POST', target: allow, body: { name: 'Login.Evil-Bank.com.', comment: 'our own test site' } });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ list: 'allow', name: 'login.evil-bank.com', comment: 'our own test site', by: 'admin' });
    // Applied live: the name leaves the flagged set.
    expect(main.context.flagged.match('login.evil-bank.com')).toBeNull();
    // An internationalised name is entered as the A-labels queries ask for.
    const idn = await call({ pattern: allow, method: 'POST', target: allow, body: { name: 'bücher.example', comment: 'a shop' } });
    expect(idn.body).toMatchObject({ name: 'xn--bcher-kva.example' });
    const idnGone = await call({ pattern: `${allow}/{name}`, method: 'DELETE', target: `${allow}/${encodeURIComponent('bücher.example')}`, body: { comment: 'done' } });
    expect(idnGone.status, idnGone.text).toBe(200);
    expect((await call({ pattern: '/api/v1/domains/{name}', method: 'GET', target: '/api/v1/domains/www.login.evil-bank.com' })).body).toMatchObject({ allowlisted: true, blocked: false, blocked_by: null });
    const allowList = (await call({ pattern: allow, method: 'GET', target: allow, token: tokens.read })).body as { items: Array<{ name: string }>; static: string[] };
    expect(allowList).toMatchObject({ items: [{ name: 'login.evil-bank.com' }], static: ['static-good.example'] });
    const hostile = `x"<b>\\\\.${LONG.slice(20)}`;
    const denied = await call({ pattern: deny, method: 'POST', target: deny, body: { name: hostile, comment: '<script>alert(1)</script>' } });
    expect(denied.status).toBe(201);
    const deniedName = (denied.body as { name: string }).name;
    expect(deniedName.startsWith('x\\034<b>\\\\.')).toBe(true);
    const flagged = (await call({ pattern: '/api/v1/flagged', method: 'GET', target: '/api/v1/flagged?sort=last_seen' })).body as { items: Array<{ domain: string; rule: string }> };
    expect(flagged.items.find((i) => i.domain === deniedName)?.rule).toBe('denylist');
    expect((await call({ pattern: deny, method: 'GET', target: deny })).body).toMatchObject({ items: [{ name: deniedName, comment: '<script>alert(1)</script>' }], static: [] });
    expect((await call({ pattern: '/api/v1/domains/{name}', method: 'GET', target: `/api/v1/domains/${encodeURIComponent(deniedName)}` })).body).toMatchObject({ blocked: true, denylisted: { name: deniedName } });

    const bad: Array<[unknown, string]> = [
      [{ name: 'example.com' }, 'body: comment is missing'],
      [{ name: 'example.com', comment: '  ' }, 'comment: deny: a comment is required (why the change is made)'],
      [{ name: 'example.com', comment: 'x', by: 'someone-else' }, 'body: unknown field "by"'],
      [{ name: 42, comment: 'c' }, 'name: must be string'],
      [{ name: 'a..b', comment: 'c' }, 'name: deny: "a..b" is not a domain name'],
      [{ name: 'co.uk', comment: 'c' }, 'name: deny: "co.uk" is the root or a public suffix; a deny entry would block every name under it'],
    ];
    for (const [body, error] of bad) expect((await call({ pattern: deny, method: 'POST', target: deny, body })).body).toEqual({ error });
    expect((await call({ pattern: deny, method: 'POST', target: deny, raw: { type: 'application/json', text: '{"name":' } })).status).toBe(400);
    expect((await call({ pattern: allow, method: 'POST', target: allow, raw: { type: 'text/plain', text: 'example.com' } })).status).toBe(415);
    expect((await call({ pattern: allow, method: 'POST', target: allow, body: { name: 'example.com', comment: 'x'.repeat(2000) } })).status).toBe(413);

    const one = `${allow}/{name}`;
    const removed = await call({ pattern: one, method: 'DELETE', target: `${allow}/login.evil-bank.com`, body: { comment: 'test over' } });
    expect(removed.body).toEqual({ removed: true });
    // Applied live: the detector's verdict blocks it again.
    expect(main.context.flagged.match('login.evil-bank.com')?.domain).toBe('login.evil-bank.com');
    expect((await call({ pattern: one, method: 'DELETE', target: `${allow}/login.evil-bank.com` , body: { comment: 'c' } })).status).toBe(404);
    expect((await call({ pattern: one, method: 'DELETE', target: `${allow}/example.com` })).body).toEqual({ error: 'body: must be object' });
    expect((await call({ pattern: one, method: 'DELETE', target: `${allow}/a%00b` , body: { comment: 'c' } })).status).toBe(400);
    expect((await call({ pattern: one, method: 'DELETE', target: `${allow}/example.com`, raw: { type: 'text/csv', text: 'a,b' } })).status).toBe(415);
    expect((await call({ pattern: one, method: 'DELETE', target: `${allow}/example.com`, body: { comment: 'y'.repeat(2000) } })).status).toBe(413);
    const denyOne = `${deny}/{name}`;
    expect((await call({ pattern: denyOne, method: 'DELETE', target: `${deny}/${encodeURIComponent(deniedName)}`, body: { comment: 'done' } })).status).toBe(200);
    expect((await call({ pattern: denyOne, method: 'DELETE', target: `${deny}/never.example` , body: { comment: 'c' } })).status).toBe(404);
    expect((await call({ pattern: denyOne, method: 'DELETE', target: `${deny}/x..y` , body: { comment: 'c' } })).status).toBe(400);
    expect((await call({ pattern: denyOne, method: 'DELETE', target: `${deny}/example.com`, raw: { type: 'text/plain', text: 'x' } })).status).toBe(415);
    expect((await call({ pattern: denyOne, method: 'DELETE', target: `${deny}/example.com`, body: { comment: 'z'.repeat(2000) } })).status).toBe(413);
    expect((await call({ pattern: deny, method: 'POST', target: deny, body: { name: 'x.example', comment: 'q'.repeat(2000) } })).status).toBe(413);
    expect((await call({ pattern: deny, method: 'POST', target: deny, raw: { type: 'application/x-www-form-urlencoded', text: 'name=x' } })).status).toBe(415);
    expect((await call({ pattern: allow, method: 'POST', target: allow, body: ['example.com'] })).status).toBe(400);

    const audit = (await call({ pattern: '/api/v1/audit', method: 'GET', target: '/api/v1/audit?limit=10', token: tokens.read })).body as { items: Array<{ action: string; by: string; target: string }> };
    expect(audit.items.map((a) => a.action)).toEqual(['deny.remove', 'allow.remove', 'deny.add', 'allow.remove', 'allow.add', 'allow.add']);
    expect(audit.items[3]).toMatchObject({ target: 'xn--bcher-kva.example' });
    expect(audit.items.every((a) => a.by === 'admin')).toBe(true);
    expect((await call({ pattern: '/api/v1/audit', method: 'GET', target: `/api/v1/audit?since=${NOW + 7 * 86_400}` })).body).toEqual({ items: [] });
    expect((await call({ pattern: '/api/v1/audit', method: 'GET', target: '/api/v1/audit?limit=1e9' })).status).toBe(400);
  });

  it('answers hostile values of every documented parameter with a documented status, never a 500', async () => {
    const values = ['', '1e9', '-1', '0', '%00', '%22%3Cscript%3E%5C', encodeURIComponent('a\\000b.example'), 'x'.repeat(3000), '9'.repeat(30), 'NaN', '2026-13-45T99:99Z', '%E2%80%AE', 'fn-1', 'acme', '1,2,,3'];
    const doc = (await call({ pattern: '/api/v1/openapi.json', method: 'GET', target: '/api/v1/openapi.json' })).body as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
    let requests = 0;
    for (const o of operations.filter((x) => x.method === 'GET')) {
      for (const param of doc.paths[o.path]!.get!.parameters ?? []) {
        for (const value of values) {
          const target = param.in === 'path' ? targetOf(o.path).replace(/\/(example\.com|fn-1|acme)(\/|$)/, `/${value === '' ? 'x' : value}$2`) : `${targetOf(o.path)}?${param.name}=${value}`;
          const answer = await call({ pattern: o.path, method: 'GET', target, token: tokens.read });
          expect(answer.status, `${target}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
          requests++;
        }
      }
    }
    expect(requests).toBeGreaterThan(300);
  });

  it('answers 408 when a list change body never arrives', async () => {
    for (const o of operations.filter((x) => x.statuses.includes(408))) {
      const answer = await stalledBody(o.method, targetOf(o.path));
      expect(answer.status, `${o.method} ${o.path}`).toBe(408);
      check(o.method, o.path, answer);
    }
  });

  it('shows the customers, one customer day, and its transparency report in three formats', async () => {
    const list = (await call({ pattern: '/api/v1/customers', method: 'GET', target: '/api/v1/customers' })).body as { items: Array<{ id: string; name: string }> };
    expect(list.items.map((c) => c.name)).toEqual(['Acme <Corp> "West"', 'Beta']);
    const p = '/api/v1/customers/{id}';
    const acme = (await call({ pattern: p, method: 'GET', target: '/api/v1/customers/acme' })).body as { totals: { queries: number; blocked: number }; points: unknown[]; top_blocked: Array<{ name: string; count: number }> };
    expect(acme.totals).toEqual({ queries: 500, blocked: 50, logged: 0 });
    expect(acme.points).toHaveLength(24);
    expect(acme.top_blocked.map((t) => `${t.name} ${t.count}`).sort()).toEqual(['login.evil-bank.com 15', 'www.pay.evil-bank.net 15']);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/customers/nobody' })).status).toBe(404);
    expect((await call({ pattern: p, method: 'GET', target: '/api/v1/customers/%00' })).status).toBe(400);
    const r = '/api/v1/customers/{id}/report';
    const json = await call({ pattern: r, method: 'GET', target: `/api/v1/customers/acme/report?since=${NOW - 86_400}&until=${NOW}` });
    expect(json.status).toBe(200);
    expect((json.body as { items: Array<{ name: string; kind: string }> }).items.map((i) => i.name)).toContain('login.evil-bank.com');
    const csv = await call({ pattern: r, method: 'GET', target: '/api/v1/customers/acme/report?format=csv' });
    expect(csv.type).toBe('text/csv');
    expect(csv.text).toContain('login.evil-bank.com');
    const html = await call({ pattern: r, method: 'GET', target: '/api/v1/customers/acme/report?format=html' });
    expect(html.type).toBe('text/html');
    expect(html.text).toContain('Acme &#60;Corp&#62; &#34;West&#34;');
    expect(html.text).not.toContain('<Corp>');
    expect((await call({ pattern: r, method: 'GET', target: '/api/v1/customers/acme/report?format=pdf' })).status).toBe(400);
    expect((await call({ pattern: r, method: 'GET', target: '/api/v1/customers/nobody/report' })).status).toBe(404);
  });

  it('answers 503 where the daemon runs without a store or managed lists', async () => {
    for (const o of operations.filter((x) => x.statuses.includes(503))) {
      const body = o.method === 'POST' ? { name: 'example.com', comment: 'c' } : o.method === 'DELETE' ? { comment: 'c' } : undefined;
      const answer = await call({ pattern: o.path, method: o.method as Call['method'], target: targetOf(o.path), body, on: 'bare' });
      expect(answer.status, `${o.method} ${o.path}`).toBe(503);
    }
  });

  it('throttles an address that presented a bad token (429) on every operation, for every request without a valid token', async () => {
    expect((await call({ pattern: '/api/v1/whoami', method: 'GET', target: '/api/v1/whoami', token: 'not-a-token-of-the-file', on: 'bare' })).status).toBe(401);
    for (const o of operations) {
      const answer = await call({ pattern: o.path, method: o.method as Call['method'], target: targetOf(o.path), token: 'still-not-a-token-of-the-file', on: 'bare' });
      expect(answer.status, `${o.method} ${o.path}`).toBe(429);
    }
  });

  it('exercised every documented path and status', () => {
    expect([...documented].filter((k) => !exercised.has(k)).sort()).toEqual([]);
  });
});

/** Sends the head of a request whose body never comes; resolves to the answer (the listener closes the connection after it). */
function stalledBody(method: string, target: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(mainHttp.port, '127.0.0.1', () => {
      socket.write(`${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${tokens.admin}\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{"na`);
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const type = (/^content-type: *([^;\r]+)/im.exec(head)?.[1] ?? '').trim();
      try {
        resolve({ status, type, text: body, body: JSON.parse(body) as unknown });
      } catch (err) {
        reject(new Error(`${method} ${target}: ${status}: ${(err as Error).message}: ${text.slice(0, 200)}`));
      }
    });
    socket.on('error', reject);
  });
}
