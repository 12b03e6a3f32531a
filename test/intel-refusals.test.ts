/**
 * Intel never makes a public suffix or the root a trigger, with the one
 * public-suffix rule the detector and the RPZ writer use
 * (detect/registered-domain.ts). intel sits below detect, so the rule comes
 * in as a predicate; this cross-layer test runs the real one.
 */
import { describe, expect, it } from 'vitest';
import { isRegistrable } from '../src/detect/registered-domain.js';
import { buildIntelIndex } from '../src/intel/index.js';
import { parseList } from '../src/intel/list.js';
import { parseRpz } from '../src/intel/rpz.js';

describe('intel refusals with the real public-suffix rule', () => {
  it('refuses com, co.uk, github.io, blogspot.com, test, localhost and the root from a list and an RPZ zone; keeps x.github.io', () => {
    const list = parseList(['com', 'co.uk', 'github.io', 'blogspot.com', 'test', '127.0.0.1 localhost', '.', 'x.github.io', 'flux.evil-control.org'].join('\n'), 'suffixes.txt');
    const rpz = parseRpz('$ORIGIN rpz.example.\norg CNAME .\n*.co.uk CNAME .\nbad.co.uk CNAME .\n', 'suffixes.rpz');
    const rules = { isRegistrable, isAllowlisted: () => false };
    const index = buildIntelIndex(
      [
        { name: 'list', action: 'block', confidence: 90, expiresAt: Infinity, feed: list },
        { name: 'rpz', action: 'block', confidence: 90, expiresAt: Infinity, feed: rpz },
      ],
      rules,
    );
    expect(index.counts.map((c) => [c.feed, c.accepted, c.refused.root, c.refused['public-suffix']])).toEqual([
      ['list', 2, 1, 6],
      ['rpz', 1, 0, 2],
    ]);
    for (const name of ['com', 'a.com', 'co.uk', 'www.co.uk', 'github.io', 'y.github.io', 'z.blogspot.com', 'test', 'localhost']) expect(index.matchDomain(name)).toBeNull();
    expect(index.matchDomain('a.x.github.io')?.value).toBe('x.github.io');
    expect(index.matchDomain('www.bad.co.uk')).toMatchObject({ feed: 'rpz', ref: 'suffixes.rpz:4' });
  });
});
