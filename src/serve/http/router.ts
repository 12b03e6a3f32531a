/**
 * The API's route table, compiled once: each pattern ('/api/v1/domains/{name}')
 * split into literal segments and parameters. A request path matches when
 * it has as many segments and every literal is equal; each parameter is the
 * percent-decoded segment (the path is split on its raw '/' first, so an
 * encoded %2F stays inside its parameter: a DNS label may hold a '/'),
 * refused when it does not decode or holds a NUL.
 */
import type { HttpMethod, Route } from './route.js';

interface CompiledRoute {
  route: Route;
  /** Literal segments as text; parameters as {param: name}. */
  segments: Array<string | { param: string }>;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  /** The path exists, not with this method. */
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' }
  /** The path fits a route's pattern but a parameter is refused. */
  | { kind: 'bad-param'; route: Route; message: string };

export class Router {
  private readonly routes: CompiledRoute[];


  constructor(routes: readonly Route[]) {
    // Fewer parameters first: '/api/v1/networks/summary' wins over '/api/v1/networks/{id}' whatever their order.
    const params = (c: CompiledRoute): number => c.segments.filter((s) => typeof s !== 'string').length;
    this.routes = routes.map((route) => ({
      route,
      segments: route.path
        .split('/')
        .slice(1)
        .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : s)),
    }));
    this.routes.sort((a, b) => params(a) - params(b));
  }

  get size(): number {
    return this.routes.length;
  }

  /** The route for `method` (HEAD finds GET) on `rawPath` (not yet decoded, without the query). */
  match(method: string, rawPath: string): RouteMatch {
    const segments = rawPath.split('/').slice(1);
    const want = method === 'HEAD' ? 'GET' : method;
    const allow = new Set<HttpMethod>();
    let badParam: { route: Route; message: string } | null = null;
    for (const compiled of this.routes) {
      const params = matchSegments(compiled.segments, segments);
      if (params === null) continue;
      if (typeof params === 'string') {
        badParam ??= { route: compiled.route, message: params };
        continue;
      }
      if (compiled.route.method === want) return { kind: 'found', route: compiled.route, params };
      allow.add(compiled.route.method);
    }
    if (allow.size > 0) {
      const methods: string[] = [...allow];
      if (allow.has('GET')) methods.push('HEAD');
      return { kind: 'method', allow: methods };
    }
    return badParam === null ? { kind: 'none' } : { kind: 'bad-param', ...badParam };
  }
}

/** The parameters, null when the path does not fit, or a string saying why a parameter is refused. */
function matchSegments(pattern: CompiledRoute['segments'], segments: string[]): Record<string, string> | null | string {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (typeof want === 'string') {
      if (want !== got) return null;
      continue;
    }
    if (got === '') return null;
    let value: string;
    try {
      value = decodeURIComponent(got);
    } catch {
      return `path parameter ${want.param} is not valid percent-encoding`;
    }
    if (value.includes('\0')) return `path parameter ${want.param} may not hold a NUL`;
    params[want.param] = value;
  }
  return params;
}
