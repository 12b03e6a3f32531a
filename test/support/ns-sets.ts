/**
 * For corpus tests that look at delegations: the NS sets an observation's
 * authority section names, one sorted space-joined set per owner zone, added
 * to what was seen before.
 */
import type { DnsObservation } from '../../src/model/observation.js';

export function noteNsSets(nsSets: Map<string, Set<string>>, o: DnsObservation): void {
  const byZone = new Map<string, string[]>();
  for (const r of o.authority) if (r.type === 'NS') byZone.set(r.name, [...(byZone.get(r.name) ?? []), r.data]);
  for (const [zone, ns] of byZone) {
    const sets = nsSets.get(zone) ?? new Set<string>();
    sets.add(ns.sort().join(' '));
    nsSets.set(zone, sets);
  }
}
