import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { emptyBatch } from '../src/store/store.js';
import { benchQuerylog, customerNetwork, formatQuerylog, optionsFromEnv, QueryLogGenerator, searches } from './querylog.js';

describe('query-log bench', () => {
  it('runs end to end at a tiny size: every row written, every search timed and judged against the target', async () => {
    const lines: string[] = [];
    const figures = await benchQuerylog({ rows: 20_000, runs: 1, batch: 2000, seed: 1 }, (l) => lines.push(l));
    expect(figures.rows).toBe(20_000);
    expect(figures.fileBytes).toBeGreaterThan(20_000 * 50);
    expect(figures.searches.map((s) => s.what)).toEqual([...searches().map((s) => s.what), 'stats: 24 h by hour, every customer', 'stats: 24 h by hour, one customer']);
    const byWhat = new Map(figures.searches.map((s) => [s.what, s]));
    expect(byWhat.get('newest 100, no filter')?.entries).toBe(100);
    expect(byWhat.get('client (one busy address)')?.entries).toBeGreaterThan(0);
    expect(byWhat.get('name subtree (a TLD: a fifth of the flagged)')?.entries).toBe(100);
    expect(byWhat.get('stats: 24 h by hour, every customer')?.entries).toBe(24);
    for (const s of figures.searches) expect(s.pass).toBe(s.medianMs < figures.targetMs);
    const text = formatQuerylog(figures);
    expect(text).toContain('20,000 rows through the writer thread');
    expect(text).toMatch(/(pass|FAIL) +[\d.]+ ms +100 entries +newest 100, no filter/);
  }, 120_000);

  it('fills in bulk (indexes built after) to the same searchable store, and says so', async () => {
    const figures = await benchQuerylog({ rows: 5000, runs: 1, batch: 1000, seed: 1, bulk: true }, () => {});
    expect(figures.fill).toBe('bulk');
    expect(figures.searches.find((s) => s.what === 'client (one busy address)')?.entries).toBeGreaterThan(0);
    expect(figures.searches.find((s) => s.what === 'name subtree (a TLD: a fifth of the flagged)')?.entries).toBe(100);
    expect(formatQuerylog(figures)).toContain('in bulk (batches of 1,000 in this thread, indexes built after');
  }, 60_000);

  it('generates rows in time order within the customers\u2019 networks, with every action', () => {
    const g = new QueryLogGenerator(5000, 3);
    const rows = [];
    while (!g.done) rows.push(g.next());
    expect(rows).toHaveLength(5000);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.ts).toBeGreaterThanOrEqual(rows[i - 1]!.ts);
    expect(new Set(rows.map((r) => r.action)).size).toBe(7);
    expect(rows.filter((r) => r.action === 'pass').every((r) => r.domain === null && r.verdict === null)).toBe(true);
    expect(customerNetwork(7)).toBe('10.0.112.0/20');
  });

  it('takes its size from the environment and refuses nonsense', () => {
    expect(optionsFromEnv({})).toMatchObject({ rows: 10_000_000, runs: 5 });
    expect(optionsFromEnv({}).bulk).toBeUndefined();
    expect(optionsFromEnv({ FLUXHOUND_BENCH_QUERYLOG_BULK: '1' }).bulk).toBe(true);
    expect(optionsFromEnv({ FLUXHOUND_BENCH_QUERYLOG_ROWS: '1000', FLUXHOUND_BENCH_QUERYLOG_RUNS: '2' })).toMatchObject({ rows: 1000, runs: 2 });
    expect(() => optionsFromEnv({ FLUXHOUND_BENCH_QUERYLOG_ROWS: 'lots' })).toThrow(/FLUXHOUND_BENCH_QUERYLOG_ROWS/);
  });

  it('times the searches on an existing store, hours counted back from its newest row, and keeps the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-querylog-bench-test-'));
    try {
      const path = join(dir, 'existing.db');
      const store = new SqliteStore(path);
      const g = new QueryLogGenerator(3000, 2);
      const batch = emptyBatch();
      while (!g.done) batch.queries.push(g.next());
      store.write(batch);
      store.close();
      const figures = await benchQuerylog({ rows: 1, runs: 1, batch: 1, seed: 1, file: path }, () => {});
      expect(figures.rows).toBe(3000);
      expect(figures.fill).toBe('existing');
      expect(figures.searches.find((s) => s.what === 'customer + 1 h range')?.entries).toBeGreaterThan(0);
      expect(formatQuerylog(figures)).toContain('an existing store of 3,000 rows');
      expect(new SqliteStore(path).check()).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
