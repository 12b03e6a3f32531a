/**
 * GET /api/v1/exposures: the flow exposures the store keeps (clients that
 * exchanged traffic with an address of a flagged name or a flux network,
 * from NetFlow/IPFIX, conn.log or eve flows), most recent first, filtered
 * and paged by cursor. GET /api/v1/fan-out: the hosts that contacted
 * numerous distinct addresses in a short window, newest first.
 */
import type { ExposureFilter, FanOutFilter } from '../../../store/store.js';
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';
import { needReader } from './common.js';
import { LIMITS } from './openapi.js';
import { client, integer, oneOf, optionalName, ParamError, single, text, timeRange } from './params.js';

const CURSOR = /^[A-Za-z0-9._:~+/=-]{1,512}$/;

export function exposureRoutes(context: ServeContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/exposures',
      role: 'read',
      handle: async (request) => {
        const query = request.query;
        const filter: ExposureFilter = {};
        const address = client(query, 'client');
        if (address !== null) filter.client = address;
        const customer = text(query, 'customer', 64);
        if (customer !== null) filter.customer = customer;
        const domain = optionalName(query, 'domain');
        if (domain !== null) filter.domain = domain;
        const bypass = oneOf(query, 'bypass', ['true', 'false'] as const, null);
        if (bypass !== null) filter.bypass = bypass === 'true';
        const range = timeRange(query, { since: -Infinity, until: Infinity });
        if (Number.isFinite(range.since)) filter.since = range.since;
        if (Number.isFinite(range.until)) filter.until = range.until;
        const limit = integer(query, 'limit', LIMITS.exposures.fallback, 1, LIMITS.exposures.max);
        const cursor = single(query, 'cursor');
        if (cursor !== null && !CURSOR.test(cursor)) throw new ParamError('cursor', 'not a cursor this API gave');
        const store = needReader(context);
        let page;
        try {
          page = await store.exposures(filter, limit, cursor);
        } catch (err) {
          // The store refuses a cursor it did not make (its text is opaque to the API).
          if (cursor !== null) throw new ParamError('cursor', 'not a cursor this API gave');
          throw err;
        }
        return { status: 200, body: { items: page.items, next: page.next } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/fan-out',
      role: 'read',
      handle: async (request) => {
        const query = request.query;
        const filter: FanOutFilter = {};
        const host = client(query, 'host');
        if (host !== null) filter.host = host;
        const customer = text(query, 'customer', 64);
        if (customer !== null) filter.customer = customer;
        const range = timeRange(query, { since: -Infinity, until: Infinity });
        if (Number.isFinite(range.since)) filter.since = range.since;
        if (Number.isFinite(range.until)) filter.until = range.until;
        const limit = integer(query, 'limit', LIMITS.fanOut.fallback, 1, LIMITS.fanOut.max);
        return { status: 200, body: { items: await needReader(context).fanOuts(filter, limit) } };
      },
    },
  ];
}
