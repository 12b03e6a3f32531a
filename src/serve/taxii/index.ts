/**
 * The 'taxii' service: `serve --taxii ADDRESS:PORT` (a bare PORT listens on
 * 127.0.0.1) serves fluxhound's findings as a TAXII 2.1 server: discovery at
 * /taxii2/, one API root /fluxhound/ with one read-only collection. Every
 * request needs a read token of the one token file (--api-tokens, the same
 * Authenticator as --http); TLS with --taxii-cert/--taxii-key through the
 * same loader and governed listener as --http.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { Authenticator, AuthThrottle, readTokenFile, type ThrottleOptions, type TokenTable } from '../auth/index.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { baseHeaders, noStore, send } from '../http/respond.js';
import { TOKENS_REQUIRED } from '../http/index.js';
import { loadTlsContext, type TlsFiles } from '../http/tls.js';
import { governedHttpServer, netGovernor, suppressedField, type ListenerGate, type LogRateLimit } from '../net/index.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { taxiiMetrics, type TaxiiMetrics } from './metrics.js';
import { answer, TAXII_MEDIA_TYPE, taxiiError, type TaxiiAnswer } from './resources.js';
import { flaggedStixSource, type StixSource } from './source.js';

/** `--taxii 9443` listens on loopback: publishing to the network is a choice the operator writes out. */
export function taxiiEndpoint(text: string): Endpoint {
  return parseEndpoint(/^\d{1,5}$/.test(text) ? `127.0.0.1:${text}` : text, null, 'serve: --taxii');
}

export const taxiiService: ServiceFactory = {
  name: 'taxii',
  addOptions(command: Command) {
    command.option('--taxii <address:port>', 'serve the findings as a TAXII 2.1 server (discovery at /taxii2/) on this address; a bare port means 127.0.0.1; needs --api-tokens');
    command.option('--taxii-cert <file>', 'PEM certificate (chain) for --taxii: serve HTTPS, TLS 1.2+');
    command.option('--taxii-key <file>', 'PEM private key of --taxii-cert');
  },
  create(flags, context) {
    if (typeof flags.taxii !== 'string') return null;
    const tokens = typeof flags.apiTokens === 'string' ? flags.apiTokens : context.config.serve.http.tokens;
    if (tokens === null) throw new UsageError(TOKENS_REQUIRED.replace('--http', '--taxii'));
    const cert = typeof flags.taxiiCert === 'string' ? flags.taxiiCert : null;
    const key = typeof flags.taxiiKey === 'string' ? flags.taxiiKey : null;
    if ((cert === null) !== (key === null)) throw new UsageError('serve: --taxii-cert and --taxii-key go together');
    let endpoint: Endpoint;
    try {
      endpoint = taxiiEndpoint(flags.taxii);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return new TaxiiService(endpoint, context, { tokens, tls: cert === null || key === null ? null : { cert, key }, tokensFromFlag: typeof flags.apiTokens === 'string' });
  },
};

export interface TaxiiServiceOptions {
  tokens: string;
  /** The token file came from --api-tokens: a reload re-reads it, whatever the new config says (as --http does). */
  tokensFromFlag?: boolean;
  tls?: TlsFiles | null;
  /** What is published; the stand-in over the flagged set when left out (see source.ts). */
  source?: StixSource;
  throttle?: ThrottleOptions;
}

/** Media ranges a TAXII client may send that we can serve (§1.6.8: taxii+json without version means the latest). */
function acceptable(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    if (type === '*/*' || type === 'application/*') return true;
    if (type !== 'application/taxii+json') continue;
    const version = params.find((p) => p.startsWith('version='));
    if (version === undefined || version === 'version=2.1') return true;
  }
  return false;
}

function resourceName(path: string): string {
  if (path === '/taxii2/') return 'discovery';
  const s = path.split('/').filter((p) => p.length > 0);
  if (s.length === 1) return 'api-root';
  if (s.length === 2) return 'collections';
  if (s.length === 3) return 'collection';
  if (s.length === 4) return s[3] === 'manifest' ? 'manifest' : 'objects';
  if (s.length === 5) return 'object';
  if (s.length === 6) return 'versions';
  return 'other';
}

export class TaxiiService implements Service {
  readonly name = 'taxii';
  private server: Server | null = null;
  private http: HttpServer | null = null;
  private readonly auth: Authenticator;
  private secureContext: SecureContext | null;
  private tokensFile: string;
  private readonly source: StixSource;
  private readonly metrics: TaxiiMetrics;
  private readonly logLimit: LogRateLimit;
  readonly gate: ListenerGate;

