/**
 * The console's one door to the daemon: same-origin fetches of /api/v1/
 * with the operator's token as a Bearer header. The token lives in
 * sessionStorage (gone when the tab closes); a 401 forgets it and returns
 * to the login view.
 */
import type { Role, WhoAmI } from './types.js';

const TOKEN_KEY = 'fluxhound.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let me: WhoAmI | null = null;

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
  me = null;
}

export function logout(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
}

/** Who the token belongs to (asked once per token). */
export async function whoami(): Promise<WhoAmI> {
  if (me === null) me = await api<WhoAmI>('/api/v1/whoami');
  return me;
}

/** The role of the current token, or null before login. */
export function role(): Role | null {
  return me?.role ?? null;
}

export function isAdmin(): boolean {
  return me?.role === 'admin';
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t !== null) headers.set('Authorization', `Bearer ${t}`);
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  const response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  if (response.status === 401) {
    logout();
    if (location.hash !== '#/login') location.hash = '#/login';
  }
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = `${response.status}: ${body.error}`;
  } catch {
    // Not JSON: the status line says enough.
  }
  return new ApiError(response.status, message);
}

/** GET (or another method with a JSON body) → the parsed JSON answer; throws ApiError on any status ≥ 400. */
export async function api<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
  const response = await send(path, body === undefined ? { method } : { method, body: JSON.stringify(body) });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** A report or other file fetched with the token, handed to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await send(path);
  if (!response.ok) throw await errorOf(response);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * A name as one path segment of the API (/api/v1/domains/{name}). A DNS
 * label may hold a '/' (`</script>` is a valid label): percent-encoded, it
 * stays inside its segment (the listener splits the raw path first).
 */
export function nameSegment(name: string): string {
  return encodeURIComponent(name);
}

/** The query string of an API path; the same as a route's (router.ts). */
export { qs } from './router.js';
