/**
 * flux-slow and shared-registry behave as their labels say, measured on what a
 * client sees over a simulated day; and adding them leaves every other
 * class's exchanges exactly as they were.
 */
import { getDomain } from 'tldts';
import { beforeAll, describe, expect, it } from 'vitest';
import { noteNsSets } from '../../test/support/ns-sets.js';
import type { DnsObservation } from '../model/observation.js';
import { parseIPv4 } from '../model/names.js';
import { AddressSpace } from './address-space.js';
import { ALL_CORPUS_ASNS, EYEBALL_ASNS } from './asns.js';
import { evalSpec } from './eval.js';
import type { CorpusResult } from './generate.js';
import { generateCorpus } from './generate.js';
import type { DomainClass, NameLabel } from './labels.js';
import { Regions } from './regions.js';
import type { CorpusSpec } from './spec.js';
import { SinkWriter, copyObservation } from './writers/sink-writer.js';

interface NameStats {
  label: NameLabel;
  times: number[];
  aSizes: Set<number>;
  addresses: Set<string>;
  asns: Set<number>;
  maxTtl: number;
  /** NS sets seen in authority sections, per owner zone. */
  nsSets: Map<string, Set<string>>;
  /** Glue addresses of those NS names. */
  glue: Set<string>;
}

const space = AddressSpace.load(ALL_CORPUS_ASNS);
const regions = Regions.load(space);

/** The evaluation spec's scheduled classes, with a small popularity-driven day around them. */
function smallSpec(withScheduled: boolean): CorpusSpec {
  const spec = evalSpec();
  spec.traffic.records = 20_000;
  if (!withScheduled) {
    delete spec.population.slowFlux;
    delete spec.population.sharedRegistry;
  }
  return spec;
}

async function run(spec: CorpusSpec): Promise<{ result: CorpusResult; seen: DnsObservation[] }> {
  const seen: DnsObservation[] = [];
  const result = await generateCorpus(spec, [new SinkWriter({ observe: (o) => seen.push(copyObservation(o)), skip: () => {} })]);
  return { result, seen };
}

const stats = new Map<string, NameStats>();
let withScheduled: { result: CorpusResult; seen: DnsObservation[] };

beforeAll(async () => {
  withScheduled = await run(smallSpec(true));
  const labels = new Map(withScheduled.result.population.schedule.names.map((b) => [b.label.name, b.label]));
  for (const o of withScheduled.seen) {
    const label = labels.get(o.qname);
    if (label === undefined) continue;
    let s = stats.get(o.qname);
    if (s === undefined) stats.set(o.qname, (s = { label, times: [], aSizes: new Set(), addresses: new Set(), asns: new Set(), maxTtl: 0, nsSets: new Map(), glue: new Set() }));
    s.times.push(o.ts);
    let a = 0;
    for (const r of o.answers) {
      if (r.type !== 'A') continue;
      a++;
      s.addresses.add(r.data);
      s.asns.add(space.asnOfV4(r.data));
      s.maxTtl = Math.max(s.maxTtl, r.ttl ?? 0);
    }
    s.aSizes.add(a);
    noteNsSets(s.nsSets, o);
    for (const r of o.additional) if (r.type === 'A') s.glue.add(r.data);
  }
}, 60_000);

const ofClass = (c: DomainClass): NameStats[] => [...stats.values()].filter((s) => s.label.class === c);
const union = <T>(sets: Iterable<Set<T>>): Set<T> => {
  const all = new Set<T>();
  for (const s of sets) for (const x of s) all.add(x);
  return all;
};
const byNetwork = (names: NameStats[]): Map<string, NameStats[]> => {
  const groups = new Map<string, NameStats[]>();
  for (const s of names) groups.set(s.label.network as string, [...(groups.get(s.label.network as string) ?? []), s]);
  return groups;
};

describe('flux-slow', () => {
  it('asks ~40 names 3-8 times each, spread over hours, one or two A records with TTL 0', () => {
    const names = ofClass('flux-slow');
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect(names.length).toBeLessThanOrEqual(60);
    for (const s of names) {
      expect(s.times.length, s.label.name).toBeGreaterThanOrEqual(3);
      expect(s.times.length, s.label.name).toBeLessThanOrEqual(8);
      expect([...s.aSizes].every((n) => n === 1 || n === 2), s.label.name).toBe(true);
      expect(s.maxTtl, s.label.name).toBe(0);
      expect(s.label.flux).toBe('single');
    }
    const spans = names.map((s) => Math.max(...s.times) - Math.min(...s.times));
    expect(spans.filter((span) => span >= 4 * 3600).length / names.length).toBeGreaterThanOrEqual(0.8);
  });

  it('draws from small pools in 5-8 eyeball ASNs over several countries, numbered after the fast-flux networks', () => {
    const networks = byNetwork(ofClass('flux-slow'));
    expect([...networks.keys()].sort()).toEqual(['fluxnet-7', 'fluxnet-8']);
    const eyeballs = new Set(EYEBALL_ASNS);
    for (const [id, names] of networks) {
      const addresses = union(names.map((s) => s.addresses));
      const asns = union(names.map((s) => s.asns));
      expect(addresses.size, id).toBeLessThanOrEqual(80);
      expect(asns.size, id).toBeGreaterThanOrEqual(3);
      expect(asns.size, id).toBeLessThanOrEqual(8);
      for (const asn of asns) expect(eyeballs.has(asn), `${id} AS${asn}`).toBe(true);
      expect(new Set([...addresses].map((a) => regions.countryOf(parseIPv4(a)))).size, id).toBeGreaterThanOrEqual(3);
    }
  });

  it('serves 3-8 sibling registered domains per network that share bot addresses, each with one fixed NS set', () => {
    for (const [id, names] of byNetwork(ofClass('flux-slow'))) {
      const domains = new Set(names.map((s) => s.label.registeredDomain));
      expect(domains.size, id).toBeGreaterThanOrEqual(3);
      expect(domains.size, id).toBeLessThanOrEqual(8);
      const domainsOf = new Map<string, Set<string>>();
      for (const s of names) for (const a of s.addresses) domainsOf.set(a, (domainsOf.get(a) ?? new Set()).add(s.label.registeredDomain));
      expect([...domainsOf.values()].filter((d) => d.size >= 2).length, id).toBeGreaterThanOrEqual(5);
      for (const s of names) for (const sets of s.nsSets.values()) expect(sets.size, s.label.name).toBe(1);
    }
  });
});

