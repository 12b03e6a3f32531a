/**
 * Builder for platform: the single-tenant platforms' own names
 * (`vocabulary-platforms.ts`), answered from their own networks: the
 * look-alike of injection, since the addresses lie in the same ranges a
 * middlebox forges. Each platform has a handful of front-end clusters (a few
 * addresses in one /24 of its AS, with IPv6); a name (or the load-balancer
 * name it is a CNAME to) is steered among 1-3 of them and answers a few
 * addresses with real caching: the TTL counts down and the set changes only
 * when it runs out. Names a top-site already asks for are left to it.
 */
import { PLATFORM_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, benignLabel, once, pickSome } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import type { EdgeSite } from './build-cdn.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import { siteZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import type { Platform } from './vocabulary-platforms.js';
import { PLATFORM_HOSTS } from './vocabulary-platforms.js';

/** Address TTLs and addresses per answer each platform uses. */
const PLATFORM_STYLE: Readonly<Record<Platform, { ttls: readonly number[]; perAnswer: readonly [number, number] }>> = {
  facebook: { ttls: [60, 300], perAnswer: [1, 1] },
  twitter: { ttls: [300, 1800], perAnswer: [2, 4] },
  dropbox: { ttls: [60, 300], perAnswer: [1, 2] },
};
const CLUSTERS_PER_PLATFORM = 8;
const CNAME_TTL = 3600;

export function buildPlatform(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const clusters = new Map<Platform, EdgeSite[]>();
  const servers = new Map<string, ZoneServers>();
  /** One route set per load-balancer name, so every name behind it answers the same clusters. */
  const routesOf = new Map<string, Route[]>();
  for (const host of PLATFORM_HOSTS) {
    if (out.length >= names) break;
    if (ctx.usedNames.has(host.name)) continue;
    ctx.usedNames.add(host.name);
    const asn = PLATFORM_ASNS[host.platform];
    const style = PLATFORM_STYLE[host.platform];
    const sites = once(clusters, host.platform, () => platformClusters(ctx, asn, rng));
    const owner = host.cname === '' ? host.name : host.cname;
    const addressTtl = rng.pick(style.ttls);
    const routes = once(routesOf, owner, () => pickSome(sites, rng.range(1, 3), rng).map((s) => ({ chain: [], v4: s.v4, v6: s.v6 })));
    const chain = host.cname === '' ? [] : [{ target: host.cname, ttl: CNAME_TTL }];
    if (host.cname !== '') addAnswerName(ctx, host.cname, 'platform');
    out.push(
      new SteeredName({
        label: benignLabel(host.name, 'platform'),
        routes: routes.map((r) => ({ ...r, chain })),
        steerTtl: addressTtl,
        stickiness: 0.8,
        addressTtl,
        perAnswer: rng.range(style.perAnswer[0], style.perAnswer[1]),
        perAnswerV6: 1,
        selection: 'sample',
        phase: rng.next() * 86400,
        servers: once(servers, host.zone, () => siteZoneServers(host.zone, 'own', asn, ctx.space, rng)),
      }),
    );
  }
  if (out.length < names) throw new Error(`corpus: population: platform has ${out.length} names, ${names} asked for`);
  return out;
}

/** A platform's front-end clusters: 3-6 addresses in one /24 of its AS, 2 IPv6 where it has IPv6. */
function platformClusters(ctx: BuildContext, asn: number, rng: Prng): EdgeSite[] {
  const { space } = ctx;
  return Array.from({ length: CLUSTERS_PER_PLATFORM }, () => ({
    v4: neighbourAddresses(space.pickV4(asn, rng), rng.range(3, 6), rng),
    v6: space.hasV6(asn) ? [space.pickV6Text(asn, rng), space.pickV6Text(asn, rng)] : [],
  }));
}
