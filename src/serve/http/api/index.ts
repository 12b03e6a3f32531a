/**
 * The JSON API under /api/v1/: ISSUE 14 CONTRACT PLACEHOLDER, the API engineer replaces it with the routes
 * and the OpenAPI 3.1 document (src/serve/http/api/openapi.ts).
 */
import type { ServeContext } from '../../service.js';
import type { Route } from '../route.js';

export function apiRoutes(context: ServeContext): Route[] {
  void context;
  return [];
}
