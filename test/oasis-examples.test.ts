/**
 * Issue 15, Proof: every OASIS STIX 2.1 example bundle (the eight files of
 * cti-stix2-json-schemas/examples, copied to test/fixtures/cti/stix) imports
 * as a feed: each indicator used or skipped with a count, never a throw, and
 * what reaches the index judged by the same refusals every feed gets (the
 * examples' 10.0.0.0 is non-routable: never a trigger). The counts were read
 * off the files by hand: APT1 has 12 indicators (4 CIDRs, 3 domains, 3 MD5
 * hashes, 2 ANDs), Poison Ivy 25 (23 of OR-ed names and addresses, listing
 * 22 values twice, and 2 on file:name).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRegistrable } from '../src/detect/registered-domain.js';
import { buildIntelIndex } from '../src/intel/index.js';
import { parseStix } from '../src/intel/stix/index.js';

const DIR = join(import.meta.dirname, 'fixtures', 'cti', 'stix');
const NOW = Date.parse('2026-12-05T00:00:00Z');

/** file → [indicators in the file, entries read, parser skips, accepted in the index, refusals by reason]. */
const EXPECTED: Record<string, [number, number, number, number, Record<string, number>]> = {
  'apt1.json': [12, 7, 5, 7, {}],
  'indicator-for-c2-ip-address.json': [1, 1, 0, 0, { 'non-routable': 1 }],
  'indicator-to-campaign-relationship.json': [1, 1, 0, 0, { 'non-routable': 1 }],
  'indicators-for-C2-with-COA.json': [2, 1, 1, 0, { 'non-routable': 1 }],
  'infrastructure.json': [0, 2, 0, 1, { 'non-routable': 1 }],
  'interop-objectmarking-test.json': [0, 0, 1, 0, {}],
  'malicious-email-indicator-with-attachment.json': [2, 0, 2, 0, {}],
  'poisonivy.json': [25, 64, 3, 42, { duplicate: 22 }],
};

describe('the OASIS STIX 2.1 example bundles as intel feeds', () => {
  it('are all here: every example of the OASIS repository is imported', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s: indicators counted, unsupported patterns skipped with a count, refusals counted', (file, [indicators, entries, skipped, accepted, refused]) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const objects = (JSON.parse(text) as { objects?: Array<{ type: string }> }).objects ?? [];
    expect(objects.filter((o) => o.type === 'indicator')).toHaveLength(indicators);
    const feed = parseStix(text, file, { now: NOW });
    expect([feed.entries.length, feed.skipped.length]).toEqual([entries, skipped]);
    // Every skip says where (the file and the object id) and why.
    for (const skip of feed.skipped) expect(skip.position.startsWith(file)).toBe(true);
    const index = buildIntelIndex([{ name: 'oasis', action: 'block', confidence: 50, expiresAt: Infinity, feed }], { isRegistrable, isAllowlisted: () => false }, undefined, NOW);
    const counts = index.counts[0]!;
    expect(counts.accepted).toBe(accepted);
    expect(counts.skipped).toBe(skipped);
    expect(Object.fromEntries(Object.entries(counts.refused).filter(([, n]) => n > 0))).toEqual(refused);
  });

  it('what APT1 and Poison Ivy list is found by the index, and the non-routable example address is not', () => {
    const load = (file: string) => parseStix(readFileSync(join(DIR, file), 'utf8'), file, { now: NOW });
    const index = buildIntelIndex(
      ['apt1.json', 'poisonivy.json', 'indicator-for-c2-ip-address.json'].map((file) => ({ name: file, action: 'block' as const, confidence: 50, expiresAt: Infinity, feed: load(file) })),
      { isRegistrable, isAllowlisted: () => false },
      undefined,
      NOW,
    );
    const apt1 = load('apt1.json').entries;
    for (const e of apt1) {
      const hit = e.kind === 'domain' ? index.matchDomain(`www.${e.value}`) : index.matchAddress(e.value.split('/')[0]!);
      expect(hit, e.value).toMatchObject({ feed: 'apt1.json', ref: e.ref });
    }
    const ivy = load('poisonivy.json').entries;
    for (const e of ivy) expect((e.kind === 'domain' ? index.matchDomain(e.value) : index.matchAddress(e.value))?.feed, e.value).toBe('poisonivy.json');
    expect(index.matchAddress('10.0.0.0')).toBeNull();
  });
});
