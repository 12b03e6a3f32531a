/**
 * The 'dns' service factory: `--dns ADDRESS:PORT` turns the forwarder on;
 * every option falls back to config.serve.dns. Options are parsed once here.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { ServeContext, ServiceFactory } from '../service.js';
import { parseEndpoint, parseUpstream, type Endpoint } from '../endpoint.js';
import { caSourceName, readCaBundle, type UpstreamCaSource } from './upstream-ca.js';
import { ClientAcl } from '../acl.js';
import { DnsForwarder, type TlsListenerOptions, type ForwarderOptions } from './forwarder.js';

export { DnsForwarder } from './forwarder.js';
export type { TlsListenerOptions, ForwarderOptions } from './forwarder.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function dnsService(): ServiceFactory {
  return {
    name: 'dns',
    addOptions(command: Command) {
      command
        .option('--dns <address:port>', 'run the Protective DNS forwarder on this address, UDP and TCP (serve.dns.listen)')
        .option('--upstream <address:port>', 'upstream resolver, ADDRESS:PORT, tls://ADDRESS:PORT#NAME (DNS over TLS) or https://ADDRESS:PORT/PATH#NAME (DNS over HTTPS); repeat for more, tried in turn (serve.dns.upstreams)', collect)
        .option('--upstream-ca <file>', 'PEM CA bundle that tls:// and https:// upstream certificates must chain to; default the system roots (serve.dns.upstreamCa)')
        .option('--allow <cidr...>', 'client networks allowed to ask (serve.dns.allow; default loopback only)')
        .option('--dot <address:port>', 'also serve DNS over TLS (RFC 7858) on this address, usually port 853; needs --dot-cert and --dot-key (serve.dns.dot.listen)')
        .option('--dot-cert <file>', 'PEM certificate (chain) for --dot, TLS 1.2+ (serve.dns.dot.tls.cert)')
        .option('--dot-key <file>', 'PEM private key of --dot-cert (serve.dns.dot.tls.key)')
        .option('--dot-customer-domain <name>', 'SNI LABEL.NAME on --dot names customer LABEL of config customers (serve.dns.dot.customerDomain)')
        .option('--dot-allow <cidr...>', 'client networks allowed to connect to --dot (serve.dns.dot.allow; default those of --allow)')
        .option('--dot-require-customer', 'answer --dot only for connections whose SNI names a customer under --dot-customer-domain, others REFUSED (serve.dns.dot.requireCustomer)')
        .option('--doh <address:port>', 'DNS over HTTPS (RFC 8484) at /dns-query on this address, HTTP/2 and HTTP/1.1 over TLS (serve.dns.doh.listen)')
        .option('--doh-cert <file>', 'PEM certificate (chain) of the DoH listener (serve.dns.doh.tls.cert)')
        .option('--doh-key <file>', 'PEM private key of the DoH listener (serve.dns.doh.tls.key)')
        .option('--doh-allow <cidr...>', 'client networks allowed to connect to --doh (serve.dns.doh.allow; default those of --allow)')
        .option('--doh-require-customer', 'answer --doh only at /dns-query/CUSTOMER of a configured customer, /dns-query gets 403 (serve.dns.doh.requireCustomer)')
        .option('--rate-limit <qps>', 'queries per second per client before dropping; 0 = none (serve.dns.rateLimit, 200)');
    },
    create(flags, context) {
      const options = forwarderOptions(flags, context);
      return options === null ? null : new DnsForwarder(options, context);
    },
  };
}

/** The upstream resolvers (--upstream, else serve.dns.upstreams): the forwarder's, and those active confirmation probes through. */
export function upstreamEndpoints(flags: Record<string, unknown>, context: ServeContext): Endpoint[] {
  const texts = Array.isArray(flags.upstream) ? (flags.upstream as string[]) : context.config.serve.dns.upstreams;
  try {
    return texts.map((u) => parseUpstream(u, 'serve: --upstream'));
  } catch (err) {
    const message = (err as Error).message;
    throw new UsageError(message.startsWith('serve:') ? message : `serve: ${message}`);
  }
}

