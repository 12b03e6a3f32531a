/**
 * Pages from the publication's ordered log (query.ts pageOrdered) are the
 * pages of the select-and-sort over every version (page(select(...))), for
 * every filter, cursor and cap; and a republication runs in slices that let
 * other callbacks run, committing at once.
 */
import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { FlaggedDomains } from '../../act/flagged.js';
import type { StixObject, StixOptions } from '../../act/stix/bundle.js';
import { runStepsYielding } from '../slices.js';
import { page, pageOrdered, parseQuery, select, toRecord, type Page, type TaxiiQuery } from './query.js';
import { findingsSource, MAX_VERSIONS_PER_OBJECT, Publication } from './source.js';

const ALL = new Set(['id', 'type', 'version', 'spec_version'] as const);
const T0 = Date.parse('2026-12-05T12:00:00.000Z');
const TYPES = ['indicator', 'relationship', 'domain-name'];

const object = (n: number, round: number): StixObject => {
  const type = TYPES[n % TYPES.length]!;
  const id = `${type}--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  // Domain names have no modified (their version is date_added); the others move every third round.
  return type === 'domain-name'
    ? { type, id, spec_version: '2.1', value: `n${n}.example`, round: Math.floor(round / 4) }
    : { type, id, spec_version: '2.1', created: '2026-01-01T00:00:00.000Z', modified: new Date(T0 + Math.floor(round / 3) * 1000).toISOString(), note: round % 2 };
};

/** A publication of 60 objects over `rounds` rounds, each round a subset: many versions, some dropped past the caps. */
function published(cap: number, rounds: number): Publication {
  const p = new Publication(cap);
  for (let round = 0; round < rounds; round++) {
    const objects = Array.from({ length: 60 }, (_, n) => n).filter((n) => (n + round) % 4 !== 0).map((n) => object(n, round));
    objects.sort((a, b) => (a.id < b.id ? -1 : 1));
    p.publish(round % 5 === 4 ? [...objects].reverse() : objects, T0 + round * 10);
  }
  return p;
}

/** Every page of `text` until the last, by next cursor, with both paths; they must agree page for page. */
function pagesBoth(p: Publication, text: string): { ordered: Page[]; sorted: Page[] } {
  const records = p.objects().map(toRecord);
  const ordered: Page[] = [];
  const sorted: Page[] = [];
  let params = new URLSearchParams(text);
  for (let i = 0; i < 200; i++) {
    const query: TaxiiQuery = parseQuery(params, ALL);
    const a = pageOrdered(p, query);
    const b = page(select(records, parseQuery(params, ALL)), parseQuery(params, ALL));
    ordered.push(a);
    sorted.push(b);
    if (a.next === null || b.next === null) break;
    params = new URLSearchParams(text);
    params.set('next', a.next);
  }
  return { ordered, sorted };
}

describe('taxii: pages from the ordered log', () => {
  const queries = [
    '',
    'limit=7',
    'limit=1',
    'match[version]=all&limit=13',
    'match[version]=first&limit=5',
    'match[version]=first,last&limit=9',
    `match[version]=${new Date(T0 + 2000).toISOString()}&limit=4`,
    'match[type]=relationship&limit=6',
    'match[type]=domain-name,indicator&match[version]=all&limit=11',
    `added_after=${new Date(T0 + 55).toISOString()}&limit=8`,
    `added_after=${new Date(T0 + 130).toISOString()}&match[version]=all`,
    'match[spec_version]=2.1&limit=10',
    'match[spec_version]=2.0',
    `match[id]=indicator--00000000-0000-4000-8000-000000000003&match[version]=all&limit=2`,
    `match[id]=relationship--00000000-0000-4000-8000-000000000001,domain-name--00000000-0000-4000-8000-000000000002`,
  ];
  for (const cap of [100_000, 150]) {
    it.each(queries)(`agrees with select-and-sort page for page (cap ${cap}): %s`, (text) => {
      // After each round: states whose log holds dropped versions (the per-object cap, and the publication's at 150) among others.
      let withDropped = 0;
      let records = 0;
      for (let rounds = 1; rounds <= 24; rounds++) {
        const p = published(cap, rounds);
        if (p.entries.some((e) => e.dead)) withDropped++;
        const { ordered, sorted } = pagesBoth(p, text);
        expect(ordered).toEqual(sorted);
        records += sorted.reduce((n, pg) => n + pg.records.length, 0);
      }
      expect(withDropped).toBeGreaterThan(0);
      // Every query but the STIX 2.0 one selects something in some state: the comparison is not of empty pages.
      if (!text.includes('2.0')) expect(records).toBeGreaterThan(0);
    });
  }

  it('holds at most MAX_VERSIONS_PER_OBJECT per object; dropped versions leave the log once they outnumber the live', () => {
    const p = new Publication();
    for (let round = 0; round < 3 * MAX_VERSIONS_PER_OBJECT; round++) p.publish([object(1, round * 3)], T0 + round);
    expect(p.objects()).toHaveLength(MAX_VERSIONS_PER_OBJECT);
    expect(p.entries.length).toBeLessThanOrEqual(2 * MAX_VERSIONS_PER_OBJECT + 1);
    const added = p.entries.filter((e) => !e.dead).map((e) => e.record.added);
    expect(added).toEqual([...added].sort((a, b) => a - b));
  });

  it('a publication run in slices lets other callbacks run, and a page read between slices sees the publication before it', async () => {
    const p = new Publication();
    const first = Array.from({ length: 2500 }, (_, n) => object(n, 0)).sort((a, b) => (a.id < b.id ? -1 : 1));
    p.publish(first, T0);
    const before = pageOrdered(p, parseQuery(new URLSearchParams('match[version]=all'), ALL));
    const pages: Page[] = [];
    let finished = false;
    const reader = (): void => {
      if (finished) return;
      pages.push(pageOrdered(p, parseQuery(new URLSearchParams('match[version]=all'), ALL)));
      setImmediate(reader);
    };
    setImmediate(reader);
    const next = Array.from({ length: 2500 }, (_, n) => object(n, 3)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const added = await runStepsYielding(p.publishSteps(next, T0 + 1000), 0);
    finished = true;
    expect(added).toBeGreaterThan(0);
    // 2,500 objects: compared 256 a step, linked 1,024 a step. The reader ran between the steps, the commit's
    // among them, and each time read the old publication whole; once done, the new one whole.
    expect(pages.length).toBeGreaterThanOrEqual(11); // 9 yields comparing, 2 linking
    for (const seen of pages) expect(seen).toEqual(before);
    const after = pageOrdered(p, parseQuery(new URLSearchParams('match[version]=all&limit=1000'), ALL));
    expect(after.records.length).toBe(1000);
    expect(p.horizon).toBe(T0 + 1000);
    expect(() => p.publish([], T0)).not.toThrow();
  });

  it('findingsSource.fresh rebuilds in slices once for concurrent requests, and other callbacks run meanwhile', async () => {
    const OPTIONS: StixOptions = { identity: 'Example CERT', tlp: 'amber', expiry: 604_800, suspicious: false };
    const flagged = new FlaggedDomains();
    for (let i = 0; i < 200; i++) flagged.upsert(flaggedVerdict(`n${i}.flux.example`, { addresses: [`198.51.100.${i}`] }));
    const source = findingsSource({ flagged, networks: () => [] }, () => OPTIONS, () => T0, 0);
    let others = 0;
    let finished = false;
    const other = (): void => {
      if (finished) return;
      others++;
      setImmediate(other);
    };
    setImmediate(other);
    const a = source.fresh();
    const b = source.fresh();
    expect(b).toBe(a);
    await Promise.all([a, b]);
    finished = true;
    // Slices of 0 ms: a step per name at least, each followed by a turn of the event loop.
    expect(others).toBeGreaterThanOrEqual(200);
    expect(source.objects().filter((o) => o.object.type === 'indicator')).toHaveLength(200);
    // Nothing moved: no rebuild, the same promise state.
    await source.fresh();
    expect(source.objects()).toHaveLength(source.publication.size);
  });
});
