/**
 * The evaluation corpus: each look-alike class behaves as specified, measured
 * on what a client sees over the simulated day, and the corpus has the
 * composition the accuracy issue asks for.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { noteNsSets } from '../../test/support/ns-sets.js';
import type { DnsObservation } from '../model/observation.js';
import { parseIPv4 } from '../model/names.js';
import { AddressSpace } from './address-space.js';
import { AKAMAI_HOST_ISPS, ALL_CORPUS_ASNS, AMAZON_ASN, AMAZON_US_EAST_ASN, CDN_ASNS, GOOGLE_ASN, MICROSOFT_ASN } from './asns.js';
import { evalSpec } from './eval.js';
import type { CorpusResult } from './generate.js';
import { generateCorpus } from './generate.js';
import type { DomainClass, NameLabel } from './labels.js';
import { DOMAIN_CLASSES } from './labels.js';
import { Regions } from './regions.js';
import { GOOGLE_HOSTS, MIRROR_REDIRECTORS, TOP_SITES } from './vocabulary-services.js';
import { SinkWriter } from './writers/sink-writer.js';

interface NameStats {
  label: NameLabel;
  lookups: number;
  /** Sizes of the non-empty A answer sets. */
  aSizes: Set<number>;
  aAnswers: number;
  aaaaAnswers: number;
  addresses: Set<string>;
  asns: Set<number>;
  countries: Set<string>;
  maxAddressTtl: number;
  /** The first CNAME target of each answer. */
  cnames: Set<string>;
  /** Every NS set seen in authority sections, per owner zone. */
  nsSets: Map<string, Set<string>>;
  firstTs: number;
}

const space = AddressSpace.load(ALL_CORPUS_ASNS);
const regions = Regions.load(space);
const stats = new Map<string, NameStats>();
let result: CorpusResult;
let exchanges = 0;

/** Labels are attached after the run; until then a placeholder. */
const UNLABELLED: NameLabel = { name: '', registeredDomain: '', class: 'benign-static', flux: null, network: null };

function observe(o: DnsObservation): void {
  exchanges++;
  let s = stats.get(o.qname);
  if (s === undefined) {
    s = { label: UNLABELLED, lookups: 0, aSizes: new Set(), aAnswers: 0, aaaaAnswers: 0, addresses: new Set(), asns: new Set(), countries: new Set(), maxAddressTtl: 0, cnames: new Set(), nsSets: new Map(), firstTs: o.ts };
    stats.set(o.qname, s);
  }
  s.lookups++;
  let a = 0;
  let aaaa = 0;
  for (const r of o.answers) {
    if (r.type === 'CNAME' && r.name === o.qname) s.cnames.add(r.data);
    if (r.type === 'A' || r.type === 'AAAA') s.maxAddressTtl = Math.max(s.maxAddressTtl, r.ttl ?? 0);
    if (r.type === 'AAAA') aaaa++;
    if (r.type !== 'A') continue;
    a++;
    if (!s.addresses.has(r.data)) {
      s.addresses.add(r.data);
      s.asns.add(space.asnOfV4(r.data));
      s.countries.add(regions.countryOf(parseIPv4(r.data)));
    }
  }
  if (a > 0) {
    s.aSizes.add(a);
    s.aAnswers++;
  }
  if (aaaa > 0) s.aaaaAnswers++;
  noteNsSets(s.nsSets, o);
}

beforeAll(async () => {
  result = await generateCorpus(evalSpec(), [new SinkWriter({ observe, skip: () => {} })]);
  const labels = new Map([...result.population.popular, ...result.population.flux, ...result.population.schedule.names].map((b) => [b.label.name, b.label]));
  for (const [name, s] of stats) {
    const label = labels.get(name);
    if (label === undefined) throw new Error(`unlabelled qname ${name}`);
    s.label = label;
  }
}, 60_000);

function ofClass(domainClass: DomainClass, minLookups = 1): NameStats[] {
  return [...stats.values()].filter((s) => s.label.class === domainClass && s.lookups >= minLookups);
}

const union = <T>(sets: Iterable<Set<T>>): Set<T> => {
  const all = new Set<T>();
  for (const s of sets) for (const x of s) all.add(x);
  return all;
};

describe('cdn-akamai-isp', () => {
  it('CNAMEs into Akamai and answers 2 addresses with TTL 20', () => {
    const names = ofClass('cdn-akamai-isp');
    expect(names.length).toBeGreaterThanOrEqual(100);
    for (const s of names) {
      for (const c of s.cnames) expect(c, s.label.name).toMatch(/\.(edgekey|edgesuite)\.net$/);
      expect([...s.aSizes], s.label.name).toEqual(s.aSizes.size === 0 ? [] : [2]);
      expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(20);
    }
  });

  it('serves from Akamai ASNs and from caches inside eyeball ASNs', () => {
    const akamai = new Set(CDN_ASNS.akamai);
    const isps = new Set(AKAMAI_HOST_ISPS);
    const busy = ofClass('cdn-akamai-isp', 40);
    expect(busy.length).toBeGreaterThan(50);
    for (const s of busy) for (const asn of s.asns) expect(akamai.has(asn) || isps.has(asn), `${s.label.name} AS${asn}`).toBe(true);
    const both = busy.filter((s) => [...s.asns].some((a) => akamai.has(a)) && [...s.asns].some((a) => isps.has(a)));
    expect(both.length / busy.length).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...busy.map((s) => s.asns.size))).toBeGreaterThanOrEqual(4);
  });
});

