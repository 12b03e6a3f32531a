/**
 * How every response of the listener is written: the security headers all
 * share, JSON with no-store and a CSP that allows nothing (the API,
 * /metrics, /health, every error), and the console's static files with
 * their own CSP.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The CSP of every response that is not a console page: it may load nothing and be framed by no one. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Headers on every response. */
export function baseHeaders(tls: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  if (tls) headers['strict-transport-security'] = 'max-age=31536000';
  return headers;
}

/** Writes `text` with `status` and headers; a HEAD gets the headers alone. */
export function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, text: string | Buffer): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** A JSON response with the API's headers (no-store, the empty CSP); `extra` may add or override. */
export function sendJson(req: IncomingMessage, res: ServerResponse, tls: boolean, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(req, res, status, { ...baseHeaders(tls), ...noStore(), 'content-type': 'application/json; charset=utf-8', ...extra }, `${JSON.stringify(body)}\n`);
}

/** The headers of every response that holds data: never cached, never rendered as anything. */
export function noStore(): Record<string, string> {
  return { 'cache-control': 'no-store', 'content-security-policy': API_CSP };
}
