/**
 * The writer thread, as the built daemon runs it (the worker is compiled
 * JavaScript; npm test builds first): batches written off the event loop,
 * sweeps, a clean close, errors reported back.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { queryFixture } from '../store.case.js';
import { emptyBatch } from '../store.js';
import type { BackgroundWriter as Writer } from './background-writer.js';
import { SqliteStore } from './sqlite-store.js';

const BUILT = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'store', 'sqlite', 'background-writer.js');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('BackgroundWriter (built)', () => {
  it('writes batches, sweeps and counts rows in its own thread, then closes', async () => {
    expect(existsSync(BUILT), `${BUILT} missing: run npm run build`).toBe(true);
    const { BackgroundWriter } = (await import(pathToFileURL(BUILT).href)) as { BackgroundWriter: typeof Writer };
    const path = join(dir, 'w.db');
    new SqliteStore(path).close();
    const events = { written: 0, swept: -1, tuples: -1, errors: [] as string[] };
    const writer = BackgroundWriter.create(path, {
      onWritten: () => events.written++,
      onSwept: (n) => (events.swept = n),
      onError: (m) => events.errors.push(m),
      onCounted: (c) => (events.tuples = c.tuples),
    });
    expect(writer).not.toBeNull();
    for (let i = 0; i < 5; i++) {
      const batch = emptyBatch();
      batch.tuples.push({ name: `n${i}.test`, type: 'A', data: '10.0.0.1', firstSeen: 100 * i, lastSeen: 100 * i, count: 1, ttl: 1 });
      writer!.write(batch);
    }
    writer!.sweep(250);
    writer!.count();
    await writer!.close();
    expect(events).toEqual({ written: 5, swept: 3, tuples: 2, errors: [] });
    const store = new SqliteStore(path);
    expect(store.recentTuples(0, 10).map((t) => t.name)).toEqual(['n3.test', 'n4.test']);
    expect(store.check()).toBe('ok');
    store.close();
  });

  it('carries query-log entries and stats, and sweeps the query log chunk by chunk while batches keep coming', async () => {
    const { BackgroundWriter } = (await import(pathToFileURL(BUILT).href)) as { BackgroundWriter: typeof Writer };
    const path = join(dir, 'q.db');
    new SqliteStore(path).close();
    const events = { queries: 0, swept: -1, errors: [] as string[] };
    let sweepDone: () => void = () => {};
    const swept = new Promise<void>((resolve) => (sweepDone = resolve));
    const writer = BackgroundWriter.create(path, {
      onWritten: (_ms, _t, _v, queries) => (events.queries += queries),
      onSwept: () => {},
      onQueryLogSwept: (deleted) => {
        events.swept = deleted;
        sweepDone();
      },
      onError: (m) => events.errors.push(m),
    })!;
    const old = emptyBatch();
    for (let i = 0; i < 12_000; i++) old.queries.push(queryFixture({ ts: 1000 + i / 100, name: `old${i}.test`, customer: i % 2 === 0 ? null : 'acme' }));
    old.stats.push({ ts: 960, customer: 'acme', queries: 7, blocked: 7, logged: 0 });
    writer.write(old);
    writer.sweepQueryLog(5000);
    const fresh = emptyBatch();
    fresh.queries.push(queryFixture({ ts: 6000, name: 'fresh.test', rcode: null, score: null, verdict: null }));
    fresh.stats.push({ ts: 6000, customer: '', queries: 1, blocked: 1, logged: 0 });
    writer.write(fresh);
    await swept;
    await writer.close();
    // 12,000 rows, the old bucket and its minute's total.
    expect(events).toEqual({ queries: 12_001, swept: 12_002, errors: [] });
    const store = new SqliteStore(path);
    expect(store.queryLog({}, 10).entries).toEqual(fresh.queries);
    expect(store.stats({ since: 960, until: 6060, step: 60 * 85 }).map((p) => p.queries)).toEqual([1]);
    store.close();
  });
});
