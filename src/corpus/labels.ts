/** The ground truth the corpus carries for every name it generates. */

export type DomainClass =
  | 'benign-static'
  | 'benign-roundrobin'
  | 'cdn'
  | 'flux-single'
  | 'flux-double';

export type FluxKind = 'single' | 'double';

export interface NameLabel {
  /** Lower-case name without trailing dot. */
  name: string;
  /** The registrable domain under the public suffix list. */
  registeredDomain: string;
  class: DomainClass;
  /** Set for the flux classes only. */
  flux: FluxKind | null;
  /** Flux service network id ('fluxnet-1'); null for benign names. */
  network: string | null;
}

export function fluxKindOf(domainClass: DomainClass): FluxKind | null {
  if (domainClass === 'flux-single') return 'single';
  if (domainClass === 'flux-double') return 'double';
  return null;
}

export function isFlux(domainClass: DomainClass): boolean {
  return fluxKindOf(domainClass) !== null;
}
