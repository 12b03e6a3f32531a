/**
 * What loading a 1M-entry feed does to a running daemon (issue 15): the feed
 * set (src/intel/feeds) loads a generated list file, then rebuilds its index
 * again, while a 1 ms timer stands in for the DNS answers waiting on the
 * event loop. Reports the load and rebuild times and the longest the event
 * loop was held (the longest gap the timer saw, and the rebuild's own
 * longest slice). `node --expose-gc dist/bench/intel-reload.js`;
 * FLUXHOUND_BENCH_INTEL_ENTRIES changes the size.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRegistrable } from '../src/detect/registered-domain.js';
import { IntelFeedSet } from '../src/intel/feeds/feed-set.js';
import { feedText } from './intel.js';

export interface ReloadFigures {
  entries: number;
  loadMs: number;
  loadLongestGapMs: number;
  rebuildMs: number;
  rebuildLongestGapMs: number;
  rebuildLongestSliceMs: number;
  heapMB: number;
}

/** Runs `work` while a 1 ms timer measures the longest gap between its ticks. */
async function heldWhile(work: () => Promise<void>): Promise<{ ms: number; longestGapMs: number }> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  longest = Math.max(longest, performance.now() - last);
  clearInterval(timer);
  return { ms, longestGapMs: longest };
}

export async function benchIntelReload(entries: number): Promise<ReloadFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-intel-'));
  try {
    const path = join(dir, 'feed.txt');
    writeFileSync(path, feedText(entries).text);
    const quiet = { info: () => undefined, warn: () => undefined };
    const set = new IntelFeedSet({
      feeds: [{ name: 'bench', path, url: null, kind: 'list', column: null, action: 'block', refresh: 3600, expiry: 0, confidence: 80, collection: null, auth: { user: null, passwordFile: null, tokenFile: null }, ca: null }],
      settings: { cacheDir: dir, timeoutMs: 30_000, maxBytes: 1 << 30 },
      rules: { isRegistrable, isAllowlisted: () => false },
      log: quiet,
    });
    const load = await heldWhile(() => set.load());
    const rebuild = await heldWhile(() => set.rebuild());
    (globalThis as { gc?: () => void }).gc?.();
    return {
      entries,
      loadMs: load.ms,
      loadLongestGapMs: load.longestGapMs,
      rebuildMs: rebuild.ms,
      rebuildLongestGapMs: rebuild.longestGapMs,
      rebuildLongestSliceMs: set.rebuilds.longestSliceMs,
      heapMB: process.memoryUsage().heapUsed / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entries = Number(process.env.FLUXHOUND_BENCH_INTEL_ENTRIES ?? 1_000_000);
  const f = await benchIntelReload(entries);
  const r = (x: number): string => x.toFixed(0);
  process.stdout.write(
    `intel reload, ${entries.toLocaleString('en-US')} entries: load (read + parse + index) ${r(f.loadMs)} ms, event loop held at most ${r(f.loadLongestGapMs)} ms; ` +
      `rebuild ${r(f.rebuildMs)} ms, held at most ${r(f.rebuildLongestGapMs)} ms (longest slice ${r(f.rebuildLongestSliceMs)} ms); heap ${r(f.heapMB)} MB\n`,
  );
}
