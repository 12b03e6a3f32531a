/**
 * Builder for the flux classes: flux service networks (bot pools spread over
 * many eyeball ASNs), and the single- and double-flux domains they serve.
 * Domains are dealt to networks in turn, so several domains share a pool.
 */
import { EYEBALL_ASNS, HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addExtraLabel, uniqueDomain } from './build-context.js';
import type { ZoneServers } from './behaviours/behaviour.js';
import { FluxName, FluxNetwork, FluxZoneServers } from './behaviours/flux.js';
import type { DomainClass, NameLabel } from './labels.js';
import { fluxKindOf } from './labels.js';
import type { Prng } from './prng.js';
import { WeightedIndex, zipfWeights } from './prng.js';
import { fluxHosts, fluxRegisteredDomain, hostName } from './vocabulary.js';

export interface FluxSpec {
  networks: number;
  singleDomains: number;
  doubleDomains: number;
  /** Bots per network, drawn in [min, max]. */
  poolSize: readonly [number, number];
  /** Eyeball ASNs a network's bots are spread over, drawn in [min, max]; [10, 25] when absent. */
  asnsPerNetwork?: readonly [number, number];
  /** TTLs a flux name's A records may have (one drawn per name); 0-300 s when absent. */
  addressTtls?: readonly number[];
  /** TTLs of a double-flux zone's rotating NS set (one drawn per zone); 0-600 s when absent. */
  nsTtls?: readonly number[];
}

const ADDRESS_TTLS = [0, 0, 30, 60, 60, 120, 150, 180, 300];
const NS_TTLS = [0, 60, 120, 300, 600];
const ASNS_PER_NETWORK: readonly [number, number] = [10, 25];

interface NetworkKit {
  network: FluxNetwork;
  /** Single-flux zones keep fixed servers at a bulletproof DNS host. */
  bulletproof: { ns: string[]; glue: string[] };
  /** Name servers double-flux zones of this network may delegate to, under a shared NS domain. */
  sharedNs: string[];
  sharedNsDomain: string;
}

export function buildFlux(ctx: BuildContext, spec: FluxSpec, rng: Prng): FluxName[] {
  if (spec.singleDomains + spec.doubleDomains === 0) return [];
  if (spec.networks < 1) throw new Error('corpus: population: flux domains need at least one flux network');
  const kits = Array.from({ length: spec.networks }, (_, i) => buildNetwork(ctx, `fluxnet-${i + 1}`, spec, rng));
  const names: FluxName[] = [];
  for (let i = 0; i < spec.singleDomains; i++) {
    names.push(...buildDomain(ctx, kits[i % kits.length] as NetworkKit, 'flux-single', spec, rng));
  }
  const doubleByNetwork = new Map<NetworkKit, FluxName[]>();
  for (let i = 0; i < spec.doubleDomains; i++) {
    const kit = kits[i % kits.length] as NetworkKit;
    const domainNames = buildDomain(ctx, kit, 'flux-double', spec, rng);
    names.push(...domainNames);
    doubleByNetwork.set(kit, [...(doubleByNetwork.get(kit) ?? []), ...domainNames]);
  }
  for (const [kit, network] of doubleByNetwork) names.push(...buildAliases(kit, network, rng));
  return names;
}

function buildNetwork(ctx: BuildContext, id: string, spec: FluxSpec, rng: Prng): NetworkKit {
  const eyeballs = rng.shuffle(ctx.space.knownV4(EYEBALL_ASNS));
  if (eyeballs.length === 0) throw new Error('corpus: population: no eyeball ASN has IPv4 ranges in the ASN data');
  // A few networks hold most bots (where the malware spread best), a long tail the rest.
  const [minAsns, maxAsns] = spec.asnsPerNetwork ?? ASNS_PER_NETWORK;
  const asns = eyeballs.slice(0, rng.range(Math.min(minAsns, eyeballs.length), Math.min(maxAsns, eyeballs.length)));
  const asnIndex = new WeightedIndex(zipfWeights(asns.length, 0.8));
  const size = rng.range(spec.poolSize[0], spec.poolSize[1]);
  const pool = new Set<string>();
  while (pool.size < size) pool.add(ctx.space.pickV4Text(asns[asnIndex.draw(rng)] as number, rng));

  const hosting = ctx.space.knownV4(HOSTING_ASNS);
  const bpDomain = uniqueDomain(ctx, () => fluxRegisteredDomain(rng));
  const bpAsn = rng.pick(hosting);
  const sharedNsDomain = uniqueDomain(ctx, () => fluxRegisteredDomain(rng));
  return {
    network: new FluxNetwork(id, [...pool]),
    bulletproof: {
      ns: [`ns1.${bpDomain}`, `ns2.${bpDomain}`],
      glue: [ctx.space.pickV4Text(bpAsn, rng), ctx.space.pickV4Text(bpAsn, rng)],
    },
    sharedNs: Array.from({ length: rng.range(6, 10) }, (_, i) => `ns${i + 1}.${sharedNsDomain}`),
    sharedNsDomain,
  };
}

