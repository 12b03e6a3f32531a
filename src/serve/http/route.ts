/**
 * The contract between the HTTP listener (authentication, TLS, the
 * governor, body limits, JSON) and what it serves: the JSON API under
 * /api/v1/ is a table of routes, each with the least role that may call it.
 * The listener authenticates the token, checks the role (401 / 403), parses
 * the JSON body, matches the path and hands the route a typed request.
 */

/** Roles, weakest first: read (look), write (submit data another surface takes in), admin (change what is blocked). */
export type Role = 'read' | 'write' | 'admin';

export const ROLES: readonly Role[] = ['read', 'write', 'admin'];

/** Whether `held` may do what `needed` allows. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** Who is calling: the NAME and ROLE of the token presented. */
export interface Principal {
  name: string;
  role: Role;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  /** The path as requested, decoded ('/api/v1/domains/example.com'). */
  path: string;
  /** Path parameters by their name in the route's pattern ({name} → params.name), percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when there is none. */
  body: unknown;
  principal: Principal;
}

export interface ApiResult {
  status: number;
  /** Sent as JSON unless `raw` is set. */
  body: unknown;
  /** A body sent as is (a CSV or HTML report) with this content type. */
  raw?: { type: string; text: string };
  headers?: Record<string, string>;
}

export interface Route {
  method: HttpMethod;
  /** Path pattern with {parameters}, as in the OpenAPI document: '/api/v1/domains/{name}'. */
  path: string;
  /** The least role that may call it. */
  role: Role;
  handle(request: ApiRequest): ApiResult | Promise<ApiResult>;
}

/** A JSON error body, the one shape every error response has. */
export function apiError(status: number, message: string): ApiResult {
  return { status, body: { error: message } };
}
