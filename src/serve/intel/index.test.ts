import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedServer, type FeedServer } from '../../../test/support/feed-server.js';
import { quietDaemon } from '../../../test/support/quiet-daemon.js';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import { loadConfig } from '../../config/load.js';
import { defaultConfig } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import type { Daemon } from '../daemon.js';
import { IntelService, intelService } from './index.js';

let dir: string;
let server: FeedServer | null = null;
let daemon: Daemon | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-intel-svc-'));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

function configFile(yaml: string): string {
  const path = join(dir, 'fluxhound.yaml');
  writeFileSync(path, `intel:\n  cacheDir: ${JSON.stringify(join(dir, 'cache'))}\n${yaml}`);
  return path;
}

describe('intel service', () => {
  it('is off without feeds; a bad --intel is a UsageError at start-up', () => {
    expect(quietDaemon(defaultConfig(), { factories: [intelService], flags: {} }).services).toEqual([]);
    expect(() => quietDaemon(defaultConfig(), { factories: [intelService], flags: { intel: ['x.txt,kind=xml'] } })).toThrow(UsageError);
  });

  it('loads --intel and config feeds before the daemon serves, sets context.intel, exports per-feed metrics', async () => {
    const path = join(dir, 'botnet.txt');
    writeFileSync(path, 'flux-one.example\ncom\n185.100.87.9\n');
    server = await feedServer('flux-two.example\n');
    const configPath = configFile(`  feeds:\n    - name: partner\n      url: ${server.url}/feed.txt\n      action: block\n`);
    const config = loadConfig(configPath);
    daemon = quietDaemon(config, { factories: [intelService], flags: { intel: [`${path},name=local,confidence=70`] }, configPath, isAllowed: liveAllowlist(config).isAllowed });
    await daemon.start();
    const intel = daemon.context.intel!;
    expect(intel.current()!.matchDomain('a.flux-one.example')).toMatchObject({ feed: 'local', confidence: 70, action: 'log' });
    expect(intel.current()!.matchDomain('flux-two.example')).toMatchObject({ feed: 'partner', action: 'block' });
    const metrics = await daemon.metrics();
    expect(metrics).toMatch(/^fluxhound_intel_feed_entries\{feed="local"\} 2$/m);
    expect(metrics).toMatch(/^fluxhound_intel_feed_refused\{feed="local",reason="public-suffix"\} 1$/m);
    expect(metrics).toMatch(/^fluxhound_intel_feed_fetches_total\{feed="partner",result="ok"\} 1$/m);
    expect(metrics).toMatch(/^fluxhound_intel_feed_last_success_seconds\{feed="partner"\} \d+/m);
    expect(metrics).toMatch(/^fluxhound_intel_feed_age_seconds\{feed="partner"\} /m);
    expect(daemon.health()).toEqual([]);
    // Every family passes promtool (Debian package prometheus), as the daemon's other metrics do.
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8', timeout: 10_000 });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('/health names a feed whose copy expired', async () => {
    server = await feedServer('flux-two.example\n');
    const config = loadConfig(configFile(`  feeds:\n    - name: partner\n      url: ${server.url}/feed.txt\n      expiry: 1\n`));
    daemon = quietDaemon(config, { factories: [intelService] });
    await daemon.start();
    const service = daemon.services[0] as IntelService;
    expect(daemon.health()).toEqual([]);
    // The copy's last good refresh, moved an hour back: it expired long ago.
    const loader = (service.feeds as unknown as { loaders: Array<{ goodAt: number | null }> }).loaders[0]!;
    loader.goodAt = Date.now() - 3_600_000;
    expect(daemon.health()).toEqual([expect.stringMatching(/^intel: feed copy expired without a good refresh: partner/)]);
  });

  it('SIGHUP: a new feed list is loaded first; one feed without a copy refuses it all, changing nothing', async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, 'flux-a.example\n');
    writeFileSync(b, 'flux-b.example\n');
    const configPath = configFile(`  feeds:\n    - name: a\n      path: ${JSON.stringify(a)}\n`);
    const config = loadConfig(configPath);
    daemon = quietDaemon(config, { factories: [intelService], configPath });
    await daemon.start();
    const intel = daemon.context.intel!;
    configFile(`  feeds:\n    - name: b\n      path: ${JSON.stringify(b)}\n    - name: gone\n      path: ${JSON.stringify(join(dir, 'missing.txt'))}\n`);
    expect(await daemon.reload()).toBe(false);
    expect(intel.status().map((s) => s.name)).toEqual(['a']);
    expect(intel.current()!.matchDomain('flux-a.example')).not.toBeNull();
    configFile(`  feeds:\n    - name: b\n      path: ${JSON.stringify(b)}\n`);
    const swapped = new Promise<void>((resolve) => intel.onChange(() => resolve()));
    expect(await daemon.reload()).toBe(true);
    await swapped;
    expect(intel.status().map((s) => s.name)).toEqual(['b']);
    expect(intel.current()!.matchDomain('flux-b.example')?.feed).toBe('b');
    expect(intel.current()!.matchDomain('flux-a.example')).toBeNull();
  });
});
