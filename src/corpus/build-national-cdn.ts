/**
 * Builder for national-cdn: a multi-carrier CDN inside one country, the way
 * Chinese, Russian, Brazilian and Vietnamese CDNs place caches in each
 * national carrier (China: Chinanet, Unicom, Mobile, CERNET, CN2; Russia:
 * Rostelecom, MTS, Beeline, MegaFon; ...) and steer every resolver to the
 * carrier it sits in. Per country two CDN operators, each with a word-pair
 * domain of its own (in no known-CDN list) and 2-3 edge clusters (a few
 * addresses in one /24) in each carrier, placed in ranges the country data
 * puts in that country. A customer name (a word pair under the country's
 * suffixes), often a CNAME into the operator's domain, is steered among the
 * clusters of 3-5 carriers with stickiness, 1-4 A records per answer, TTL
 * 30-120 s: over a day, several ASNs, one country.
 */
import { NATIONAL_CARRIERS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, pickSome, uniqueDomain } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import { formatIPv4 } from '../model/names.js';
import type { Prng } from './prng.js';
import { Regions } from './regions.js';
import { hostName, token, word } from './vocabulary.js';

/** Public suffixes of each country's sites. */
const COUNTRY_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  CN: ['cn', 'com.cn', 'com', 'net.cn'],
  RU: ['ru', 'ru', 'com', 'su'],
  BR: ['com.br', 'com.br', 'net.br', 'com'],
  VN: ['vn', 'com.vn', 'com', 'net.vn'],
};
/** Suffixes of each country's CDN operators' own domains. */
const CDN_SUFFIXES: Readonly<Record<string, readonly string[]>> = { CN: ['com', 'net', 'cn'], RU: ['ru', 'net'], BR: ['com.br', 'net'], VN: ['vn', 'com', 'net'] };
const HOSTS = ['www', 'static', 'img', 'video', 'dl', 'api', 'm', 'cdn', ''];
const ADDRESS_TTLS = [30, 60, 60, 120];
const OPERATORS_PER_COUNTRY = 2;

interface EdgeCluster {
  asn: number;
  v4: string[];
}

interface Operator {
  country: string;
  domain: string;
  /** Carriers (at least three) and their clusters. */
  clusters: ReadonlyMap<number, readonly EdgeCluster[]>;
  servers: ZoneServers;
}

export function buildNationalCdn(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const operators = buildOperators(ctx, rng);
  while (out.length < names) {
    const op = rng.pick(operators);
    const suffixes = COUNTRY_SUFFIXES[op.country] ?? ['com'];
    const registeredDomain = uniqueDomain(ctx, () => `${word(rng)}${rng.chance(0.3) ? '-' : ''}${word(rng)}.${rng.pick(suffixes)}`);
    for (const host of pickSome(HOSTS, Math.min(names - out.length, rng.range(1, 2)), rng)) {
      const name = hostName(host, registeredDomain);
      const carriers = pickSome([...op.clusters.keys()], rng.range(3, Math.min(5, op.clusters.size)), rng);
      const chain = rng.chance(0.6) ? [{ target: `${token(rng, 8)}.${host === '' ? 'apex' : host}.${op.domain}`, ttl: rng.pick([300, 600, 3600]) }] : [];
      for (const link of chain) addAnswerName(ctx, link.target, 'national-cdn');
      const routes: Route[] = carriers.flatMap((asn) => (op.clusters.get(asn) ?? []).map((c) => ({ chain, v4: c.v4, v6: [] })));
      const addressTtl = rng.pick(ADDRESS_TTLS);
      out.push(
        new SteeredName({
          label: { name, registeredDomain, class: 'national-cdn', flux: null, network: null },
          routes,
          weights: routes.map(() => rng.range(1, 4)),
          steerTtl: addressTtl,
          stickiness: rng.pick([0.5, 0.7, 0.85]),
          addressTtl,
          perAnswer: rng.range(1, 4),
          selection: 'sample',
          phase: rng.next() * 86400,
          // Without a CNAME the customer's zone is delegated to the operator's servers.
          servers: chain.length === 0 ? { ...op.servers, zone: registeredDomain } : op.servers,
        }),
      );
    }
  }
  return out;
}

/** Two operators per country whose data places at least three of its carriers there. */
function buildOperators(ctx: BuildContext, rng: Prng): Operator[] {
  const regions = Regions.load(ctx.space);
  const operators: Operator[] = [];
  for (const [country, asns] of Object.entries(NATIONAL_CARRIERS)) {
    const carriers = ctx.space.knownV4(asns).filter((asn) => regions.hasCountry(asn, country));
    if (carriers.length < 3) continue;
    for (let n = 0; n < OPERATORS_PER_COUNTRY; n++) {
      const domain = uniqueDomain(ctx, () => `${word(rng)}${word(rng)}${rng.pick(['cdn', 'cache', 'edge', 'dns'])}.${rng.pick(CDN_SUFFIXES[country] ?? ['net'])}`);
      const clusters = new Map<number, EdgeCluster[]>();
      for (const asn of carriers) {
        clusters.set(
          asn,
          Array.from({ length: rng.range(2, 3) }, () => ({ asn, v4: neighbourAddresses(regions.pickV4(asn, country, rng), rng.range(2, 6), rng) })),
        );
      }
      const first = carriers[0] as number;
      const ns = [1, 2, 3, 4].map((i) => `ns${i}.${domain}`);
      const servers = { zone: domain, ns, glue: ns.map(() => formatIPv4(regions.pickV4(first, country, rng))), ttl: 86400 };
      operators.push({ country, domain, clusters, servers });
    }
  }
  if (operators.length === 0) throw new Error('corpus: population: the ASN data places no three national carriers in one country');
  return operators;
}
