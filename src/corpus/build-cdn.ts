/**
 * Builder for the cdn class: customer names CNAMEd into one of four CDNs,
 * each CDN with a handful of edge sites in its own AS that customers share.
 */
import type { CdnProvider } from './asns.js';
import { CDN_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addExtraLabel, uniqueDomain } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import { Cdn } from './behaviours/cdn.js';
import type { CnameLink, DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { NameLabel } from './labels.js';
import type { Prng } from './prng.js';
import { benignRegisteredDomain, hostName, token } from './vocabulary.js';

export interface CdnStyle {
  /** The CNAME targets from the customer's name down to the edge hostname that owns the addresses. */
  targets(qname: string, rng: Prng): string[];
  /** TTL of the CDN's own CNAMEs (every link after the customer's record). */
  linkTtl: number;
  perAnswer: number;
  /** TTL of the edge addresses. Cloudflare really answers 300 s for proxied names; the others 20-60 s. */
  addressTtl: number;
  /** Addresses per edge site; Fastly's anycast names keep the same four. */
  siteSize: readonly [number, number];
  servers: ZoneServers;
}

export const CDN_STYLES: Readonly<Record<CdnProvider, CdnStyle>> = {
  akamai: {
    targets: (qname, rng) => [`${qname}.edgekey.net`, `e${rng.range(1000, 99999)}.${rng.pick(['a', 'b', 'dscx'])}.akamaiedge.net`],
    linkTtl: 21600,
    perAnswer: 2,
    addressTtl: 20,
    siteSize: [6, 16],
    servers: { zone: 'akamaiedge.net', ns: ['n0dscx.akamaiedge.net', 'n1dscx.akamaiedge.net', 'n2dscx.akamaiedge.net', 'a0dscx.akamaiedge.net'], glue: [], ttl: 4000 },
  },
  cloudflare: {
    targets: (qname) => [`${qname}.cdn.cloudflare.net`],
    linkTtl: 300,
    perAnswer: 2,
    addressTtl: 300,
    siteSize: [2, 4],
    servers: { zone: 'cloudflare.net', ns: ['ns1.cloudflare.net', 'ns2.cloudflare.net', 'ns3.cloudflare.net'], glue: [], ttl: 86400 },
  },
  fastly: {
    targets: (_qname, rng) => [`dualstack.${rng.pick(['j', 'n', 'p', 't'])}.sni.global.fastly.net`],
    linkTtl: 3600,
    perAnswer: 4,
    addressTtl: 30,
    siteSize: [4, 4],
    servers: { zone: 'fastly.net', ns: ['ns1.fastly.net', 'ns2.fastly.net', 'ns3.fastly.net', 'ns4.fastly.net'], glue: [], ttl: 3600 },
  },
  cloudfront: {
    targets: (_qname, rng) => [`d${token(rng, 13)}.cloudfront.net`],
    linkTtl: 60,
    perAnswer: 4,
    addressTtl: 60,
    siteSize: [8, 12],
    servers: { zone: 'cloudfront.net', ns: ['ns-1597.awsdns-07.co.uk', 'ns-130.awsdns-16.com', 'ns-1204.awsdns-22.org', 'ns-931.awsdns-52.net'], glue: [], ttl: 172800 },
  },
};

const PROVIDERS = Object.keys(CDN_STYLES) as CdnProvider[];
/** Names a site puts behind a CDN besides www (an apex cannot be a CNAME). */
export const CDN_HOSTS = ['static', 'img', 'assets', 'cdn', 'media', 'shop'];
const SITES_PER_PROVIDER = 12;
const NO_V6: readonly string[] = [];

export interface EdgeSite {
  v4: string[];
  v6: string[];
}

export function buildCdn(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const sites = new Map(PROVIDERS.map((p) => [p, edgeSites(ctx, p, rng)] as const));
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const hosts = new Set(['www']);
    if (names - out.length > 1 && rng.chance(0.4)) hosts.add(rng.pick(CDN_HOSTS));
    for (const host of hosts) {
      const provider = rng.pick(PROVIDERS);
      const style = CDN_STYLES[provider];
      const site = rng.pick(sites.get(provider) ?? []);
      const name = hostName(host, registeredDomain);
      const customerTtl = rng.pick([300, 600, 3600]);
      const chain: CnameLink[] = style.targets(name, rng).map((target, i) => ({ target, ttl: i === 0 ? customerTtl : style.linkTtl }));
      out.push(
        new Cdn({
          label: { name, registeredDomain, class: 'cdn', flux: null, network: null },
          chain,
          edgesV4: site.v4,
          edgesV6: rng.chance(0.5) ? site.v6 : NO_V6,
          perAnswer: style.perAnswer,
          addressTtl: style.addressTtl,
          phase: rng.next() * 86400,
          servers: style.servers,
        }),
      );
      for (const link of chain) addExtraLabel(ctx, cdnHostLabel(link.target));
    }
  }
  return out;
}

/** The CDN's own hostnames sit under its registered domain (edgekey.net, akamaiedge.net, cloudfront.net, ...). */
function cdnHostLabel(name: string): NameLabel {
  const registeredDomain = name.split('.').slice(-2).join('.');
  return { name, registeredDomain, class: 'cdn', flux: null, network: null };
}

/** A CDN's edge sites (one /24 each, in the CDN's own AS) that customers are mapped to. */
export function edgeSites(ctx: BuildContext, provider: CdnProvider, rng: Prng): EdgeSite[] {
  const asns = ctx.space.knownV4(CDN_ASNS[provider]);
  if (asns.length === 0) throw new Error(`corpus: population: no ${provider} ASN has IPv4 ranges in the ASN data`);
  const style = CDN_STYLES[provider];
  const sites: EdgeSite[] = [];
  for (let i = 0; i < SITES_PER_PROVIDER; i++) {
    const asn = rng.pick(asns);
    const v4 = neighbourAddresses(ctx.space.pickV4(asn, rng), rng.range(style.siteSize[0], style.siteSize[1]), rng);
    const v6 = ctx.space.hasV6(asn) ? [ctx.space.pickV6Text(asn, rng), ctx.space.pickV6Text(asn, rng)] : [];
    sites.push({ v4, v6 });
  }
  return sites;
}
