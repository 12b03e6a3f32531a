/** GET /api/v1/audit: who changed the lists, when and why, newest first. */
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';
import { needReader } from './common.js';
import { LIMITS } from './openapi.js';
import { integer, time } from './params.js';

export function auditRoutes(context: ServeContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/audit',
      role: 'read',
      handle: async (request) => {
        const since = time(request.query, 'since', 0);
        const limit = integer(request.query, 'limit', LIMITS.audit.fallback, 1, LIMITS.audit.max);
        const items = context.lists !== null ? await context.lists.audit(since, limit) : await needReader(context).audit(since, limit);
        return { status: 200, body: { items } };
      },
    },
  ];
}
