/**
 * Builder for cdn-akamai-isp: customer names CNAMEd into Akamai
 * (`edgekey.net` → `akamaiedge.net`, or `edgesuite.net` → `akamai.net`),
 * answered from edge clusters that sit in Akamai's own ASNs and, for the
 * hard part, inside ISPs' networks (Akamai's caches embedded at access
 * providers). Akamai's mapping moves a name between clusters over the day,
 * so one name shows a few dozen addresses in several ASNs, eyeball networks
 * among them, with a TTL of 20 s.
 */
import { AKAMAI_HOST_ISPS, CDN_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, pickSome, uniqueDomain } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import { CDN_HOSTS, CDN_STYLES } from './build-cdn.js';
import type { EdgeSite } from './build-cdn.js';
import type { CnameLink, DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import type { Prng } from './prng.js';
import { benignRegisteredDomain, hostName } from './vocabulary.js';

const AKAMAI_CLUSTERS = 16;
const ISP_CLUSTERS = 24;
const ADDRESS_TTL = 20;
/** Akamai's own CNAMEs (edgekey.net → akamaiedge.net) live for 6 hours. */
const EDGE_LINK_TTL = 21600;
const CUSTOMER_TTLS = [300, 600, 3600, 7200];

const AKAMAI_NET_SERVERS: ZoneServers = {
  zone: 'akamai.net',
  ns: ['n0dscb.akamai.net', 'n1dscb.akamai.net', 'n2dscb.akamai.net', 'n3dscb.akamai.net', 'n4dscb.akamai.net'],
  glue: [],
  ttl: 4000,
};

export function buildAkamaiIsp(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const own = clusters(ctx, CDN_ASNS.akamai, AKAMAI_CLUSTERS, rng);
  const embedded = clusters(ctx, AKAMAI_HOST_ISPS, ISP_CLUSTERS, rng);
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const hosts = new Set(['www']);
    if (names - out.length > 1 && rng.chance(0.4)) hosts.add(rng.pick(CDN_HOSTS));
    for (const host of hosts) {
      const name = hostName(host, registeredDomain);
      const chain = akamaiChain(name, rng);
      for (const link of chain) addAnswerName(ctx, link.target, 'cdn-akamai-isp');
      // Both kinds on every name: a few Akamai clusters and a few ISP caches.
      const picked = [...pickSome(own, rng.range(2, 4), rng), ...pickSome(embedded, rng.range(1, 3), rng)];
      const routes: Route[] = picked.map((c) => ({ chain, v4: c.v4, v6: c.v6 }));
      out.push(
        new SteeredName({
          label: { name, registeredDomain, class: 'cdn-akamai-isp', flux: null, network: null },
          routes,
          steerTtl: ADDRESS_TTL,
          // Mapping keeps a resolver on one cluster for a while, then moves it.
          stickiness: 0.85,
          addressTtl: ADDRESS_TTL,
          perAnswer: 2,
          selection: 'sample',
          phase: rng.next() * 86400,
          servers: chain[1]?.target.endsWith('.akamai.net') === true ? AKAMAI_NET_SERVERS : CDN_STYLES.akamai.servers,
        }),
      );
    }
  }
  return out;
}

/** Customer CNAME → Akamai edge hostname, in one of Akamai's two naming families. */
function akamaiChain(name: string, rng: Prng): CnameLink[] {
  const customer = { ttl: rng.pick(CUSTOMER_TTLS) };
  if (rng.chance(0.6)) {
    return [
      { target: `${name}.edgekey.net`, ...customer },
      { target: `e${rng.range(1000, 99999)}.${rng.pick(['a', 'b', 'dscx', 'dscb'])}.akamaiedge.net`, ttl: EDGE_LINK_TTL },
    ];
  }
  return [
    { target: `${name}.edgesuite.net`, ...customer },
    { target: `a${rng.range(100, 9999)}.${rng.pick(['dscb', 'dsca', 'g', 'w10'])}.akamai.net`, ttl: EDGE_LINK_TTL },
  ];
}

/** Edge clusters of 8-16 addresses in one /24 each, spread over `asns`. */
function clusters(ctx: BuildContext, asns: readonly number[], count: number, rng: Prng): EdgeSite[] {
  const known = ctx.space.knownV4(asns);
  if (known.length === 0) throw new Error('corpus: population: no Akamai or Akamai-hosting ASN has IPv4 ranges in the ASN data');
  return Array.from({ length: count }, () => {
    const asn = rng.pick(known);
    const v4 = neighbourAddresses(ctx.space.pickV4(asn, rng), rng.range(8, 16), rng);
    const v6 = ctx.space.hasV6(asn) ? [ctx.space.pickV6Text(asn, rng), ctx.space.pickV6Text(asn, rng)] : [];
    return { v4, v6 };
  });
}
