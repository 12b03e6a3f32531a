/**
 * The one authentication every HTTP surface of fluxhound uses (the console's
 * API, /metrics and /health; the TAXII server (serve/taxii) and the DoH listener to come): a bearer
 * token from the token file, its role checked against the least role the
 * request needs, bad tokens throttled per client and every refusal counted.
 * The block page is the one deliberate exception: the blocked person's
 * browser holds no token (src/serve/block-page/README.md).
 */
import type { Registry } from 'prom-client';
import { roleAllows, type Principal, type Role } from '../http/route.js';
import { authFailures, type AuthFailure } from './metrics.js';
import { AuthThrottle } from './throttle.js';
import type { TokenTable } from './tokens.js';

export { parseTokens, readTokenFile, tokenDigest, TokenTable, MIN_TOKEN_LENGTH, MAX_TOKEN_FILE_BYTES, type TokenFile } from './tokens.js';
export { AuthThrottle, DEFAULT_THROTTLE, throttleKey, type ThrottleOptions } from './throttle.js';
export { authFailures, AUTH_FAILURES, type AuthFailure } from './metrics.js';

/** The realm of every WWW-Authenticate challenge. */
export const AUTH_REALM = 'fluxhound';

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      status: 401 | 403 | 429;
      reason: AuthFailure;
      /** One line for the JSON {error} body (never the token). */
      message: string;
      /** WWW-Authenticate (401, 403) or Retry-After (429). */
      headers: Record<string, string>;
    };

/** The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, RFC 6750 §2.1), or null. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const match = /^Bearer +([^ ]+) *$/i.exec(authorization);
  return match === null ? null : match[1]!;
}

export class Authenticator {
  private readonly failures;

  constructor(
    private tokens: TokenTable,
    registry: Registry,
    private readonly throttle = new AuthThrottle(),
  ) {
    this.failures = authFailures(registry);
  }

  /** Swaps in the tokens of a re-read file (SIGHUP); requests from now on use them. */
  replace(tokens: TokenTable): void {
    this.tokens = tokens;
  }

  /**
   * Who sent `authorization` (the header's value) from `client` (its
   * address), when that principal may do what `needed` allows; else the
   * refusal to send, already counted.
   */
  authenticate(authorization: string | undefined, client: string, needed: Role): AuthOutcome {
    const token = authorization === undefined || authorization === '' ? null : bearerToken(authorization);
    const principal = token === null ? null : this.tokens.lookup(token);
    // A good token always passes: bad guesses from an address (a shared proxy, any local user) must not lock the
    // operators and the Prometheus scrape behind it out. Guessing is hopeless against random tokens (openssl rand
    // -hex 32); the throttle keeps a guesser's noise out of the logs and the token table's work bounded.
    if (principal === null) {
      const wait = this.throttle.retryAfter(client);
      if (wait > 0) return this.refuse(429, 'throttled', 'too many bad tokens from this address: try again later', { 'retry-after': String(wait) });
    }
    if (authorization === undefined || authorization === '') {
      return this.refuse(401, 'missing', 'this needs a token: Authorization: Bearer TOKEN', { 'www-authenticate': `Bearer realm="${AUTH_REALM}"` });
    }
    if (principal === null) {
      this.throttle.failed(client);
      return this.refuse(401, 'invalid', 'the token is not valid', { 'www-authenticate': `Bearer realm="${AUTH_REALM}", error="invalid_token"` });
    }
    if (!roleAllows(principal.role, needed)) {
      return this.refuse(403, 'forbidden', `this needs the ${needed} role; ${principal.name} holds ${principal.role}`, {
        'www-authenticate': `Bearer realm="${AUTH_REALM}", error="insufficient_scope"`,
      });
    }
    return { ok: true, principal };
  }

  private refuse(status: 401 | 403 | 429, reason: AuthFailure, message: string, headers: Record<string, string>): AuthOutcome {
    this.failures.inc({ reason });
    return { ok: false, status, reason, message, headers };
  }
}
