/**
 * Which suspicious names are never probed, and why: the same facts the
 * forwarder's policy and the RPZ writer keep from blocking (the allowlist,
 * known CDN/cloud answers, top sites, pools, dynamic DNS, public suffixes).
 * A probe of such a name would spend the rate on a name no evidence can
 * block, and tell its operator that we look.
 */
import type { Infra } from '../../enrich/infra/index.js';
import { isRegistrableVerdict } from '../../detect/registered-domain.js';
import type { Verdict } from '../../model/verdict.js';

export const SKIP_REASONS = ['allowlisted', 'public-suffix', 'registered-domain', 'known-infra', 'top-site', 'pool', 'dynamic-dns', 'tampering', 'platform'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface JudgeFacts {
  /** The daemon's live allowlist (names, and everything under them). */
  isAllowed(name: string): boolean;
  isAllowedAddress(address: string): boolean;
  infra: Infra | null;
}

/** Why `v` must not be probed, or null when it may be. */
export function skipReason(v: Verdict, facts: JudgeFacts): SkipReason | null {
  // A union of names under a registered domain has no one name to re-resolve; its names are judged (and probed) each on its own.
  if (v.scope === 'registered_domain') return 'registered-domain';
  if (!isRegistrableVerdict(v)) return 'public-suffix';
  if (facts.isAllowed(v.domain)) return 'allowlisted';
  // Answers an injector gives (or poisoned ones): probing through the same path only collects more of them.
  if (v.tampering !== undefined) return 'tampering';
  const infra = facts.infra;
  // A single-tenant platform's own name: its answers are its own network's, never a botnet's.
  if (infra !== null && infra.platformOfName(v.domain) >= 0) return 'platform';
  const f = v.features;
  if (f.known_infra_share > 0 || (infra !== null && infra.cnameProvider(v.domain) >= 0)) return 'known-infra';
  for (const a of v.evidence.addresses) {
    if (facts.isAllowedAddress(a.address)) return 'allowlisted';
    if (a.known || (infra !== null && infra.providerOfAddress(a.address) >= 0)) return 'known-infra';
  }
  if (f.top_site_lists > 0 || (infra !== null && underTopSite(infra, v.domain))) return 'top-site';
  if (f.pool > 0 || (infra !== null && infra.poolOf(v.domain) !== null)) return 'pool';
  if (f.dynamic_dns > 0 || (infra !== null && infra.isDynamicDns(v.domain))) return 'dynamic-dns';
  return null;
}

function underTopSite(infra: Infra, name: string): boolean {
  for (let n = name, dot = n.indexOf('.'); dot >= 0; n = n.slice(dot + 1), dot = n.indexOf('.')) {
    if (infra.isTopSite(n)) return true;
  }
  return false;
}