  constructor(
    readonly listen: Endpoint,
    private readonly context: ServeContext,
    private readonly options: TaxiiServiceOptions,
  ) {
    const governor = netGovernor(context);
    this.gate = governor.gate({ listener: 'taxii', maxConnections: 64, http: true });
    this.logLimit = governor.logLimiter('taxii');
    this.tokensFile = options.tokens;
    this.auth = new Authenticator(this.readTokens(options.tokens), context.registry, new AuthThrottle(options.throttle));
    this.secureContext = options.tls === null || options.tls === undefined ? null : loadTlsContext(options.tls);
    this.source = options.source ?? flaggedStixSource(context.flagged);
    this.metrics = taxiiMetrics(context.registry);
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Scheme and authority of this listener, for discovery's API root URLs. */
  private origin(): string {
    const host = this.listen.family === 6 ? `[${this.listen.host}]` : this.listen.host;
    return `${this.secureContext === null ? 'http' : 'https'}://${host}:${this.port}`;
  }

  async start(): Promise<void> {
    const http = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => this.serve(req, res));
    http.keepAliveTimeout = 5000;
    http.on('clientError', (_err, socket) => socket.destroy());
    const server = governedHttpServer(this.gate, http, this.secureContext === null ? undefined : () => this.secureContext!);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`taxii: cannot listen on ${this.listen.host}:${this.listen.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      server.listen(this.listen.port, this.listen.host, () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
    this.http = http;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    this.gate.closeAll();
    this.http?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * SIGHUP, with --http's rule: re-read the token file (a revoked token
   * stops working here too) and the certificate and key; a bad file refuses
   * the whole reload and the old ones stay.
   */
  async prepareReload(next: Config): Promise<() => void> {
    const tokensFile = this.options.tokensFromFlag === true ? this.tokensFile : next.serve.http.tokens;
    if (tokensFile === null) throw new Error(TOKENS_REQUIRED.replace('--http', '--taxii'));
    const tokens = this.readTokens(tokensFile);
    const tls = this.options.tls ?? null;
    const secureContext = tls === null ? null : loadTlsContext(tls);
    return () => {
      this.auth.replace(tokens);
      this.tokensFile = tokensFile;
      if (secureContext !== null) this.secureContext = secureContext;
    };
  }

  private readTokens(path: string): TokenTable {
    const file = readTokenFile(path);
    if (file.warning !== null) this.context.log.warn({ service: 'taxii' }, file.warning);
    return file.table;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const resource = resourceName(path);
    res.once('finish', () => this.metrics.requests.inc({ resource, status: String(res.statusCode) }));
    // Authentication first: a client without a token learns nothing, not even which paths exist.
    const outcome = this.auth.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '', 'read');
    if (!outcome.ok) {
      const title = outcome.status === 401 ? 'Unauthorized' : outcome.status === 403 ? 'Forbidden' : 'Too many requests';
      return this.reply(req, res, taxiiError(outcome.status, title, outcome.message, outcome.headers));
    }
    if (req.method === 'POST' && resource === 'objects') {
      // Adding objects is a TAXII operation (§5.5), but this collection's can_write is false.
      return this.reply(req, res, taxiiError(403, 'Forbidden', 'the findings collection is read-only (can_write false)'));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.reply(req, res, taxiiError(405, 'Method not allowed', 'this collection is read-only: GET and HEAD only', { allow: 'GET, HEAD' }));
    }
    if (!acceptable(req.headers.accept)) {
      return this.reply(req, res, taxiiError(406, 'Not acceptable', `this server answers ${TAXII_MEDIA_TYPE} only`));
    }
    let result: TaxiiAnswer;
    try {
      result = answer(path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), this.source, this.origin());
    } catch (err) {
      const held = this.logLimit.take(resource);
      if (held !== null) this.context.log.error({ service: 'taxii', resource, err: (err as Error).message, ...suppressedField(held) }, 'TAXII request failed');
      result = taxiiError(500, 'Internal error', 'logged on the server');
    }
    this.reply(req, res, result);
  }

  private reply(req: IncomingMessage, res: ServerResponse, result: TaxiiAnswer): void {
    const headers = { ...baseHeaders(this.secureContext !== null), ...noStore(), 'content-type': TAXII_MEDIA_TYPE, ...result.headers };
    send(req, res, result.status, headers, `${JSON.stringify(result.body)}\n`);
  }
}