describe('cloud-lb', () => {
  it('CNAMEs to Traffic Manager or an ELB and answers from the cloud only, TTL 60', () => {
    const clouds = new Set([MICROSOFT_ASN, AMAZON_ASN, AMAZON_US_EAST_ASN]);
    const names = ofClass('cloud-lb');
    expect(names.length).toBeGreaterThanOrEqual(100);
    for (const s of names) {
      for (const c of s.cnames) expect(c, s.label.name).toMatch(/(\.trafficmanager\.net|\.elb\.amazonaws\.com)$/);
      for (const asn of s.asns) expect(clouds.has(asn), `${s.label.name} AS${asn}`).toBe(true);
      expect(s.asns.size, s.label.name).toBeLessThanOrEqual(2);
      expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(60);
    }
  });

  it('spreads a name over regions in several countries', () => {
    const busy = ofClass('cloud-lb', 40);
    const multiCountry = busy.filter((s) => s.countries.size >= 2);
    expect(multiCountry.length / busy.length).toBeGreaterThanOrEqual(0.8);
  });
});

describe('google-multi-a', () => {
  it('answers 6 A records from AS15169 with TTL 300, rotating subsets', () => {
    const names = ofClass('google-multi-a');
    expect(names.length).toBeGreaterThanOrEqual(100);
    const known = new Set(GOOGLE_HOSTS.map((h) => h.name));
    for (const s of names) {
      expect(known.has(s.label.name), s.label.name).toBe(true);
      expect([...s.aSizes], s.label.name).toEqual(s.aSizes.size === 0 ? [] : [6]);
      expect([...s.asns], s.label.name).toEqual(s.asns.size === 0 ? [] : [GOOGLE_ASN]);
      expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(300);
      if (s.aAnswers >= 10) expect(s.addresses.size, s.label.name).toBeGreaterThan(6);
    }
  });
});

describe('ntp-pool', () => {
  it('uses the pool names, 4 A records per answer, TTL 130, AAAA only on the 2. names', () => {
    const names = ofClass('ntp-pool');
    expect(names.length).toBeGreaterThanOrEqual(100);
    for (const s of names) {
      expect(s.label.name).toMatch(/^[0-3]\.([a-z-]+\.)?pool\.ntp\.org$/);
      expect([...s.aSizes], s.label.name).toEqual(s.aSizes.size === 0 ? [] : [4]);
      expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(130);
      if (!s.label.name.startsWith('2.')) expect(s.aaaaAnswers, s.label.name).toBe(0);
    }
    expect(names.filter((s) => s.label.name.startsWith('2.')).some((s) => s.aaaaAnswers > 0)).toBe(true);
  });

  it('rotates over dozens of networks and countries in a day', () => {
    const names = ofClass('ntp-pool');
    expect(union(names.map((s) => s.asns)).size).toBeGreaterThanOrEqual(30);
    expect(union(names.map((s) => s.countries)).size).toBeGreaterThanOrEqual(10);
    const global = names.filter((s) => /^[0-3]\.pool\.ntp\.org$/.test(s.label.name) && s.aAnswers >= 50);
    expect(global.length).toBeGreaterThanOrEqual(1);
    for (const s of global) expect(s.asns.size, s.label.name).toBeGreaterThanOrEqual(20);
  });
});

describe('mirror-network', () => {
  it('round-robins a few hosts in up to 4 ASNs with TTLs of 60-300 s', () => {
    const names = ofClass('mirror-network');
    expect(names.length).toBeGreaterThanOrEqual(100);
    for (const s of names) {
      expect(s.asns.size, s.label.name).toBeLessThanOrEqual(4);
      expect(s.addresses.size, s.label.name).toBeLessThanOrEqual(16);
      expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(300);
    }
    const selfRun = MIRROR_REDIRECTORS.filter((e) => !e.includes('@fastly:'));
    const redirectors = names.filter((s) => selfRun.includes(s.label.name));
    expect(redirectors.length).toBeGreaterThan(15);
    for (const s of redirectors) expect(s.asns.size, s.label.name).toBeGreaterThanOrEqual(2);
    expect(redirectors.filter((s) => s.countries.size >= 2).length / redirectors.length).toBeGreaterThanOrEqual(0.8);
    expect(stats.get('deb.debian.org')?.cnames).toEqual(new Set(['debian.map.fastlydns.net']));
  });
});

