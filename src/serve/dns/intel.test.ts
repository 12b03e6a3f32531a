/**
 * The forwarder's intel pieces on their own: the address scan of a wire
 * answer (A, AAAA, CNAME chains, compression, hostile records), the policy
 * action of a listing, the query log's rule for it (model restates
 * detect/intel-verdict's test: they must agree) and the bounded ring of
 * listings.
 */
import packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../../act/flagged.js';
import { defaultConfig } from '../../config/schema.js';
import { intelListingVerdict, isIntelListing } from '../../detect/intel-verdict.js';
import { isRegistrable } from '../../detect/registered-domain.js';
import { buildIntelIndex } from '../../intel/index.js';
import { parseList } from '../../intel/list.js';
import { ruleOf } from '../../model/query-log.js';
import type { IntelListing, Verdict } from '../../model/verdict.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { ForwarderIntel } from './intel.js';
import { Policy } from './policy.js';
import { newQueryInfo, readQuery } from './wire.js';

const FEED = ['flux-net.test', '185.220.101.7', '91.92.240.0/24', '2a0b:f4c2::/32'].join('\n');
const index = buildIntelIndex([{ name: 'partner-a', action: 'block', confidence: 80, expiresAt: Infinity, feed: parseList(FEED, 'partner-a.txt') }], { isRegistrable, isAllowlisted: () => false });

function response(records: packet.Answer[]): Buffer {
  return packet.encode({ type: 'response', id: 1, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: [{ type: 'A', name: 'www.shop.test', class: 'IN' }], answers: records });
}

function questionEnd(answer: Buffer): number {
  const q = newQueryInfo();
  // readQuery refuses responses; the question ends at the same offset in the query it answers.
  const query = Buffer.from(answer);
  query[2] = query[2]! & 0x7f;
  query.writeUInt16BE(0, 6);
  expect(readQuery(query, query.length, q)).toBeNull();
  return q.questionEnd;
}

function scan(records: packet.Answer[]): string | null {
  const answer = response(records);
  return new ForwarderIntel(new FlaggedDomains()).listedAddress(index, answer, questionEnd(answer), Date.now())?.value ?? null;
}

const LISTING: IntelListing = { feed: 'partner-a', ref: 'partner-a.txt:1', kind: 'domain', value: 'flux-net.test', note: '', confidence: 80, action: 'block' };

describe('ForwarderIntel.listedAddress', () => {
  it('finds a listed address or network among the A and AAAA records, behind a CNAME chain, and nothing else', () => {
    expect(scan([{ type: 'A', name: 'www.shop.test', ttl: 60, data: '93.184.215.14' }])).toBeNull();
    expect(scan([{ type: 'A', name: 'www.shop.test', ttl: 60, data: '93.184.215.14' }, { type: 'A', name: 'www.shop.test', ttl: 60, data: '91.92.240.200' }])).toBe('91.92.240.0/24');
    expect(
      scan([
        { type: 'CNAME', name: 'www.shop.test', ttl: 60, data: 'edge.elsewhere.test' },
        { type: 'AAAA', name: 'edge.elsewhere.test', ttl: 60, data: '2a0b:f4c2:1::9' },
      ]),
    ).toBe('2a0b:f4c2::/32');
    expect(scan([{ type: 'A', name: 'www.shop.test', ttl: 60, data: '185.220.101.7' }])).toBe('185.220.101.7');
    // The listed address as text in a TXT record is no address.
    expect(scan([{ type: 'TXT', name: 'www.shop.test', ttl: 60, data: '185.220.101.7' }])).toBeNull();
  });

  it('stops at records that run past the message, and at a bare header', () => {
    const answer = response([{ type: 'A', name: 'www.shop.test', ttl: 60, data: '185.220.101.7' }]);
    const end = questionEnd(answer);
    const intel = new ForwarderIntel(new FlaggedDomains());
    expect(intel.listedAddress(index, answer.subarray(0, answer.length - 2), end, Date.now())).toBeNull();
    expect(intel.listedAddress(index, answer.subarray(0, 11), end, Date.now())).toBeNull();
    // An answer count far above the records held.
    const lying = Buffer.from(answer);
    lying.writeUInt16BE(40, 6);
    expect(intel.listedAddress(index, lying, end, Date.now())?.value).toBe('185.220.101.7');
  });
});

