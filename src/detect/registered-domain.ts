/**
 * The registered domain (public suffix + one label) of a queried name, and
 * the one public-suffix rule every consumer of flagged names applies: the
 * detector, FlaggedDomains (forwarder, RPZ file and server, block page), the
 * RPZ writer and the IP blocklist.
 *
 * tldts with the ICANN and the private sections of the Public Suffix List
 * (`allowPrivateDomains`), so `co.uk`, `github.io` and `blogspot.com` are
 * suffixes and `x.github.io` is its own registered domain. A name under no
 * listed suffix falls under the list's default rule `*`: its last label is a
 * suffix. So the special-use names of RFC 6761/6762 (`test`, `localhost`,
 * `invalid`, `example`, `local`) are suffixes themselves and never flagged,
 * while `x.test` is a registered domain like `x.com` (test fixtures and lab
 * networks use it). The root (`''` or `'.'`) is never registrable.
 */
import { getDomain } from 'tldts';

// Names arrive canonical (lower-case, no trailing dot), so tldts may skip URL handling.
const OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  mixedInputs: false,
  validateHostname: false,
} as const;

/** The registered domain of name; null for the root, a public suffix, or a name with an empty label. */
export function registrableDomain(name: string): string | null {
  // One label (the root, a TLD, `localhost`) is a suffix under the list's default rule `*`: no tldts call for every root or TLD lookup.
  if (name.indexOf('.') === -1) return null;
  const domain = getDomain(name, OPTIONS);
  // 'a..b' gives '.b': an empty label is no registered domain.
  return domain === null || domain === '' || domain.charCodeAt(0) === 46 ? null : domain;
}

/**
 * The public-suffix rule: the name is, or is under, a registered domain, so
 * it may be flagged and blocked (with everything under it). False for the
 * root, `com`, `co.uk`, `github.io`, `test`, `localhost`.
 */
export function isRegistrable(name: string): boolean {
  return registrableDomain(name) !== null;
}

/**
 * The zone a flagged verdict blocks (with everything under it): its
 * delegated `zone` when that lies strictly below the registered domain and
 * at or above the name (a fast-flux customer of a shared registry blocks its
 * own zone, not the provider and its other customers); else the registered
 * domain. A zone that does not fit (a hostile feed, an old store) is ignored.
 */
export function blockedZoneOf(v: { domain: string; registered_domain: string; zone?: string | null }): string {
  const zone = v.zone;
  const registered = v.registered_domain;
  if (typeof zone !== 'string' || registered === '' || zone === registered || !atOrBelow(zone, registered) || !atOrBelow(v.domain, zone)) return registered;
  return zone;
}

function atOrBelow(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

/** The rule applied to a verdict: its name and its registered domain may both be blocked. */
export function isRegistrableVerdict(v: { domain: string; registered_domain: string }): boolean {
  return isRegistrable(v.domain) && isRegistrable(v.registered_domain || v.domain);
}
