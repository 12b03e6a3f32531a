/**
 * Issue 13's answer classes on the evaluation population: what a client sees
 * for injected, platform, national-cdn and non-routable names over a day
 * (the evaluation spec with fewer exchanges, so it runs in seconds).
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIPv6 } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DnsObservation, ResourceRecord } from '../model/observation.js';
import { parseIPv4 } from '../model/names.js';
import { AddressSpace } from './address-space.js';
import { ALL_CORPUS_ASNS, INJECTION_CARRIER_ASNS, NATIONAL_CARRIERS, PLATFORM_ASNS } from './asns.js';
import { evalSpec } from './eval.js';
import { generateCorpus } from './generate.js';
import type { DomainClass, NameLabel } from './labels.js';
import { Regions } from './regions.js';
import { Prng } from './prng.js';
import { ResponseBuilder, lateAnswers } from './response.js';
import type { DomainBehaviour } from './behaviours/behaviour.js';
import { PLATFORM_HOSTS } from './vocabulary-platforms.js';
import { SinkWriter } from './writers/sink-writer.js';

const CLASSES: readonly DomainClass[] = ['injected', 'platform', 'national-cdn', 'non-routable'];

interface Lookup {
  ts: number;
  qtype: string;
  answers: ResourceRecord[];
  authority: number;
  late: ResourceRecord[];
}

const space = AddressSpace.load(ALL_CORPUS_ASNS);
const regions = Regions.load(space);
const byName = new Map<string, { label: NameLabel; lookups: Lookup[] }>();
/** Every name any other class asks, to prove no two classes ask the same name. */
const otherNames = new Set<string>();

beforeAll(async () => {
  const spec = evalSpec();
  spec.traffic.records = 150_000;
  const seen: DnsObservation[] = [];
  const sink = { observe: (o: DnsObservation) => seen.push(copy(o)), skip: () => {} };
  const result = await generateCorpus(spec, [new SinkWriter(sink)]);
  const labels = new Map(result.population.popular.map((b) => [b.label.name, b.label]));
  for (const b of [...result.population.popular, ...result.population.flux]) if (!CLASSES.includes(b.label.class)) otherNames.add(b.label.name);
  for (const o of seen) {
    const label = labels.get(o.qname);
    if (label === undefined || !CLASSES.includes(label.class)) continue;
    let entry = byName.get(o.qname);
    if (entry === undefined) byName.set(o.qname, (entry = { label, lookups: [] }));
    entry.lookups.push({ ts: o.ts, qtype: o.qtype, answers: o.answers, authority: o.authority.length, late: [...lateAnswers(o)] });
  }
}, 120_000);

/** Only what these tests read: the generator reuses its observation. */
function copy(o: DnsObservation): DnsObservation {
  return { ...o, answers: o.answers.map((r) => ({ ...r })), authority: [...o.authority], additional: [], late: lateAnswers(o).map((r) => ({ ...r })) } as DnsObservation;
}

function ofClass(c: DomainClass, minLookups = 0): { label: NameLabel; lookups: Lookup[] }[] {
  return [...byName.values()].filter((e) => e.label.class === c && e.lookups.length >= minLookups);
}

const addresses = (l: Lookup, type = l.qtype): string[] => l.answers.filter((r) => r.type === type).map((r) => r.data);

