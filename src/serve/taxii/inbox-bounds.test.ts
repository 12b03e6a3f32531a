/**
 * The inbox's bounds, on real files: a status lists at most
 * MAX_STATUS_DETAILS successes and failures (exact counts), a poster keeps
 * at most maxBytes of object JSON (oldest out, counted), a POST parses only
 * its own objects (the feed is the union of what each kept object gave),
 * a post that gives no entry leaves the feed, and the journal grows by the
 * new objects only and reads back after a restart.
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PushedFeeds } from '../../../test/helpers/pushed-feeds.js';
import { violations } from '../../../test/helpers/taxii-spec.js';
import type { PushedFeedMeta } from '../../intel/view.js';
import { Inbox, MAX_STATUS_DETAILS } from './inbox.js';


const META: PushedFeedMeta = { action: 'block', confidence: 70, expiry: 0 };
const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
function indicator(n: number, domain: string, pad = ''): Record<string, unknown> {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${ID(n)}`,
    created: '2026-12-05T10:00:00.000Z',
    modified: '2026-12-05T10:00:00.000Z',
    pattern: `[domain-name:value = '${domain}']`,
    pattern_type: 'stix',
    valid_from: '2026-12-05T10:00:00.000Z',
    description: pad,
  };
}
const identity = (n: number): Record<string, unknown> => ({ type: 'identity', spec_version: '2.1', id: `identity--${ID(n)}`, created: '2026-12-05T10:00:00.000Z', modified: '2026-12-05T10:00:00.000Z', name: 'partner' });

function inbox(options: { maxObjects?: number; maxBytes?: number; cacheDir?: string } = {}): { box: Inbox; feeds: PushedFeeds; cacheDir: string } {
  const feeds = new PushedFeeds();
  const cacheDir = options.cacheDir ?? mkdtempSync(join(tmpdir(), 'fluxhound-inbox-bounds-'));
  const box = new Inbox({ cacheDir, maxObjects: options.maxObjects ?? 1000, maxBytes: options.maxBytes, meta: META, intel: () => feeds });
  return { box, feeds, cacheDir };
}

describe('taxii inbox: bounded statuses', () => {
  it('counts every failure but lists the first MAX_STATUS_DETAILS, and says so', async () => {
    const { box } = inbox();
    const status = await box.post('p1', { objects: Array.from({ length: 250 }, () => 1) });
    expect(violations('status', status as unknown as Record<string, unknown>)).toEqual([]);
    expect(status).toMatchObject({ total_count: 250, failure_count: 250, success_count: 0 });
    expect(status.failures).toHaveLength(MAX_STATUS_DETAILS);
    expect(status.failures[0]).toEqual({ id: 'objects[0]', version: status.request_timestamp, message: 'not a STIX object' });
    expect(status.x_fluxhound_details).toMatch(/first 100 objects' successes and failures are listed; the counts are exact/);
  });

  it('lists successes and failures of the first MAX_STATUS_DETAILS objects together, in posted order', async () => {
    const { box } = inbox();
    const objects = [...Array.from({ length: 60 }, (_, i) => indicator(i, `m${i}.example`)), ...Array.from({ length: 90 }, () => 1)];
    const status = await box.post('p1', { objects });
    expect(status).toMatchObject({ total_count: 150, success_count: 60, failure_count: 90 });
    expect(status.successes).toHaveLength(60);
    expect(status.failures).toHaveLength(MAX_STATUS_DETAILS - 60);
  });

  it('counts every success but lists the first MAX_STATUS_DETAILS; a small post lists all and adds no note', async () => {
    const { box } = inbox();
    const big = await box.post('p1', { objects: Array.from({ length: 150 }, (_, i) => indicator(i, `n${i}.example`)) });
    expect(big).toMatchObject({ total_count: 150, success_count: 150, failure_count: 0 });
    expect(big.successes).toHaveLength(MAX_STATUS_DETAILS);
    const small = await box.post('p1', { objects: [indicator(1000, 'small.example')] });
    expect(small.successes).toHaveLength(1);
    expect(small.x_fluxhound_details).toBeUndefined();
  });
});

describe('taxii inbox: a poster\'s byte cap', () => {
  it('drops the oldest objects past maxBytes of object JSON, counted, and their entries leave the feed', async () => {
    const one = JSON.stringify(indicator(1, 'b1.example', 'x'.repeat(1000))).length;
    const { box, feeds } = inbox({ maxBytes: 3 * one });
    for (let i = 1; i <= 5; i++) await box.post('p1', { objects: [indicator(i, `b${i}.example`, 'x'.repeat(1000))] });
    expect(box.objects().map((o) => o.object.id)).toEqual([3, 4, 5].map((n) => `indicator--${ID(n)}`));
    expect(box.stats.dropped).toBe(2);
    expect(feeds.current()?.matchDomain('b1.example')).toBeNull();
    expect(feeds.current()?.matchDomain('b5.example')).toMatchObject({ feed: 'taxii:p1' });
  });
});

describe('taxii inbox: only new objects are parsed', () => {
  it('parses each post\'s objects once; the feed is the union of every kept object\'s entries', async () => {
    const { box, feeds } = inbox();
    await box.post('p1', { objects: [indicator(1, 'u1.example'), indicator(2, 'u2.example'), indicator(3, 'u3.example')] });
    await box.post('p1', { objects: [indicator(4, 'u4.example'), indicator(5, 'u5.example')] });
    // 5, not 3 + 5: the first post's objects were not read again.
    expect(box.stats.parsed).toBe(5);
    for (let i = 1; i <= 5; i++) expect(feeds.current()?.matchDomain(`u${i}.example`)).toMatchObject({ feed: 'taxii:p1', ref: `indicator--${ID(i)}` });
  });

  it('a post whose objects give no entry leaves the poster\'s feed in force', async () => {
    const { box, feeds } = inbox();
    await box.post('p1', { objects: [indicator(1, 'kept.example')] });
    const status = await box.post('p1', { objects: [identity(2)] });
    expect(status.success_count).toBe(1);
    expect(feeds.current()?.matchDomain('kept.example')).toMatchObject({ feed: 'taxii:p1' });
  });

  it('the feed empties once no kept object gives an entry (the last indicator dropped for maxObjects)', async () => {
    const { box, feeds } = inbox({ maxObjects: 1 });
    await box.post('p1', { objects: [indicator(1, 'gone.example')] });
    expect(feeds.current()?.matchDomain('gone.example')).not.toBeNull();
    await box.post('p1', { objects: [identity(2)] });
    expect(feeds.current()?.matchDomain('gone.example')).toBeNull();
  });
});

describe('taxii inbox: the journal', () => {
  it('appends only the new objects and reads back after a restart; a broken line is skipped and counted with its line', async () => {
    const { box, cacheDir } = inbox();
    await box.post('p1', { objects: [indicator(1, 'j1.example'), indicator(2, 'j2.example')] });
    const file = join(cacheDir, 'taxii-inbox', 'p1.jsonl');
    const first = readFileSync(file, 'utf8');
    await box.post('p1', { objects: [indicator(3, 'j3.example')] });
    const second = readFileSync(file, 'utf8');
    // The earlier lines stay as written: the file grew by one line.
    expect(second.startsWith(first)).toBe(true);
    expect(second.split('\n').filter((l) => l !== '')).toHaveLength(3);
    appendFileSync(file, '{"added":1,"object":{"type":\n');
    const { box: restarted, feeds } = inbox({ cacheDir });
    expect(restarted.load()).toEqual([`taxii inbox: ${file}:4: 1 broken line(s) skipped`]);
    expect(restarted.stats.loadErrors).toBe(1);
    expect(restarted.objects().map((o) => o.object.id)).toEqual([1, 2, 3].map((n) => `indicator--${ID(n)}`));
    expect(feeds.current()?.matchDomain('j3.example')).toMatchObject({ feed: 'taxii:p1' });
  });

  it('is rewritten whole once replaced versions make up most of it (past 1 MiB)', async () => {
    const { box, cacheDir } = inbox();
    const file = join(cacheDir, 'taxii-inbox', 'p1.jsonl');
    let most = 0;
    for (let i = 0; i < 24; i++) {
      const version = { ...indicator(1, 'c.example', 'x'.repeat(60 * 1024)), modified: `2026-12-05T10:00:${String(i).padStart(2, '0')}.000Z` };
      expect((await box.post('p1', { objects: [version] })).success_count).toBe(1);
      most = Math.max(most, readFileSync(file, 'utf8').length);
    }
    // 24 versions of 60 KB were posted, yet the file never held much past 1 MiB and ends with few lines.
    expect(most).toBeLessThan(1024 * 1024 + 2 * 62 * 1024);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    expect(lines.length).toBeLessThan(24);
    const { box: restarted } = inbox({ cacheDir });
    restarted.load();
    expect(restarted.objects().map((o) => o.object.modified)).toEqual(['2026-12-05T10:00:23.000Z']);
  });
});
