/**
 * The JSON API under /api/v1/: one table of routes, each with the least
 * role that may call it (the listener checks tokens and roles), described by
 * the OpenAPI 3.1 document of openapi.ts, which GET /api/v1/openapi.json
 * serves. Every handler's bad parameter becomes 400 {error} naming it, a
 * missing store 503 {error}; both are counted.
 */
import type { ServeContext } from '../../service.js';
import { apiError, type ApiRequest, type ApiResult, type Route } from '../route.js';
import { auditRoutes } from './audit.js';
import { Unavailable } from './common.js';
import { customerRoutes } from './customers.js';
import { domainRoutes } from './domains.js';
import { exposureRoutes } from './exposures.js';
import { flaggedRoutes } from './flagged.js';
import { listRoutes } from './lists.js';
import { apiMetrics } from './metrics.js';
import { networkRoutes } from './networks.js';
import { openApiDocument } from './openapi.js';
import { overviewRoutes } from './overview.js';
import { ParamError } from './params.js';
import { queryLogRoutes } from './querylog.js';
import { statsRoutes } from './stats.js';
import { whoamiRoutes } from './whoami.js';

export function apiRoutes(context: ServeContext): Route[] {
  const metrics = apiMetrics(context.registry);
  const routes: Route[] = [
    { method: 'GET', path: '/api/v1/openapi.json', role: 'read', handle: () => ({ status: 200, body: openApiDocument() }) },
    ...whoamiRoutes(),
    ...overviewRoutes(context, Date.now()),
    ...flaggedRoutes(context),
    ...domainRoutes(context),
    ...networkRoutes(context),
    ...queryLogRoutes(context),
    ...exposureRoutes(context),
    ...statsRoutes(context),
    ...listRoutes(context),
    ...auditRoutes(context),
    ...customerRoutes(context),
  ];
  return routes.map((route) => ({ ...route, handle: (request: ApiRequest) => answer(route, request, metrics) }));
}

async function answer(route: Route, request: ApiRequest, metrics: ReturnType<typeof apiMetrics>): Promise<ApiResult> {
  let result: ApiResult;
  try {
    result = await route.handle(request);
  } catch (err) {
    if (err instanceof ParamError) {
      metrics.refused.inc({ parameter: err.parameter.split('.')[0]!.slice(0, 32) });
      result = apiError(400, err.message);
    } else if (err instanceof Unavailable) {
      result = apiError(503, err.message);
    } else {
      throw err;
    }
  }
  metrics.requests.inc({ route: `${route.method} ${route.path}`, status: String(result.status) });
  return result;
}