describe('a listing verdict', () => {
  it("takes its feed's action: block as fast flux does, log answered normally", () => {
    const config = defaultConfig();
    config.policy.fastFlux = 'sinkhole';
    const policy = new Policy(config.policy);
    expect(policy.actionFor(intelListingVerdict('www.flux-net.test', LISTING, 1_700_000_000))).toBe('sinkhole');
    expect(policy.actionFor(intelListingVerdict('www.flux-net.test', { ...LISTING, action: 'log' }, 1_700_000_000))).toBe('log');
    // A detection that carries a listing among its evidence is a detection: the policy for its label.
    const detected: Verdict = { ...flaggedVerdict('flux-net.test', { label: 'suspicious' }), intel: [{ ...LISTING, kind: 'cidr', value: '91.92.240.0/24' }] };
    expect(policy.actionFor(detected)).toBe(config.policy.suspicious);
  });

  it("is rule 'intel' in the query log, as detect/intel-verdict says it is a listing (the two tests agree)", () => {
    const cases: Verdict[] = [
      intelListingVerdict('flux-net.test', LISTING, 1_700_000_000),
      intelListingVerdict('a.flux-net.test', { ...LISTING, action: 'log' }, 1_700_000_000),
      flaggedVerdict('flux-net.test'),
      { ...flaggedVerdict('flux-net.test'), intel: [{ ...LISTING, kind: 'address', value: '185.220.101.7' }] },
      { ...flaggedVerdict('flux-net.test'), listed: { list: 'deny', comment: 'ours', by: 'ops', at: 0 }, intel: [LISTING] },
    ];
    expect(cases.map((v) => ruleOf(v).rule)).toEqual(['intel', 'intel', 'verdict', 'verdict', 'denylist']);
    for (const v of cases) expect(ruleOf(v).rule === 'intel').toBe(isIntelListing(v));
    expect(ruleOf(cases[1]!).reason).toBe('flux-net.test (above a.flux-net.test) listed by intel feed partner-a (entry partner-a.txt:1, confidence 80)');
  });
});

describe('ForwarderIntel.listing', () => {
  it('puts a listing in the flagged set once, never an allowlisted one, and keeps at most maxListings of its own', () => {
    const flagged = new FlaggedDomains();
    const intel = new ForwarderIntel(flagged, 2);
    const multi = buildIntelIndex(
      [{ name: 'partner-a', action: 'block', confidence: 80, expiresAt: Infinity, feed: parseList('a.test\nb.test\nc.test\nd.test', 'f') }],
      { isRegistrable, isAllowlisted: () => false },
    );
    const now = Date.now();
    expect(intel.listing(multi, 'www.a.test', now, (n) => n === 'www.a.test')?.domain).toBe('a.test');
    expect(flagged.size).toBe(0);
    expect(intel.listing(multi, 'a.test', now, () => false)?.domain).toBe('a.test');
    expect(intel.listing(multi, 'a.test', now, () => false)?.domain).toBe('a.test');
    expect(intel.stats.listings).toBe(1);
    intel.listing(multi, 'b.test', now, () => false);
    intel.listing(multi, 'c.test', now, () => false);
    expect([...flagged.entries()].map((v) => v.domain).sort()).toEqual(['b.test', 'c.test']);
    // The detector flags b.test since, replacing the listing: when b.test's turn to leave comes, its verdict stays.
    flagged.upsert(flaggedVerdict('b.test'));
    intel.listing(multi, 'd.test', now, () => false);
    expect([...flagged.entries()].map((v) => v.domain).sort()).toEqual(['b.test', 'c.test', 'd.test']);
    expect(isIntelListing(flagged.get('b.test')!)).toBe(false);
    expect(intel.stats.evicted).toBe(1);
    expect(intel.listing(multi, 'other.test', now, () => false)).toBeNull();
  });
});
