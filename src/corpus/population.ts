/** Every name of a corpus, with its behaviour and label, built from a PopulationSpec. */
import type { AddressSpace } from './address-space.js';
import { buildBenignRoundRobin, buildBenignStatic } from './build-benign.js';
import { buildCdn } from './build-cdn.js';
import type { BuildContext } from './build-context.js';
import { buildFlux } from './build-flux.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import type { NameLabel } from './labels.js';
import type { Prng } from './prng.js';
import type { PopulationSpec } from './spec.js';

export interface Population {
  /** Benign names of every class, most popular first. */
  popular: readonly DomainBehaviour[];
  /** Queried flux names (including CNAME aliases). */
  flux: readonly DomainBehaviour[];
  /** Names that appear only inside answers or authority sections. */
  extraLabels: readonly NameLabel[];
}

export function buildPopulation(spec: PopulationSpec, space: AddressSpace, rng: Prng): Population {
  const ctx: BuildContext = { space, usedDomains: new Set(), extraLabels: [], extraNames: new Set() };
  // One stream per class: changing how many names one class has leaves the others as they were.
  const popular = [
    ...buildBenignStatic(ctx, spec.benignStatic, rng.fork('benign-static')),
    ...buildBenignRoundRobin(ctx, spec.benignRoundRobin, rng.fork('benign-roundrobin')),
    ...buildCdn(ctx, spec.cdn, rng.fork('cdn')),
  ];
  rng.fork('popularity').shuffle(popular);
  const flux = buildFlux(ctx, spec.flux, rng.fork('flux'));
  return { popular, flux, extraLabels: ctx.extraLabels };
}

/** All labels, grouped by class and sorted by name, so label files diff well. */
export function populationLabels(population: Population): NameLabel[] {
  const labels = [
    ...population.popular.map((b) => b.label),
    ...population.flux.map((b) => b.label),
    ...population.extraLabels,
  ];
  const order: Record<NameLabel['class'], number> = {
    'benign-static': 0,
    'benign-roundrobin': 1,
    cdn: 2,
    'flux-single': 3,
    'flux-double': 4,
  };
  return labels.sort((a, b) => order[a.class] - order[b.class] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
