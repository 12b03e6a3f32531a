/**
 * The 'dns' service factory: `--dns ADDRESS:PORT` turns the forwarder on;
 * every option falls back to config.serve.dns. Options are parsed once here.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { ServeContext, ServiceFactory } from '../service.js';
import { readFileSync } from 'node:fs';
import { parseEndpoint, parseUpstream, type Endpoint } from '../endpoint.js';
import { ClientAcl } from '../acl.js';
import { DnsForwarder, type DotOptions, type ForwarderOptions } from './forwarder.js';

export { DnsForwarder } from './forwarder.js';
export type { DotOptions, ForwarderOptions } from './forwarder.js';

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

/** The PEM CA bundle tls:// upstreams are verified against (--upstream-ca, else serve.dns.upstreamCa), or undefined for the system roots. */
export function upstreamCaBundle(flags: Record<string, unknown>, context: ServeContext): Buffer | undefined {
  const caFile = typeof flags.upstreamCa === 'string' ? flags.upstreamCa : context.config.serve.dns.upstreamCa;
  if (caFile === null) return undefined;
  try {
    return readFileSync(caFile);
  } catch (err) {
    throw new UsageError(`serve: --upstream-ca ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function forwarderOptions(flags: Record<string, unknown>, context: ServeContext): ForwarderOptions | null {
  const cfg = context.config.serve.dns;
  const listen = typeof flags.dns === 'string' ? flags.dns : cfg.listen;
  if (listen === null) return null;
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
    const dot = dotOptions(flags, cfg.dot);
    if (dot !== null && dot.listen.host === endpoint.host && dot.listen.port === endpoint.port && dot.listen.port !== 0) throw new Error(`serve: --dot ${dot.listen.host}:${dot.listen.port} is the port of --dns`);
    return {
      upstreamCa,
      dot,
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

/** DNS over TLS (--dot, --dot-cert, --dot-key, else serve.dns.dot): null when off; a listener without both files is a usage error. */
function dotOptions(flags: Record<string, unknown>, cfg: ServeContext['config']['serve']['dns']['dot']): DotOptions | null {
  const listen = typeof flags.dot === 'string' ? flags.dot : cfg.listen;
  const cert = typeof flags.dotCert === 'string' ? flags.dotCert : cfg.tls.cert;
  const key = typeof flags.dotKey === 'string' ? flags.dotKey : cfg.tls.key;
  if ((cert === null) !== (key === null)) throw new Error('serve: --dot-cert and --dot-key go together (serve.dns.dot.tls.cert, serve.dns.dot.tls.key)');
  if (listen === null) return null;
  if (cert === null || key === null) throw new Error('serve: --dot needs --dot-cert and --dot-key (serve.dns.dot.tls)');
  return { listen: parseEndpoint(listen, 853, 'serve: --dot'), tls: { cert, key }, fixedFiles: typeof flags.dotCert === 'string' };
}
