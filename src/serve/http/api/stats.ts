/** GET /api/v1/stats: queries, blocks, policy-log answers and flags over time, from the store. */
import type { StatsQuery } from '../../../store/store.js';
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';
import { needReader, nowSeconds } from './common.js';
import { LIMITS } from './openapi.js';
import { integer, ParamError, text, timeRange } from './params.js';

/** Points of the default series (a day in 15-minute steps). */
const DEFAULT_POINTS = 96;

export function statsRoutes(context: ServeContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/stats',
      role: 'read',
      handle: async (request) => {
        const now = nowSeconds();
        const range = timeRange(request.query, { since: now - 86_400, until: now });
        // The store counts per minute: the range covers whole minutes.
        const since = Math.floor(range.since / 60) * 60;
        const until = Math.max(since + 60, Math.ceil(range.until / 60) * 60);
        const fallback = Math.max(60, Math.ceil((range.until - range.since) / DEFAULT_POINTS / 60) * 60);
        const step = integer(request.query, 'step', fallback, 60, 366 * 86_400);
        if (step % 60 !== 0) throw new ParamError('step', 'must be a multiple of 60 seconds');
        if ((until - since) / step > LIMITS.points) throw new ParamError('step', `too small for the range: at most ${LIMITS.points} points`);
        const customer = text(request.query, 'customer', 64);
        const stats: StatsQuery = { since, until, step };
        if (customer !== null) stats.customer = customer;
        return { status: 200, body: { step, points: await needReader(context).stats(stats) } };
      },
    },
  ];
}
