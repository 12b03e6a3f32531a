/**
 * Builder for flux-slow: slow flux as it is seen in the wild. A small bot
 * pool (tens of machines in a handful of eyeball ASNs in several countries)
 * serves several sibling registered domains; each name is looked up only a
 * few times over the day, answers one or two A records with TTL 0, and keeps
 * fixed name servers at a bulletproof host. Per name the evidence is thin
 * (a few addresses in a few ASNs); across the siblings the shared bot
 * addresses are the tell.
 */
import { EYEBALL_ASNS, HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { uniqueDomain } from './build-context.js';
import type { ZoneServers } from './behaviours/behaviour.js';
import { FluxName, FluxNetwork, FluxZoneServers } from './behaviours/flux.js';
import type { Prng } from './prng.js';
import { WeightedIndex, zipfWeights } from './prng.js';
import type { Schedule } from './schedule.js';
import { spreadOverSpan } from './schedule.js';
import { fluxRegisteredDomain, hostName } from './vocabulary.js';

export interface SlowFluxSpec {
  /** Slow-flux networks (bot pools); labelled `fluxnet-N` after the fast-flux networks. */
  networks: number;
  /** Sibling registered domains per network, [min, max]. */
  domainsPerNetwork: readonly [number, number];
  /** Names per registered domain, [min, max]. */
  namesPerDomain: readonly [number, number];
  /** Bots per network, [min, max]. */
  poolSize: readonly [number, number];
  /** Eyeball ASNs a network's bots are spread over, [min, max]. */
  asnsPerNetwork: readonly [number, number];
  /** A lookups of each name over the span, [min, max]. */
  lookups: readonly [number, number];
}

/** Slow pools sit mostly in two or three access networks, with a few bots elsewhere. */
const SLOW_POOL_SKEW = 1.5;
const HOSTS = ['', 'www', 'secure', 'login', 'update', 'my', 'account', 'dl', 'cdn', 'static'];

/**
 * A pool of `size` bot addresses over `asns`: one in each AS, so every AS of
 * the network shows, the rest by Zipf weights of `skew` (0: evenly), as
 * malware spreads best in a few networks.
 */
export function botPool(ctx: BuildContext, asns: readonly number[], size: number, skew: number, rng: Prng): string[] {
  const pool = new Set<string>();
  for (const asn of asns.slice(0, size)) pool.add(ctx.space.pickV4Text(asn, rng));
  const index = new WeightedIndex(zipfWeights(asns.length, skew));
  while (pool.size < size) pool.add(ctx.space.pickV4Text(asns[index.draw(rng)] as number, rng));
  return [...pool];
}

/** `count` eyeball ASNs of the corpus's list, in random order. */
export function eyeballAsns(ctx: BuildContext, count: number, rng: Prng): number[] {
  const eyeballs = rng.shuffle(ctx.space.knownV4(EYEBALL_ASNS));
  if (eyeballs.length === 0) throw new Error('corpus: population: no eyeball ASN has IPv4 ranges in the ASN data');
  return eyeballs.slice(0, Math.min(count, eyeballs.length));
}

/** Schedule the slow-flux names; networks are numbered from `firstNetwork`. */
export function buildSlowFlux(ctx: BuildContext, spec: SlowFluxSpec, firstNetwork: number, schedule: Schedule, rng: Prng): void {
  const hosting = ctx.space.knownV4(HOSTING_ASNS);
  for (let n = 0; n < spec.networks; n++) {
    const asns = eyeballAsns(ctx, rng.range(spec.asnsPerNetwork[0], spec.asnsPerNetwork[1]), rng);
    const network = new FluxNetwork(`fluxnet-${firstNetwork + n}`, botPool(ctx, asns, rng.range(spec.poolSize[0], spec.poolSize[1]), SLOW_POOL_SKEW, rng));
    const bpDomain = uniqueDomain(ctx, () => fluxRegisteredDomain(rng));
    const bpAsn = rng.pick(hosting);
    const bulletproof = { ns: [`ns1.${bpDomain}`, `ns2.${bpDomain}`], glue: [ctx.space.pickV4Text(bpAsn, rng), ctx.space.pickV4Text(bpAsn, rng)] };
    const domains = rng.range(spec.domainsPerNetwork[0], spec.domainsPerNetwork[1]);
    for (let d = 0; d < domains; d++) {
      const registeredDomain = uniqueDomain(ctx, () => fluxRegisteredDomain(rng));
      const fixed: ZoneServers = { zone: registeredDomain, ...bulletproof, ttl: 3600 };
      const servers = new FluxZoneServers(network, fixed, null, fixed.ns.length, 0);
      const hosts = rng.shuffle([...HOSTS]).slice(0, rng.range(spec.namesPerDomain[0], spec.namesPerDomain[1]));
      for (const host of hosts) {
        const name = new FluxName({
          label: { name: hostName(host, registeredDomain), registeredDomain, class: 'flux-slow', flux: 'single', network: network.id },
          network,
          servers,
          ttl: 0,
          // Mostly one address per answer, some names two.
          perAnswer: [1, rng.chance(0.3) ? 2 : 1],
          phase: rng.next() * 86400,
        });
        schedule.add(name, spreadOverSpan(rng.range(spec.lookups[0], spec.lookups[1]), rng));
      }
    }
  }
}
