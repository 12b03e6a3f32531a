/**
 * The 'http' service: `--http ADDRESS:PORT` serves GET /metrics (Prometheus
 * text of the whole daemon) and GET /health (JSON). Read-only: every other
 * method is 405, every other path 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { governedHttpServer, netGovernor, type ListenerGate } from '../net/index.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import type { Counter } from 'prom-client';
import { httpRequests } from './metrics.js';

export function httpService(): ServiceFactory {
  return {
    name: 'http',
    addOptions(command: Command) {
      command.option('--http <address:port>', 'serve GET /metrics (Prometheus) and GET /health on this address (serve.http.listen)');
    },
    create(flags, context) {
      const listen = typeof flags.http === 'string' ? flags.http : context.config.serve.http.listen;
      if (listen === null) return null;
      try {
        return new HttpService(parseEndpoint(listen, null, 'serve: --http'), context);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    },
  };
}

export class HttpService implements Service {
  readonly name = 'http';
  private server: Server | null = null;
  private readonly started = Date.now();
  private readonly requests: Counter;
  /** /metrics and /health get their own small cap, so a flood of other listeners' clients can never lock monitoring out. */
  readonly gate: ListenerGate;

  constructor(
    readonly listen: Endpoint,
    private readonly context: ServeContext,
  ) {
    this.gate = netGovernor(context).gate({ listener: 'http', maxConnections: 64, http: true });
    this.requests = httpRequests(context.registry);
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  async start(): Promise<void> {
    const http = createServer((req, res) => this.serve(req, res));
    http.headersTimeout = 5000;
    http.requestTimeout = 10_000;
    http.keepAliveTimeout = 5000;
    http.on('clientError', (_err, socket) => socket.destroy());
    const server = governedHttpServer(this.gate, http);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`http: cannot listen on ${this.listen.host}:${this.listen.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      server.listen(this.listen.port, this.listen.host, () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    this.gate.closeAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.requests.inc();
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const head = req.method === 'HEAD';
      (this.context.metrics?.() ?? Promise.resolve('')).then(
        (text) => res.writeHead(200, { 'content-type': this.context.registry.contentType }).end(head ? undefined : text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/health' || path === '/healthz') {
      // 503 with the reasons when the daemon cannot do its job (detector lag, store, a service's health()).
      const reasons = this.context.health?.() ?? [];
      const body = JSON.stringify({
        status: reasons.length === 0 ? 'ok' : 'unhealthy',
        reasons,
        uptime_seconds: Math.round((Date.now() - this.started) / 1000),
        flagged_domains: this.context.flagged.size,
        tracked_domains: this.context.detector.tracked,
        observations: this.context.detector.stats.observations,
      });
      res.writeHead(reasons.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : `${body}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
  }
}
