/**
 * Builder for non-routable: word-pair names whose answers no public host
 * stands behind, in four shapes seen in real resolver logs:
 * - parked (30%): an upstream that blocks the name answers 0.0.0.0 (AAAA ::)
 *   or 127.0.0.1 (::1), no authority, long TTL;
 * - internal (20%): a leaked split-horizon name with 1-2 private or CGN
 *   addresses (ULA for AAAA), stable;
 * - rotating (25%): one address drawn at every refetch from one reserved,
 *   multicast, benchmarking or private block, TTL 0-10 s;
 * - scattered (25%): 1-4 addresses per answer across 3-6 special-purpose
 *   blocks (many "networks" of reserved space), TTL 30-120 s.
 * Blocks are rows of src/model/special-purpose.ts (the IANA registries, the
 * table detection classifies by), named by prefix.
 */
import { HOSTING_ASNS } from './asns.js';
import type { BuildContext } from './build-context.js';
import { pickSome, uniqueDomain } from './build-context.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import type { NonRoutableSetup } from './behaviours/non-routable.js';
import { NonRoutableName } from './behaviours/non-routable.js';
import { benignZoneServers } from './name-servers.js';
import type { Prng } from './prng.js';
import { addressIn, registryBlocks } from './special-purpose.js';
import { benignHosts, benignRegisteredDomain, hostName } from './vocabulary.js';

// Blocks by their registry prefix (src/model/special-purpose.ts); the order is the draw order.
const PRIVATE_V4 = registryBlocks('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10');
const ROTATING_V4 = registryBlocks('240.0.0.0/4', '224.0.0.0/4', '198.18.0.0/15', '10.0.0.0/8', '100.64.0.0/10');
const SCATTERED_V4 = registryBlocks(
  '240.0.0.0/4', '224.0.0.0/4', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '198.18.0.0/15',
  '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '169.254.0.0/16', '0.0.0.0/8',
);
const ULA = registryBlocks('fc00::/7')[0]!;
const DRAWN_V6 = registryBlocks('fc00::/7', 'fe80::/10', '2001:db8::/32', '3fff::/20', '100::/64', 'ff00::/8');

export function buildNonRoutable(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const hosting = ctx.space.knownV4(HOSTING_ASNS);
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const servers = benignZoneServers(registeredDomain, rng.pick(hosting), ctx.space, rng);
    const shape = rng.next();
    for (const host of benignHosts(rng, Math.min(2, names - out.length))) {
      const label = { name: hostName(host, registeredDomain), registeredDomain, class: 'non-routable' as const, flux: null, network: null };
      const common = { label, phase: rng.next() * 86400 };
      let setup: NonRoutableSetup;
      if (shape < 0.3) {
        const loopback = rng.chance(0.4);
        const fixed = { v4: [loopback ? '127.0.0.1' : '0.0.0.0'], v6: [loopback ? '::1' : '::'] };
        setup = { ...common, fixed, blocks: [], blocksV6: [], perAnswer: 1, ttl: rng.pick([60, 300, 3600, 86400]), servers: null };
      } else if (shape < 0.5) {
        const v4 = Array.from({ length: rng.range(1, 2) }, () => addressIn(rng.pick(PRIVATE_V4), rng));
        const fixed = { v4, v6: rng.chance(0.3) ? [addressIn(ULA, rng)] : [] };
        setup = { ...common, fixed, blocks: [], blocksV6: [], perAnswer: 1, ttl: rng.pick([300, 600, 3600]), servers };
      } else if (shape < 0.75) {
        const blocksV6 = rng.chance(0.5) ? [rng.pick(DRAWN_V6)] : [];
        setup = { ...common, fixed: null, blocks: [rng.pick(ROTATING_V4)], blocksV6, perAnswer: 1, ttl: rng.pick([0, 1, 5, 10]), servers };
      } else {
        const blocks = pickSome(SCATTERED_V4, rng.range(3, 6), rng);
        const blocksV6 = rng.chance(0.5) ? pickSome(DRAWN_V6, rng.range(2, 4), rng) : [];
        setup = { ...common, fixed: null, blocks, blocksV6, perAnswer: rng.range(1, 4), ttl: rng.pick([30, 60, 120]), servers };
      }
      out.push(new NonRoutableName(setup));
    }
  }
  return out;
}
