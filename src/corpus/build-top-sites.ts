/**
 * Builder for top-site: the most popular registered domains (google.com,
 * wikipedia.org, amazon.com, ...; `TOP_SITES`), each served from its own AS
 * and/or one to three CDNs and clouds. `www` and other hosts are steered
 * between the providers (multi-CDN: a CNAME into the chosen provider, TTL
 * 60-300 s); the apex answers A records of the main provider (an apex cannot
 * be a CNAME). The zone's NS set is stable: the site's own servers or a
 * managed DNS service's. Returned in popularity order.
 */
import { AMAZON_US_EAST_ASN, MICROSOFT_ASN } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, benignLabel, once } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import { CDN_STYLES, edgeSites } from './build-cdn.js';
import type { EdgeSite } from './build-cdn.js';
import { AWS_REGIONS, regionalNodes } from './build-cloud-lb.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import { siteZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import { token } from './vocabulary.js';
import type { SiteProvider, TopSite } from './vocabulary-services.js';
import { TOP_SITE_HOSTS, TOP_SITES } from './vocabulary-services.js';

const GOOGLE_CLOUD_ASN = 396982;
const STEER_TTLS = [60, 120, 300];
/** Main provider first: it takes most answers. */
const PROVIDER_WEIGHTS = [6, 3, 1];
const OWN_TTLS = [60, 300, 300, 3600];

const AZURE_FRONT_DOOR_SERVERS: ZoneServers = {
  zone: 't-msedge.net',
  ns: ['ns1.t-msedge.net', 'ns2.t-msedge.net', 'ns3.t-msedge.net', 'ns4.t-msedge.net'],
  glue: [],
  ttl: 172800,
};

/** Edge sites of every provider, built once for all sites on first use. */
class ProviderEdges {
  private readonly sites = new Map<SiteProvider, EdgeSite[]>();

  constructor(
    private readonly ctx: BuildContext,
    private readonly rng: Prng,
  ) {}

  site(provider: 'akamai' | 'fastly' | 'cloudfront' | 'cloudflare' | 'azure'): EdgeSite {
    const sites = once(this.sites, provider, () => (provider === 'azure' ? this.azureSites() : edgeSites(this.ctx, provider, this.rng)));
    return this.rng.pick(sites);
  }

  private azureSites(): EdgeSite[] {
    const { space } = this.ctx;
    return Array.from({ length: 8 }, () => ({
      v4: neighbourAddresses(space.pickV4(MICROSOFT_ASN, this.rng), 4, this.rng),
      v6: space.hasV6(MICROSOFT_ASN) ? [space.pickV6Text(MICROSOFT_ASN, this.rng), space.pickV6Text(MICROSOFT_ASN, this.rng)] : [],
    }));
  }
}

/** What one site serves from: its own addresses and the provider routes of its names. */
interface SiteKit {
  site: TopSite;
  own: EdgeSite;
  ownPerAnswer: number;
  ownTtl: number;
  servers: ZoneServers;
}

export function buildTopSites(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  const edges = new ProviderEdges(ctx, rng);
  for (const site of TOP_SITES) {
    if (out.length >= names) break;
    const kit = siteKit(ctx, site, rng);
    const hosts = ['www', ''];
    if (rng.chance(0.35)) hosts.push(rng.pick(TOP_SITE_HOSTS));
    for (const host of hosts) {
      const name = host === '' ? site.domain : `${host}.${site.domain}`;
      if (out.length >= names || ctx.usedNames.has(name)) continue;
      ctx.usedNames.add(name);
      out.push(host === '' ? apexName(kit, edges, ctx, rng) : steeredHost(name, kit, edges, ctx, rng));
    }
  }
  if (out.length < names) throw new Error(`corpus: population: top-site has ${out.length} names, ${names} asked for`);
  return out;
}

function siteKit(ctx: BuildContext, site: TopSite, rng: Prng): SiteKit {
  const { space } = ctx;
  const ownAsn = site.asn !== 0 && space.knownV4([site.asn]).length > 0 ? site.asn : 0;
  const v4: string[] = [];
  const v6: string[] = [];
  if (ownAsn !== 0) {
    for (let blocks = rng.range(1, 2); blocks > 0; blocks--) v4.push(...neighbourAddresses(space.pickV4(ownAsn, rng), rng.range(4, 8), rng));
    if (space.hasV6(ownAsn)) for (let i = rng.range(2, 4); i > 0; i--) v6.push(space.pickV6Text(ownAsn, rng));
  }
  const dns = site.dns === 'own' && ownAsn === 0 ? 'route53' : site.dns;
  return {
    site,
    own: { v4: [...new Set(v4)], v6 },
    ownPerAnswer: rng.range(1, 4),
    ownTtl: rng.pick(OWN_TTLS),
    servers: siteZoneServers(site.domain, dns, ownAsn, space, rng),
  };
}

