/** Each class behaves as its label says, measured on what a client would see. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DnsObservation } from '../model/observation.js';
import { AddressSpace } from './address-space.js';
import { ALL_CORPUS_ASNS, CDN_ASNS } from './asns.js';
import { exampleSpec } from '../../scripts/example.js';
import { generateCorpus } from './generate.js';
import type { DomainClass, NameLabel } from './labels.js';
import { SinkWriter, copyObservation } from './writers/sink-writer.js';

interface NameStats {
  label: NameLabel;
  exchanges: DnsObservation[];
  addresses: Set<string>;
  asns: Set<number>;
  ttls: number[];
  nsSets: Set<string>;
}

const stats = new Map<string, NameStats>();
const seen: DnsObservation[] = [];
const space = AddressSpace.load(ALL_CORPUS_ASNS);

function ofClass(domainClass: DomainClass): NameStats[] {
  return [...stats.values()].filter((s) => s.label.class === domainClass && s.exchanges.length >= 20);
}

beforeAll(async () => {
  const spec = exampleSpec(99);
  spec.traffic.records = 20_000;
  spec.traffic.durationSeconds = 12 * 3600;
  const result = await generateCorpus(spec, [new SinkWriter({ observe: (o) => seen.push(copyObservation(o)), skip: () => {} })]);
  const labels = new Map([...result.population.popular, ...result.population.flux].map((b) => [b.label.name, b.label]));
  for (const o of seen) {
    let s = stats.get(o.qname);
    if (s === undefined) {
      const label = labels.get(o.qname);
      if (label === undefined) throw new Error(`unlabelled qname ${o.qname}`);
      s = { label, exchanges: [], addresses: new Set(), asns: new Set(), ttls: [], nsSets: new Set() };
      stats.set(o.qname, s);
    }
    s.exchanges.push(o);
    for (const r of o.answers) {
      if (r.type === 'A') {
        s.addresses.add(r.data);
        s.asns.add(space.asnOfV4(r.data));
        s.ttls.push(r.ttl ?? -1);
      }
    }
    if (o.authority.length > 0) s.nsSets.add(o.authority.map((r) => r.data).sort().join(' '));
  }
});

describe('flux names', () => {
  it('draw many addresses from many access networks with TTLs of at most 300 s', () => {
    const flux = [...ofClass('flux-single'), ...ofClass('flux-double')];
    expect(flux.length).toBeGreaterThanOrEqual(8);
    for (const s of flux) {
      expect(s.addresses.size, s.label.name).toBeGreaterThanOrEqual(15);
      expect(s.asns.size, s.label.name).toBeGreaterThanOrEqual(5);
      expect(Math.max(...s.ttls), s.label.name).toBeLessThanOrEqual(300);
      expect(s.label.network).toMatch(/^fluxnet-\d+$/);
    }
  });

  it('share pools within a flux network', () => {
    const byNetwork = new Map<string, Set<string>[]>();
    for (const s of [...ofClass('flux-single'), ...ofClass('flux-double')]) {
      const list = byNetwork.get(s.label.network ?? '') ?? [];
      list.push(s.addresses);
      byNetwork.set(s.label.network ?? '', list);
    }
    for (const [network, sets] of byNetwork) {
      const [first, second] = sets;
      if (first === undefined || second === undefined) continue;
      const overlap = [...first].filter((a) => second.has(a)).length;
      expect(overlap, network).toBeGreaterThan(0);
    }
  });

  it('rotate name servers with glue from the pool for double flux only', () => {
    for (const s of ofClass('flux-double')) {
      const direct = s.exchanges.find((o) => o.answers[0]?.type === 'A');
      if (direct === undefined) continue; // a CNAME alias: its target's zone answers
      expect(s.nsSets.size, s.label.name).toBeGreaterThanOrEqual(3);
      const glue = s.exchanges.flatMap((o) => o.additional.map((r) => r.data));
      expect(new Set(glue.map((g) => space.asnOfV4(g))).size, s.label.name).toBeGreaterThanOrEqual(3);
    }
    for (const s of ofClass('flux-single')) expect(s.nsSets.size, s.label.name).toBeLessThanOrEqual(1);
  });

  it('include CNAME chains whose target fluxes', () => {
    const aliases = ofClass('flux-double').filter((s) => s.exchanges.some((o) => o.answers[0]?.type === 'CNAME'));
    expect(aliases.length).toBeGreaterThanOrEqual(1);
    for (const s of aliases) expect(s.addresses.size).toBeGreaterThanOrEqual(15);
  });
});

describe('benign names', () => {
  it('benign-static keeps the same one or two addresses and counts its TTL down', () => {
    const names = ofClass('benign-static');
    expect(names.length).toBeGreaterThan(20);
    for (const s of names) {
      expect(s.addresses.size, s.label.name).toBeLessThanOrEqual(2);
      expect(s.asns.size, s.label.name).toBe(1);
      const sets = new Set(s.exchanges.filter((o) => o.qtype === 'A').map((o) => o.answers.map((r) => r.data).join(',')));
      expect(sets.size, s.label.name).toBe(1);
      expect(Math.max(...s.ttls)).toBeLessThanOrEqual(86400);
    }
  });

  it('benign-roundrobin stays within 4-8 addresses of one /24', () => {
    const names = ofClass('benign-roundrobin');
    expect(names.length).toBeGreaterThan(5);
    for (const s of names) {
      expect(s.addresses.size, s.label.name).toBeLessThanOrEqual(8);
      const prefixes = new Set([...s.addresses].map((a) => a.slice(0, a.lastIndexOf('.'))));
      expect(prefixes.size, s.label.name).toBe(1);
      expect(Math.max(...s.ttls)).toBeLessThanOrEqual(300);
    }
  });

  it('cdn names CNAME into a CDN whose own AS serves a small edge set', () => {
    const names = ofClass('cdn');
    expect(names.length).toBeGreaterThan(10);
    const cdnAsns = new Set(Object.values(CDN_ASNS).flat());
    for (const s of names) {
      for (const o of s.exchanges) {
        const first = o.answers[0];
        expect(first?.type, s.label.name).toBe('CNAME');
        expect(first?.name).toBe(s.label.name);
        expect(first?.data).toMatch(/\.(edgekey\.net|cdn\.cloudflare\.net|fastly\.net|cloudfront\.net)$/);
        if (first?.data.endsWith('.edgekey.net')) expect(o.answers[1]?.data).toMatch(/\.akamaiedge\.net$/);
      }
      for (const asn of s.asns) expect(cdnAsns.has(asn), `${s.label.name} AS${asn}`).toBe(true);
      expect(s.addresses.size, s.label.name).toBeLessThanOrEqual(16);
      expect(Math.max(...s.ttls)).toBeLessThanOrEqual(300);
    }
  });
});

describe('traffic', () => {
  it('emits exchanges in time order', () => {
    const all = seen.map((o) => o.ts);
    expect(all.length).toBe(20_000);
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
    expect(all[0]).toBeGreaterThanOrEqual(Date.UTC(2025, 3, 3) / 1000);
    expect(all[all.length - 1]).toBeLessThanOrEqual(Date.UTC(2025, 3, 3) / 1000 + 12 * 3600);
  });
});
