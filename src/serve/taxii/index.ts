/**
 * The 'taxii' service: `serve --taxii ADDRESS:PORT` (serve.taxii.listen; a
 * bare PORT listens on 127.0.0.1) serves fluxhound's findings as a TAXII 2.1
 * server: discovery at /taxii2/, one API root /fluxhound/ with the read-only
 * findings collection (the act/stix objects of the live findings) and, with
 * serve.taxii.inbox.enabled, the write collection partners POST into. Every
 * request needs a token of the one token file (--api-tokens, the same
 * Authenticator as --http): read to GET, write to POST; TLS with
 * --taxii-cert/--taxii-key (serve.taxii.tls) through the same loader and
 * governed listener as --http. Flags win over the config.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureContext } from 'node:tls';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { Authenticator, AuthThrottle, readTokenFile, type ThrottleOptions, type TokenTable } from '../auth/index.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { readJsonBody, type JsonMediaType } from '../http/body.js';
import { baseHeaders, noStore, send } from '../http/respond.js';
import { TOKENS_REQUIRED } from '../http/index.js';
import { roleAllows, type Principal } from '../http/route.js';
import { GovernedListener, reloadTlsFiles } from '../http/listener.js';
import { loadTlsContext, type TlsFiles } from '../http/tls.js';
import { netGovernor, suppressedField, type ListenerGate, type LogRateLimit } from '../net/index.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { taxiiMetrics, type TaxiiMetrics } from './metrics.js';
import { stixOptionsOf } from '../share/live.js';
import { Inbox, InboxError } from './inbox.js';
import { answer, FINDINGS, INBOX, MAX_CONTENT_LENGTH, TAXII_MEDIA_TYPE, taxiiError, type TaxiiAnswer, type TaxiiCollection, type TaxiiSite } from './resources.js';
import { findingsSource, type StixSource } from './source.js';

/** Milliseconds a POSTed envelope may take to arrive, however it trickles (408 after). */
const BODY_TIMEOUT_MS = 10_000;

/** A POST body must be TAXII's media type (§1.6.8): application/taxii+json, version 2.1 or none. */
const TAXII_BODY: JsonMediaType = {
  name: TAXII_MEDIA_TYPE,
  accepts(contentType) {
    if (contentType === undefined) return false;
    const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
    const version = params.find((p) => p.startsWith('version='));
    return type === 'application/taxii+json' && (version === undefined || version === 'version=2.1');
  },
};

/** `--taxii 9443` listens on loopback: publishing to the network is a choice the operator writes out. */
export function taxiiEndpoint(text: string): Endpoint {
  return parseEndpoint(/^\d{1,5}$/.test(text) ? `127.0.0.1:${text}` : text, null, 'serve: --taxii');
}

