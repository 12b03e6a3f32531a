/**
 * GET /api/v1/customers, /api/v1/customers/{id} (the last 24 hours: totals,
 * hourly points, the names blocked most) and /api/v1/customers/{id}/report
 * (the transparency report of src/serve/reports).
 */
import type { Customer } from '../../../act/customers.js';
import { QUERY_ACTIONS, isBlockAction } from '../../../model/query-log.js';
import type { ServeContext } from '../../service.js';
import { apiError, type ApiRequest, type ApiResult, type Route } from '../route.js';
import { buildReportYielding, renderReport } from '../../reports/index.js';
import { needReader, nowSeconds } from './common.js';
import { REPORT_FORMATS } from './openapi.js';
import { oneOf, timeRange } from './params.js';

const BLOCK_ACTIONS = QUERY_ACTIONS.filter(isBlockAction);
/** top_blocked counts names among this many of the customer's latest blocked queries. */
export const TOP_BLOCKED_SCAN = 1000;
export const TOP_BLOCKED = 10;

export function customerRoutes(context: ServeContext): Route[] {
  return [
    { method: 'GET', path: '/api/v1/customers', role: 'read', handle: () => ({ status: 200, body: { items: context.customers.customers.map(customerJson) } }) },
    { method: 'GET', path: '/api/v1/customers/{id}', role: 'read', handle: async (request) => detail(context, request) },
    { method: 'GET', path: '/api/v1/customers/{id}/report', role: 'read', handle: async (request) => report(context, request) },
  ];
}

function customerJson(c: Customer): Record<string, unknown> {
  return { id: c.id, name: c.name, contact: c.contact, networks: c.networks };
}

async function detail(context: ServeContext, request: ApiRequest): Promise<ApiResult> {
  const customer = context.customers.get(request.params.id ?? '');
  if (customer === null) return apiError(404, 'no such customer');
  const store = needReader(context);
  const now = nowSeconds();
  // 24 whole hours, the current one last.
  const until = Math.floor(now / 3600) * 3600 + 3600;
  const since = until - 86_400;
  const points = await store.stats({ since, until, step: 3600, customer: customer.id });
  const totals = { queries: 0, blocked: 0, logged: 0 };
  for (const p of points) {
    totals.queries += p.queries;
    totals.blocked += p.blocked;
    totals.logged += p.logged;
  }
  const counts = new Map<string, { name: string; domain: string | null; count: number; last: number }>();
  for (const e of (await store.queryLog({ customer: customer.id, actions: BLOCK_ACTIONS, since: now - 86_400 }, TOP_BLOCKED_SCAN)).entries) {
    const seen = counts.get(e.name);
    if (seen === undefined) counts.set(e.name, { name: e.name, domain: e.domain, count: 1, last: e.ts });
    else {
      seen.count++;
      if (e.ts > seen.last) seen.last = e.ts;
    }
  }
  const topBlocked = [...counts.values()].sort((a, b) => b.count - a.count || b.last - a.last).slice(0, TOP_BLOCKED);
  return { status: 200, body: { customer: customerJson(customer), totals, points, top_blocked: topBlocked } };
}

/** Built a query-log page at a time with a turn of the event loop between, so a long period never stalls the daemon. */
async function report(context: ServeContext, request: ApiRequest): Promise<ApiResult> {
  const customer = context.customers.get(request.params.id ?? '');
  if (customer === null) return apiError(404, 'no such customer');
  const now = nowSeconds();
  const range = timeRange(request.query, { since: now - 7 * 86_400, until: now });
  const format = oneOf(request.query, 'format', REPORT_FORMATS, 'json');
  const store = needReader(context);
  const built = await buildReportYielding(store, customer, range, new Date(now * 1000));
  return format === 'json' ? { status: 200, body: built } : { status: 200, body: null, raw: renderReport(built, format) };
}
