/**
 * Intel provenance in the RPZ zone: a listed domain's trigger names the feed
 * and the entry in a comment, escaped by the one name rule so that a feed
 * name or entry id cannot end the line; a 'log' feed's listing is no trigger.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { findBinary } from '../../../test/support/binaries.js';
import { parseZone } from '../../../test/support/parse-zone.js';
import { intelListingVerdict } from '../../detect/intel-verdict.js';
import type { IntelListing } from '../../model/verdict.js';
import { Allowlist } from './allowlist.js';
import { buildRpzZone, emptyBuildStats, formatZone, rpzOptionsOf, rpzVerdictOf } from './zone.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-rpz-intel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Date.UTC(2025, 3, 3) / 1000;
const options = rpzOptionsOf(validateConfig({}, 'test'));
options.allowlist = new Allowlist([]);

function listing(over: Partial<IntelListing> = {}): IntelListing {
  return { feed: 'botnet-c2', ref: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', kind: 'domain', value: 'flux-cdn.biz', note: '', confidence: 90, action: 'block', ...over };
}

describe('RPZ comments name the intel feed and entry', () => {
  it("a listed domain's trigger carries its feed and entry; a detection names the listings behind its evidence", () => {
    const listed = intelListingVerdict('www.flux-cdn.biz', listing(), T);
    const detected = flaggedVerdict('pay.evil-flux.ru', { registered: 'evil-flux.ru' });
    detected.intel = [listing({ feed: 'partner-a', ref: 'partner-a.txt:2', kind: 'address', value: '185.100.87.9', confidence: 50, action: 'log' })];
    const text = formatZone(buildRpzZone([listed, detected].map((v) => rpzVerdictOf(v, options)), options, 7));
    const records = text.split('\n').filter((l) => !l.startsWith(';') && !l.startsWith('$') && !l.startsWith('@') && l !== '');
    expect(records).toEqual([
      'flux-cdn.biz CNAME . ; intel: domain flux-cdn.biz listed by botnet-c2 entry indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f (confidence 90, block)',
      '*.flux-cdn.biz CNAME .',
      'pay.evil-flux.ru CNAME . ; intel: address 185.100.87.9 listed by partner-a entry partner-a.txt:2 (confidence 50, log)',
      '*.pay.evil-flux.ru CNAME .',
      'evil-flux.ru CNAME .',
      '*.evil-flux.ru CNAME .',
    ]);
  });

  it("a 'log' feed's listing is recorded, never a trigger", () => {
    const stats = emptyBuildStats();
    const zone = buildRpzZone([rpzVerdictOf(intelListingVerdict('flux-cdn.biz', listing({ action: 'log' }), T), options)], options, 7, stats);
    expect(zone.records).toEqual([]);
    expect(stats.notBlocked).toBe(1);
  });

  const checkzone = findBinary('named-checkzone', 'bind9-utils');
  const hostile = listing({ feed: 'evil\nfeed ; $INCLUDE /etc/passwd', ref: 'x"\r\n@ NS attacker.example.', note: 'ignored' });

  it('a hostile feed name or entry id cannot leave the comment: the zone parses to exactly the records built', () => {
    const zone = buildRpzZone([rpzVerdictOf(intelListingVerdict('flux-cdn.biz', hostile, T), options)], options, 42);
    const text = formatZone(zone);
    expect(text.split('\n').filter((l) => l.includes('intel:'))).toEqual([
      'flux-cdn.biz CNAME . ; intel: domain flux-cdn.biz listed by evil\\010feed\\032\\059\\032\\036INCLUDE\\032/etc/passwd entry x\\034\\013\\010\\064\\032NS\\032attacker.example. (confidence 90, block)',
    ]);
    const parsed = parseZone(text);
    expect(parsed.records).toHaveLength(zone.records.length + 2);
    expect(parsed.records.filter((r) => r.type === 'NS')).toHaveLength(1);
  });

  it.skipIf(checkzone.path === null)('loads in named-checkzone with the comments', () => {
    const file = join(dir, 'intel.rpz');
    writeFileSync(file, formatZone(buildRpzZone([rpzVerdictOf(intelListingVerdict('flux-cdn.biz', hostile, T), options)], options, 42)));
    const out = execFileSync(checkzone.path!, ['-k', 'ignore', '-i', 'none', 'rpz.fluxhound.', file], { encoding: 'utf8' });
    expect(out).toMatch(/loaded serial 42/);
  });
});