/** The providers a site really can answer from (`own` needs an AS). */
function providersOf(kit: SiteKit): SiteProvider[] {
  const usable = kit.site.providers.filter((p) => p !== 'own' || kit.own.v4.length > 0);
  return usable.length > 0 ? usable : ['cloudfront'];
}

function apexName(kit: SiteKit, edges: ProviderEdges, ctx: BuildContext, rng: Prng): DomainBehaviour {
  // The apex answers the main provider's addresses directly (ALIAS / CNAME flattening).
  const main = providerRoute(providersOf(kit)[0] as SiteProvider, kit.site.domain, 300, kit, edges, ctx, rng);
  const route: Route = { ...main, chain: [] };
  return new SteeredName({
    label: benignLabel(kit.site.domain, 'top-site'),
    routes: [route],
    steerTtl: route.addressTtl ?? kit.ownTtl,
    stickiness: 1,
    addressTtl: route.addressTtl ?? kit.ownTtl,
    perAnswer: route.perAnswer ?? kit.ownPerAnswer,
    selection: 'sample',
    phase: rng.next() * 86400,
    servers: kit.servers,
  });
}

function steeredHost(name: string, kit: SiteKit, edges: ProviderEdges, ctx: BuildContext, rng: Prng): DomainBehaviour {
  const providers = providersOf(kit);
  const steerTtl = providers.length > 1 ? rng.pick(STEER_TTLS) : rng.pick([300, 3600]);
  const routes = providers.map((p) => providerRoute(p, name, steerTtl, kit, edges, ctx, rng));
  for (const route of routes) for (const link of route.chain) addAnswerName(ctx, link.target, 'top-site');
  return new SteeredName({
    label: benignLabel(name, 'top-site'),
    routes,
    weights: PROVIDER_WEIGHTS.slice(0, routes.length),
    steerTtl,
    stickiness: 0.8,
    addressTtl: kit.ownTtl,
    perAnswer: kit.ownPerAnswer,
    selection: 'sample',
    phase: rng.next() * 86400,
    servers: kit.servers,
  });
}

/** How `name` is answered through one provider; the first CNAME is the steered record, with `steerTtl`. */
function providerRoute(provider: SiteProvider, name: string, steerTtl: number, kit: SiteKit, edges: ProviderEdges, ctx: BuildContext, rng: Prng): Route {
  const label = name.replace(/\./g, '-');
  switch (provider) {
    case 'own':
      return { chain: [], v4: kit.own.v4, v6: kit.own.v6 };
    case 'akamai':
    case 'fastly':
    case 'cloudfront':
    case 'cloudflare': {
      const style = CDN_STYLES[provider];
      const chain = style.targets(name, rng).map((target, i) => ({ target, ttl: i === 0 ? steerTtl : style.linkTtl }));
      const site = edges.site(provider);
      return { chain, v4: site.v4, v6: site.v6, servers: style.servers, perAnswer: style.perAnswer, addressTtl: style.addressTtl };
    }
    case 'azure': {
      const chain = [
        { target: `${label}-${token(rng, 12)}.z01.azurefd.net`, ttl: steerTtl },
        { target: `shed.dual-low.part-00${rng.range(10, 99)}.t-0009.t-msedge.net`, ttl: 60 },
      ];
      const site = edges.site('azure');
      return { chain, v4: site.v4, v6: site.v6, servers: AZURE_FRONT_DOOR_SERVERS, perAnswer: 2, addressTtl: 60 };
    }
    case 'gcp': {
      // A Google Cloud load balancer is one or two anycast addresses the site points A records at.
      const v4 = Array.from({ length: rng.range(1, 2) }, () => ctx.space.pickV4Text(GOOGLE_CLOUD_ASN, rng));
      return { chain: [], v4, v6: [], perAnswer: 2, addressTtl: 300 };
    }
    case 'aws': {
      const region = AWS_REGIONS.find((r) => r.asn === AMAZON_US_EAST_ASN) ?? (AWS_REGIONS[0] as (typeof AWS_REGIONS)[number]);
      const chain = [{ target: `${label}-${rng.range(1_000_000_000, 2_147_483_647)}.${region.id}.elb.amazonaws.com`, ttl: steerTtl }];
      return { chain, v4: regionalNodes(ctx, region, rng), v6: [], perAnswer: rng.range(2, 3), addressTtl: 60 };
    }
  }
}
