/** Builders for the benign-static and benign-roundrobin classes. */
import { HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { uniqueDomain } from './build-context.js';
import { BenignRoundRobin } from './behaviours/benign-roundrobin.js';
import { BenignStatic } from './behaviours/benign-static.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import { formatIPv4 } from '../model/names.js';
import { benignZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import { WeightedIndex, zipfWeights } from './prng.js';
import { benignHosts, benignRegisteredDomain, hostName } from './vocabulary.js';

/** Shared by every name without addresses of a family. */
const NONE: readonly string[] = [];
const STATIC_TTLS = [300, 600, 1800, 3600, 3600, 14400, 43200, 86400];
const ROUNDROBIN_TTLS = [60, 120, 180, 300];
const ROUNDROBIN_HOSTS = ['www', 'api', 'pool', 'edge', 'lb', 'ntp', 'push', 'gateway'];

/** A hosting AS per domain, the big clouds more often than the small hosts. */
function hostingPicker(ctx: BuildContext): (rng: Prng) => number {
  const asns = ctx.space.knownV4(HOSTING_ASNS);
  if (asns.length === 0) throw new Error('corpus: population: no hosting ASN has IPv4 ranges in the ASN data');
  const index = new WeightedIndex(zipfWeights(asns.length, 0.6));
  return (rng) => asns[index.draw(rng)] as number;
}

export function buildBenignStatic(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  const pickAsn = hostingPicker(ctx);
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const asn = pickAsn(rng);
    const servers = benignZoneServers(registeredDomain, asn, ctx.space, rng);
    for (const host of benignHosts(rng, Math.min(3, names - out.length))) {
      const v4: string[] = [ctx.space.pickV4Text(asn, rng)];
      if (rng.chance(0.25)) v4.push(ctx.space.pickV4Text(asn, rng));
      const v6 = ctx.space.hasV6(asn) && rng.chance(0.3) ? [ctx.space.pickV6Text(asn, rng)] : NONE;
      out.push(
        new BenignStatic({
          label: { name: hostName(host, registeredDomain), registeredDomain, class: 'benign-static', flux: null, network: null },
          v4,
          v6,
          ttl: rng.pick(STATIC_TTLS),
          phase: rng.next() * 86400,
          servers,
        }),
      );
    }
  }
  return out;
}

export function buildBenignRoundRobin(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  const pickAsn = hostingPicker(ctx);
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const asn = pickAsn(rng);
    const pool = neighbourAddresses(ctx.space.pickV4(asn, rng), rng.range(4, 8), rng);
    const name = hostName(rng.pick(ROUNDROBIN_HOSTS), registeredDomain);
    out.push(
      new BenignRoundRobin({
        label: { name, registeredDomain, class: 'benign-roundrobin', flux: null, network: null },
        pool,
        perAnswer: rng.chance(0.5) ? pool.length : rng.range(1, 3),
        ttl: rng.pick(ROUNDROBIN_TTLS),
        phase: rng.next() * 86400,
        servers: benignZoneServers(registeredDomain, asn, ctx.space, rng),
      }),
    );
  }
  return out;
}

/**
 * `count` distinct host addresses in the /24 of `seed`, as a load balancer
 * pool usually sits; the whole /24 belongs to the seed's AS in practice.
 */
export function neighbourAddresses(seed: number, count: number, rng: Prng): string[] {
  const base = seed - (seed & 255);
  const hosts = new Set<number>();
  while (hosts.size < count) hosts.add(rng.range(1, 254));
  return [...hosts].map((h) => formatIPv4(base + h));
}
