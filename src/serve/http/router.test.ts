import { describe, expect, it } from 'vitest';
import { Router } from './router.js';
import type { HttpMethod, Route } from './route.js';

const route = (method: HttpMethod, path: string): Route => ({ method, path, role: 'read', handle: () => ({ status: 200, body: null }) });
const router = new Router([
  route('GET', '/api/v1/networks/{id}'),
  route('GET', '/api/v1/networks/summary'),
  route('GET', '/api/v1/customers/{id}'),
  route('GET', '/api/v1/customers/{id}/report'),
  route('POST', '/api/v1/allowlist'),
  route('DELETE', '/api/v1/allowlist/{name}'),
]);

describe('the API router', () => {
  it.each([
    ['GET', '/api/v1/networks/summary', '/api/v1/networks/summary', {}],
    ['GET', '/api/v1/networks/n-1', '/api/v1/networks/{id}', { id: 'n-1' }],
    ['HEAD', '/api/v1/customers/acme', '/api/v1/customers/{id}', { id: 'acme' }],
    ['GET', '/api/v1/customers/a%20b/report', '/api/v1/customers/{id}/report', { id: 'a b' }],
    ['DELETE', '/api/v1/allowlist/%5C.x', '/api/v1/allowlist/{name}', { name: '\\.x' }],
  ])('%s %s → %s', (method, path, pattern, params) => {
    expect(router.match(method, path)).toMatchObject({ kind: 'found', route: { path: pattern }, params });
  });

  it.each([
    ['GET', '/api/v1/customers/'],
    ['GET', '/api/v1/customers/acme/'],
    ['GET', '/api/v1/customers'],
    ['GET', '/api/v2/customers/acme'],
  ])('%s %s matches nothing', (method, path) => expect(router.match(method, path)).toEqual({ kind: 'none' }));

  it('names the methods a path has', () => {
    expect(router.match('GET', '/api/v1/allowlist')).toEqual({ kind: 'method', allow: ['POST'] });
    expect(router.match('POST', '/api/v1/networks/x')).toEqual({ kind: 'method', allow: ['GET', 'HEAD'] });
  });

  it('refuses a parameter that decodes to a / or a NUL, or does not decode', () => {
    expect(router.match('GET', '/api/v1/customers/a%00b')).toMatchObject({ kind: 'bad-param', route: { path: '/api/v1/customers/{id}' }, message: 'path parameter id may not hold a NUL' });
    // A DNS label may hold '/': split on the raw path first, an encoded one stays inside its parameter.
    expect(router.match('GET', '/api/v1/customers/a%2fb')).toMatchObject({ kind: 'found', params: { id: 'a/b' } });
    expect(router.match('GET', '/api/v1/customers/%00')).toMatchObject({ kind: 'bad-param' });
    expect(router.match('GET', '/api/v1/customers/%ZZ')).toMatchObject({ kind: 'bad-param', message: 'path parameter id is not valid percent-encoding' });
  });
});
