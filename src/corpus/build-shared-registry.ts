/**
 * Builder for shared-registry: providers of free subdomains (and
 * dynamic-DNS-like and hosting-platform-like services) whose customers each
 * delegate their own subdomain `cust.provider.tld` to their own name servers
 * (2-4 NS names at the hosting companies they rent from, or in the child zone
 * with glue), stable per child. Each child answers from its own host. Under
 * the provider's registered domain that adds up to dozens of NS names and
 * addresses in many ASNs: the shape a registered-domain view reads as double
 * flux. The look-alike on the flux side: a few children under such a
 * registry that are genuinely double flux (their own NS set rotates over
 * bots, their addresses come from a flux pool), labelled `flux-double`.
 */
import { HOSTING_ASNS, VOLUNTEER_HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addExtraLabel, benignLabel, uniqueDomain } from './build-context.js';
import type { ZoneServers } from './behaviours/behaviour.js';
import { BenignStatic } from './behaviours/benign-static.js';
import { FluxName, FluxNetwork, FluxZoneServers } from './behaviours/flux.js';
import { botPool, eyeballAsns } from './build-slow-flux.js';
import { benignZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import type { Schedule } from './schedule.js';
import { spreadOverSpan } from './schedule.js';
import { hostName, word } from './vocabulary.js';

export interface SharedRegistrySpec {
  /** Providers, dealt over the three kinds in turn (free subdomains, dynamic DNS, hosting platform). */
  providers: number;
  /** Delegated customer zones per provider, [min, max]. */
  childrenPerProvider: readonly [number, number];
  /** A lookups of each child name over the span, [min, max]; a provider's own names are asked 4 times as often. */
  lookups: readonly [number, number];
  /** Genuinely double-flux children, dealt to providers in turn, each asked 6-12 times; they share one flux network. */
  fluxChildren: number;
}

export type RegistryKind = 'free-subdomain' | 'dynamic-dns' | 'hosting-platform';
const KINDS: readonly RegistryKind[] = ['free-subdomain', 'dynamic-dns', 'hosting-platform'];

/** Registered domains by kind: word pairs under ordinary ICANN suffixes (none of them on the public suffix list). */
const PROVIDER_DOMAIN: Readonly<Record<RegistryKind, (rng: Prng) => string>> = {
  'free-subdomain': (rng) => `${word(rng)}${word(rng)}.${rng.pick(['org', 'net', 'eu', 'com'])}`,
  'dynamic-dns': (rng) => `${word(rng)}${word(rng)}dns.${rng.pick(['net', 'org', 'com', 'de'])}`,
  'hosting-platform': (rng) => `${word(rng)}${word(rng)}.${rng.pick(['io', 'app', 'dev', 'com'])}`,
};

/** How customers name their zone under each kind of provider. */
const CHILD_LABEL: Readonly<Record<RegistryKind, (rng: Prng) => string>> = {
  'free-subdomain': (rng) => `${word(rng)}${rng.chance(0.4) ? String(rng.range(1, 99)) : ''}`,
  'dynamic-dns': (rng) => `${word(rng)}-${rng.pick(['home', 'lab', 'vpn', 'nas', 'office', 'srv'])}`,
  'hosting-platform': (rng) => `${word(rng)}-${word(rng)}`,
};

const CHILD_TTLS = [300, 600, 1800, 3600, 14400];
const FLUX_ADDRESS_TTLS = [0, 30, 60, 120, 300];
const FLUX_NS_TTLS = [0, 60, 300];
/** Hosting companies customers rent name servers from, per builder: enough that a provider shows dozens. */
const HOSTING_COMPANIES = 40;

interface HostingCompany {
  asn: number;
  ns: string[];
  glue: string[];
}

export function buildSharedRegistry(ctx: BuildContext, spec: SharedRegistrySpec, fluxNetworkNumber: number, schedule: Schedule, rng: Prng): void {
  if (spec.providers === 0) return;
  const hostingAsns = ctx.space.knownV4([...new Set([...HOSTING_ASNS, ...VOLUNTEER_HOSTING_ASNS])]);
  if (hostingAsns.length === 0) throw new Error('corpus: population: no hosting ASN has IPv4 ranges in the ASN data');
  const companies = Array.from({ length: HOSTING_COMPANIES }, () => hostingCompany(ctx, hostingAsns, rng));
  const providers = Array.from({ length: spec.providers }, (_, i) => buildProvider(ctx, KINDS[i % KINDS.length] as RegistryKind, hostingAsns, schedule, spec, rng));
  for (const provider of providers) {
    const children = rng.range(spec.childrenPerProvider[0], spec.childrenPerProvider[1]);
    for (let c = 0; c < children; c++) {
      const zone = childZone(ctx, provider, rng);
      if (zone === null) continue;
      const servers = childServers(ctx, zone, companies, rng);
      const asn = rng.chance(0.6) ? servers.asn : rng.pick(hostingAsns);
      const v4 = [ctx.space.pickV4Text(asn, rng)];
      if (rng.chance(0.2)) v4.push(ctx.space.pickV4Text(asn, rng));
      const ttl = rng.pick(CHILD_TTLS);
      for (const host of rng.chance(0.4) ? ['', 'www'] : ['']) {
        const child = new BenignStatic({ label: benignLabel(hostName(host, zone), 'shared-registry'), v4, v6: [], ttl, phase: rng.next() * 86400, servers: servers.zone });
        schedule.add(child, spreadOverSpan(rng.range(spec.lookups[0], spec.lookups[1]), rng));
      }
    }
  }
  if (spec.fluxChildren > 0) buildFluxChildren(ctx, spec, providers, `fluxnet-${fluxNetworkNumber}`, schedule, rng);
}

interface Provider {
  kind: RegistryKind;
  domain: string;
}

function hostingCompany(ctx: BuildContext, hostingAsns: readonly number[], rng: Prng): HostingCompany {
  const domain = uniqueDomain(ctx, () => `${word(rng)}${rng.pick(['host', 'hosting', 'server', 'dns', 'web'])}.${rng.pick(['com', 'net', 'de', 'nl', 'co.uk'])}`);
  const asn = rng.pick(hostingAsns);
  const ns = Array.from({ length: rng.range(2, 4) }, (_, i) => `ns${i + 1}.${domain}`);
  return { asn, ns, glue: ns.map(() => ctx.space.pickV4Text(asn, rng)) };
}

/** The provider's own site and name servers, asked like any site's. */
function buildProvider(ctx: BuildContext, kind: RegistryKind, hostingAsns: readonly number[], schedule: Schedule, spec: SharedRegistrySpec, rng: Prng): Provider {
  const domain = uniqueDomain(ctx, () => PROVIDER_DOMAIN[kind](rng));
  const asn = rng.pick(hostingAsns);
  const servers = benignZoneServers(domain, asn, ctx.space, rng);
  const v4 = [ctx.space.pickV4Text(asn, rng), ctx.space.pickV4Text(asn, rng)];
  for (const host of ['', 'www']) {
    const own = new BenignStatic({ label: benignLabel(hostName(host, domain), 'shared-registry'), v4, v6: [], ttl: 3600, phase: rng.next() * 86400, servers });
    schedule.add(own, spreadOverSpan(4 * rng.range(spec.lookups[0], spec.lookups[1]), rng));
  }
  return { kind, domain };
}

/** A customer zone not yet handed out under `provider`, or null when the draws keep colliding. */
function childZone(ctx: BuildContext, provider: Provider, rng: Prng): string | null {
  for (let attempt = 0; attempt < 20; attempt++) {
    const zone = `${CHILD_LABEL[provider.kind](rng)}.${provider.domain}`;
    if (ctx.usedNames.has(zone) || zone.startsWith('www.')) continue;
    ctx.usedNames.add(zone);
    return zone;
  }
  return null;
}

/** 2-4 NS names: at one or two hosting companies, or the zone's own servers with glue (30%). */
function childServers(ctx: BuildContext, zone: string, companies: readonly HostingCompany[], rng: Prng): { zone: ZoneServers; asn: number } {
  const first = rng.pick(companies);
  if (rng.chance(0.3)) {
    const ns = Array.from({ length: rng.range(2, 3) }, (_, i) => `ns${i + 1}.${zone}`);
    return { zone: { zone, ns, glue: ns.map(() => ctx.space.pickV4Text(first.asn, rng)), ttl: 86400 }, asn: first.asn };
  }
  const ns = [...first.ns];
  const glue = [...first.glue];
  if (ns.length < 4 && rng.chance(0.4)) {
    const second = rng.pick(companies);
    if (second !== first) {
      ns.push(second.ns[0] as string);
      glue.push(second.glue[0] as string);
    }
  }
  return { zone: { zone, ns: ns.slice(0, 4), glue: glue.slice(0, 4), ttl: rng.pick([3600, 86400, 172800]) }, asn: first.asn };
}

/**
 * Double-flux children: their own NS names (in the child zone) rotate with
 * glue from a flux pool, and their addresses come from the same pool.
 */
function buildFluxChildren(ctx: BuildContext, spec: SharedRegistrySpec, providers: readonly Provider[], networkId: string, schedule: Schedule, rng: Prng): void {
  const asns = eyeballAsns(ctx, rng.range(8, 20), rng);
  const network = new FluxNetwork(networkId, botPool(ctx, asns, rng.range(300, 1500), 0.8, rng));
  for (let i = 0; i < spec.fluxChildren; i++) {
    const provider = providers[i % providers.length] as Provider;
    const zone = childZone(ctx, provider, rng);
    if (zone === null) continue;
    const label = (name: string) => ({ name, registeredDomain: provider.domain, class: 'flux-double' as const, flux: 'double' as const, network: networkId });
    const rotating = Array.from({ length: rng.range(4, 8) }, (_, n) => `ns${n + 1}.${zone}`);
    for (const ns of rotating) addExtraLabel(ctx, label(ns));
    const initial: ZoneServers = { zone, ns: [], glue: [], ttl: rng.pick(FLUX_NS_TTLS) };
    const servers = new FluxZoneServers(network, initial, rotating, rng.range(2, 4), rng.next() * 86400);
    const ttl = rng.pick(FLUX_ADDRESS_TTLS);
    const minPerAnswer = rng.range(1, 3);
    for (const host of rng.chance(0.5) ? ['', 'www'] : ['']) {
      const name = new FluxName({ label: label(hostName(host, zone)), network, servers, ttl, perAnswer: [minPerAnswer, rng.range(Math.max(minPerAnswer, 3), 6)], phase: rng.next() * 86400 });
      // Asked 6-12 times: as often as a small flux campaign, so their rotation shows.
      schedule.add(name, spreadOverSpan(rng.range(6, 12), rng));
    }
  }
}
