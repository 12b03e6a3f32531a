/**
 * What an intel feed may never turn into a trigger, from the rules that live
 * above intel (intel sits below detect and act, so they are passed down):
 * the one public-suffix rule (detect/registered-domain), the policy
 * allowlist (act/rpz/allowlist, live: SIGHUP changes it) and the known CDN
 * and cloud networks (enrich/infra), with the names and networks of MISP
 * warninglists (intel/warninglist). `analyze --intel` and serve's intel
 * service build their feed sets with these.
 */
import type { Config } from '../config/schema.js';
import { isRegistrable, registrableDomain } from '../detect/registered-domain.js';
import type { Infra } from '../enrich/infra/index.js';
import type { IntelRules } from '../intel/index.js';
import { withKnownNames } from '../intel/warninglist/index.js';
import { parseIPv4 } from '../model/names.js';
import { liveAllowlist } from './rpz/allowlist.js';

export function intelRules(config: Pick<Config, 'policy'>, infra: Infra | null): IntelRules {
  const allowlist = liveAllowlist(config);
  const rules: IntelRules = {
    isRegistrable,
    isAllowlisted: (name) => allowlist.isAllowed(name),
    isKnownInfrastructure: infra === null ? undefined : (value, kind) => isKnownInfrastructure(infra, value, kind),
  };
  // What warninglist feeds name (laid over the reference lists) is refused too.
  return withKnownNames(rules, infra, registrableDomain);
}

/**
 * A CDN or cloud address, or a network that overlaps a CDN's or cloud's
 * range: a listed /24 that begins or ends inside one would flag its
 * customers, and a hostile 104.0.0.0/8 holds all of Cloudflare's 104.16/13.
 * IPv4 networks are intersected with the reference ranges (Infra.overlapsV4);
 * IPv6 networks, and infra without it, by their first (and IPv4 last)
 * address only, so wide listings are also capped by the index's minimum
 * prefix, and the forwarder never holds a CDN's answer (serve/dns/intel).
 */
export function isKnownInfrastructure(infra: Infra, value: string, kind: 'address' | 'cidr'): boolean {
  if (kind === 'address') return infra.providerOfAddress(value) >= 0;
  const slash = value.indexOf('/');
  const base = value.slice(0, slash);
  if (infra.providerOfAddress(base) >= 0) return true;
  const v4 = parseIPv4(base);
  const bits = Number(value.slice(slash + 1));
  if (v4 < 0 || !(bits >= 0 && bits <= 32)) return false;
  const last = v4 + 2 ** (32 - bits) - 1;
  return infra.providerOfV4(last) >= 0 || infra.overlapsV4?.(v4, last) === true;
}