describe('dynamic-dns', () => {
  it('answers exactly one address with TTL 60 under a dynamic-DNS suffix', () => {
    const names = ofClass('dynamic-dns');
    expect(names.length).toBeGreaterThanOrEqual(100);
    for (const s of names) {
      expect(s.label.name).toMatch(/\.(duckdns\.org|myfritz\.net|ddns\.net|synology\.me|no-ip\.org|dyndns\.org|hopto\.org|zapto\.org|sytes\.net|dynv6\.net|homeip\.net|ddnss\.de|dynu\.net)$/);
      expect([...s.aSizes], s.label.name).toEqual(s.aSizes.size === 0 ? [] : [1]);
      expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(60);
      expect(s.cnames.size).toBe(0);
    }
  });

  it('changes address every few hours, rarely to another ISP', () => {
    const busy = ofClass('dynamic-dns', 40);
    expect(busy.filter((s) => s.addresses.size > 1).length / busy.length).toBeGreaterThanOrEqual(0.8);
    expect(busy.filter((s) => s.asns.size === 1).length / busy.length).toBeGreaterThanOrEqual(0.8);
    for (const s of busy) expect(s.addresses.size, s.label.name).toBeLessThanOrEqual(13);
  });
});

describe('top-site', () => {
  it('asks the apex and www of real popular domains, the most asked names of the corpus', () => {
    const names = ofClass('top-site');
    expect(names.length).toBeGreaterThanOrEqual(100);
    const domains = new Set(TOP_SITES.map((t) => t.domain));
    for (const s of names) expect(domains.has(s.label.registeredDomain), s.label.name).toBe(true);
    expect(new Set(names.map((s) => s.label.registeredDomain)).size).toBeGreaterThanOrEqual(100);
    const top = [...stats.values()].sort((a, b) => b.lookups - a.lookups).slice(0, 20);
    expect(top.filter((s) => s.label.class === 'top-site').length).toBeGreaterThanOrEqual(18);
  });

  it('steers www between providers and keeps one NS set per zone', () => {
    const names = ofClass('top-site');
    const multiCdn = names.filter((s) => new Set([...s.cnames].map((c) => c.split('.').slice(-2).join('.'))).size >= 2);
    expect(multiCdn.length).toBeGreaterThanOrEqual(20);
    for (const s of names) {
      const own = s.nsSets.get(s.label.registeredDomain);
      if (own !== undefined) expect(own.size, s.label.name).toBe(1);
    }
  });
});

describe('the evaluation spec', () => {
  it('has at least 2,000 benign names in every benign class and 100+ of each', () => {
    const benign = DOMAIN_CLASSES.filter((c) => !c.startsWith('flux'));
    let total = 0;
    for (const c of benign) {
      const n = ofClass(c).length;
      expect(n, c).toBeGreaterThanOrEqual(100);
      total += n;
    }
    expect(total).toBeGreaterThanOrEqual(2000);
  });

  it('asks 100+ single- and 60+ double-flux domains on at least 4 flux networks, some only a few times', () => {
    const domains = (c: DomainClass): Set<string> => new Set(ofClass(c).map((s) => s.label.registeredDomain));
    expect(domains('flux-single').size).toBeGreaterThanOrEqual(100);
    expect(domains('flux-double').size).toBeGreaterThanOrEqual(60);
    const flux = [...ofClass('flux-single'), ...ofClass('flux-double')];
    expect(new Set(flux.map((s) => s.label.network)).size).toBeGreaterThanOrEqual(4);
    expect(flux.filter((s) => s.lookups <= 3).length).toBeGreaterThanOrEqual(20);
    expect(flux.filter((s) => s.lookups >= 100).length).toBeGreaterThanOrEqual(5);
    for (const s of flux) expect(s.maxAddressTtl, s.label.name).toBeLessThanOrEqual(300);
    // Campaigns start all through the day, not only at its beginning.
    const start = evalSpec().traffic.start;
    expect(flux.filter((s) => s.firstTs - start > 6 * 3600).length).toBeGreaterThanOrEqual(20);
  });

  it('rotates the NS names of double-flux zones', () => {
    const rotating = ofClass('flux-double', 20).filter((s) => (s.nsSets.get(s.label.registeredDomain)?.size ?? 0) >= 3);
    expect(rotating.length).toBeGreaterThanOrEqual(20);
  });

  it('spans 24 hours with 300k-600k exchanges', () => {
    const { records, firstTs, lastTs } = result.traffic;
    expect(records).toBeGreaterThanOrEqual(300_000);
    expect(records).toBeLessThanOrEqual(600_000);
    expect(exchanges).toBe(records);
    expect(lastTs - firstTs).toBeGreaterThan(23.9 * 3600);
  });
});
