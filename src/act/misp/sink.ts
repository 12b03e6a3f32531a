/** `analyze --misp-feed DIR`: the run's flagged names as a MISP feed directory, written at the end. */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Verdict } from '../../model/verdict.js';
import type { VerdictSink } from '../sink.js';
import { buildMispFeed, type MispFeed, type MispFeedOptions } from './feed.js';

/** Names held until the end of the run; past it later names are counted, not shared (bounded memory). */
export const MAX_FEED_NAMES = 100_000;

export interface MispFeedSink extends VerdictSink {
  readonly stats: { dropped: number; removed: number; feed: MispFeed['stats'] | null };
}

const EVENT_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/;

/**
 * Each file goes temp + rename, events first and manifest.json then
 * hashes.csv last: a MISP fetching mid-write reads the old manifest (whose
 * events are still there) or the new one (whose events already are). Event
 * files the new manifest no longer names are removed afterwards.
 */
export async function writeMispFeed(dir: string, feed: MispFeed): Promise<number> {
  await mkdir(dir, { recursive: true });
  for (const file of feed.files) {
    const temp = join(dir, `.${file.name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, file.text, { flag: 'wx', mode: 0o644 });
      await rename(temp, join(dir, file.name));
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }
  let removed = 0;
  for (const name of await readdir(dir)) {
    if (EVENT_FILE.test(name) && feed.manifest[name.slice(0, -5)] === undefined) {
      await unlink(join(dir, name));
      removed++;
    }
  }
  return removed;
}

export function mispFeedSink(dir: string, options: MispFeedOptions, maxNames = MAX_FEED_NAMES): MispFeedSink {
  const verdicts = new Map<string, Verdict>();
  const stats: MispFeedSink['stats'] = { dropped: 0, removed: 0, feed: null };
  return {
    name: 'misp-feed',
    stats,
    verdict(v: Verdict) {
      if (verdicts.size >= maxNames && !verdicts.has(v.domain)) {
        stats.dropped++;
        return;
      }
      verdicts.set(v.domain, v);
    },
    async close() {
      const feed = buildMispFeed(verdicts.values(), options);
      verdicts.clear();
      stats.feed = feed.stats;
      stats.removed = await writeMispFeed(dir, feed);
    },
  };
}
