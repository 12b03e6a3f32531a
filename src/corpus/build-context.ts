/** What the per-class population builders share while a corpus is assembled. */
import type { AddressSpace } from './address-space.js';
import type { NameLabel } from './labels.js';

export interface BuildContext {
  space: AddressSpace;
  /** Registered domains already handed out, so no two domains (or classes) collide. */
  usedDomains: Set<string>;
  /** Labels of names that appear only inside answers or authority (CNAME targets, flux NS names). */
  extraLabels: NameLabel[];
  /** Names in extraLabels, so a name shared by many domains is labelled once. */
  extraNames: Set<string>;
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
