import { describe, expect, it } from 'vitest';
import { buildIntelIndex, type IntelRules } from '../index.js';
import { MAX_STIX_TEXT, parseStix, parseStixObjects } from './index.js';

const RULES: IntelRules = { isRegistrable: (n) => n.includes('.'), isAllowlisted: () => false };
const PARSED_AT = Date.parse('2026-12-05T00:00:00Z');
const UNTIL = '2026-12-06T00:00:00.000Z';
const LATER = '2026-12-20T00:00:00.000Z';

const common = { spec_version: '2.1', created: '2026-12-01T00:00:00.000Z', modified: '2026-12-01T00:00:00.000Z' };
const indicator = (id: string, pattern: string, validUntil: string | null, more: Record<string, unknown> = {}) => ({
  type: 'indicator', id: `indicator--${id}`, ...common, pattern, pattern_type: 'stix', valid_from: '2026-12-01T00:00:00Z',
  ...(validUntil === null ? {} : { valid_until: validUntil }), ...more,
});
const sco = (type: string, id: string, value: string) => ({ type, spec_version: '2.1', id: `${type}--${id}`, value });
const rel = (type: string, source: string, target: string) => ({ type: 'relationship', id: `relationship--${source.slice(-4)}${target.slice(-4)}${type}`, ...common, relationship_type: type, source_ref: source, target_ref: target });

// The shape fluxhound's own --stix output has (src/act/stix/bundle.ts): an indicator per flagged name whose
// pattern names the domain-name SCO, its addresses by resolves-to, a network's members by consists-of and
// its indicators by indicates.
const OBJECTS = [
  indicator('a1', "[domain-name:value = 'x.example']", UNTIL),
  sco('domain-name', 'd1', 'x.example'),
  sco('ipv4-addr', 'a1', '185.100.87.9'),
  rel('resolves-to', 'domain-name--d1', 'ipv4-addr--a1'),
  { type: 'infrastructure', id: 'infrastructure--n1', ...common, name: 'flux network 1' },
  sco('ipv4-addr', 'a2', '185.100.87.10'),
  rel('consists-of', 'infrastructure--n1', 'ipv4-addr--a2'),
  rel('indicates', 'indicator--a1', 'infrastructure--n1'),
  // An address two indicators speak for: the later valid_until wins.
  indicator('b2', "[domain-name:value = 'y.example']", LATER),
  sco('domain-name', 'd2', 'y.example'),
  rel('resolves-to', 'domain-name--d1', 'ipv4-addr--a3'),
  rel('resolves-to', 'domain-name--d2', 'ipv4-addr--a3'),
  sco('ipv4-addr', 'a3', '185.100.87.11'),
  // Nothing relates to it: only the feed's expiry applies.
  sco('domain-name', 'd9', 'bare.example'),
];

describe('STIX validity (valid_until) checked at lookup', () => {
  it('gives each indicator its valid_until and each SCO the latest among the indicators related within two hops', () => {
    const feed = parseStixObjects(OBJECTS, 'x.json', { now: PARSED_AT });
    const until = Object.fromEntries(feed.entries.map((e) => [`${e.ref} ${e.value}`, e.validUntil ?? 'none']));
    expect(until).toEqual({
      'indicator--a1 x.example': Date.parse(UNTIL),
      'domain-name--d1 x.example': Date.parse(UNTIL),
      'ipv4-addr--a1 185.100.87.9': Date.parse(UNTIL),
      'ipv4-addr--a2 185.100.87.10': Date.parse(UNTIL),
      'indicator--b2 y.example': Date.parse(LATER),
      'domain-name--d2 y.example': Date.parse(LATER),
      'ipv4-addr--a3 185.100.87.11': Date.parse(LATER),
      'domain-name--d9 bare.example': 'none',
    });
    expect(feed.skipped).toEqual([]);
  });

  it('an expired indicator and its SCOs stop matching at lookup time, without a re-parse or a rebuild', () => {
    const index = buildIntelIndex([{ name: 'peer', action: 'block', confidence: 80, expiresAt: Infinity, feed: parseStix(JSON.stringify({ type: 'bundle', id: 'bundle--1', objects: OBJECTS }), 'x.json', { now: PARSED_AT }) }], RULES, undefined, PARSED_AT);
    const before = PARSED_AT + 3600_000;
    const after = Date.parse(UNTIL) + 1;
    expect(index.matchDomain('www.x.example', before)?.ref).toBe('indicator--a1');
    expect(index.matchAddress('185.100.87.9', before)?.feed).toBe('peer');
    expect(index.matchAddress('185.100.87.10', before)?.feed).toBe('peer');
    expect(index.matchDomain('www.x.example', after)).toBeNull();
    expect(index.matchDomain('x.example', Date.parse(UNTIL))).toBeNull();
    expect(index.matchAddress('185.100.87.9', after)).toBeNull();
    expect(index.matchAddress('185.100.87.10', after)).toBeNull();
    // Still valid: y's indicator runs later, and the address both speak for follows the later one.
    expect(index.matchDomain('y.example', after)?.ref).toBe('indicator--b2');
    expect(index.matchAddress('185.100.87.11', after)?.ref).toBe('ipv4-addr--a3');
    expect(index.matchDomain('bare.example', after)?.ref).toBe('domain-name--d9');
  });

  it('skips at parse an SCO whose every related indicator is past or revoked, and counts expired entries at build', () => {
    const objects = [
      indicator('c1', "[domain-name:value = 'gone.example']", '2026-12-01T12:00:00Z'),
      sco('domain-name', 'g1', 'gone.example'),
      indicator('c2', "[ipv4-addr:value = '185.100.87.20']", null, { revoked: true }),
      sco('ipv4-addr', 'g2', '185.100.87.20'),
    ];
    const feed = parseStixObjects(objects, 'gone.json', { now: PARSED_AT });
    expect(feed.entries).toEqual([]);
    expect(feed.skipped.map((s) => [s.position, s.reason])).toEqual([
      ['gone.json: indicator--c1', 'expired (valid_until has passed)'],
      ['gone.json: domain-name--g1', 'expired (every indicator related to it is past valid_until or revoked)'],
      ['gone.json: indicator--c2', 'revoked'],
      ['gone.json: ipv4-addr--g2', 'expired (every indicator related to it is past valid_until or revoked)'],
    ]);
    const late = parseStixObjects(OBJECTS, 'x.json', { now: PARSED_AT });
    const index = buildIntelIndex([{ name: 'peer', action: 'block', confidence: 80, expiresAt: Infinity, feed: late }], RULES, undefined, Date.parse(UNTIL) + 1);
    expect(index.counts[0]!.refused.expired).toBe(4);
    expect(index.counts[0]!.accepted).toBe(3);
    expect(index.counts[0]!.refused.duplicate).toBe(1);
  });
});

describe('parseStixObjects', () => {
  it('reads objects whose text would pass parseStix cap (a TAXII union past MAX_STIX_TEXT)', () => {
    const padding = 'x'.repeat(40_000);
    const objects = Array.from({ length: 1700 }, (_, i) => indicator(`p${i}`, `[domain-name:value = 'n${i}.example']`, LATER, { description: padding }));
    const text = JSON.stringify(objects);
    expect(text.length).toBeGreaterThan(MAX_STIX_TEXT);
    expect(parseStix(text, 'union', { now: PARSED_AT }).entries).toEqual([]);
    const feed = parseStixObjects(objects, 'union', { now: PARSED_AT });
    expect(feed.entries).toHaveLength(1700);
    expect(feed.skipped).toEqual([]);
  });
});
