/**
 * What the listener does with each request: the console's static files
 * (no token: they hold no data), GET /metrics and GET /health (a read
 * token), and every API route (its own least role). Authentication comes
 * before anything else under /api/, so a client without a token learns
 * nothing, not even which paths exist. A route's thrown error is a 500
 * {error} logged once per route and interval; a UsageError (a name that is
 * not a domain name) is the caller's 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UsageError } from '../../model/errors.js';
import type { Authenticator } from '../auth/index.js';
import { suppressedField, type LogRateLimit } from '../net/index.js';
import type { ServeContext } from '../service.js';
import { readJsonBody } from './body.js';
import { CONSOLE_CSP, consoleAsset } from './console.js';
import type { HttpMetrics } from './metrics.js';
import { baseHeaders, noStore, send, sendJson } from './respond.js';
import type { ApiRequest, ApiResult, HttpMethod, Role } from './route.js';
import type { Router } from './router.js';

export interface DispatchOptions {
  context: ServeContext;
  auth: Authenticator;
  router: Router;
  metrics: HttpMetrics;
  logLimit: LogRateLimit;
  maxBodyBytes: number;
  /** Milliseconds a request body may take to arrive. */
  bodyTimeoutMs: number;
  tls: boolean;
  /** When the daemon started (ms), for /health's uptime. */
  started: number;
}

export class Dispatcher {
  constructor(private readonly options: DispatchOptions) {}

  serve(req: IncomingMessage, res: ServerResponse): void {
    const began = process.hrtime.bigint();
    let route = 'other';
    res.once('finish', () => {
      this.options.metrics.requests.inc({ route, status: String(res.statusCode) });
      this.options.metrics.duration.observe({ route }, Number(process.hrtime.bigint() - began) / 1e9);
    });
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (!rawPath.startsWith('/')) return this.json(req, res, 400, { error: 'the request target must be a path' });
    if (rawPath === '/metrics' || rawPath === '/health' || rawPath === '/healthz') {
      route = rawPath === '/metrics' ? '/metrics' : '/health';
      if (method !== 'GET' && method !== 'HEAD') return this.json(req, res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      if (!this.authorized(req, res, 'read')) return;
      return route === '/metrics' ? this.metricsText(req, res) : this.health(req, res);
    }
    if (rawPath === '/api' || rawPath.startsWith('/api/')) {
      route = 'api';
      void this.api(req, res, method, rawPath, q < 0 ? '' : url.slice(q + 1), (name) => (route = name));
      return;
    }
    route = 'console';
    this.console(req, res, method, rawPath);
  }

  private json(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    sendJson(req, res, this.options.tls, status, body, headers);
  }

  /** The principal when the request holds a token with `needed`; else null, and the refusal is sent. */
  private authorized(req: IncomingMessage, res: ServerResponse, needed: Role): ApiRequest['principal'] | null {
    const outcome = this.options.auth.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '', needed);
    if (outcome.ok) return outcome.principal;
    this.json(req, res, outcome.status, { error: outcome.message }, outcome.headers);
    return null;
  }

  private async api(req: IncomingMessage, res: ServerResponse, method: string, rawPath: string, query: string, named: (route: string) => void): Promise<void> {
    const match = this.options.router.match(method, rawPath);
    if (match.kind === 'found' || match.kind === 'bad-param') named(match.route.path);
    const principal = this.authorized(req, res, match.kind === 'found' ? match.route.role : 'read');
    if (principal === null) return;
    if (match.kind === 'none') return this.json(req, res, 404, { error: 'no such API path (see /api/v1/openapi.json)' });
    if (match.kind === 'bad-param') return this.json(req, res, 400, { error: match.message });
    if (match.kind === 'method') return this.json(req, res, 405, { error: 'method not allowed' }, { allow: match.allow.join(', ') });
    let body: unknown;
    if (method === 'POST' || method === 'PUT' || method === 'DELETE') {
      const read = await readJsonBody(req, this.options.maxBodyBytes, this.options.bodyTimeoutMs);
      // The unread rest of a refused body is not worth reading: the connection closes after the answer.
      if (!read.ok) return this.json(req, res, read.status, { error: read.message }, { connection: 'close' });
      body = read.body;
    }
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // The route matched literally; its parameters decoded; keep the raw path.
    }
    const request: ApiRequest = { method: match.route.method as HttpMethod, path, params: match.params, query: new URLSearchParams(query), body, principal };
    let result: ApiResult;
    try {
      result = await match.route.handle(request);
    } catch (err) {
      if (err instanceof UsageError) return this.json(req, res, 400, { error: err.message });
      const held = this.options.logLimit.take(match.route.path);
      if (held !== null) this.options.context.log.error({ service: 'http', route: match.route.path, method, err: (err as Error).message, ...suppressedField(held) }, 'API route failed');
      return this.json(req, res, 500, { error: 'internal error (logged)' });
    }
    if (res.destroyed) return;
    if (result.raw !== undefined) {
      send(req, res, result.status, { ...baseHeaders(this.options.tls), ...noStore(), 'content-type': result.raw.type, ...result.headers }, result.raw.text);
      return;
    }
    this.json(req, res, result.status, result.body, result.headers);
  }

  private console(req: IncomingMessage, res: ServerResponse, method: string, rawPath: string): void {
    const headers = { ...baseHeaders(this.options.tls), 'content-security-policy': CONSOLE_CSP };
    if (method !== 'GET' && method !== 'HEAD') return send(req, res, 405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'method not allowed\n');
    const asset = consoleAsset(rawPath);
    if (asset === null) return send(req, res, 404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }, 'not found\n');
    const cached = { ...headers, etag: asset.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, cached).end();
      return;
    }
    send(req, res, 200, { ...cached, 'content-type': asset.type }, asset.body);
  }

  private metricsText(req: IncomingMessage, res: ServerResponse): void {
    const { context, tls } = this.options;
    (context.metrics?.() ?? Promise.resolve('')).then(
      (text) => send(req, res, 200, { ...baseHeaders(tls), ...noStore(), 'content-type': context.registry.contentType }, text),
      (err: Error) => this.json(req, res, 500, { error: `metrics failed: ${err.message}` }),
    );
  }

  /** 503 with the reasons when the daemon cannot do its job (detector lag, store, a service's health()). */
  private health(req: IncomingMessage, res: ServerResponse): void {
    const { context, started } = this.options;
    const reasons = context.health?.() ?? [];
    this.json(req, res, reasons.length === 0 ? 200 : 503, {
      status: reasons.length === 0 ? 'ok' : 'unhealthy',
      reasons,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
      flagged_domains: context.flagged.size,
      tracked_domains: context.detector.tracked,
      observations: context.detector.stats.observations,
    });
  }
}