describe('shared-registry', () => {
  const providers = (): Map<string, NameStats[]> => {
    const groups = new Map<string, NameStats[]>();
    for (const s of ofClass('shared-registry')) groups.set(s.label.registeredDomain, [...(groups.get(s.label.registeredDomain) ?? []), s]);
    return groups;
  };

  it('puts customers under providers that are registered domains, not public suffixes', () => {
    const groups = providers();
    expect(groups.size).toBe(3);
    expect([...groups.keys()].some((d) => d.split('.')[0]?.endsWith('dns'))).toBe(true);
    for (const [provider, names] of groups) {
      expect(names.length, provider).toBeGreaterThanOrEqual(20);
      for (const s of names) expect(getDomain(s.label.name, { allowPrivateDomains: true }), s.label.name).toBe(provider);
    }
  });

  it('answers each child from its own host, with its own stable 2-4 NS names and glue', () => {
    const own = (s: NameStats): boolean => s.label.name === s.label.registeredDomain || s.label.name === `www.${s.label.registeredDomain}`;
    const children = ofClass('shared-registry').filter((s) => !own(s));
    expect(children.length).toBeGreaterThanOrEqual(60);
    for (const s of children) {
      expect(s.addresses.size, s.label.name).toBeLessThanOrEqual(2);
      expect(s.asns.size, s.label.name).toBeLessThanOrEqual(1);
      expect(s.times.length, s.label.name).toBeLessThanOrEqual(6);
      for (const [zone, sets] of s.nsSets) {
        expect(zone, s.label.name).not.toBe(s.label.registeredDomain);
        expect(s.label.name.endsWith(zone), s.label.name).toBe(true);
        expect(sets.size, s.label.name).toBe(1);
        const ns = ([...sets][0] as string).split(' ');
        expect(ns.length, s.label.name).toBeGreaterThanOrEqual(2);
        expect(ns.length, s.label.name).toBeLessThanOrEqual(4);
      }
    }
    expect(children.filter((s) => s.glue.size > 0).length).toBeGreaterThanOrEqual(10);
  });

  it('adds up, under each provider, to dozens of NS names with addresses in several ASNs', () => {
    for (const [provider, names] of providers()) {
      const ns = new Set<string>();
      for (const s of names) for (const [zone, sets] of s.nsSets) if (zone !== provider) for (const set of sets) for (const n of set.split(' ')) ns.add(n);
      const glueAsns = new Set([...union(names.map((s) => s.glue))].map((a) => space.asnOfV4(a)));
      expect(ns.size, provider).toBeGreaterThanOrEqual(12);
      expect(glueAsns.size, provider).toBeGreaterThanOrEqual(3);
    }
  });

  it('hides double-flux children under the registries: their own NS set rotates, their addresses come from a flux pool', () => {
    const registries = new Set(providers().keys());
    const flux = ofClass('flux-double');
    expect(flux.length).toBeGreaterThanOrEqual(2);
    for (const s of flux) {
      expect(registries.has(s.label.registeredDomain), s.label.name).toBe(true);
      expect(s.label.network).toBe('fluxnet-9');
      expect(s.asns.size, s.label.name).toBeGreaterThanOrEqual(3);
    }
    const zones = flux.flatMap((s) => [...s.nsSets].filter(([zone]) => zone !== s.label.registeredDomain && s.label.name.endsWith(zone)));
    expect(zones.some(([, sets]) => sets.size >= 2)).toBe(true);
  });
});

describe('scheduled lookups', () => {
  it('leave every popularity-driven exchange as it was without them', async () => {
    const without = await run(smallSpec(false));
    const scheduled = new Set(withScheduled.result.population.schedule.names.map((b) => b.label.name));
    const rest = withScheduled.seen.filter((o) => !scheduled.has(o.qname));
    expect(rest.length).toBe(without.seen.length);
    expect(JSON.stringify(rest) === JSON.stringify(without.seen)).toBe(true);
    expect(withScheduled.result.traffic.records).toBe(without.result.traffic.records + withScheduled.result.population.schedule.lookups);
  });

  it('come in time order among the others', () => {
    const ts = withScheduled.seen.map((o) => o.ts);
    for (let i = 1; i < ts.length; i++) expect(ts[i] as number).toBeGreaterThan(ts[i - 1] as number);
  });
});
