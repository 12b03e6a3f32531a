import { describe, expect, it } from 'vitest';
import { parseIPv6 } from '../model/names.js';
import type { IntelEntry, ParsedFeed } from './entry.js';
import { buildIntelIndex, type IntelFeedInput, type IntelRules } from './index.js';
import { parseList } from './list.js';

/** Stand-ins for the rules above intel (test/intel-refusals.test.ts runs the real public-suffix rule). */
const RULES: IntelRules = {
  isRegistrable: (name) => name.includes('.') && !['co.uk', 'github.io'].includes(name),
  isAllowlisted: (name) => name === 'good.example' || name.endsWith('.good.example'),
  isKnownInfrastructure: (value) => value === '104.16.0.80' || value === '104.16.1.128/25',
};

function feed(name: string, lines: string[], more: Partial<IntelFeedInput> = {}): IntelFeedInput {
  return { name, action: 'block', confidence: 80, expiresAt: Infinity, feed: parseList(lines.join('\n'), `${name}.txt`), ...more };
}

/** Public addresses: documentation ranges (192.0.2/24, 2001:db8::/32) are non-routable and refused. */
const copy = <T extends object>(hit: T | null): T | null => (hit === null ? null : { ...hit });

describe('IntelIndex lookups', () => {
  const index = buildIntelIndex(
    [
      feed('botnet', ['flux.example', 'deep.sub.flux.example', '185.100.87.7', '185.100.87.0/24', '185.100.0.0/16', '2a0e:1c80:1::/48', '2a0e:1c80:1:2::9', '2a0e:1c80::/32']),
      feed('watch', ['watched.example', '91.92.240.0/24'], { action: 'log', confidence: 40 }),
    ],
    RULES,
  );

  it('finds a name or its nearest listed ancestor, by label, case and trailing dot folded', () => {
    expect(copy(index.matchDomain('flux.example'))).toEqual({ feed: 'botnet', ref: 'botnet.txt:1', value: 'flux.example', note: '', action: 'block', confidence: 80 });
    expect(index.matchDomain('A.B.Flux.Example.')?.value).toBe('flux.example');
    expect(index.matchDomain('x.deep.sub.flux.example')?.value).toBe('deep.sub.flux.example');
    expect(index.matchDomain('sub.flux.example')?.value).toBe('flux.example');
    expect(index.matchDomain('watched.example')).toMatchObject({ feed: 'watch', action: 'log', confidence: 40 });
    // Label-aligned only: a name that merely ends with the same letters is not under it.
    expect(index.matchDomain('notflux.example')).toBeNull();
    expect(index.matchDomain('example')).toBeNull();
    expect(index.matchDomain('')).toBeNull();
  });

  it('finds an exact address before the most specific network, IPv4 and IPv6', () => {
    expect(index.matchAddress('185.100.87.7')?.value).toBe('185.100.87.7');
    expect(index.matchAddress('185.100.87.8')?.value).toBe('185.100.87.0/24');
    expect(index.matchAddress('185.100.7.1')?.value).toBe('185.100.0.0/16');
    expect(index.matchAddress('185.101.0.1')).toBeNull();
    expect(index.matchAddress('91.92.240.200')).toMatchObject({ feed: 'watch', value: '91.92.240.0/24' });
    expect(index.matchAddress('2a0e:1c80:1:2::9')?.value).toBe('2a0e:1c80:1:2::9');
    expect(index.matchAddress('2A0E:1C80:1:ffff::1')?.value).toBe('2a0e:1c80:1::/48');
    expect(index.matchAddress('2a0e:1c80:ffff::1')?.value).toBe('2a0e:1c80::/32');
    expect(index.matchAddress('2a0f::1')).toBeNull();
    expect(index.matchIPv6(parseIPv6('2a0e:1c80:1::77')!)?.value).toBe('2a0e:1c80:1::/48');
  });

  it('reads a v4-mapped IPv6 address as its IPv4 address', () => {
    expect(index.matchAddress('::ffff:185.100.87.7')?.value).toBe('185.100.87.7');
    expect(index.matchAddress('::ffff:b964:5709')?.value).toBe('185.100.87.0/24');
  });

  it('answers nothing for junk', () => {
    for (const junk of ['', 'not an address', '1.2.3', '::g', '1.2.3.4/24', '\u0000']) expect(index.matchAddress(junk)).toBeNull();
  });

  it('counts what each feed placed', () => {
    expect(index.domains).toBe(3);
    expect(index.addresses).toBe(7);
    expect(index.counts.map((c) => [c.feed, c.accepted])).toEqual([
      ['botnet', 8],
      ['watch', 2],
    ]);
  });
});

