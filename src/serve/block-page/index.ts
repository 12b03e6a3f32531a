/**
 * `serve --block-page 127.0.0.1:PORT`: plain HTTP for the sinkhole address
 * (policy.sinkhole.ipv4/ipv6). The Host header names what the browser
 * wanted; a flagged name gets the block page (200), anything else a neutral
 * page (404). GET and HEAD only, small header limits and short timeouts, no
 * request bodies; GET /healthz for monitors.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { canonicalName, isPlausibleName } from '../../model/names.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { governedHttpServer, netGovernor, type ListenerGate, type LogRateLimit, suppressedField } from '../net/index.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { Registry } from 'prom-client';
import { blockPageMetrics, type BlockPageMetrics } from './metrics.js';
import { blockedPage, CSP, neutralPage } from './page.js';

/** Header bytes a request may carry. */
export const MAX_HEADER_BYTES = 8 * 1024;

export const blockPageService: ServiceFactory = {
  name: 'block-page',
  addOptions(command: Command) {
    command.option('--block-page <address:port>', 'serve the block page (plain HTTP) where the sinkhole address points, e.g. 127.0.0.1:8080');
  },
  create(flags, context) {
    if (typeof flags.blockPage !== 'string') return null;
    try {
      return new BlockPageService(parseEndpoint(flags.blockPage, null, 'serve: --block-page'), context);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  },
};

export class BlockPageService implements Service {
  readonly name = 'block-page';
  private server: Server | null = null;
  private readonly counts: BlockPageMetrics;
  /** Caps, deadlines and the connection budget (serve.net), shared with every other listener. */
  readonly gate: ListenerGate;
  private readonly logLimit: LogRateLimit;

  constructor(
    readonly listen: Endpoint,
    private readonly context: ServeContext,
  ) {
    const governor = netGovernor(context);
    this.gate = governor.gate({ listener: 'block-page', http: true });
    this.logLimit = governor.logLimiter('block-page');
    this.counts = blockPageMetrics(context.registry ?? new Registry());
  }

  /** The bound port (after start; useful with port 0). */
  get port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  async start(): Promise<void> {
    const http = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) =>
      this.handle(req, res),
    );
    http.maxRequestsPerSocket = 100;
    http.setTimeout(10_000, (socket) => socket.destroy());
    http.on('clientError', (_err, socket) => {
      this.counts.rejected.inc();
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    const server = governedHttpServer(this.gate, http);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`block-page: cannot listen on ${this.listen.host}:${this.listen.port}: ${err.code ?? err.message}`)));
      server.listen(this.listen.port, this.listen.host, () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      this.gate.closeAll();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests.inc();
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      this.counts.rejected.inc();
      return send(res, 405, 'text/plain; charset=utf-8', 'GET or HEAD only\n', false, { Allow: 'GET, HEAD' });
    }
    // No bodies: a block page has nothing to receive.
    if ((req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined) {
      this.counts.rejected.inc();
      return send(res, 413, 'text/plain; charset=utf-8', 'no request bodies\n', method === 'HEAD', { Connection: 'close' });
    }
    const head = method === 'HEAD';
    if ((req.url ?? '/').split('?')[0] === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head);
    const host = hostName(req.headers.host);
    const verdict = host === null ? null : this.context.flagged.match(host);
    if (host === null || verdict === null) {
      this.counts.neutral.inc();
      return send(res, 404, 'text/html; charset=utf-8', neutralPage(), head);
    }
    this.counts.blocked.inc();
    const held = this.logLimit.take(req.socket.remoteAddress ?? '');
    if (held !== null) this.context.log.info({ service: this.name, host, domain: verdict.domain, client: req.socket.remoteAddress, ...suppressedField(held) }, 'block page shown');
    send(res, 200, 'text/html; charset=utf-8', blockedPage(host, verdict, new Date()), head);
  }
}

/** The name in a Host header (port and trailing dot removed, lower case), or null for an address or junk. */
export function hostName(header: string | undefined): string | null {
  if (header === undefined || header.length === 0 || header.length > 300) return null;
  if (header.startsWith('[')) return null; // an IPv6 literal: no name to look up
  const colon = header.lastIndexOf(':');
  const host = canonicalName(colon === -1 ? header : header.slice(0, colon));
  if (isIP(host) !== 0 || !isPlausibleName(host)) return null;
  return host;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': String(bytes.length),
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(head ? undefined : bytes);
}
