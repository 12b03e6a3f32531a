import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedServer, type FeedServer } from '../../../test/support/feed-server.js';
import type { IntelIndex, IntelRules } from '../index.js';
import { IntelFeedSet } from './feed-set.js';
import type { FeedSettings, IntelFeedConfig } from './loader.js';

const rules: IntelRules = { isRegistrable: (n) => n.includes('.'), isAllowlisted: (n) => n === 'allowed.example' };
const quiet = { info: () => undefined, warn: () => undefined };

function feed(over: Partial<IntelFeedConfig>): IntelFeedConfig {
  return {
    name: 'botnet', path: null, url: null, kind: null, column: null, action: 'block', refresh: 3600, expiry: 0, confidence: 80,
    collection: null, auth: { user: null, passwordFile: null, tokenFile: null }, ca: null, ...over,
  };
}

let dir: string;
let settings: FeedSettings;
let server: FeedServer | null = null;
let set: IntelFeedSet | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-feedset-'));
  settings = { cacheDir: join(dir, 'cache'), timeoutMs: 2000, maxBytes: 1 << 20 };
});
afterEach(async () => {
  await set?.stop();
  set = null;
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Resolves with the next index swapped in. */
function nextChange(s: IntelFeedSet): Promise<IntelIndex | null> {
  return new Promise((resolve) => {
    const off = s.onChange((index) => {
      off();
      resolve(index);
    });
  });
}

describe('IntelFeedSet', () => {
  it('loads every feed into one index with the caller rules; a bad feed does not stop the others', async () => {
    const good = file('good.txt', 'flux-one.example\nallowed.example\ncom\n185.100.87.9\n');
    set = new IntelFeedSet({ feeds: [feed({ path: good }), feed({ name: 'gone', path: join(dir, 'missing.txt') })], settings, rules, log: quiet });
    await set.load();
    const index = set.current()!;
    expect(index.matchDomain('www.flux-one.example')).toMatchObject({ feed: 'botnet', value: 'flux-one.example', action: 'block', confidence: 80 });
    expect(index.matchDomain('allowed.example')).toBeNull();
    expect(index.matchAddress('185.100.87.9')?.feed).toBe('botnet');
    const [botnet, gone] = set.status();
    expect(botnet!.counts).toMatchObject({ accepted: 2, refused: { allowlisted: 1, 'public-suffix': 1 } });
    expect(gone).toMatchObject({ name: 'gone', loadedAt: null, counts: null });
    expect(gone!.error).toMatch(/ENOENT/);
  });

  it('no feed with a copy: current() is null', async () => {
    set = new IntelFeedSet({ feeds: [feed({ path: join(dir, 'missing.txt') })], settings, rules, log: quiet });
    await set.load();
    expect(set.current()).toBeNull();
  });

  it('put() adds a pushed feed and an empty push removes it, each swapping the index', async () => {
    set = new IntelFeedSet({ feeds: [], settings, rules, log: quiet });
    await set.load();
    const changed = nextChange(set);
    set.put('taxii:partner', { entries: [{ kind: 'domain', value: 'pushed.example', ref: 'indicator--1', note: '' }], skipped: [] }, { action: 'log', confidence: 40, expiry: 0 });
    expect((await changed)?.matchDomain('pushed.example')).toMatchObject({ feed: 'taxii:partner', action: 'log', confidence: 40 });
    expect(set.status().map((s) => s.name)).toEqual(['taxii:partner']);
    const removed = nextChange(set);
    set.put('taxii:partner', { entries: [], skipped: [] }, { action: 'log', confidence: 40, expiry: 0 });
    expect(await removed).toBeNull();
  });

  it('a refresh timer picks up a changed URL feed and swaps the index', async () => {
    server = await feedServer('flux-one.example\n');
    set = new IntelFeedSet({ feeds: [feed({ url: `${server.url}/feed.txt`, refresh: 0.05 })], settings, rules, log: quiet });
    await set.load();
    expect(set.current()!.matchDomain('flux-two.example')).toBeNull();
    server.body = 'flux-two.example\n';
    const changed = nextChange(set);
    set.start();
    expect((await changed)?.matchDomain('flux-two.example')?.value).toBe('flux-two.example');
    // Unchanged polls in between were conditional.
    expect(server.requests.some((r) => r.ifNoneMatch !== null)).toBe(true);
  });

  it('a refresh timer re-reads a file whose mtime changed', async () => {
    const path = file('feed.txt', 'flux-one.example\n');
    set = new IntelFeedSet({ feeds: [feed({ path, refresh: 0.05 })], settings, rules, log: quiet });
    await set.load();
    writeFileSync(path, 'flux-two.example\n');
    const later = statSync(path).mtimeMs / 1000 + 5;
    utimesSync(path, later, later);
    const changed = nextChange(set);
    set.start();
    expect((await changed)?.matchDomain('flux-two.example')?.feed).toBe('botnet');
  });

  it('an expired copy stops matching; a confirmed one is renewed without a rebuild', async () => {
    server = await feedServer('flux-one.example\n');
    set = new IntelFeedSet({ feeds: [feed({ url: `${server.url}/feed.txt`, expiry: 60 })], settings, rules, log: quiet });
    await set.load();
    const index = set.current()!;
    const expires = set.details()[0]!.expiresAt;
    expect(index.matchDomain('flux-one.example', expires - 1)).not.toBeNull();
    expect(index.matchDomain('flux-one.example', expires + 1)).toBeNull();
    const builds = set.rebuilds.builds;
    await set.refreshNow();
    expect(set.rebuilds.builds).toBe(builds);
    expect(set.current()).toBe(index);
    const renewed = set.details()[0]!.expiresAt;
    expect(renewed).toBeGreaterThanOrEqual(expires);
    expect(index.matchDomain('flux-one.example', renewed - 1)).not.toBeNull();
  });

  it('prepare() loads new feeds first and refuses the whole list when one yields no copy', async () => {
    const a = file('a.txt', 'flux-a.example\n');
    const b = file('b.txt', 'flux-b.example\n');
    set = new IntelFeedSet({ feeds: [feed({ name: 'a', path: a })], settings, rules, log: quiet });
    await set.load();
    await expect(set.prepare([feed({ name: 'a', path: a }), feed({ name: 'bad', path: join(dir, 'nope.txt') })], settings)).rejects.toThrow(/intel feed bad: .*ENOENT/);
    expect(set.status().map((s) => s.name)).toEqual(['a']);
    const commit = await set.prepare([feed({ name: 'b', path: b })], settings);
    expect(set.current()!.matchDomain('flux-b.example')).toBeNull();
    const changed = nextChange(set);
    commit();
    const index = await changed;
    expect(index?.matchDomain('flux-b.example')?.feed).toBe('b');
    expect(index?.matchDomain('flux-a.example')).toBeNull();
  });

  it('rebuilds a large index in slices, measuring the longest hold of the event loop', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 120_000; i++) lines.push(`flux-${i}.example`);
    set = new IntelFeedSet({ feeds: [feed({ path: file('big.txt', lines.join('\n')) })], settings: { ...settings, maxBytes: 1 << 26 }, rules, log: quiet });
    await set.load();
    expect(set.current()!.domains).toBe(120_000);
    // The rebuild alone: 120,000 entries in slices of 50,000 let a timer run between them (one synchronous build would not).
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    await set.rebuild();
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0);
    expect(set.rebuilds.longestSliceMs).toBeGreaterThan(0);
    expect(set.rebuilds.longestSliceMs).toBeLessThanOrEqual(set.rebuilds.lastMs);
  });
});
