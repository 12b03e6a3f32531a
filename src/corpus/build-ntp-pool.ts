/**
 * Builder for ntp-pool: a pool of volunteer NTP servers (hosting and home
 * connections in dozens of ASNs and countries, each placed in a real range of
 * its AS in its country), and the pool's names: the global `N.pool.ntp.org`
 * and vendor zones (`N.debian.pool.ntp.org`) answer from every server,
 * continent and country zones (`N.europe.`, `N.de.pool.ntp.org`) from the
 * servers there.
 */
import { MORE_EYEBALL_ASNS, RESEARCH_ASNS, VOLUNTEER_HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { benignLabel } from './build-context.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import { NtpPoolName, NtpZone } from './behaviours/ntp-pool.js';
import { formatIPv4 } from '../model/names.js';
import type { Prng } from './prng.js';
import { WeightedIndex, zipfWeights } from './prng.js';
import { Regions } from './regions.js';
import { CONTINENT_OF, NTP_CONTINENTS, NTP_VENDOR_ZONES } from './vocabulary-services.js';

/** IPv4 servers in the pool (the real pool has ~3,000; a corpus needs hundreds). */
export const NTP_POOL_SERVERS = 900;
const TTL = 130;
const PER_ANSWER = 4;
/** A country or continent zone needs this many servers, or the pool answers from a wider zone. */
const MIN_ZONE_SERVERS = 6;
/** Bandwidth settings volunteers choose ("net speed"), which weight how often a server is handed out. */
const NET_SPEEDS = [1, 2, 3, 5, 10, 10, 25, 50, 100];
/** Western access networks (of EYEBALL_ASNS), where most home volunteers are. */
const HOME_ASNS = [7922, 3320, 3215, 7018, 701, 5089, 12322, 1136, 6830, 4766, 17676, 577, 3269, 3352];

const POOL_SERVERS: ZoneServers = {
  zone: 'pool.ntp.org',
  ns: ['a.ntpns.org', 'b.ntpns.org', 'c.ntpns.org', 'd.ntpns.org', 'e.ntpns.org', 'f.ntpns.org'],
  glue: [],
  ttl: 86400,
};

interface Volunteer {
  v4: string;
  v6: string;
  country: string;
  weight: number;
}

export function buildNtpPool(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  if (names === 0) return [];
  const volunteers = recruitVolunteers(ctx, rng);
  const zones = zoneNames(volunteers);
  if (names > zones.length) throw new Error(`corpus: population: ntp-pool has ${zones.length} names, ${names} asked for`);
  const built = new Map<string, NtpZone>();
  return zones.slice(0, names).map(({ name, zone, members }) => {
    let ntpZone = built.get(zone);
    if (ntpZone === undefined) {
      const v6 = members.filter((m) => m.v6 !== '');
      ntpZone = new NtpZone(members.map((m) => m.v4), members.map((m) => m.weight), v6.map((m) => m.v6), v6.map((m) => m.weight));
      built.set(zone, ntpZone);
    }
    return new NtpPoolName({
      label: benignLabel(name, 'ntp-pool'),
      zone: ntpZone,
      aaaa: name.startsWith('2.'),
      perAnswer: PER_ANSWER,
      ttl: TTL,
      phase: rng.next() * 86400,
      servers: POOL_SERVERS,
    });
  });
}

/** Servers over hosting networks first (most of the pool), then research and home networks. */
function recruitVolunteers(ctx: BuildContext, rng: Prng): Volunteer[] {
  const regions = Regions.load(ctx.space);
  const candidates = [...new Set([...VOLUNTEER_HOSTING_ASNS, ...RESEARCH_ASNS, ...MORE_EYEBALL_ASNS, ...HOME_ASNS])];
  const asns = ctx.space.knownV4(candidates).filter((asn) => regions.countries(asn).length > 0);
  const asnIndex = new WeightedIndex(zipfWeights(asns.length, 0.6));
  const seen = new Set<string>();
  const volunteers: Volunteer[] = [];
  while (volunteers.length < NTP_POOL_SERVERS) {
    const asn = asns[asnIndex.draw(rng)] as number;
    const countries = regions.countries(asn);
    // Mostly the network's home country; a multinational host sometimes elsewhere.
    const country = rng.chance(0.8) ? (countries[0] as string) : rng.pick(countries.slice(0, 4));
    const v4 = formatIPv4(regions.pickV4(asn, country, rng));
    if (seen.has(v4)) continue;
    seen.add(v4);
    const v6 = ctx.space.hasV6(asn) && rng.chance(0.4) ? ctx.space.pickV6Text(asn, rng) : '';
    volunteers.push({ v4, v6, country, weight: rng.pick(NET_SPEEDS) });
  }
  return volunteers;
}

interface ZoneName {
  name: string;
  zone: string;
  members: readonly Volunteer[];
}

/** Every name of the pool, global and vendor zones first, then continents, then countries by size. */
function zoneNames(volunteers: readonly Volunteer[]): ZoneName[] {
  const groups: { label: string; members: readonly Volunteer[] }[] = [
    { label: '', members: volunteers },
    ...NTP_VENDOR_ZONES.map((vendor) => ({ label: vendor, members: volunteers })),
  ];
  for (const continent of NTP_CONTINENTS) {
    const members = volunteers.filter((v) => CONTINENT_OF[v.country] === continent);
    if (members.length >= MIN_ZONE_SERVERS) groups.push({ label: continent, members });
  }
  const byCountry = new Map<string, Volunteer[]>();
  for (const v of volunteers) {
    const members = byCountry.get(v.country);
    if (members === undefined) byCountry.set(v.country, [v]);
    else members.push(v);
  }
  const countries = [...byCountry].filter(([, m]) => m.length >= MIN_ZONE_SERVERS).sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  // The pool names the United Kingdom's zone uk.pool.ntp.org.
  for (const [country, members] of countries) groups.push({ label: country === 'GB' ? 'uk' : country.toLowerCase(), members });
  return groups.flatMap(({ label, members }) =>
    [0, 1, 2, 3].map((n) => ({
      name: label === '' ? `${n}.pool.ntp.org` : `${n}.${label}.pool.ntp.org`,
      // Vendor zones hand out the same servers as the global zone.
      zone: NTP_VENDOR_ZONES.includes(label) ? '' : label,
      members,
    })),
  );
}