export const taxiiService: ServiceFactory = {
  name: 'taxii',
  addOptions(command: Command) {
    command.option('--taxii <address:port>', 'serve the findings as a TAXII 2.1 server (discovery at /taxii2/) on this address; a bare port means 127.0.0.1; needs --api-tokens (serve.taxii.listen)');
    command.option('--taxii-cert <file>', 'PEM certificate (chain) for --taxii: serve HTTPS, TLS 1.2+ (serve.taxii.tls.cert)');
    command.option('--taxii-key <file>', 'PEM private key of --taxii-cert (serve.taxii.tls.key)');
  },
  create(flags, context) {
    const config = context.config.serve.taxii;
    const listen = typeof flags.taxii === 'string' ? flags.taxii : config.listen;
    if (listen === null) return null;
    const tokens = typeof flags.apiTokens === 'string' ? flags.apiTokens : context.config.serve.http.tokens;
    if (tokens === null) throw new UsageError(TOKENS_REQUIRED.replace('--http', '--taxii'));
    // The flags give both files or the config does: a certificate of one and a key of the other never pair.
    const fromFlags = typeof flags.taxiiCert === 'string' || typeof flags.taxiiKey === 'string';
    const cert = fromFlags ? (typeof flags.taxiiCert === 'string' ? flags.taxiiCert : null) : config.tls.cert;
    const key = fromFlags ? (typeof flags.taxiiKey === 'string' ? flags.taxiiKey : null) : config.tls.key;
    if ((cert === null) !== (key === null)) throw new UsageError('serve: --taxii-cert and --taxii-key go together (serve.taxii.tls.cert, serve.taxii.tls.key)');
    let endpoint: Endpoint;
    try {
      endpoint = taxiiEndpoint(listen);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return new TaxiiService(endpoint, context, {
      tokens,
      tls: cert === null || key === null ? null : { cert, key },
      tokensFromFlag: typeof flags.apiTokens === 'string',
      tlsFromFlag: fromFlags,
    });
  },
};

export interface TaxiiServiceOptions {
  tokens: string;
  /** The token file came from --api-tokens: a reload re-reads it, whatever the new config says (as --http does). */
  tokensFromFlag?: boolean;
  tls?: TlsFiles | null;
  /** The certificate and key came from the flags: a reload re-reads those files, whatever the new config says. */
  tlsFromFlag?: boolean;
  /** What the findings collection publishes; the act/stix objects of the live findings when left out (source.ts). */
  source?: StixSource;
  /** The write collection; built from serve.taxii.inbox when left out (null when it is not enabled). */
  inbox?: Inbox | null;
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
  if (s[1] === 'status') return 'status';
  if (s.length === 2) return 'collections';
  if (s.length === 3) return 'collection';
  if (s.length === 4) return s[3] === 'manifest' ? 'manifest' : 'objects';
  if (s.length === 5) return 'object';
  if (s.length === 6) return 'versions';
  return 'other';
}

export class TaxiiService implements Service {
  readonly name = 'taxii';
  private readonly listener: GovernedListener;
  private readonly auth: Authenticator;
  private secureContext: SecureContext | null;
  private tokensFile: string;
  private readonly collections: TaxiiCollection[];
  readonly inbox: Inbox | null;
  private tlsFiles: TlsFiles | null;
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
    this.listener = new GovernedListener('taxii', this.gate);
    this.logLimit = governor.logLimiter('taxii');
    this.tokensFile = options.tokens;
    this.auth = new Authenticator(this.readTokens(options.tokens), context.registry, new AuthThrottle(options.throttle));
    this.tlsFiles = options.tls ?? null;
    this.secureContext = this.tlsFiles === null ? null : loadTlsContext(this.tlsFiles);
    const findings =
      options.source ?? findingsSource({ flagged: context.flagged, networks: () => context.detector.networks.summaries() }, () => stixOptionsOf(this.context.config));
    this.collections = [{ ...FINDINGS, source: findings }];
    this.inbox = options.inbox !== undefined ? options.inbox : inboxOf(context);
    if (this.inbox !== null) this.collections.push({ ...INBOX, source: this.inbox });
    this.metrics = taxiiMetrics(context.registry);
  }

  get port(): number {
    return this.listener.port;
  }

  /** Scheme and authority of this listener, for discovery's API root URLs. */
  private origin(): string {
    const host = this.listen.family === 6 ? `[${this.listen.host}]` : this.listen.host;
    return `${this.secureContext === null ? 'http' : 'https'}://${host}:${this.port}`;
  }

  async start(): Promise<void> {
    for (const problem of this.inbox?.load() ?? []) this.context.log.warn({ service: 'taxii' }, problem);
    if (this.inbox !== null && this.context.intel == null) {
      this.context.log.warn({ service: 'taxii' }, 'taxii: the inbox keeps what partners post, but no intel feed set runs to use it');
    }
    await this.listener.listen(this.listen, (req, res) => this.serve(req, res), this.secureContext === null ? undefined : () => this.secureContext!, { maxHeaderSize: 16 * 1024 });
  }

  async stop(): Promise<void> {
    await this.listener.close();
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
    const config = next.serve.taxii;
    const tls = reloadTlsFiles('taxii', this.tlsFiles, this.options.tlsFromFlag === true, config.tls);
    const secureContext = tls === null ? null : loadTlsContext(tls);
    return () => {
      this.auth.replace(tokens);
      this.tokensFile = tokensFile;
      this.tlsFiles = tls;
      if (secureContext !== null) this.secureContext = secureContext;
      this.inbox?.configure({ maxObjects: config.inbox.maxObjects, meta: inboxMeta(next) });
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
    const posting = req.method === 'POST';
    const outcome = this.auth.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '', posting ? 'write' : 'read');
    if (!outcome.ok) {
      const title = outcome.status === 401 ? 'Unauthorized' : outcome.status === 403 ? 'Forbidden' : 'Too many requests';
      return this.reply(req, res, taxiiError(outcome.status, title, outcome.message, outcome.headers));
    }
    if (!acceptable(req.headers.accept)) {
      return this.reply(req, res, taxiiError(406, 'Not acceptable', `this server answers ${TAXII_MEDIA_TYPE} only`));
    }
    const poster = outcome.principal.name;
    if (posting && resource === 'objects') return void this.post(req, res, path, poster);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.reply(req, res, taxiiError(405, 'Method not allowed', 'GET and HEAD, and POST to a writable collection\'s objects', { allow: 'GET, HEAD' }));
    }
    const site: TaxiiSite = {
      collections: this.collectionsFor(outcome.principal.name, outcome.principal.role),
      canWrite: roleAllows(outcome.principal.role, 'write'),
      status: (id) => (this.inbox?.status(id, poster) as Record<string, unknown> | null | undefined) ?? null,
    };
    // The findings are brought up to date first, in slices (source.ts fresh): a republication of 100,000
    // objects never holds the daemon's event loop; requests meanwhile wait for the same one.
    const target = this.collections.find((c) => c.id === path.split('/')[3]);
    const ready = target?.source.fresh?.() ?? Promise.resolve();
    void ready.then(
      () => this.answerNow(req, res, path, url, q, site, resource),
      (err: unknown) => this.reply(req, res, this.failed(resource, err as Error)),
    );
  }

  private answerNow(req: IncomingMessage, res: ServerResponse, path: string, url: string, q: number, site: TaxiiSite, resource: string): void {
    let result: TaxiiAnswer;
    try {
      result = answer(path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), site, this.origin());
    } catch (err) {
      result = this.failed(resource, err as Error);
    }
    this.reply(req, res, result);
  }

  /**
   * The collections as `name` (of `role`) sees them: the inbox holds one
   * partner's posts only for that partner (TLP:RED sent by one must never
   * reach another), every poster's for an admin; a read-only token can post
   * nothing, so it reads nothing there (can_read false, 403).
   */
  private collectionsFor(name: string, role: Principal['role']): TaxiiCollection[] {
    const inbox = this.inbox;
    if (inbox === null) return this.collections;
    const admin = roleAllows(role, 'admin');
    return this.collections.map((c) =>
      c.id === INBOX.id ? { ...c, readable: roleAllows(role, 'write'), source: inbox.sourceFor(admin ? 'all' : { poster: name }) } : c,
    );
  }

  /** §5.5 Add Objects: into the inbox (202 and a status resource); the findings collection is read-only (403). */
  private async post(req: IncomingMessage, res: ServerResponse, path: string, poster: string): Promise<void> {
    const target = path.split('/')[3];
    if (this.inbox === null || target !== INBOX.id) {
      const known = this.collections.some((c) => c.id === target);
      req.resume();
      return known
        ? this.reply(req, res, taxiiError(403, 'Forbidden', 'this collection is read-only (can_write false)'))
        : this.reply(req, res, taxiiError(404, 'Not found', `no collection ${String(target).slice(0, 64)}`));
    }
    const body = await readJsonBody(req, MAX_CONTENT_LENGTH, BODY_TIMEOUT_MS, TAXII_BODY);
    if (!body.ok) {
      const titles = { 400: 'Bad request', 408: 'Request timeout', 413: 'Payload too large', 415: 'Unsupported media type' } as const;
      // A refused body may still be on the wire: the connection cannot carry another request.
      return this.reply(req, res, taxiiError(body.status, titles[body.status], body.message, { connection: 'close' }));
    }
    let result: TaxiiAnswer;
    try {
      const dropped = this.inbox.stats.dropped;
      const status = await this.inbox.post(poster, body.body);
      this.metrics.inboxObjects.inc({ outcome: 'accepted' }, status.success_count);
      this.metrics.inboxObjects.inc({ outcome: 'failed' }, status.failure_count);
      this.metrics.inboxObjects.inc({ outcome: 'dropped' }, this.inbox.stats.dropped - dropped);
      if (status.failure_count > 0) this.context.log.info({ service: 'taxii', poster, failures: status.failure_count }, 'inbox objects refused');
      result = { status: 202, body: status as unknown as Record<string, unknown>, headers: {} };
    } catch (err) {
      result =
        err instanceof InboxError
          ? taxiiError(err.status, err.status === 413 ? 'Payload too large' : 'Bad request', err.message)
          : this.failed('objects', err as Error);
    }
    this.reply(req, res, result);
  }

  private failed(resource: string, err: Error): TaxiiAnswer {
    const held = this.logLimit.take(resource);
    if (held !== null) this.context.log.error({ service: 'taxii', resource, err: err.message, ...suppressedField(held) }, 'TAXII request failed');
    return taxiiError(500, 'Internal error', 'logged on the server');
  }

  private reply(req: IncomingMessage, res: ServerResponse, result: TaxiiAnswer): void {
    const headers = { ...baseHeaders(this.secureContext !== null), ...noStore(), 'content-type': TAXII_MEDIA_TYPE, ...result.headers };
    send(req, res, result.status, headers, `${JSON.stringify(result.body)}\n`);
  }
}

/** How the inbox's feeds are used (serve.taxii.inbox): never expiring, replaced by the poster's next post. */
function inboxMeta(config: Config): { action: 'block' | 'log'; confidence: number; expiry: number } {
  const inbox = config.serve.taxii.inbox;
  return { action: inbox.action, confidence: inbox.confidence, expiry: 0 };
}

/** The write collection of serve.taxii.inbox, or null when it is off. */
function inboxOf(context: ServeContext): Inbox | null {
  const inbox = context.config.serve.taxii.inbox;
  if (!inbox.enabled) return null;
  return new Inbox({ cacheDir: context.config.intel.cacheDir, maxObjects: inbox.maxObjects, meta: inboxMeta(context.config), intel: () => context.intel ?? null });
}
