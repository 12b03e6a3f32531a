/** The authentication metrics, in the daemon's registry (declared once per registry, shared by every HTTP surface). */
import { Counter } from 'prom-client';
import { oncePerRegistry } from '../scraped.js';

export type AuthFailure = 'missing' | 'invalid' | 'forbidden' | 'throttled';

export const AUTH_FAILURES: readonly AuthFailure[] = ['missing', 'invalid', 'forbidden', 'throttled'];

/** fluxhound_http_auth_failures_total{reason}. */
export const authFailures = oncePerRegistry((registry) => {
  const counter = new Counter<'reason'>({
    name: 'fluxhound_http_auth_failures_total',
    help: 'HTTP requests refused by authentication: missing (no token, 401), invalid (unknown token, 401), forbidden (role too weak, 403), throttled (too many bad tokens from the client, 429).',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of AUTH_FAILURES) counter.inc({ reason }, 0);
  return counter;
});