describe('IntelIndex refusals', () => {
  it('refuses the root, public suffixes, allowlisted names, non-routable, known-infrastructure and too-broad networks, counted per feed', () => {
    const index = buildIntelIndex(
      [feed('hostile', ['.', 'co.uk', 'github.io', 'com', 'good.example', 'www.good.example', '10.0.0.1', '127.0.0.0/8', '::1', 'fe80::/64', '0.0.0.0/0', '1.0.0.0/7', '2001:db8::/15', '104.16.0.80', '104.16.1.128/25', 'kept.example'])],
      RULES,
    );
    expect(index.counts[0]).toEqual({
      feed: 'hostile',
      accepted: 1,
      skipped: 0,
      refused: { root: 1, 'public-suffix': 3, allowlisted: 2, 'known-infrastructure': 2, 'non-routable': 4, 'too-broad': 3, 'over-cap': 0, duplicate: 0, expired: 0 },
    });
    for (const name of ['co.uk', 'x.co.uk', 'good.example', 'com']) expect(index.matchDomain(name)).toBeNull();
    expect(index.matchDomain('a.kept.example')?.value).toBe('kept.example');
    for (const address of ['10.0.0.1', '127.0.0.1', '1.1.1.1', '104.16.1.200']) expect(index.matchAddress(address)).toBeNull();
  });

  it('caps each feed and counts the rest', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `n${i}.example`);
    const index = buildIntelIndex([feed('big', lines)], RULES, { maxEntriesPerFeed: 5, minPrefixV4: 8, minPrefixV6: 16 });
    expect(index.domains).toBe(5);
    expect(index.counts[0]!.refused['over-cap']).toBe(15);
  });

  it('answers a value several feeds list with the strongest listing: block before log, then confidence', () => {
    const index = buildIntelIndex(
      [
        feed('low', ['both.example', '91.92.240.1'], { action: 'log', confidence: 100 }),
        feed('weak-block', ['both.example'], { confidence: 10 }),
        feed('strong-block', ['both.example', '91.92.240.1'], { confidence: 90 }),
      ],
      RULES,
    );
    expect(index.matchDomain('both.example')).toMatchObject({ feed: 'strong-block', confidence: 90, action: 'block' });
    expect(index.matchAddress('91.92.240.1')).toMatchObject({ feed: 'strong-block' });
    expect(index.counts.map((c) => [c.accepted, c.refused.duplicate])).toEqual([
      [0, 2],
      [0, 1],
      [2, 0],
    ]);
  });

  it('drops a feed expired at build and stops answering for one that expires later', () => {
    const index = buildIntelIndex([feed('old', ['old.example'], { expiresAt: 1000 }), feed('soon', ['soon.example'], { expiresAt: 5000 })], RULES, undefined, 2000);
    expect(index.counts[0]!.refused.expired).toBe(1);
    expect(index.matchDomain('old.example', 2000)).toBeNull();
    expect(index.matchDomain('soon.example', 4000)?.feed).toBe('soon');
    expect(index.matchDomain('soon.example', 6000)).toBeNull();
  });

  it('places entries another parser gave (host bits set, v4-mapped) where lookups find them, refusing a bad prefix', () => {
    const entries: IntelEntry[] = [
      { kind: 'cidr', value: '185.100.87.77/24', ref: 'stix:1', note: 'from STIX' },
      { kind: 'address', value: '::FFFF:45.9.148.3', ref: 'stix:3', note: '' },
      { kind: 'cidr', value: '::ffff:45.9.149.0/120', ref: 'stix:4', note: '' },
      { kind: 'cidr', value: '45.9.150.0/abc', ref: 'stix:5', note: '' },
    ];
    const parsed: ParsedFeed = { entries, skipped: [{ position: 'stix:2', reason: 'unsupported pattern' }] };
    const index = buildIntelIndex([{ name: 'stix', action: 'block', confidence: 70, expiresAt: Infinity, feed: parsed }], RULES);
    expect(index.matchAddress('185.100.87.1')).toMatchObject({ ref: 'stix:1', note: 'from STIX' });
    // v4-mapped values from another parser land in the IPv4 table, found by either spelling.
    expect(index.matchAddress('45.9.148.3')?.ref).toBe('stix:3');
    expect(index.matchAddress('::ffff:45.9.148.3')?.ref).toBe('stix:3');
    expect(index.matchAddress('45.9.149.200')?.ref).toBe('stix:4');
    expect(index.counts[0]).toMatchObject({ accepted: 3, skipped: 1, refused: { 'non-routable': 1 } });
  });

  it('refills one hit object: a lookup allocates no answer', () => {
    const index = buildIntelIndex([feed('f', ['a.example', 'b.example'])], RULES);
    const first = index.matchDomain('a.example');
    const second = index.matchDomain('b.example');
    expect(first).toBe(second);
    expect(second?.value).toBe('b.example');
  });
});