describe('injected', () => {
  it('answers one address per A lookup, in the platforms or carriers, with a TTL that never counts down', () => {
    const names = ofClass('injected');
    expect(names.length).toBeGreaterThanOrEqual(250);
    const allowed = new Set<number>([...Object.values(PLATFORM_ASNS), ...INJECTION_CARRIER_ASNS]);
    for (const { label, lookups } of names) {
      const ttls = new Set<number | null>();
      for (const l of lookups.filter((x) => x.qtype === 'A')) {
        expect(l.answers, label.name).toHaveLength(1);
        expect(allowed.has(space.asnOfV4(l.answers[0]!.data)), l.answers[0]!.data).toBe(true);
        expect(l.authority, label.name).toBe(0);
        ttls.add(l.answers[0]!.ttl);
      }
      expect(ttls.size, label.name).toBeLessThanOrEqual(1);
    }
  });

  it('changes the answer on (almost) every lookup, and draws every name from the same few hundred addresses', () => {
    let pairs = 0;
    let changed = 0;
    const namesOf = new Map<string, Set<string>>();
    for (const { label, lookups } of ofClass('injected')) {
      const a = lookups.filter((x) => x.qtype === 'A');
      for (let i = 1; i < a.length; i++) {
        pairs++;
        if (addresses(a[i]!)[0] !== addresses(a[i - 1]!)[0]) changed++;
      }
      for (const l of a) for (const ip of addresses(l)) (namesOf.get(ip) ?? namesOf.set(ip, new Set()).get(ip)!).add(label.name);
    }
    expect(changed / pairs).toBeGreaterThan(0.97);
    expect(namesOf.size).toBeLessThan(800);
    const shared = [...namesOf.values()].filter((names) => names.size >= 5).length;
    expect(shared / namesOf.size).toBeGreaterThan(0.8);
  });

  it('answers AAAA with one forged address or nothing, and lets the real answer follow in some captures', () => {
    let late = 0;
    let lookups = 0;
    for (const { label, lookups: ls } of ofClass('injected')) {
      for (const l of ls.filter((x) => x.qtype === 'AAAA')) expect(l.answers.length, label.name).toBeLessThanOrEqual(1);
      const real = new Set<string>();
      for (const l of ls) {
        lookups++;
        if (l.late.length === 0) continue;
        late++;
        for (const r of l.late) real.add(r.data);
        for (const r of l.late) expect(addresses(l)).not.toContain(r.data);
      }
      // The real zone's answer is stable: 1-2 addresses per family.
      expect(real.size, label.name).toBeLessThanOrEqual(4);
    }
    expect(late / lookups).toBeGreaterThan(0.3);
    expect(late / lookups).toBeLessThan(0.8);
  });
});

describe('platform', () => {
  const platformAsns = new Set<number>(Object.values(PLATFORM_ASNS));

  it('asks real platform names no other class asks, answered from the platform networks', () => {
    const names = ofClass('platform');
    expect(names.length).toBeGreaterThanOrEqual(80);
    const vocabulary = new Set(PLATFORM_HOSTS.map((h) => h.name));
    for (const { label, lookups } of names) {
      expect(vocabulary.has(label.name), label.name).toBe(true);
      expect(otherNames.has(label.name), label.name).toBe(false);
      for (const l of lookups) for (const ip of addresses(l, 'A')) expect(platformAsns.has(space.asnOfV4(ip)), `${label.name} ${ip}`).toBe(true);
    }
  });

  it('caches: within a TTL the answer stays and its TTL counts down; a few addresses per name over the day', () => {
    for (const { label, lookups } of ofClass('platform', 20)) {
      const a = lookups.filter((x) => x.qtype === 'A');
      const all = new Set(a.flatMap((l) => addresses(l)));
      expect(all.size, label.name).toBeLessThanOrEqual(18);
      for (let i = 1; i < a.length; i++) {
        const [prev, cur] = [a[i - 1]!, a[i]!];
        const ttl = prev.answers.find((r) => r.type === 'A')?.ttl ?? 0;
        if (cur.ts - prev.ts >= ttl - 1) continue;
        // Same RRset, TTL lower by the time that passed.
        expect(addresses(cur).sort(), label.name).toEqual(addresses(prev).sort());
        expect(cur.answers.find((r) => r.type === 'A')!.ttl!).toBeLessThanOrEqual(ttl);
      }
    }
  });
});

