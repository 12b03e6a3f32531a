/**
 * The API's handlers called directly (route.handle with ApiRequest objects)
 * on a real in-process daemon fed fast-flux lookups; the listener, tokens
 * and the store are exercised end to end by test/api-contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { aResponse, bot, T0 } from '../../../../test/helpers/observations.js';
import { octetEnricher } from '../../../../test/helpers/octet-enricher.js';
import { quietDaemon } from '../../../../test/support/quiet-daemon.js';
import { defaultConfig } from '../../../config/schema.js';
import type { ApiRequest, ApiResult, HttpMethod, Role, Route } from '../route.js';
import { apiRoutes } from './index.js';
import { documentedOperations } from './openapi.js';
import { schemaValidator } from './validate.js';

const config = defaultConfig();
config.customers = [{ id: 'acme', name: 'Acme <Corp>', contact: 'noc@acme.example', networks: ['192.0.2.0/24'] }];
config.policy.allowlist = ['good.example'];
const daemon = quietDaemon(config, { enricher: octetEnricher });
const routes = apiRoutes(daemon.context);
for (const name of ['login.evil-bank.com', 'pay.evil-bank.net', 'cdn.other-flux.org']) {
  const salt = name.length * 100;
  for (let lookup = 0; lookup < 12; lookup++) daemon.context.observations.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(salt + lookup * 5 + k)), 120));
}

function matches(route: Route, method: HttpMethod, path: string): Record<string, string> | null {
  if (route.method !== method) return null;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith('{')) params[w.slice(1, -1)] = decodeURIComponent(got[i]!);
    else if (w !== got[i]) return null;
  }
  return params;
}

async function call(method: HttpMethod, target: string, body?: unknown, role: Role = 'admin'): Promise<ApiResult> {
  const [path, search] = target.split('?') as [string, string | undefined];
  for (const route of routes) {
    const params = matches(route, method, path);
    if (params === null) continue;
    const request: ApiRequest = { method, path, params, query: new URLSearchParams(search ?? ''), body, principal: { name: 'ops-alice', role } };
    const result = await route.handle(request);
    // Every answer has the shape the document gives it.
    const op = documentedOperations().find((o) => o.method === method && o.path === route.path)!;
    expect(op.statuses, `${method} ${route.path}`).toContain(result.status);
    return result;
  }
  throw new Error(`no route for ${method} ${path}`);
}

function valid(schema: string, body: unknown): void {
  const validate = schemaValidator(schema);
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

describe('API routes', () => {
  it('has exactly the documented routes, each with its documented role', () => {
    const documented = documentedOperations().map((o) => `${o.method} ${o.path} ${o.role}`).sort();
    expect(routes.map((r) => `${r.method} ${r.path} ${r.role}`).sort()).toEqual(documented);
  });

  it('lists the flagged domains with their reasons, filtered, sorted and paged', async () => {
    expect(daemon.context.flagged.size).toBe(3);
    const all = await call('GET', '/api/v1/flagged');
    valid('FlaggedPage', all.body);
    const page = all.body as { total: number; items: Array<{ domain: string; score: number; reasons: string[]; rule: string }> };
    expect(page.total).toBe(3);
    expect(page.items.map((i) => i.score)).toEqual([...page.items.map((i) => i.score)].sort((a, b) => b - a));
    expect(page.items[0]!.reasons.length).toBeGreaterThan(1);
    expect(page.items[0]!.rule).toBe('verdict');
    const q = (await call('GET', '/api/v1/flagged?q=EVIL-bank&limit=1&offset=1')).body as typeof page;
    expect(q.total).toBe(2);
    expect(q.items).toHaveLength(1);
    expect(q.items[0]!.domain).toMatch(/evil-bank/);
    expect(((await call('GET', '/api/v1/flagged?verdict=suspicious')).body as typeof page).total).toBe(0);
    expect(((await call('GET', '/api/v1/flagged?sort=last_seen&flux=single')).body as typeof page).total).toBe(3);
  });

  it.each([
    ['/api/v1/flagged?limit=1e9', 'limit: "1e9" is not a whole number'],
    ['/api/v1/flagged?limit=501', 'limit: must be between 1 and 500'],
    ['/api/v1/flagged?sort=name', 'sort: "name" is not one of score, last_seen'],
    ['/api/v1/flagged?network=<x>', "network: not a network id ('fn-3')"],
    ['/api/v1/querylog?action=nxdomain,explode', 'action: "explode" is not one of nxdomain, nodata, drop, sinkhole, log, pass, exposed'],
    ['/api/v1/querylog?since=200&until=100', 'since: is after until'],
    ['/api/v1/querylog?cursor=%00%01', 'cursor: not a cursor this API gave'],
    ['/api/v1/querylog?name=a..b', 'name: "a..b" is not a domain name'],
    ['/api/v1/stats?step=90', 'step: must be a multiple of 60 seconds'],
    ['/api/v1/stats?since=0&until=86400000&step=60', 'step: too small for the range: at most 10000 points'],
    ['/api/v1/audit?limit=0', 'limit: must be between 1 and 1000'],
    ['/api/v1/networks/fn-0', "id: not a network id ('fn-3')"],
    ['/api/v1/customers/acme/report?format=pdf', 'format: "pdf" is not one of json, csv, html'],
  ])('answers GET %s with 400 naming the parameter', async (target, error) => {
    const result = await call('GET', target);
    expect(result).toEqual({ status: 400, body: { error } });
    valid('Error', result.body);
  });

  it('counts what it refuses, by parameter, and what it answers, by route and status', async () => {
    const value = async (line: RegExp): Promise<number> => Number(line.exec(await daemon.context.registry.metrics())?.[1] ?? 0);
    const refused = /^fluxhound_api_refused_total\{parameter="limit"\} (\d+)$/m;
    const answered = /^fluxhound_api_requests_total\{route="GET \/api\/v1\/flagged",status="400"\} (\d+)$/m;
    const before = [await value(refused), await value(answered)];
    await call('GET', '/api/v1/flagged?limit=0');
    expect([await value(refused), await value(answered)]).toEqual([before[0]! + 1, before[1]! + 1]);
  });

  it('shows one domain: blocked by which flagged domain, its live verdict, and 404 for a name nobody saw', async () => {
    const one = await call('GET', '/api/v1/domains/LOGIN.Evil-Bank.com.');
    expect(one.status).toBe(200);
    valid('DomainDetail', one.body);
    expect(one.body).toMatchObject({ name: 'login.evil-bank.com', blocked: true, blocked_by: 'login.evil-bank.com', allowlisted: false, denylisted: null, history: [], passive_dns: [] });
    expect((one.body as { verdict: { verdict: string } }).verdict.verdict).toBe('fast-flux');
    // A name under the blocked zone is blocked by it, and known for that alone.
    expect((await call('GET', '/api/v1/domains/www.evil-bank.com')).body).toMatchObject({ blocked: true, blocked_by: 'login.evil-bank.com', verdict: null });
    expect((await call('GET', '/api/v1/domains/mail.good.example')).body).toMatchObject({ allowlisted: true, blocked: false });
    expect(await call('GET', '/api/v1/domains/never-seen.example')).toEqual({ status: 404, body: { error: 'nothing is known about this name' } });
  });

  it('answers hostile names with a clean 400 or 404, echoing them only as JSON strings', async () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect((await call('GET', `/api/v1/domains/${long}`)).status).toBe(404);
    expect((await call('GET', `/api/v1/domains/${long}x`)).status).toBe(400);
    expect((await call('GET', `/api/v1/domains/${encodeURIComponent('a"<b>\\\\000.example')}`)).status).toBe(404);
    // A NUL or a quote is a byte like any other in DNS: written \000 and \034 by the one rule, known or not.
    expect((await call('GET', `/api/v1/domains/${encodeURIComponent('a\u0000"<b>.example')}`)).status).toBe(404);
    // ...and counts four characters toward the label's 63.
    const over = await call('GET', `/api/v1/domains/${encodeURIComponent(`${'a'.repeat(60)}"`)}.example`);
    expect(over).toEqual({ status: 400, body: { error: `name: "${'a'.repeat(40)}..." is not a domain name` } });
  });

  it('shows the flux networks and one network with its domains, addresses (ASN, country) and edges', async () => {
    const list = await call('GET', '/api/v1/networks');
    valid('NetworkList', list.body);
    const items = (list.body as { items: Array<{ id: string; domains: number }> }).items;
    expect(items.length).toBeGreaterThan(0);
    const net = await call('GET', `/api/v1/networks/${items[0]!.id}`);
    valid('NetworkDetail', net.body);
    const detail = net.body as { id: string; domains: string[]; addresses: Array<{ address: string; asn: number | null; country: string | null }>; edges: Array<{ domain: string; address: string }> };
    expect(detail.id).toBe(items[0]!.id);
    expect(detail.domains).toHaveLength(items[0]!.domains);
    expect(detail.addresses.length).toBeGreaterThanOrEqual(60);
    expect(detail.addresses.every((a) => a.asn !== null && a.country !== null)).toBe(true);
    const addresses = new Set(detail.addresses.map((a) => a.address));
    expect(detail.edges.length).toBeGreaterThanOrEqual(60);
    for (const e of detail.edges) {
      expect(detail.domains).toContain(e.domain);
      expect(addresses.has(e.address)).toBe(true);
    }
    expect(await call('GET', '/api/v1/networks/fn-999')).toEqual({ status: 404, body: { error: 'no flux network fn-999' } });
  });

  it('says who is calling, what the daemon holds, the customers and the document', async () => {
    expect((await call('GET', '/api/v1/whoami', undefined, 'read')).body).toEqual({ name: 'ops-alice', role: 'read' });
    const overview = await call('GET', '/api/v1/overview');
    valid('Overview', overview.body);
    expect(overview.body).toMatchObject({ flagged_domains: 3, customers: 1, observations: 36, health: { status: 'ok', reasons: [] } });
    const customers = await call('GET', '/api/v1/customers');
    valid('CustomerList', customers.body);
    expect(customers.body).toEqual({ items: [{ id: 'acme', name: 'Acme <Corp>', contact: 'noc@acme.example', networks: ['192.0.2.0/24'] }] });
    expect((await call('GET', '/api/v1/customers/nobody')).status).toBe(404);
    expect((await call('GET', '/api/v1/customers/nobody/report')).status).toBe(404);
    const doc = await call('GET', '/api/v1/openapi.json');
    expect(doc.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/' }], security: [{ bearer: [] }] });
  });

  it('answers 503 where it needs a store or managed lists the daemon does not have', async () => {
    for (const target of ['/api/v1/querylog', '/api/v1/stats', '/api/v1/audit', '/api/v1/allowlist', '/api/v1/blocklist', '/api/v1/customers/acme']) {
      const result = await call('GET', target);
      expect(result.status, target).toBe(503);
      valid('Error', result.body);
    }
    expect((await call('POST', '/api/v1/allowlist', { name: 'example.com', comment: 'ours' })).status).toBe(503);
  });

  it('reads an internationalised name as the A-labels it is asked by', async () => {
    const one = await call('GET', `/api/v1/domains/${encodeURIComponent('bücher.evil-bank.com')}`);
    expect(one.body).toMatchObject({ name: 'xn--bcher-kva.evil-bank.com', blocked: true });
  });

  it('checks list bodies against the document before anything else', async () => {
    expect(await call('POST', '/api/v1/allowlist', { name: 'example.com' })).toEqual({ status: 400, body: { error: 'body: comment is missing' } });
    expect(await call('POST', '/api/v1/blocklist', { name: 'x..y', comment: 'c' })).toEqual({ status: 400, body: { error: 'name: deny: "x..y" is not a domain name' } });
    expect(await call('DELETE', '/api/v1/blocklist/example.com', { comment: 5 })).toEqual({ status: 400, body: { error: 'comment: must be string' } });
  });
});
