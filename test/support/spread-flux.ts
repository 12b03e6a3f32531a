/**
 * Flux spread over two sensors: one name whose answers rotate over four
 * residential ASNs in four countries, the lookups of two of those ASNs seen
 * by sensor s1 and of the other two by sensor s2. Each half alone has two
 * ASNs (under verdict.minAsnsForTiming, so TTL and churn do not count) and
 * two countries: benign; the union has four of each with low TTLs and full
 * churn: fast-flux. Real announced ranges (src/corpus), so the bundled
 * enricher sees the ASNs and countries the test means.
 */
import { AddressSpace } from '../../src/corpus/address-space.js';
import { EYEBALL_ASNS } from '../../src/corpus/asns.js';
import { Prng } from '../../src/corpus/prng.js';
import type { Enricher } from '../../src/enrich/enricher.js';
import { emptyObservation, type DnsObservation } from '../../src/model/observation.js';

export interface SpreadHalf {
  sensor: string;
  observations: DnsObservation[];
}

export const SPREAD_NAME = 'www.spread-flux.com';

/** Four ASNs of four distinct countries, as the enricher sees them. */
export function fourCountries(enricher: Enricher, space: AddressSpace, rng: Prng): number[] {
  const chosen: number[] = [];
  const countries = new Set<string>();
  for (const asn of space.knownV4(EYEBALL_ASNS)) {
    const facts = enricher.lookup(space.pickV4Text(asn, rng));
    if (facts?.asn !== asn || facts.country === null || facts.country === undefined || countries.has(facts.country)) continue;
    countries.add(facts.country);
    chosen.push(asn);
    if (chosen.length === 4) return chosen;
  }
  throw new Error('spread-flux: fewer than four eyeball ASNs in distinct countries in the bundled data');
}

/** 60 lookups over 50 minutes from `startTs`, alternating between the sensors, each answering one bot of each of its half's two ASNs. */
export function spreadFlux(enricher: Enricher, startTs: number, name = SPREAD_NAME, seed = 20261205): { name: string; halves: SpreadHalf[] } {
  const rng = new Prng(seed);
  const space = AddressSpace.load(EYEBALL_ASNS);
  const asns = fourCountries(enricher, space, rng);
  const halves: SpreadHalf[] = [
    { sensor: 's1', observations: [] },
    { sensor: 's2', observations: [] },
  ];
  // Four bots per ASN: a half's eight addresses are too few for ips and prefixes to flag it.
  const pools = asns.map((asn) => Array.from({ length: 4 }, () => space.pickV4Text(asn, rng)));
  for (let i = 0; i < 60; i++) {
    const half = i % 2;
    const o = emptyObservation(startTs + i * 50, name, 'A');
    o.rcode = 'NOERROR';
    o.client = `198.51.100.${1 + (i % 20)}`;
    const a = pools[half * 2]![rng.int(4)]!;
    const b = pools[half * 2 + 1]![rng.int(4)]!;
    for (const data of [a, b]) o.answers.push({ name, type: 'A', ttl: 30, data });
    halves[half]!.observations.push(o);
  }
  return { name, halves };
}
