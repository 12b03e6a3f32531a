/**
 * The 'http' service: `--http ADDRESS:PORT` serves the operator console
 * (static files, no token), the JSON API under /api/v1/, GET /metrics
 * (Prometheus text of the whole daemon) and GET /health, every one but the
 * console behind a bearer token of the token file (`--api-tokens`), over
 * TLS when given a certificate and key. SIGHUP re-reads the token file and
 * the TLS files, all or nothing with the rest of the reload.
 */
import type { SecureContext } from 'node:tls';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { Authenticator, AuthThrottle, readTokenFile, type ThrottleOptions, type TokenTable } from '../auth/index.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { netGovernor, type ListenerGate } from '../net/index.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { apiRoutes } from './api/index.js';
import { Dispatcher } from './dispatch.js';
import { httpMetrics } from './metrics.js';
import type { Route } from './route.js';
import { Router } from './router.js';
import { GovernedListener, reloadTlsFiles } from './listener.js';
import { loadTlsContext, type TlsFiles } from './tls.js';

export const TOKENS_REQUIRED = 'serve: --http needs --api-tokens FILE (serve.http.tokens): every HTTP request is authenticated';

export function httpService(): ServiceFactory {
  return {
    name: 'http',
    addOptions(command: Command) {
      command.option('--http <address:port>', 'serve the console, the JSON API (/api/v1/), GET /metrics and GET /health on this address (serve.http.listen)');
      command.option('--api-tokens <file>', 'file of tokens for --http, one per line: TOKEN ROLE NAME (read | write | admin) (serve.http.tokens)');
      command.option('--http-cert <file>', 'PEM certificate (chain) for --http: serve HTTPS, TLS 1.2+ (serve.http.tls.cert)');
      command.option('--http-key <file>', 'PEM private key of --http-cert (serve.http.tls.key)');
    },
    create(flags, context) {
      const config = context.config.serve.http;
      const listen = typeof flags.http === 'string' ? flags.http : config.listen;
      if (listen === null) return null;
      const tokens = typeof flags.apiTokens === 'string' ? flags.apiTokens : config.tokens;
      if (tokens === null) throw new UsageError(TOKENS_REQUIRED);
      const cert = typeof flags.httpCert === 'string' ? flags.httpCert : config.tls.cert;
      const key = typeof flags.httpKey === 'string' ? flags.httpKey : config.tls.key;
      if ((cert === null) !== (key === null)) throw new UsageError('serve: --http-cert and --http-key go together (serve.http.tls.cert, serve.http.tls.key)');
      let endpoint: Endpoint;
      try {
        endpoint = parseEndpoint(listen, null, 'serve: --http');
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      return new HttpService(endpoint, context, {
        tokens,
        tls: cert === null || key === null ? null : { cert, key },
        fixedFiles: { tokens: typeof flags.apiTokens === 'string', tls: typeof flags.httpCert === 'string' },
      });
    },
  };
}

export interface HttpServiceOptions {
  /** The token file (--api-tokens, serve.http.tokens). */
  tokens: string;
  /** Certificate and key files: HTTPS; null or left out: plain HTTP. */
  tls?: TlsFiles | null;
  /** Files given as flags: a reload re-reads them, whatever the new config says. */
  fixedFiles?: { tokens: boolean; tls: boolean };
  /** The API routes; apiRoutes(context) when left out (tests pass their own). */
  routes?: Route[];
  /** Milliseconds a request body may take to arrive; 10 s when left out. */
  bodyTimeoutMs?: number;
  throttle?: ThrottleOptions;
}

export class HttpService implements Service {
  readonly name = 'http';
  private readonly listener: GovernedListener;
  private readonly started = Date.now();
  private readonly auth: Authenticator;
  private tokensFile: string;
  private tlsFiles: TlsFiles | null;
  private secureContext: SecureContext | null;
  /** The console, the API, /metrics and /health share this cap, so a flood of other listeners' clients can never lock them out. */
  readonly gate: ListenerGate;

  constructor(
    readonly listen: Endpoint,
    private readonly context: ServeContext,
    private readonly options: HttpServiceOptions,
  ) {
    this.gate = netGovernor(context).gate({ listener: 'http', maxConnections: 64, http: true });
    this.listener = new GovernedListener('http', this.gate);
    this.tokensFile = options.tokens;
    this.auth = new Authenticator(this.readTokens(options.tokens), context.registry, new AuthThrottle(options.throttle));
    this.tlsFiles = options.tls ?? null;
    this.secureContext = this.tlsFiles === null ? null : loadTlsContext(this.tlsFiles);
  }

  get port(): number {
    return this.listener.port;
  }

  get tls(): boolean {
    return this.secureContext !== null;
  }

  async start(): Promise<void> {
    const dispatcher = new Dispatcher({
      context: this.context,
      auth: this.auth,
      router: new Router(this.options.routes ?? apiRoutes(this.context)),
      metrics: httpMetrics(this.context.registry),
      logLimit: netGovernor(this.context).logLimiter('http'),
      maxBodyBytes: this.context.config.serve.http.maxBodyBytes,
      bodyTimeoutMs: this.options.bodyTimeoutMs ?? 10_000,
      tls: this.tls,
      started: this.started,
    });
    // Header deadlines are the governor's (Node checks its own only on a server that listens); body deadlines, readJsonBody's.
    await this.listener.listen(this.listen, (req, res) => dispatcher.serve(req, res), this.secureContext === null ? undefined : () => this.secureContext!);
  }

  async stop(): Promise<void> {
    await this.listener.close();
  }

  /**
   * SIGHUP: re-read the token file and the certificate and key (those of the
   * flags, else of the next config) and check they load and match; the
   * commit swaps them in for every request and connection from then on. A
   * bad file refuses the whole reload: the old tokens and certificate stay.
   */
  async prepareReload(next: Config): Promise<() => void> {
    const fixed = this.options.fixedFiles ?? { tokens: true, tls: true };
    const tokensFile = fixed.tokens ? this.tokensFile : next.serve.http.tokens;
    if (tokensFile === null) throw new Error(TOKENS_REQUIRED);
    const tokens = this.readTokens(tokensFile);
    const nextTls = reloadTlsFiles('http', this.tlsFiles, fixed.tls, next.serve.http.tls);
    const secureContext = nextTls === null ? null : loadTlsContext(nextTls);
    return () => {
      this.auth.replace(tokens);
      this.tokensFile = tokensFile;
      this.tlsFiles = nextTls;
      if (secureContext !== null) this.secureContext = secureContext;
    };
  }

  private readTokens(path: string): TokenTable {
    const file = readTokenFile(path);
    if (file.warning !== null) this.context.log.warn({ service: 'http' }, file.warning);
    return file.table;
  }
}
