/** GET /api/v1/overview: what the daemon holds, and whether it can do its job (the console's first page). */
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';

export function overviewRoutes(context: ServeContext, startedAt: number): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/overview',
      role: 'read',
      handle: () => {
        const reasons = context.health?.() ?? [];
        return {
          status: 200,
          body: {
            uptime_seconds: Math.max(0, Math.round((Date.now() - startedAt) / 1000)),
            flagged_domains: context.flagged.size,
            tracked_domains: context.detector.tracked,
            observations: context.detector.stats.observations,
            networks: context.detector.networks.summaries().length,
            customers: context.customers.size,
            health: { status: reasons.length === 0 ? 'ok' : 'unhealthy', reasons },
          },
        };
      },
    },
  ];
}