describe('national-cdn', () => {
  const cdnSuffixes = readFileSync(new URL('../../data/reference/cdn-cname-suffixes.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/)[0] as string);

  it('answers 1-4 A records from 3+ ASNs of one country\'s national carriers, TTL 30-120 s', () => {
    const busy = ofClass('national-cdn', 15);
    expect(busy.length).toBeGreaterThanOrEqual(40);
    const countries = new Set<string>();
    let threeAsns = 0;
    for (const { label, lookups } of busy) {
      const asns = new Set<number>();
      const inCountries = new Set<string>();
      for (const l of lookups.filter((x) => x.qtype === 'A')) {
        const a = l.answers.filter((r) => r.type === 'A');
        expect(a.length, label.name).toBeGreaterThanOrEqual(1);
        expect(a.length, label.name).toBeLessThanOrEqual(4);
        for (const r of a) {
          expect(r.ttl!, label.name).toBeLessThanOrEqual(120);
          asns.add(space.asnOfV4(r.data));
          inCountries.add(regions.countryOf(parseIPv4(r.data)));
        }
      }
      expect(inCountries.size, `${label.name} ${[...inCountries]}`).toBe(1);
      const country = [...inCountries][0] as string;
      countries.add(country);
      for (const asn of asns) expect(NATIONAL_CARRIERS[country], `${label.name} AS${asn}`).toContain(asn);
      if (asns.size >= 3) threeAsns++;
    }
    expect(countries.size).toBeGreaterThanOrEqual(3);
    expect(threeAsns / busy.length).toBeGreaterThan(0.7);
  });

  it('CNAMEs some names into a CDN domain no known-CDN list has', () => {
    const targets = ofClass('national-cdn').flatMap((e) => e.lookups.flatMap((l) => l.answers.filter((r) => r.type === 'CNAME').map((r) => r.data)));
    const distinct = new Set(targets);
    expect(distinct.size).toBeGreaterThanOrEqual(30);
    for (const t of distinct) for (const s of cdnSuffixes) expect(t === s || t.endsWith(`.${s}`), `${t} under ${s}`).toBe(false);
  });
});

describe('non-routable', () => {
  // The IANA special-purpose registries and the multicast blocks, written out here as the oracle.
  const special = new BlockList();
  for (const cidr of ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4']) {
    const [net, bits] = cidr.split('/') as [string, string];
    special.addSubnet(net, Number(bits), 'ipv4');
  }
  for (const cidr of ['::/127', '100::/64', '2001:db8::/32', '3fff::/20', 'fc00::/7', 'fe80::/10', 'ff00::/8']) {
    const [net, bits] = cidr.split('/') as [string, string];
    special.addSubnet(net, Number(bits), 'ipv6');
  }

  it('answers only special-purpose addresses', () => {
    const names = ofClass('non-routable');
    expect(names.length).toBeGreaterThanOrEqual(80);
    let answered = 0;
    for (const { label, lookups } of names) {
      for (const l of lookups) {
        for (const r of l.answers) {
          if (r.type !== 'A' && r.type !== 'AAAA') continue;
          answered++;
          expect(special.check(r.data, isIPv6(r.data) ? 'ipv6' : 'ipv4'), `${label.name} ${r.data}`).toBe(true);
        }
      }
    }
    expect(answered).toBeGreaterThan(2000);
  });

  it('has parked, rotating and scattered names', () => {
    const a = (e: { lookups: Lookup[] }): string[] => e.lookups.flatMap((l) => addresses(l, 'A'));
    const names = ofClass('non-routable', 10);
    const parked = names.filter((e) => new Set(a(e)).size === 1 && ['0.0.0.0', '127.0.0.1'].includes(a(e)[0]!));
    const rotating = names.filter((e) => new Set(a(e)).size >= 8);
    const blocks = (e: { lookups: Lookup[] }): number => new Set(a(e).map((ip) => ip.split('.')[0])).size;
    expect(parked.length).toBeGreaterThanOrEqual(10);
    expect(rotating.length).toBeGreaterThanOrEqual(20);
    expect(names.filter((e) => blocks(e) >= 3).length).toBeGreaterThanOrEqual(10);
  });
});

describe('streams', () => {
  /** The first A answer a behaviour gives, from a fixed traffic stream: equal setups answer alike. */
  const firstAnswer = (b: DomainBehaviour): string => {
    const out = new ResponseBuilder();
    out.begin(evalSpec().traffic.start, b.label.name, 'A', '10.1.0.1');
    b.respond(evalSpec().traffic.start, 'A', out, new Prng(1));
    return out.observation.answers.map((r) => `${r.type} ${r.data}`).join(' ');
  };

  it('leaves every other class its names, addresses and relative popularity order', async () => {
    const spec = (withAnswerClasses: boolean) => {
      const s = evalSpec();
      s.traffic.records = 1;
      if (!withAnswerClasses) for (const k of ['injected', 'platform', 'nationalCdn', 'nonRoutable'] as const) delete s.population.lookalikes![k];
      return s;
    };
    const sink = { observe: () => {}, skip: () => {} };
    const before = (await generateCorpus(spec(false), [new SinkWriter(sink)])).population;
    const after = (await generateCorpus(spec(true), [new SinkWriter(sink)])).population;
    const others = after.popular.filter((b) => !CLASSES.includes(b.label.class));
    expect(others.map((b) => b.label.name)).toEqual(before.popular.map((b) => b.label.name));
    expect(others.map(firstAnswer)).toEqual(before.popular.map(firstAnswer));
    expect(after.flux.map(firstAnswer)).toEqual(before.flux.map(firstAnswer));
    // The top of the popularity order stays the top sites'.
    expect(after.popular.slice(0, 25).map((b) => b.label.name)).toEqual(before.popular.slice(0, 25).map((b) => b.label.name));
    expect(after.popular.length - others.length).toBe(650);
  }, 60_000);
});
