/** Every name of a corpus, with its behaviour and label, built from a PopulationSpec. */
import type { AddressSpace } from './address-space.js';
import { buildAnswerLookalikes, mixIntoPopularity } from './build-answer-lookalikes.js';
import { buildAkamaiIsp } from './build-akamai-isp.js';
import { buildBenignRoundRobin, buildBenignStatic } from './build-benign.js';
import { buildCdn } from './build-cdn.js';
import { buildCloudLb } from './build-cloud-lb.js';
import type { BuildContext } from './build-context.js';
import { buildDynamicDns } from './build-dynamic-dns.js';
import { buildFlux } from './build-flux.js';
import { buildGoogleMultiA } from './build-google.js';
import { buildMirrorNetwork } from './build-mirrors.js';
import { buildNtpPool } from './build-ntp-pool.js';
import { buildSharedRegistry } from './build-shared-registry.js';
import { buildSlowFlux } from './build-slow-flux.js';
import { buildTopSites } from './build-top-sites.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import { FluxName } from './behaviours/flux.js';
import type { DomainClass, LabelRow, NameLabel } from './labels.js';
import { DOMAIN_CLASSES } from './labels.js';
import type { Prng } from './prng.js';
import { Schedule } from './schedule.js';
import type { LookalikeSpec, PopulationSpec } from './spec.js';

export interface Population {
  /** Benign names of every class, most popular first. */
  popular: readonly DomainBehaviour[];
  /** Queried flux names (including CNAME aliases). */
  flux: readonly DomainBehaviour[];
  /** Names that appear only inside answers or authority sections. */
  extraLabels: readonly NameLabel[];
  /** Names asked a fixed few times at chosen moments (slow flux, shared registries), not by popularity. */
  schedule: Schedule;
}

export function buildPopulation(spec: PopulationSpec, space: AddressSpace, rng: Prng): Population {
  const ctx: BuildContext = { space, usedDomains: new Set(), extraLabels: [], extraNames: new Set(), usedNames: new Set() };
  // Derived, not forked: the scheduled classes leave every other class's stream as it was.
  const scheduled = { schedule: rng.derive('schedule'), slowFlux: rng.derive('flux-slow'), sharedRegistry: rng.derive('shared-registry') };
  // One stream per class: changing how many names one class has leaves the others as they were.
  const popular = [
    ...buildBenignStatic(ctx, spec.benignStatic, rng.fork('benign-static')),
    ...buildBenignRoundRobin(ctx, spec.benignRoundRobin, rng.fork('benign-roundrobin')),
    ...buildCdn(ctx, spec.cdn, rng.fork('cdn')),
  ];
  const popularity = rng.fork('popularity');
  const flux = buildFlux(ctx, spec.flux, rng.fork('flux'));
  // The look-alikes come after flux, so specs without them draw exactly what they drew before.
  const { topSites, others } = buildLookalikes(ctx, spec.lookalikes, rng);
  // One by one: spreading a scale corpus's hundreds of thousands of names into push() overflows the stack.
  for (const b of others) popular.push(b);
  popularity.shuffle(popular);
  const schedule = new Schedule(scheduled.schedule);
  // Their flux networks are numbered after the fast-flux ones.
  let network = spec.flux.networks + 1;
  if (spec.slowFlux !== undefined) {
    buildSlowFlux(ctx, spec.slowFlux, network, schedule, scheduled.slowFlux);
    network += spec.slowFlux.networks;
  }
  if (spec.sharedRegistry !== undefined) buildSharedRegistry(ctx, spec.sharedRegistry, network, schedule, scheduled.sharedRegistry);
  // Popular sites lead the Zipf order: they are what a resolver is asked most.
  const ordered = [...topSites, ...popular];
  // Issue 13's answer classes: after every other stream, mixed in at random ranks.
  const added = buildAnswerLookalikes(ctx, spec.lookalikes, rng);
  return { popular: added.length === 0 ? ordered : mixIntoPopularity(ordered, added, rng.fork('answer-lookalikes-popularity')), flux, extraLabels: ctx.extraLabels, schedule };
}

function buildLookalikes(ctx: BuildContext, spec: LookalikeSpec | undefined, rng: Prng): { topSites: DomainBehaviour[]; others: DomainBehaviour[] } {
  if (spec === undefined) return { topSites: [], others: [] };
  const others = [
    ...buildAkamaiIsp(ctx, spec.cdnAkamaiIsp, rng.fork('cdn-akamai-isp')),
    ...buildCloudLb(ctx, spec.cloudLb, rng.fork('cloud-lb')),
    ...buildGoogleMultiA(ctx, spec.googleMultiA, rng.fork('google-multi-a')),
    ...buildNtpPool(ctx, spec.ntpPool, rng.fork('ntp-pool')),
    ...buildMirrorNetwork(ctx, spec.mirrorNetwork, rng.fork('mirror-network')),
    ...buildDynamicDns(ctx, spec.dynamicDns, rng.fork('dynamic-dns')),
  ];
  return { topSites: buildTopSites(ctx, spec.topSite, rng.fork('top-site')), others };
}

/** How often each name was asked, by index into `population.popular` and `population.flux` (a TrafficResult). */
export interface Lookups {
  popularLookups: Uint32Array;
  fluxLookups: Uint32Array;
  /** By index into `population.schedule.names`; absent: none of them was asked. */
  scheduledLookups?: Uint32Array;
}

/**
 * All labels, grouped by class and sorted by name, so label files diff well;
 * `role` tells queried names from names seen only inside answers. With
 * `asked`, names the traffic never asked for are left out.
 */
export function populationLabels(population: Population, asked?: Lookups): LabelRow[] {
  const queried = new Set<string>();
  const labels: LabelRow[] = [];
  // A name never asked for still shows up inside answers when an asked alias points at it.
  const targets = new Set<string>();
  population.flux.forEach((b, i) => {
    if (b instanceof FluxName && b.aliasTarget !== null && (asked === undefined || (asked.fluxLookups[i] as number) > 0)) targets.add(b.aliasTarget);
  });
  const add = (behaviours: readonly DomainBehaviour[], lookups: Uint32Array | undefined): void => {
    behaviours.forEach((b, i) => {
      queried.add(b.label.name);
      if (lookups === undefined || (lookups[i] as number) > 0) labels.push({ ...b.label, role: 'query' });
      else if (targets.has(b.label.name)) labels.push({ ...b.label, role: 'answer' });
    });
  };
  add(population.popular, asked?.popularLookups);
  add(population.flux, asked?.fluxLookups);
  add(population.schedule.names, asked === undefined ? undefined : (asked.scheduledLookups ?? new Uint32Array(population.schedule.names.length)));
  for (const l of population.extraLabels) if (!queried.has(l.name)) labels.push({ ...l, role: 'answer' });
  const order = Object.fromEntries(DOMAIN_CLASSES.map((c, i) => [c, i])) as Record<DomainClass, number>;
  return labels.sort((a, b) => order[a.class] - order[b.class] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
