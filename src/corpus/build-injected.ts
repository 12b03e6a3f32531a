/**
 * Builder for injected: benign word-pair names (some of them popular) that a
 * censoring middlebox answers for. Three middleboxes, as a network behind a
 * national firewall sees several injectors: each has its own fixed TTL and
 * its own pool of forged addresses, scattered over the announced ranges of
 * the platforms (Facebook, Twitter, Dropbox) and a few transit carriers. A
 * few hundred addresses serve every censored name, so many names share them.
 * Behind each name is a real zone (1-2 stable addresses at a hosting AS) whose
 * answer sometimes follows the forged one.
 */
import { HOSTING_ASNS, INJECTION_CARRIER_ASNS, PLATFORM_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { uniqueDomain } from './build-context.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import type { Middlebox } from './behaviours/injected.js';
import { InjectedName } from './behaviours/injected.js';
import type { Prng } from './prng.js';
import { addressIn } from './special-purpose.js';
import { benignHosts, benignRegisteredDomain, hostName } from './vocabulary.js';

const REAL_TTLS = [300, 600, 3600, 14400];

/**
 * How each middlebox injects: its TTL, what it forges for AAAA (addresses of
 * the Teredo prefix 2001::/32, as the Great Firewall was measured doing in
 * 2020; the platforms' IPv6; or nothing), how often the real answer follows,
 * and its share of the censored names.
 */
const MIDDLEBOXES = [
  { ttl: 60, v6: 'teredo', lateShare: 0.7, weight: 2 },
  { ttl: 300, v6: 'platform', lateShare: 0.4, weight: 1 },
  { ttl: 120, v6: 'none', lateShare: 0.5, weight: 1 },
] as const;
const TEREDO = '2001::/32';

export function buildInjected(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const middleboxes = MIDDLEBOXES.map((m) => middlebox(ctx, m.ttl, m.v6, m.lateShare, rng));
  const hosting = ctx.space.knownV4(HOSTING_ASNS);
  const total = MIDDLEBOXES.reduce((sum, m) => sum + m.weight, 0);
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const asn = rng.pick(hosting);
    let pick = rng.int(total);
    const which = MIDDLEBOXES.findIndex((m) => (pick -= m.weight) < 0);
    for (const host of benignHosts(rng, Math.min(2, names - out.length))) {
      const v4 = [ctx.space.pickV4Text(asn, rng)];
      if (rng.chance(0.25)) v4.push(ctx.space.pickV4Text(asn, rng));
      const v6 = ctx.space.hasV6(asn) && rng.chance(0.3) ? [ctx.space.pickV6Text(asn, rng)] : [];
      out.push(
        new InjectedName({
          label: { name: hostName(host, registeredDomain), registeredDomain, class: 'injected', flux: null, network: null },
          middlebox: middleboxes[which] as Middlebox,
          real: { v4, v6, ttl: rng.pick(REAL_TTLS), phase: rng.next() * 86400 },
        }),
      );
    }
  }
  return out;
}

/** A middlebox's forged address pool: 40-80 addresses per platform, 10-30 per carrier; IPv6 as `forgedV6` says. */
function middlebox(ctx: BuildContext, ttl: number, forgedV6: 'teredo' | 'platform' | 'none', lateShare: number, rng: Prng): Middlebox {
  const { space } = ctx;
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const asn of space.knownV4(Object.values(PLATFORM_ASNS))) {
    for (let i = rng.range(40, 80); i > 0; i--) v4.add(space.pickV4Text(asn, rng));
    if (forgedV6 === 'platform' && space.hasV6(asn)) for (let i = rng.range(5, 10); i > 0; i--) v6.add(space.pickV6Text(asn, rng));
  }
  for (const asn of space.knownV4(INJECTION_CARRIER_ASNS)) {
    for (let i = rng.range(10, 30); i > 0; i--) v4.add(space.pickV4Text(asn, rng));
  }
  if (forgedV6 === 'teredo') for (let i = 0; i < 200; i++) v6.add(addressIn(TEREDO, rng));
  return { v4: [...v4], v6: [...v6], ttl, lateShare };
}
