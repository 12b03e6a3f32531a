/** The ground truth the corpus carries for every name it generates. */

/** Every class, in the order label files list them. */
export const DOMAIN_CLASSES = [
  'benign-static',
  'benign-roundrobin',
  'cdn',
  'flux-single',
  'flux-double',
  'cdn-akamai-isp',
  'cloud-lb',
  'google-multi-a',
  'ntp-pool',
  'mirror-network',
  'dynamic-dns',
  'top-site',
  // Issue 13: injection by a censoring middlebox and its look-alike, national CDNs, reserved answers.
  'injected',
  'platform',
  'national-cdn',
  'non-routable',
  'shared-registry',
  'flux-slow',
] as const;

export type DomainClass = (typeof DOMAIN_CLASSES)[number];

export type FluxKind = 'single' | 'double';

export interface NameLabel {
  /** Lower-case name without trailing dot. */
  name: string;
  /** The registrable domain under the ICANN section of the public suffix list (tldts `getDomain`). */
  registeredDomain: string;
  class: DomainClass;
  /** Set for the flux classes only. */
  flux: FluxKind | null;
  /** Flux service network id ('fluxnet-1'); null for benign names. */
  network: string | null;
}

/**
 * `query`: clients ask for the name. `answer`: it only appears inside
 * answers or authority sections (a CDN's CNAME target, a flux NS name); an
 * evaluation scoring queried names can leave these out.
 */
export type LabelRole = 'query' | 'answer';

export interface LabelRow extends NameLabel {
  role: LabelRole;
}

export function fluxKindOf(domainClass: DomainClass): FluxKind | null {
  if (domainClass === 'flux-single') return 'single';
  if (domainClass === 'flux-double') return 'double';
  // Slow flux is single flux (fixed name servers) at a slow pace.
  if (domainClass === 'flux-slow') return 'single';
  return null;
}

export function isFlux(domainClass: DomainClass): boolean {
  return fluxKindOf(domainClass) !== null;
}

/** A zero count per class. */
export function countByClass(): Record<DomainClass, number> {
  const counts = {} as Record<DomainClass, number>;
  for (const c of DOMAIN_CLASSES) counts[c] = 0;
  return counts;
}
