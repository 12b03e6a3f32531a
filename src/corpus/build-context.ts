/** What the per-class population builders share while a corpus is assembled. */
import { getDomain } from 'tldts';
import type { AddressSpace } from './address-space.js';
import type { DomainClass, NameLabel } from './labels.js';
import type { Prng } from './prng.js';

export interface BuildContext {
  space: AddressSpace;
  /** Registered domains already handed out, so no two domains (or classes) collide. */
  usedDomains: Set<string>;
  /** Labels of names that appear only inside answers or authority (CNAME targets, flux NS names). */
  extraLabels: NameLabel[];
  /** Names in extraLabels, so a name shared by many domains is labelled once. */
  extraNames: Set<string>;
  /** Queried names taken from fixed vocabularies (top sites, Google hosts), so no two classes ask the same name. */
  usedNames: Set<string>;
}

export function addExtraLabel(ctx: BuildContext, label: NameLabel): void {
  if (ctx.extraNames.has(label.name)) return;
  ctx.extraNames.add(label.name);
  ctx.extraLabels.push(label);
}

/** Draw domains from `make` until one is new; registers it as used. */
export function uniqueDomain(ctx: BuildContext, make: () => string): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const domain = make();
    if (!ctx.usedDomains.has(domain)) {
      ctx.usedDomains.add(domain);
      return domain;
    }
  }
  throw new Error('corpus: population: the name vocabulary is exhausted; ask for fewer names');
}

/** The label of a benign name whose registered domain tldts knows (real names: google.com, pool.ntp.org, ...). */
export function benignLabel(name: string, domainClass: DomainClass): NameLabel {
  const registeredDomain = getDomain(name);
  if (registeredDomain === null) throw new Error(`corpus: population: ${name} has no registered domain`);
  return { name, registeredDomain, class: domainClass, flux: null, network: null };
}

/** Label a name that only appears inside answers (a CNAME target) with the class it serves. */
export function addAnswerName(ctx: BuildContext, name: string, domainClass: DomainClass): void {
  if (!ctx.extraNames.has(name)) addExtraLabel(ctx, benignLabel(name, domainClass));
}

/** The value under `key`, made once by `make`: one NS set per zone however many names it has. */
export function once<K, V>(values: Map<K, V>, key: K, make: () => V): V {
  let value = values.get(key);
  if (value === undefined) {
    value = make();
    values.set(key, value);
  }
  return value;
}

/** `count` distinct items of `items` (all of them, shuffled, when there are fewer). */
export function pickSome<T>(items: readonly T[], count: number, rng: Prng): T[] {
  return rng.shuffle([...items]).slice(0, count);
}