/** Where the CA bundle of encrypted upstreams comes from (--upstream-ca, else serve.dns.upstreamCa; null = the system roots). */
export function upstreamCaSource(flags: Record<string, unknown>, context: ServeContext): UpstreamCaSource {
  const fixed = typeof flags.upstreamCa === 'string';
  return { file: fixed ? (flags.upstreamCa as string) : context.config.serve.dns.upstreamCa, fixed };
}

/** The PEM CA bundle tls:// upstreams are verified against, or undefined for the system roots; a bad file is a usage error. */
export function upstreamCaBundle(flags: Record<string, unknown>, context: ServeContext): Buffer | undefined {
  const { file, fixed } = upstreamCaSource(flags, context);
  if (file === null) return undefined;
  try {
    return readCaBundle(file, caSourceName(fixed));
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}`);
  }
}

export function forwarderOptions(flags: Record<string, unknown>, context: ServeContext): ForwarderOptions | null {
  const cfg = context.config.serve.dns;
  const listen = typeof flags.dns === 'string' ? flags.dns : cfg.listen;
  if (listen === null) {
    for (const kind of ['dot', 'doh'] as const) {
      if (typeof flags[kind] === 'string' || cfg[kind].listen !== null) throw new UsageError(`serve: --${kind} needs --dns (its queries are answered by the forwarder)`);
      const stray = strayListenerFlag(kind, flags);
      if (stray !== null) throw new UsageError(stray);
    }
    return null;
  }
  const allow = Array.isArray(flags.allow) ? (flags.allow as string[]) : cfg.allow;
  let rateLimit = cfg.rateLimit;
  if (flags.rateLimit !== undefined) {
    rateLimit = Number(flags.rateLimit);
    if (!Number.isFinite(rateLimit) || rateLimit < 0) throw new UsageError(`serve: --rate-limit takes queries per second (0 = none), not '${String(flags.rateLimit)}'`);
  }
  try {
    const endpoint = parseEndpoint(listen, null, 'serve: --dns');
    const upstreams = upstreamEndpoints(flags, context);
    if (upstreams.length === 0) throw new Error('serve: --dns needs at least one --upstream resolver');
    for (const u of upstreams) {
      if (u.host === endpoint.host && u.port === endpoint.port) throw new Error(`serve: --upstream ${u.host}:${u.port} is fluxhound itself`);
    }
    new ClientAcl(allow);
    const upstreamCa = upstreamCaBundle(flags, context);
    const dot = tlsListenerOptions('dot', flags, cfg.dot, 853, endpoint);
    if (dot !== null) dot.customerDomain = customerDomain(flags, cfg.dot.customerDomain, context);
    const doh = tlsListenerOptions('doh', flags, cfg.doh, 443, endpoint);
    if (dot !== null) encryptedAccess(dot, 'dot', flags, cfg.dot, allow, context);
    if (doh !== null) encryptedAccess(doh, 'doh', flags, cfg.doh, allow, context);
    // A list of a listener that is off is checked too: turning the listener on later must not be the moment it fails.
    for (const kind of ['dot', 'doh'] as const) new ClientAcl(cfg[kind].allow ?? [], `serve: --${kind}-allow`);
    if (dot !== null && doh !== null && sameSocket(dot.listen, doh.listen)) throw new Error(`serve: --doh ${doh.listen.host}:${doh.listen.port} is the port of --dot`);
    return {
      upstreamCa,
      upstreamCaSource: upstreamCaSource(flags, context),
      upstreamTls: cfg.upstreamTls,
      dot: dot === null ? null : { ...dot, idleMs: cfg.dot.idleMs, maxInFlight: cfg.dot.maxInFlight },
      doh,
      listen: endpoint,
      upstreams,
      allow,
      rateLimit,
      timeout: cfg.timeout,
      cacheBytes: cfg.cacheBytes,
      cacheAnswerBytes: cfg.cacheAnswerBytes,
      maxTtl: cfg.maxTtl,
      maxPending: cfg.maxPending,
      maxPendingPerClient: cfg.maxPendingPerClient,
      detectorQueue: cfg.detectorQueue,
    };
  } catch (err) {
    const message = (err as Error).message;
    throw new UsageError(message.startsWith('serve:') ? message : `serve: ${message}`);
  }
}

/**
 * An encrypted listener (--dot/--doh with -cert and -key, else serve.dns.dot/doh): null when off. A listener
 * without both files, or on the TCP port of --dns, is a usage error.
 */
function tlsListenerOptions(kind: 'dot' | 'doh', flags: Record<string, unknown>, cfg: Pick<ServeContext['config']['serve']['dns']['dot'], 'listen' | 'tls'>, defaultPort: number, dns: Endpoint): TlsListenerOptions | null {
  const flagCert = flags[`${kind}Cert`];
  const flagKey = flags[`${kind}Key`];
  const listen = typeof flags[kind] === 'string' ? (flags[kind] as string) : cfg.listen;
  const cert = typeof flagCert === 'string' ? flagCert : cfg.tls.cert;
  const key = typeof flagKey === 'string' ? flagKey : cfg.tls.key;
  const stray = listen === null ? strayListenerFlag(kind, flags) : null;
  if (stray !== null) throw new Error(stray);
  if ((cert === null) !== (key === null)) throw new Error(`serve: --${kind}-cert and --${kind}-key go together (serve.dns.${kind}.tls.cert, serve.dns.${kind}.tls.key)`);
  if (listen === null) return null;
  if (cert === null || key === null) throw new Error(`serve: --${kind} needs --${kind}-cert and --${kind}-key (serve.dns.${kind}.tls)`);
  const endpoint = parseEndpoint(listen, defaultPort, `serve: --${kind}`);
  if (sameSocket(endpoint, dns)) throw new Error(`serve: --${kind} ${endpoint.host}:${endpoint.port} is the port of --dns`);
  return { listen: endpoint, tls: { cert, key }, fixedFiles: typeof flagCert === 'string' };
}

/**
 * Who may use an encrypted listener: --dot-allow/--doh-allow, else
 * serve.dns.dot/doh.allow, else the forwarder's own list; and whether a
 * client must name a configured customer (requireCustomer), which needs a
 * way to name one: DoT a customer domain, DoH configured customers.
 */
function encryptedAccess(listener: TlsListenerOptions, kind: 'dot' | 'doh', flags: Record<string, unknown>, cfg: { allow: string[] | null; requireCustomer: boolean }, allow: string[], context: ServeContext): void {
  const own = flags[`${kind}Allow`];
  listener.allow = Array.isArray(own) ? (own as string[]) : (cfg.allow ?? allow);
  new ClientAcl(listener.allow, `serve: --${kind}-allow`);
  listener.requireCustomer = flags[`${kind}RequireCustomer`] === true || cfg.requireCustomer;
  if (!listener.requireCustomer) return;
  if (context.customers.size === 0) throw new Error(`serve: --${kind}-require-customer needs config customers (serve.dns.${kind}.requireCustomer)`);
  if (kind === 'dot' && listener.customerDomain == null) throw new Error('serve: --dot-require-customer needs --dot-customer-domain (serve.dns.dot.customerDomain)');
}

/** A flag of an encrypted listener given without the listener itself, which would be silently dropped: its usage error, else null. */
function strayListenerFlag(kind: 'dot' | 'doh', flags: Record<string, unknown>): string | null {
  if (typeof flags[kind] === 'string') return null;
  const more = kind === 'dot' ? ['cert', 'key', 'customer-domain'] : ['cert', 'key'];
  const camel = (suffix: string): string => kind + suffix.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
  const stray = more.find((suffix) => typeof flags[camel(suffix)] === 'string');
  return stray === undefined ? null : `serve: --${kind}-${stray} needs --${kind}`;
}

/** --dot-customer-domain, else serve.dns.dot.customerDomain: lower case, no trailing dot; null for none. */
function customerDomain(flags: Record<string, unknown>, configured: string | null, context: ServeContext): string | null {
  const text = typeof flags.dotCustomerDomain === 'string' ? flags.dotCustomerDomain : configured;
  if (text === null) return null;
  const domain = text.toLowerCase().replace(/\.$/, '');
  if (!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(domain) || domain.length > 253) throw new Error('serve: --dot-customer-domain takes a domain name such as dns.example.net (serve.dns.dot.customerDomain)');
  if (context.customers.size === 0) throw new Error('serve: --dot-customer-domain names customers, but config customers is empty');
  return domain;
}

/** Two listeners on one TCP socket (port 0 is a fresh one each time). */
function sameSocket(a: Endpoint, b: Endpoint): boolean {
  return a.host === b.host && a.port === b.port && a.port !== 0;
}
