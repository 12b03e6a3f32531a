import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { FlaggedDomains } from '../../act/flagged.js';
import type { StixObject, StixOptions } from '../../act/stix/bundle.js';
import { intelListingVerdict } from '../../detect/intel-verdict.js';
import { findingsSource, MAX_VERSIONS_PER_OBJECT, Publication, REBUILD_MIN_MS, REBUILD_QUIET_MS, type PublishedObject } from './source.js';

const OPTIONS: StixOptions = { identity: 'Example CERT', tlp: 'amber', expiry: 604_800, suspicious: false };
const T0 = Date.parse('2026-12-05T12:00:00.000Z');

function indicatorOf(source: { objects(): { object: Record<string, unknown> }[] }, pattern: string): Record<string, unknown>[] {
  return source
    .objects()
    .map((p) => p.object)
    .filter((o) => o.type === 'indicator' && o.pattern === pattern);
}

/** What a request reads: the source brought up to date (in slices), then its objects. */
async function read(source: { fresh(): Promise<void>; objects(): PublishedObject[] }): Promise<PublishedObject[]> {
  await source.fresh();
  return source.objects();
}

describe('taxii findings source: the act/stix objects of the live findings', () => {
  it('publishes the whole bundle (indicator, SCOs, relationships, identity, marking), excluding intel listings and deny entries', async () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('flux.example', { addresses: ['198.51.100.7', '2001:db8::7'] }));
    flagged.upsert(intelListingVerdict('partner.example', { feed: 'taxii:partner', ref: 'indicator--x', kind: 'domain', value: 'partner.example', note: '', confidence: 80, action: 'block' }, T0 / 1000));
    flagged.upsert({ ...flaggedVerdict('denied.example'), listed: { list: 'deny', by: 'op', at: '2026-12-05T00:00:00.000Z', comment: '' } } as never);
    const source = findingsSource({ flagged, networks: () => [] }, () => OPTIONS, () => T0);
    await source.fresh();
    const types = source.objects().map((p) => p.object.type).sort();
    expect(types).toEqual(['domain-name', 'identity', 'indicator', 'ipv4-addr', 'ipv6-addr', 'marking-definition', 'relationship', 'relationship']);
    expect(source.objects().every((p) => p.added === T0)).toBe(true);
    expect(indicatorOf(source, "[domain-name:value = 'flux.example']")).toHaveLength(1);
    expect(JSON.stringify(source.objects())).not.toContain('partner.example');
    expect(JSON.stringify(source.objects())).not.toContain('denied.example');
  });

  it('a finding that changes becomes a new version, added later; unchanged objects keep their one version', async () => {
    let clock = T0;
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('flux.example', { addresses: ['198.51.100.7'] }));
    const source = findingsSource({ flagged, networks: () => [] }, () => OPTIONS, () => clock);
    const before = await read(source);
    // A new address bumps the serial: republished on the next request once REBUILD_MIN_MS passed.
    flagged.upsert(flaggedVerdict('flux.example', { addresses: ['198.51.100.7', '198.51.100.8'], lastSeen: '2025-04-03T05:00:00.000Z' }));
    clock += REBUILD_MIN_MS;
    const after = await read(source);
    const fresh = after.filter((p) => p.added === clock);
    // The indicator (modified = last seen), the new address and its resolves-to, the old resolves-to (its times moved).
    expect(fresh.map((p) => p.object.type).sort()).toEqual(['indicator', 'ipv4-addr', 'relationship', 'relationship']);
    const versions = indicatorOf(source, "[domain-name:value = 'flux.example']");
    expect(versions).toHaveLength(2);
    expect(versions[1]!.id).toBe(versions[0]!.id);
    expect(versions[1]!.modified).toBe('2025-04-03T05:00:00.000Z');
    // Every earlier version is still there, and nothing else was added (the domain SCO, identity, marking kept one version).
    expect(after.length - before.length).toBe(fresh.length);
    expect(after.filter((p) => p.added === T0)).toEqual(before);
  });

  it('without a serial change, moved verdicts are republished only after REBUILD_QUIET_MS', async () => {
    let clock = T0;
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('flux.example'));
    const source = findingsSource({ flagged, networks: () => [] }, () => OPTIONS, () => clock);
    const count = (await read(source)).length;
    // Only last_seen moved: the set's serial stays, the indicator's modified moves.
    expect(flagged.upsert(flaggedVerdict('flux.example', { lastSeen: '2025-04-03T06:00:00.000Z' }))).toBe(false);
    clock += REBUILD_QUIET_MS - 1;
    expect(await read(source)).toHaveLength(count);
    clock += 1;
    expect(await read(source)).toHaveLength(count + 1);
  });
});

describe('taxii publication: versions and bounds', () => {
  const object = (n: number, modified: string, extra = ''): StixObject => ({ type: 'indicator', id: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, modified, extra });

  it('raises modified 1 ms past the last version when the content changed but the builder kept modified, and dates strictly later', () => {
    const p = new Publication();
    p.publish([object(1, '2026-01-01T00:00:00.000Z')], T0);
    p.publish([object(1, '2026-01-01T00:00:00.000Z', 'changed')], T0); // same clock: still strictly later
    const [a, b] = p.objects();
    expect(b!.object.modified).toBe('2026-01-01T00:00:00.001Z');
    expect(b!.added).toBe(T0 + 1);
    expect(a!.object.modified).toBe('2026-01-01T00:00:00.000Z');
    expect(p.publish([object(1, '2026-01-01T00:00:00.000Z', 'changed')], T0 + 5)).toBe(0);
  });

  it(`keeps at most ${MAX_VERSIONS_PER_OBJECT} versions per object and drops the oldest objects past its cap`, () => {
    const p = new Publication(25);
    for (let i = 0; i < MAX_VERSIONS_PER_OBJECT + 5; i++) p.publish([object(1, new Date(T0 + i * 1000).toISOString())], T0 + i);
    expect(p.objects()).toHaveLength(MAX_VERSIONS_PER_OBJECT);
    p.publish(Array.from({ length: 20 }, (_, i) => object(100 + i, '2026-01-01T00:00:00.000Z')), T0 + 100);
    expect(p.size).toBeLessThanOrEqual(25);
    // Object 1 was published first: it went whole.
    expect(p.objects().some((v) => v.object.id === object(1, '').id)).toBe(false);
    expect(p.objects()).toHaveLength(20);
  });
});
