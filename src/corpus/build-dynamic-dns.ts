/**
 * Builder for dynamic-dns: home users' names under dynamic-DNS providers,
 * each on one line of a residential ISP (the same access networks flux bots
 * sit in), renumbered every 2-24 hours and, rarely, moved to another ISP.
 */
import { EYEBALL_ASNS, MORE_EYEBALL_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { benignLabel, once } from './build-context.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { AccessNetworks } from './behaviours/dynamic-dns.js';
import { DynamicDnsName } from './behaviours/dynamic-dns.js';
import type { Prng } from './prng.js';
import { WeightedIndex, zipfWeights } from './prng.js';
import { token, word } from './vocabulary.js';
import { DYNAMIC_DNS_SUFFIXES } from './vocabulary-services.js';

const TTL = 60;
const LEASE_HOURS = [2, 3, 4, 6, 8, 12, 24];
/** Per renumbering: a move to another ISP is rare. */
const MOVE_CHANCE = 0.02;
const DEVICE_WORDS = ['home', 'nas', 'cam', 'pi', 'vpn', 'server', 'box', 'media', 'cloud', ''];

/** The providers' name servers (the user's router updates them through the provider's API). */
const PROVIDER_NS: Readonly<Record<string, readonly string[]>> = {
  'duckdns.org': ['ns1.duckdns.org', 'ns2.duckdns.org', 'ns3.duckdns.org'],
  'myfritz.net': ['ns1.myfritz.net', 'ns2.myfritz.net'],
  'synology.me': ['ns1.synology.me', 'ns2.synology.me'],
  'dynv6.net': ['ns1.dynv6.com', 'ns2.dynv6.com', 'ns3.dynv6.com'],
  'ddnss.de': ['ns1.ddnss.de', 'ns2.ddnss.de'],
  'dynu.net': ['ns1.dynu.com', 'ns2.dynu.com', 'ns3.dynu.com'],
  'dyndns.org': ['ns1.dyndns.org', 'ns2.dyndns.org', 'ns3.dyndns.org', 'ns4.dyndns.org'],
  'homeip.net': ['ns1.dyndns.org', 'ns2.dyndns.org', 'ns3.dyndns.org', 'ns4.dyndns.org'],
};
const NO_IP_NS = ['nf1.no-ip.com', 'nf2.no-ip.com', 'nf3.no-ip.com', 'nf4.no-ip.com', 'nf5.no-ip.com'];

export function buildDynamicDns(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  if (names === 0) return [];
  const asns = rng.shuffle(ctx.space.knownV4([...new Set([...EYEBALL_ASNS, ...MORE_EYEBALL_ASNS])]));
  if (asns.length < 2) throw new Error('corpus: population: dynamic-dns needs at least two residential ASNs in the ASN data');
  const networks: AccessNetworks = {
    asns,
    addressV4: (asn, r) => ctx.space.pickV4Text(asn, r),
    addressV6: (asn, r) => (ctx.space.hasV6(asn) ? ctx.space.pickV6Text(asn, r) : ''),
  };
  const asnIndex = new WeightedIndex(zipfWeights(asns.length, 0.8));
  const suffixIndex = new WeightedIndex(DYNAMIC_DNS_SUFFIXES.map(([, w]) => w));
  const zones = new Map<string, ZoneServers>();
  const out: DomainBehaviour[] = [];
  while (out.length < names) {
    const suffix = (DYNAMIC_DNS_SUFFIXES[suffixIndex.draw(rng)] as readonly [string, number])[0];
    const name = `${userLabel(suffix, rng)}.${suffix}`;
    if (ctx.usedNames.has(name)) continue;
    ctx.usedNames.add(name);
    const servers = once(zones, suffix, () => ({ zone: suffix, ns: [...(PROVIDER_NS[suffix] ?? NO_IP_NS)], glue: [], ttl: 86400 }));
    const asn = asns[asnIndex.draw(rng)] as number;
    out.push(
      new DynamicDnsName({
        label: benignLabel(name, 'dynamic-dns'),
        networks,
        asn,
        v4: networks.addressV4(asn, rng),
        v6: rng.chance(0.3) ? networks.addressV6(asn, rng) : '',
        leaseSeconds: rng.pick(LEASE_HOURS) * 3600,
        moveChance: MOVE_CHANCE,
        ttl: TTL,
        phase: rng.next() * 86400,
        servers,
      }),
    );
  }
  return out;
}

/** What users call their hosts: AVM's MyFRITZ! hands out random labels, people pick the rest. */
function userLabel(suffix: string, rng: Prng): string {
  if (suffix === 'myfritz.net') return token(rng, 16);
  const sep = rng.chance(0.3) ? '-' : '';
  const digits = rng.chance(0.3) ? String(rng.range(1, 999)) : '';
  return `${word(rng)}${sep}${rng.pick(DEVICE_WORDS)}${digits}`.replace(/-$/, '');
}
