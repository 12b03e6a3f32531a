/**
 * API tokens for tests: a token file (mode 600) with one read, one write and
 * one admin token, and fetch with a token. Every test that starts `serve
 * --http` or an HttpService needs one (every HTTP request is authenticated).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestTokens {
  /** The token file: pass as --api-tokens or HttpServiceOptions.tokens. */
  file: string;
  read: string;
  write: string;
  admin: string;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Writes a token file (into `dir`, else a new temporary folder) holding reader, writer and admin. */
export function writeTokenFile(dir: string = mkdtempSync(join(tmpdir(), 'fluxhound-tokens-'))): TestTokens {
  const tokens = { read: newToken(), write: newToken(), admin: newToken() };
  const file = join(dir, 'api-tokens');
  writeFileSync(file, `# test tokens\n${tokens.read} read reader\n${tokens.write} write writer\n${tokens.admin} admin admin\n`, { mode: 0o600 });
  return { file, ...tokens };
}

/** The Authorization header of `token`. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** fetch with `Authorization: Bearer token` added to the init's headers. */
export function fetchWithToken(url: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...bearer(token) } });
}
