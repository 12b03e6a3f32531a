/**
 * Builder for mirror-network: the download names of Linux distributions and
 * BSDs.
 * - Redirectors and round-robin names (`archive.ubuntu.com`,
 *   `mirrors.fedoraproject.org`, `download.opensuse.org`, ...): ~10 mirror
 *   hosts in 2-4 ASNs (research networks, hosting providers, the project's
 *   own) in several countries, all of them rotated or a rotating few per answer.
 * - CDN-fronted names (`deb.debian.org`, `cdn.openbsd.org`, ...): a CNAME
 *   into Fastly.
 * - Country mirrors (`ftp.de.debian.org`, `de.archive.ubuntu.com`,
 *   `ftp.de.freebsd.org`): one to a few hosts inside one country.
 * TTLs 60-300 s.
 */
import { DISTRIBUTION_ASNS, RESEARCH_ASNS, VOLUNTEER_HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, benignLabel, once, pickSome } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import { CDN_STYLES, edgeSites } from './build-cdn.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import { benignZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import { Regions } from './regions.js';
import { MIRROR_COUNTRIES, MIRROR_REDIRECTORS } from './vocabulary-services.js';

const TTLS = [60, 120, 300];
/** The projects' own networks: Canonical for ubuntu.com, SUSE for opensuse.org. */
const PROJECT_ASN: Readonly<Record<string, number>> = { 'ubuntu.com': 41231, 'opensuse.org': 29298 };

interface MirrorName {
  name: string;
  /** CNAME target into Fastly; '' for self-run names. */
  fastly: string;
  /** Country of a country mirror; '' for a redirector. */
  country: string;
  /** Mirror hosts behind a country name: 1 for Debian and FreeBSD, up to 3 for Ubuntu. */
  hosts: number;
}

export function buildMirrorNetwork(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  if (names === 0) return [];
  const regions = Regions.load(ctx.space);
  const asns = ctx.space.knownV4([...RESEARCH_ASNS, ...VOLUNTEER_HOSTING_ASNS, ...DISTRIBUTION_ASNS]).filter((a) => regions.countries(a).length > 0);
  const catalogue = mirrorNames(asns, regions);
  if (names > catalogue.length) throw new Error(`corpus: population: mirror-network has ${catalogue.length} names, ${names} asked for`);
  const fastly = edgeSites(ctx, 'fastly', rng);
  const zones = new Map<string, ZoneServers>();
  return catalogue.slice(0, names).map((m) => {
    const label = benignLabel(m.name, 'mirror-network');
    const servers = once(zones, label.registeredDomain, () => benignZoneServers(label.registeredDomain, rng.pick(asns), ctx.space, rng));
    const ttl = rng.pick(TTLS);
    let route: Route;
    let perAnswer: number;
    if (m.fastly !== '') {
      const site = rng.pick(fastly);
      route = { chain: [{ target: m.fastly, ttl: 300 }], v4: site.v4, v6: site.v6, servers: CDN_STYLES.fastly.servers };
      addAnswerName(ctx, m.fastly, 'mirror-network');
      perAnswer = rng.range(2, 4);
    } else {
      const hosts = m.country === '' ? redirectorHosts(ctx, asns, PROJECT_ASN[label.registeredDomain], rng) : countryHosts(ctx, asns, m, rng);
      route = { chain: [], v4: hosts.v4, v6: hosts.v6 };
      perAnswer = rng.chance(0.5) ? hosts.v4.length : Math.min(hosts.v4.length, rng.range(3, 6));
    }
    return new SteeredName({
      label,
      routes: [route],
      steerTtl: ttl,
      stickiness: 1,
      addressTtl: ttl,
      perAnswer,
      selection: 'window',
      phase: rng.next() * 86400,
      servers,
    });
  });
}

/** Redirectors first, then the country names, country by country. */
function mirrorNames(asns: readonly number[], regions: Regions): MirrorName[] {
  const list: MirrorName[] = MIRROR_REDIRECTORS.map((entry) => {
    const [name, front = ''] = entry.split('@fastly:') as [string, string?];
    return { name, fastly: front, country: '', hosts: 0 };
  });
  for (const cc of MIRROR_COUNTRIES) {
    const country = cc.toUpperCase();
    if (!asns.some((a) => regions.hasCountry(a, country))) continue;
    list.push(
      { name: `ftp.${cc === 'gb' ? 'uk' : cc}.debian.org`, fastly: '', country, hosts: 1 },
      { name: `${cc}.archive.ubuntu.com`, fastly: '', country, hosts: 3 },
      { name: `ftp.${cc}.freebsd.org`, fastly: '', country, hosts: 1 },
    );
  }
  return list;
}

interface HostSet {
  v4: string[];
  v6: string[];
}

/** 8-12 hosts in 2-4 ASNs, each ASN in one or two of its countries; the project's own AS among them when it has one. */
function redirectorHosts(ctx: BuildContext, asns: readonly number[], projectAsn: number | undefined, rng: Prng): HostSet {
  const regions = Regions.load(ctx.space);
  const chosen = pickSome(asns, rng.range(2, 4), rng);
  if (projectAsn !== undefined && ctx.space.knownV4([projectAsn]).length > 0 && !chosen.includes(projectAsn)) chosen[0] = projectAsn;
  const sites = chosen.flatMap((asn) => pickSome(regions.countries(asn).slice(0, 4), rng.range(1, 2), rng).map((country) => ({ asn, country })));
  const perSite = Math.max(1, Math.round(rng.range(8, 12) / sites.length));
  const set: HostSet = { v4: [], v6: [] };
  for (const { asn, country } of sites) addHosts(ctx, asn, regions.pickV4(asn, country, rng), perSite, set, rng);
  return set;
}

/** One to `m.hosts` hosts inside the mirror's country, research networks preferred. */
function countryHosts(ctx: BuildContext, asns: readonly number[], m: MirrorName, rng: Prng): HostSet {
  const regions = Regions.load(ctx.space);
  const local = asns.filter((a) => regions.hasCountry(a, m.country));
  const research = local.filter((a) => RESEARCH_ASNS.includes(a));
  const set: HostSet = { v4: [], v6: [] };
  for (let i = rng.range(1, m.hosts); i > 0; i--) {
    const asn = research.length > 0 && rng.chance(0.6) ? rng.pick(research) : rng.pick(local);
    addHosts(ctx, asn, regions.pickV4(asn, m.country, rng), rng.range(1, 2), set, rng);
  }
  return set;
}

/** `count` addresses in the /24 of `seed`, and an IPv6 address for each when the AS has IPv6 (most mirrors do). */
function addHosts(ctx: BuildContext, asn: number, seed: number, count: number, set: HostSet, rng: Prng): void {
  for (const v4 of neighbourAddresses(seed, count, rng)) {
    if (set.v4.includes(v4)) continue;
    set.v4.push(v4);
    if (ctx.space.hasV6(asn)) set.v6.push(ctx.space.pickV6Text(asn, rng));
  }
}
