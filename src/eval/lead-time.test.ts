import { describe, expect, it } from 'vitest';
import { leadTimes, matchKey } from './lead-time.js';

const H = 3600;
const T = 1_744_848_000;

describe('matchKey: the registered domain, private suffixes included', () => {
  it.each([
    ['www.evil.ru', 'evil.ru'],
    ['evil.ru', 'evil.ru'],
    ['a.b.evil.co.uk', 'evil.co.uk'],
    ['home.duckdns.org', 'home.duckdns.org'],
    ['x.y.duckdns.org', 'y.duckdns.org'],
    ['co.uk', 'co.uk'],
  ])('%s → %s', (name, key) => expect(matchKey(name)).toBe(key));
});

describe('leadTimes', () => {
  const listings = new Map([
    ['evil.ru', T + 5 * H], // listed after fluxhound flagged www.evil.ru: lead +5 h
    ['cdn.flux.top', T + 1 * H], // listed name under a flagged registered domain: matches flux.top's flags
    ['early.xyz', T - 2 * H], // listed before the flag: lead −2 h
    ['missed.ru', T], // in the capture, never flagged
    ['absent.ru', T], // never in the capture
    ['b.duckdns.org', T], // a different customer of a shared registry
  ]);
  const flagged = [
    { name: 'www.evil.ru', firstFlagged: T },
    { name: 'evil.ru', firstFlagged: T + H }, // a later flag of the same registered domain does not count
    { name: 'flux.top', firstFlagged: T - 3 * H },
    { name: 'early.xyz', firstFlagged: T },
    { name: 'a.duckdns.org', firstFlagged: T },
    { name: 'unlisted.cc', firstFlagged: T },
  ];
  const seen = new Set(['evil.ru', 'flux.top', 'early.xyz', 'missed.ru', 'a.duckdns.org', 'unlisted.cc', 'b.duckdns.org']);
  const r = leadTimes(flagged, listings, seen);

  it('one row per registered domain in both, earliest flag against earliest listing, longest lead first', () => {
    expect(r.rows.map((x) => [x.domain, x.flaggedName, x.listedName, x.leadSeconds / H])).toEqual([
      ['evil.ru', 'www.evil.ru', 'evil.ru', 5],
      ['flux.top', 'flux.top', 'cdn.flux.top', 4],
      ['early.xyz', 'early.xyz', 'early.xyz', -2],
    ]);
  });

  it('summarises', () => {
    expect(r.summary).toEqual({
      listed: 6,
      listedSeen: 5,
      flagged: 5,
      inBoth: 3,
      flaggedBeforeListing: 2,
      medianLeadSeconds: 4 * H,
      p90LeadSeconds: 5 * H,
      listedNeverFlagged: 3,
      listedSeenNeverFlagged: ['b.duckdns.org', 'missed.ru'],
      flaggedNotListed: ['a.duckdns.org', 'unlisted.cc'],
    });
  });

  it('has no lead figures without a match', () => {
    const none = leadTimes([{ name: 'x.ru', firstFlagged: T }], new Map([['y.ru', T]]), new Set());
    expect(none.rows).toEqual([]);
    expect(none.summary.medianLeadSeconds).toBeNull();
    expect(none.summary.listedSeen).toBe(0);
  });
});
