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

/** Google's own name servers, which serve google.com, youtube.com, googleapis.com, ... */
export const GOOGLE_NS: readonly string[] = ['ns1.google.com', 'ns2.google.com', 'ns3.google.com', 'ns4.google.com'];
export const GOOGLE_NS_GLUE: readonly string[] = ['216.239.32.10', '216.239.34.10', '216.239.36.10', '216.239.38.10'];

/** The managed DNS services large sites use, by the names their servers have. */
export type ManagedDns = 'google' | 'akamai' | 'route53' | 'cloudflare' | 'nsone' | 'ultradns' | 'dyn' | 'azure' | 'gcloud';

const MANAGED_DNS: Readonly<Record<ManagedDns, (rng: Prng) => string[]>> = {
  google: () => [...GOOGLE_NS],
  akamai: (rng) => [1, 2, 3, 4, 7, 9].map((n) => `a${n}-${rng.range(1, 255)}.akam.net`),
  route53: (rng) => (PROVIDER_STYLES[0] as (rng: Prng) => string[])(rng),
  cloudflare: (rng) => (PROVIDER_STYLES[1] as (rng: Prng) => string[])(rng),
  nsone: (rng) => (PROVIDER_STYLES[2] as (rng: Prng) => string[])(rng),
  ultradns: () => ['pdns1.ultradns.net', 'pdns2.ultradns.net', 'pdns3.ultradns.org', 'pdns5.ultradns.info', 'pdns6.ultradns.co.uk'],
  dyn: (rng) => {
    const p = rng.range(1, 99);
    return [1, 2, 3, 4].map((n) => `ns${n}.p${String(p).padStart(2, '0')}.dynect.net`);
  },
  azure: (rng) => {
    const n = String(rng.range(1, 40)).padStart(2, '0');
    return [`ns1-${n}.azure-dns.com`, `ns2-${n}.azure-dns.net`, `ns3-${n}.azure-dns.org`, `ns4-${n}.azure-dns.info`];
  },
  gcloud: (rng) => {
    const letter = rng.pick(['a', 'b', 'c', 'd', 'e']);
    return [1, 2, 3, 4].map((n) => `ns-cloud-${letter}${n}.googledomains.com`);
  },
};

/**
 * The NS set of a large site's zone: its own servers with glue in its AS, or
 * a managed DNS service's. Either way it never changes over the corpus.
 */
export function siteZoneServers(zone: string, dns: ManagedDns | 'own', asn: number, space: AddressSpace, rng: Prng): ZoneServers {
  if (dns === 'own') {
    const ns = [1, 2, 3, 4].map((n) => `ns${n}.${zone}`);
    return { zone, ns, glue: ns.map(() => space.pickV4Text(asn, rng)), ttl: 172800 };
  }
  return { zone, ns: managedDnsNames(dns, rng), glue: dns === 'google' ? GOOGLE_NS_GLUE : NO_GLUE, ttl: 172800 };
}

/** The server names a managed DNS service gives one zone. */
export function managedDnsNames(dns: ManagedDns, rng: Prng): string[] {
  return MANAGED_DNS[dns](rng);
}
