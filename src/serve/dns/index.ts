/**
 * The 'dns' service factory: `--dns ADDRESS:PORT` turns the forwarder on;
 * every option falls back to config.serve.dns. Options are parsed once here.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { ServeContext, ServiceFactory } from '../service.js';
import { parseEndpoint, type Endpoint } from '../endpoint.js';
import { ClientAcl } from '../acl.js';
import { DnsForwarder, type ForwarderOptions } from './forwarder.js';

export { DnsForwarder } from './forwarder.js';
export type { ForwarderOptions } from './forwarder.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function dnsService(): ServiceFactory {
  return {
    name: 'dns',
    addOptions(command: Command) {
      command
        .option('--dns <address:port>', 'run the Protective DNS forwarder on this address, UDP and TCP (serve.dns.listen)')
        .option('--upstream <address:port>', 'upstream resolver; repeat for more, tried in turn (serve.dns.upstreams)', collect)
        .option('--allow <cidr...>', 'client networks allowed to ask (serve.dns.allow; default loopback only)')
        .option('--doh <address:port>', 'DNS over HTTPS (RFC 8484) at /dns-query on this address, HTTP/2 and HTTP/1.1 over TLS (serve.dns.doh.listen)')
        .option('--doh-cert <file>', 'PEM certificate (chain) of the DoH listener (serve.dns.doh.tls.cert)')
        .option('--doh-key <file>', 'PEM private key of the DoH listener (serve.dns.doh.tls.key)')
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
    return texts.map((u) => parseEndpoint(u, 53, 'serve: --upstream'));
  } catch (err) {
    const message = (err as Error).message;
    throw new UsageError(message.startsWith('serve:') ? message : `serve: ${message}`);
  }
}

export function forwarderOptions(flags: Record<string, unknown>, context: ServeContext): ForwarderOptions | null {
  const cfg = context.config.serve.dns;
  const listen = typeof flags.dns === 'string' ? flags.dns : cfg.listen;
  if (listen === null) {
    if (typeof flags.doh === 'string' || cfg.doh.listen !== null) throw new UsageError('serve: --doh needs --dns (DoH queries are answered by the forwarder)');
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
    const doh = dohOptions(flags, context, endpoint);
    return {
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

/** DNS over HTTPS: --doh (else serve.dns.doh.listen) with its certificate and key, both required. */
function dohOptions(flags: Record<string, unknown>, context: ServeContext, dns: Endpoint): ForwarderOptions['doh'] {
  const cfg = context.config.serve.dns.doh;
  const listen = typeof flags.doh === 'string' ? flags.doh : cfg.listen;
  if (listen === null) return null;
  const cert = typeof flags.dohCert === 'string' ? flags.dohCert : cfg.tls.cert;
  const key = typeof flags.dohKey === 'string' ? flags.dohKey : cfg.tls.key;
  if (cert === null || key === null) throw new Error('serve: --doh needs --doh-cert and --doh-key (serve.dns.doh.tls)');
  const endpoint = parseEndpoint(listen, 443, 'serve: --doh');
  if (endpoint.host === dns.host && endpoint.port === dns.port && endpoint.port !== 0) throw new Error(`serve: --doh ${listen} is the --dns port (TCP)`);
  return { listen: endpoint, tls: { cert, key } };
}