function buildDomain(ctx: BuildContext, kit: NetworkKit, domainClass: DomainClass, spec: FluxSpec, rng: Prng): FluxName[] {
  const registeredDomain = uniqueDomain(ctx, () => fluxRegisteredDomain(rng));
  const label = (name: string, domain = registeredDomain): NameLabel => ({
    name,
    registeredDomain: domain,
    class: domainClass,
    flux: fluxKindOf(domainClass),
    network: kit.network.id,
  });
  let servers: FluxZoneServers;
  if (domainClass === 'flux-double') {
    const inZone = rng.chance(0.5);
    const rotating = inZone ? Array.from({ length: rng.range(4, 10) }, (_, i) => `ns${i + 1}.${registeredDomain}`) : kit.sharedNs;
    for (const ns of rotating) addExtraLabel(ctx, label(ns, inZone ? registeredDomain : kit.sharedNsDomain));
    const initial: ZoneServers = { zone: registeredDomain, ns: [], glue: [], ttl: rng.pick(spec.nsTtls ?? NS_TTLS) };
    servers = new FluxZoneServers(kit.network, initial, rotating, rng.range(2, 4), rng.next() * 86400);
  } else {
    const fixed: ZoneServers = { zone: registeredDomain, ns: kit.bulletproof.ns, glue: kit.bulletproof.glue, ttl: 3600 };
    servers = new FluxZoneServers(kit.network, fixed, null, fixed.ns.length, 0);
  }
  const minPerAnswer = rng.range(1, 3);
  return fluxHosts(rng, 2).map(
    (host) =>
      new FluxName({
        label: label(hostName(host, registeredDomain)),
        network: kit.network,
        servers,
        ttl: rng.pick(spec.addressTtls ?? ADDRESS_TTLS),
        perAnswer: [minPerAnswer, rng.range(Math.max(minPerAnswer, 3), 6)],
        phase: rng.next() * 86400,
      }),
  );
}

/**
 * Some double-flux zones carry a name that is a CNAME to a fluxing name of
 * another zone in the same network: the alias itself never changes, its
 * target's addresses do.
 */
function buildAliases(kit: NetworkKit, doubleNames: readonly FluxName[], rng: Prng): FluxName[] {
  const zones = new Map<string, FluxName>();
  for (const n of doubleNames) if (!zones.has(n.label.registeredDomain)) zones.set(n.label.registeredDomain, n);
  const aliases: FluxName[] = [];
  let index = 0;
  for (const [zone, sample] of zones) {
    // Every other zone, starting with the first, so even a tiny corpus has one chain.
    if (index++ % 2 !== 0) continue;
    const others = doubleNames.filter((n) => n.label.registeredDomain !== zone);
    const target = others.length > 0 ? rng.pick(others) : sample;
    const alias = new FluxName({
      label: { ...sample.label, name: hostName(rng.pick(['go', 'click', 'link']), zone) },
      network: kit.network,
      servers: new FluxZoneServers(kit.network, { zone, ns: [], glue: [], ttl: 0 }, null, 0, 0),
      ttl: 300,
      perAnswer: [1, 1],
      phase: rng.next() * 86400,
    });
    alias.aliasTo(target, rng.pick([300, 600, 1800]));
    aliases.push(alias);
  }
  return aliases;
}
