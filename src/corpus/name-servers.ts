/**
 * Name server sets for benign zones: either the zone's own ns1/ns2 with glue
 * in its hosting network, or a DNS provider's servers (no glue), as most
 * domains have today.
 */
import type { ZoneServers } from './behaviours/behaviour.js';
import type { AddressSpace } from './address-space.js';
import { Prng } from './prng.js';

const CLOUDFLARE_NS_NAMES = ['ada', 'bob', 'cruz', 'dina', 'kate', 'lara', 'max', 'nina', 'rick', 'sue', 'tom', 'vera'];

const PROVIDER_STYLES: readonly ((rng: Prng) => string[])[] = [
  (rng) => {
    const tlds = ['com', 'net', 'org', 'co.uk'];
    return tlds.map((tld) => `ns-${rng.range(1, 2047)}.awsdns-${String(rng.range(0, 63)).padStart(2, '0')}.${tld}`);
  },
  (rng) => {
    const first = rng.pick(CLOUDFLARE_NS_NAMES);
    let second = rng.pick(CLOUDFLARE_NS_NAMES);
    if (second === first) second = 'zed';
    return [`${first}.ns.cloudflare.com`, `${second}.ns.cloudflare.com`];
  },
  (rng) => {
    const p = rng.range(1, 9);
    return [1, 2, 3, 4].map((n) => `dns${n}.p0${p}.nsone.net`);
  },
  () => ['ns1.digitalocean.com', 'ns2.digitalocean.com', 'ns3.digitalocean.com'],
  () => ['hydrogen.ns.hetzner.com', 'oxygen.ns.hetzner.com', 'helium.ns.hetzner.de'],
  () => ['dns1.registrar-servers.com', 'dns2.registrar-servers.com'],
  (rng) => {
    const n = rng.range(1, 80);
    return [`ns${n}.domaincontrol.com`, `ns${n + 1}.domaincontrol.com`];
  },
];

/**
 * Provider NS sets are drawn from a fixed catalogue rather than made per zone:
 * real providers put many zones on the same servers, and a million-name
 * population should not carry a million copies of them.
 */
const CATALOGUE_SIZE = 256;
let catalogue: readonly (readonly string[])[] | null = null;

function providerCatalogue(): readonly (readonly string[])[] {
  if (catalogue === null) {
    const rng = new Prng(0x5e7);
    catalogue = Array.from({ length: CATALOGUE_SIZE }, () => rng.pick(PROVIDER_STYLES)(rng));
  }
  return catalogue;
}

const NO_GLUE: readonly string[] = [];

/** The NS set of a benign zone: 40% self-hosted with glue in `asn`, otherwise a DNS provider. */
export function benignZoneServers(zone: string, asn: number, space: AddressSpace, rng: Prng): ZoneServers {
  if (rng.chance(0.4)) {
    return {
      zone,
      ns: [`ns1.${zone}`, `ns2.${zone}`],
      glue: [space.pickV4Text(asn, rng), space.pickV4Text(asn, rng)],
      ttl: 86400,
    };
  }
  return { zone, ns: rng.pick(providerCatalogue()), glue: NO_GLUE, ttl: 172800 };
}
