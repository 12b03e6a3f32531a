/**
 * The classes about what answers are made of (issue 13): injected answers
 * and their platform look-alike, national multi-carrier CDNs, non-routable
 * answers. Built after every other class, each from its own stream, and
 * mixed into the popularity order at random places, so a spec without them
 * generates what it did before and, with them, every other class keeps its
 * names, addresses and relative popularity order.
 */
import type { BuildContext } from './build-context.js';
import { buildInjected } from './build-injected.js';
import { buildNationalCdn } from './build-national-cdn.js';
import { buildNonRoutable } from './build-non-routable.js';
import { buildPlatform } from './build-platform.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import type { Prng } from './prng.js';
import type { LookalikeSpec } from './spec.js';

export function buildAnswerLookalikes(ctx: BuildContext, spec: LookalikeSpec | undefined, rng: Prng): DomainBehaviour[] {
  if (spec === undefined) return [];
  return [
    ...buildInjected(ctx, spec.injected ?? 0, rng.fork('injected')),
    ...buildPlatform(ctx, spec.platform ?? 0, rng.fork('platform')),
    ...buildNationalCdn(ctx, spec.nationalCdn ?? 0, rng.fork('national-cdn')),
    ...buildNonRoutable(ctx, spec.nonRoutable ?? 0, rng.fork('non-routable')),
  ];
}

/** The most popular names stay where they are: the world's top sites lead any resolver's list. */
const KEEP_TOP = 25;

/**
 * `ordered` with every name of `added` inserted at a uniformly random place
 * after the first KEEP_TOP (so some are popular and most are in the tail);
 * one pass, since the scale scenarios have a million names.
 */
export function mixIntoPopularity(ordered: readonly DomainBehaviour[], added: readonly DomainBehaviour[], rng: Prng): DomainBehaviour[] {
  if (added.length === 0) return [...ordered];
  const from = Math.min(KEEP_TOP, ordered.length);
  const slots = added.map((b) => ({ at: from + rng.int(ordered.length - from + 1), b })).sort((x, y) => x.at - y.at);
  const out: DomainBehaviour[] = [];
  let next = 0;
  for (let i = 0; i <= ordered.length; i++) {
    while (next < slots.length && (slots[next] as (typeof slots)[number]).at === i) out.push((slots[next++] as (typeof slots)[number]).b);
    if (i < ordered.length) out.push(ordered[i] as DomainBehaviour);
  }
  return out;
}
