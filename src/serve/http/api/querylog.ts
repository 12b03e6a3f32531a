/** GET /api/v1/querylog: the query log from the store, newest first, filtered and paged by cursor. */
import { QUERY_ACTIONS } from '../../../model/query-log.js';
import type { QueryLogFilter } from '../../../store/store.js';
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';
import { needReader } from './common.js';
import { LIMITS } from './openapi.js';
import { client, integer, optionalName, ParamError, single, someOf, text, timeRange } from './params.js';

const CURSOR = /^[A-Za-z0-9._:~+/=-]{1,512}$/;

export function queryLogRoutes(context: ServeContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/querylog',
      role: 'read',
      handle: async (request) => {
        const query = request.query;
        const filter: QueryLogFilter = {};
        const address = client(query, 'client');
        if (address !== null) filter.client = address;
        const customer = text(query, 'customer', 64);
        if (customer !== null) filter.customer = customer;
        const name = optionalName(query, 'name');
        if (name !== null) filter.name = name;
        const actions = someOf(query, 'action', QUERY_ACTIONS);
        if (actions !== null) filter.actions = actions;
        const range = timeRange(query, { since: -Infinity, until: Infinity });
        if (Number.isFinite(range.since)) filter.since = range.since;
        if (Number.isFinite(range.until)) filter.until = range.until;
        const limit = integer(query, 'limit', LIMITS.querylog.fallback, 1, LIMITS.querylog.max);
        const cursor = single(query, 'cursor');
        if (cursor !== null && !CURSOR.test(cursor)) throw new ParamError('cursor', 'not a cursor this API gave');
        const store = needReader(context);
        let page;
        try {
          page = await store.queryLog(filter, limit, cursor);
        } catch (err) {
          // The store refuses a cursor it did not make (its text is opaque to the API).
          if (cursor !== null) throw new ParamError('cursor', 'not a cursor this API gave');
          throw err;
        }
        return { status: 200, body: { items: page.entries, next: page.next } };
      },
    },
  ];
}
