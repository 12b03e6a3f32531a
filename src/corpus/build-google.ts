/**
 * Builder for google-multi-a: Google's service names (mail.google.com,
 * fonts.googleapis.com, i.ytimg.com, ...), answered by front-end clusters in
 * AS15169 with 6 A records at a time (a rotating subset of the cluster's
 * addresses) and one AAAA, TTL 300. A name is served by two or three
 * clusters over the day: dozens of addresses, one network.
 */
import { GOOGLE_ASN } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, benignLabel, once, pickSome } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import { siteZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import { GOOGLE_HOSTS } from './vocabulary-services.js';

const FRONT_END_CLUSTERS = 12;
const TTL = 300;
/** Google's own CNAMEs into `*.l.google.com` change rarely. */
const CNAME_TTL = 21600;

interface FrontEnd {
  v4: string[];
  v6: string[];
}

export function buildGoogleMultiA(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  if (names === 0) return [];
  const hosts = rng.shuffle(GOOGLE_HOSTS.filter((h) => !ctx.usedNames.has(h.name)));
  if (names > hosts.length) throw new Error(`corpus: population: google-multi-a has ${hosts.length} names, ${names} asked for`);
  if (ctx.space.knownV4([GOOGLE_ASN]).length === 0) throw new Error(`corpus: population: AS${GOOGLE_ASN} has no IPv4 ranges in the ASN data`);
  const frontEnds: FrontEnd[] = Array.from({ length: FRONT_END_CLUSTERS }, () => ({
    v4: neighbourAddresses(ctx.space.pickV4(GOOGLE_ASN, rng), rng.range(8, 12), rng),
    v6: ctx.space.hasV6(GOOGLE_ASN) ? Array.from({ length: 4 }, () => ctx.space.pickV6Text(GOOGLE_ASN, rng)) : [],
  }));
  const zones = new Map<string, ZoneServers>();
  return hosts.slice(0, names).map((host) => {
    ctx.usedNames.add(host.name);
    const label = benignLabel(host.name, 'google-multi-a');
    const servers = once(zones, label.registeredDomain, () => siteZoneServers(label.registeredDomain, 'google', GOOGLE_ASN, ctx.space, rng));
    const chain = host.cname === '' ? [] : [{ target: host.cname, ttl: CNAME_TTL }];
    if (host.cname !== '') addAnswerName(ctx, host.cname, 'google-multi-a');
    const routes: Route[] = pickSome(frontEnds, rng.range(2, 3), rng).map((f) => ({ chain, v4: f.v4, v6: f.v6 }));
    return new SteeredName({
      label,
      routes,
      steerTtl: TTL,
      stickiness: 0.9,
      addressTtl: TTL,
      perAnswer: 6,
      perAnswerV6: 1,
      selection: 'sample',
      phase: rng.next() * 86400,
      servers,
    });
  });
}
