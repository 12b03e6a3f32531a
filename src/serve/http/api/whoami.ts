/** GET /api/v1/whoami: the name and role of the token presented (the console shows who is logged in). */
import type { Route } from '../route.js';

export function whoamiRoutes(): Route[] {
  return [{ method: 'GET', path: '/api/v1/whoami', role: 'read', handle: (request) => ({ status: 200, body: { name: request.principal.name, role: request.principal.role } }) }];
}
