import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { waitFor } from '../../../test/support/daemon.js';
import { stixText } from '../../act/stix/bundle.js';
import { defaultConfig } from '../../config/schema.js';
import { intelListingVerdict } from '../../detect/intel-verdict.js';
import { UsageError } from '../../model/errors.js';
import { Daemon } from '../daemon.js';
import { serviceFactories } from '../registry.js';
import { mispFeedService, stixFile, stixFileService } from './index.js';
import { liveStixBundle, ownFindings, stixOptionsOf } from './live.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-share-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function daemon(): Daemon {
  return new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
}

const flux = (domain: string, lastSeen = '2025-04-03T03:58:26.000Z') => ({ ...flaggedVerdict(domain, { addresses: ['198.51.100.7', '198.51.100.8'], lastSeen }), network: 'fn-1' });
type Bundle = { objects: Array<{ type: string; name?: string; modified?: string }> };
const indicators = (path: string): Bundle['objects'] => (JSON.parse(readFileSync(path, 'utf8')) as Bundle).objects.filter((o) => o.type === 'indicator');

describe('serve --stix: the bundle kept current', () => {
  it('writes at start, rewrites after a change of the flagged set, and writes the last state at stop', async () => {
    const d = daemon();
    const path = join(dir, 'findings.stix.json');
    // A short delay for the test; the daemon's is WRITE_DELAY_MS.
    const fast = stixFile(path, d.context, 20);
    await fast.start();
    expect(indicators(path)).toEqual([]);
    d.context.flagged.upsert(flux('a.flux.example'));
    await waitFor('the rewrite', () => indicators(path).length === 1, 5000);
    // Same state, same bytes: the file is what the pure builder gives for the live set.
    expect(readFileSync(path, 'utf8')).toBe(stixText(liveStixBundle({ flagged: d.context.flagged, networks: () => [] }, stixOptionsOf(d.context.config)).bundle));
    // Only last_seen moved (no serial change): not rewritten until stop, which writes it.
    d.context.flagged.upsert(flux('a.flux.example', '2025-04-03T06:00:00.000Z'));
    await fast.flush();
    expect(indicators(path)[0]!.modified).toBe('2025-04-03T03:58:26.000Z');
    await fast.stop();
    expect(indicators(path)[0]!.modified).toBe('2025-04-03T06:00:00.000Z');
    expect(await d.context.registry.getSingleMetricAsString('fluxhound_stix_file_indicators')).toMatch(/^fluxhound_stix_file_indicators 1$/m);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('never shares a partner\'s intel listing as its own finding', () => {
    const d = daemon();
    d.context.flagged.upsert(flux('own.flux.example'));
    d.context.flagged.upsert(intelListingVerdict('listed.example', { feed: 'taxii:partner', ref: 'indicator--1', kind: 'domain', value: 'listed.example', note: '', confidence: 90, action: 'block' }, 1_733_000_000));
    expect(d.context.flagged.size).toBe(2);
    expect(ownFindings(d.context.flagged).verdicts.map((v) => v.domain)).toEqual(['own.flux.example']);
    expect(ownFindings(d.context.flagged, 0)).toEqual({ verdicts: [], held: 1 });
  });

  it('is registered and off without its flag; a path it cannot write is a usage error at start', async () => {
    const names = serviceFactories.map((f) => f.name);
    expect(names).toContain('stix-file');
    expect(names).toContain('misp-feed');
    const d = daemon();
    expect(stixFileService.create({}, d.context)).toBeNull();
    expect(mispFeedService.create({}, d.context)).toBeNull();
    await expect(stixFileService.create({ stix: join(dir, 'no', 'such', 'dir', 'x.json') }, d.context)!.start()).rejects.toThrow(UsageError);
    await expect(mispFeedService.create({ mispFeed: join(dir, 'findings.stix.json') }, d.context)!.start()).rejects.toThrow(/--misp-feed: .* is not a directory/);
  });
});

describe('serve --misp-feed: the feed directory kept current', () => {
  it('creates the directory with an empty manifest at start and writes one event per flux network at stop', async () => {
    const d = daemon();
    const feed = join(dir, 'misp');
    const service = mispFeedService.create({ mispFeed: feed }, d.context)!;
    await service.start();
    expect(readFileSync(join(feed, 'manifest.json'), 'utf8')).toBe('{}\n');
    d.context.flagged.upsert({ ...flux('a.flux.example'), features: { ...flux('a.flux.example').features, network_id: 1 } });
    await service.stop();
    const manifest = JSON.parse(readFileSync(join(feed, 'manifest.json'), 'utf8')) as Record<string, { info: string }>;
    const [uuid] = Object.keys(manifest);
    expect(manifest[uuid!]!.info).toMatch(/^fluxhound: fast-flux network fn-1/);
    expect(existsSync(join(feed, `${uuid!}.json`))).toBe(true);
    expect(readFileSync(join(feed, 'hashes.csv'), 'utf8').split('\n').filter((l) => l.endsWith(uuid!)).length).toBeGreaterThan(0);
  });
});
