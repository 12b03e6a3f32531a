import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Authenticator, AuthThrottle, bearerToken, parseTokens } from './index.js';

const READ = 'r'.repeat(20);
const ADMIN = 'A'.repeat(20);
const table = parseTokens(`${READ} read grafana\n${ADMIN} admin alice\n`, 'f');

async function failures(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('fluxhound_http_auth_failures_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.reason), v.value]));
}

describe('bearer tokens', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('%j → %j', (header, token) => expect(bearerToken(header)).toBe(token));
});

describe('the authenticator', () => {
  it('admits a token whose role allows what is needed; 401 missing/invalid, 403 forbidden, every refusal counted', async () => {
    const registry = new Registry();
    const auth = new Authenticator(table, registry);
    expect(auth.authenticate(`Bearer ${READ}`, '192.0.2.1', 'read')).toEqual({ ok: true, principal: { name: 'grafana', role: 'read' } });
    expect(auth.authenticate(`Bearer ${ADMIN}`, '192.0.2.1', 'write')).toEqual({ ok: true, principal: { name: 'alice', role: 'admin' } });
    expect(auth.authenticate(undefined, '192.0.2.1', 'read')).toMatchObject({ ok: false, status: 401, reason: 'missing', headers: { 'www-authenticate': 'Bearer realm="fluxhound"' } });
    expect(auth.authenticate(`Bearer ${READ}x`, '192.0.2.1', 'read')).toMatchObject({ ok: false, status: 401, reason: 'invalid' });
    expect(auth.authenticate(`Basic ${READ}`, '192.0.2.1', 'read')).toMatchObject({ ok: false, status: 401, reason: 'invalid' });
    expect(auth.authenticate(`Bearer ${READ}`, '192.0.2.1', 'admin')).toMatchObject({ ok: false, status: 403, reason: 'forbidden', message: 'this needs the admin role; grafana holds read' });
    expect(await failures(registry)).toEqual({ missing: 1, invalid: 2, forbidden: 1, throttled: 0 });
  });

  it('throttles a client after repeated bad tokens; a good token still passes (no lock-out); others are unaffected', async () => {
    const registry = new Registry();
    const auth = new Authenticator(table, registry, new AuthThrottle({ maxFailures: 5, windowMs: 60_000, maxClients: 100 }));
    for (let i = 0; i < 5; i++) expect(auth.authenticate(`Bearer guess${i}guessguessguess`, '203.0.113.9', 'read')).toMatchObject({ status: 401 });
    const held = auth.authenticate('Bearer guess9guessguessguess', '203.0.113.9', 'read');
    expect(held).toMatchObject({ ok: false, status: 429, reason: 'throttled', headers: { 'retry-after': '60' } });
    expect(auth.authenticate(undefined, '203.0.113.9', 'read')).toMatchObject({ status: 429 });
    expect(auth.authenticate(`Bearer ${ADMIN}`, '203.0.113.9', 'read').ok).toBe(true);
    expect(auth.authenticate(`Bearer ${READ}`, '203.0.113.10', 'read').ok).toBe(true);
    // Missing tokens are not guesses: a browser before login is never throttled.
    for (let i = 0; i < 20; i++) auth.authenticate(undefined, '203.0.113.11', 'read');
    expect(auth.authenticate(`Bearer ${READ}`, '203.0.113.11', 'read').ok).toBe(true);
    expect(await failures(registry)).toEqual({ missing: 20, invalid: 5, forbidden: 0, throttled: 2 });
  });

  it('replaces its tokens at once (SIGHUP)', () => {
    const auth = new Authenticator(table, new Registry());
    auth.replace(parseTokens(`${'n'.repeat(16)} read newcomer\n`, 'g'));
    expect(auth.authenticate(`Bearer ${READ}`, '192.0.2.1', 'read').ok).toBe(false);
    expect(auth.authenticate(`Bearer ${'n'.repeat(16)}`, '192.0.2.1', 'read')).toEqual({ ok: true, principal: { name: 'newcomer', role: 'read' } });
  });
});
