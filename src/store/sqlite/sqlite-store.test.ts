import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryAction, QueryLogEntry } from '../../model/query-log.js';
import { allPages, queryFixture, storeSuite } from '../store.case.js';
import { asyncStore, emptyBatch, type QueryLogFilter } from '../store.js';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { addressKey, reversedName } from './query-keys.js';
import { QueryLogTable, SEGMENT_ROWS } from './query-log-table.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The i-th entry of a deterministic mix over clients, customers, names and actions. */
function mixed(i: number, ts: number): QueryLogEntry {
  const actions: QueryAction[] = ['pass', 'pass', 'pass', 'nxdomain', 'log'];
  const h = Math.imul(i + 1, 2654435761) >>> 0;
  return queryFixture({
    ts,
    client: h % 5 === 0 ? `10.2.${(h >>> 8) & 255}.9` : `10.1.${(h >>> 8) & 255}.${(h >>> 16) & 255}`,
    customer: (h >>> 4) % 10 === 0 ? 'small' : 'big',
    name: (h >>> 12) % 10 < 7 ? `n${(h >>> 20) % 50}.big.test` : `n${(h >>> 20) % 50}.other.test`,
    action: actions[(h >>> 24) % actions.length]!,
  });
}

/** What a search must answer, worked out without the store: matches newest first, ties by insertion order, newest first. */
function oracle(entries: readonly QueryLogEntry[], f: QueryLogFilter, inClient: (c: string) => boolean): QueryLogEntry[] {
  return entries
    .map((e, i) => [e, i] as const)
    .filter(([e]) => inClient(e.client) && (f.customer === undefined || e.customer === f.customer))
    .filter(([e]) => (f.name === undefined || e.name.endsWith(`.${f.name}`)) && (f.actions === undefined || f.actions.includes(e.action)))
    .filter(([e]) => (f.since === undefined || e.ts >= f.since) && (f.until === undefined || e.ts < f.until))
    .sort(([a, i], [b, j]) => b.ts - a.ts || j - i)
    .map(([e]) => e);
}

storeSuite('sqlite', async () => asyncStore(new SqliteStore(join(dir, 'suite.db'))));

describe('SqliteStore', () => {
  it('says which file it cannot open, in one line', () => {
    expect(() => new SqliteStore(join(dir, 'missing-dir', 'x.db'))).toThrow(/^store: .*missing-dir.*x\.db: /);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just text '.repeat(200));
    expect(() => new SqliteStore(junk)).toThrow(/store: .*junk\.db: .*not a database/);
  });

  it('uses WAL and records its schema version', () => {
    const store = new SqliteStore(join(dir, 'wal.db'));
    expect(store.check()).toBe('ok');
    store.close();
    const again = new SqliteStore(join(dir, 'wal.db'));
    expect(again.sizeBytes()).toBeGreaterThan(0);
    again.close();
  });

  it('answers the same whichever index a search picks: ranges with many matches (walked in time order) and few (read and sorted)', async () => {
    const store = new SqliteStore(join(dir, 'planner.db'));
    const entries: QueryLogEntry[] = [];
    for (let i = 0; i < 25_000; i++) entries.push(mixed(i, 5000 + Math.floor(i / 2)));
    store.write({ ...emptyBatch(), queries: entries });
    const cases: [QueryLogFilter, (c: string) => boolean][] = [
      [{ client: '10.1.0.0/16' }, (c) => c.startsWith('10.1.')],
      [{ client: '10.1.0.0/16', customer: 'small' }, (c) => c.startsWith('10.1.')],
      [{ client: '10.2.0.0/16', name: 'big.test', actions: ['pass', 'log'] }, (c) => c.startsWith('10.2.')],
      [{ name: 'big.test', actions: ['nxdomain', 'log'] }, () => true],
      [{ client: '10.2.7.0/24', name: 'other.test' }, (c) => c.startsWith('10.2.7.')],
      [{ client: '10.0.0.0/8', since: 9000, until: 12000 }, () => true],
    ];
    for (const [filter, inClient] of cases) {
      const want = oracle(entries, filter, inClient);
      expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(await allPages(asyncStore(store), filter, 1000), JSON.stringify(filter)).toEqual(want);
    }
    store.close();
  });

  it('answers the same across segments whose time spans overlap and arrive out of order, and after a sweep empties some', async () => {
    const path = join(dir, 'segments.db');
    const store = new SqliteStore(path);
    const entries: QueryLogEntry[] = [];
    // Seven batches of 12,000 (three segments); each batch's hour overlaps its neighbours' and the hours arrive shuffled.
    for (const [b, window] of [3, 0, 5, 1, 6, 2, 4].entries()) {
      const batch: QueryLogEntry[] = [];
      for (let i = 0; i < 12_000; i++) batch.push(mixed(b * 12_000 + i, 10_000 + window * 5000 + Math.floor(i / 2)));
      store.write({ ...emptyBatch(), queries: batch });
      entries.push(...batch);
    }
    const spans = () => (new Database(path, { readonly: true }).prepare('SELECT seg FROM querylog_segments ORDER BY seg').all() as { seg: number }[]).map((r) => r.seg);
    expect(spans()).toEqual([0, 1, 2].filter((s) => s * SEGMENT_ROWS <= entries.length));
    expect(spans().length).toBeGreaterThan(1);
    const cases: [QueryLogFilter, (c: string) => boolean][] = [
      [{}, () => true],
      [{ client: '10.2.0.0/16' }, (c) => c.startsWith('10.2.')],
      [{ client: '10.2.7.9' }, (c) => c === '10.2.7.9'],
      [{ customer: 'small', actions: ['nxdomain'] }, () => true],
      [{ name: 'other.test', actions: ['pass', 'log'], since: 20_000, until: 31_000 }, () => true],
      [{ client: '10.2.7.0/24', name: 'big.test' }, (c) => c.startsWith('10.2.7.')],
      [{ client: '10.0.0.0/8', until: 33_000 }, () => true],
    ];
    const check = async (all: readonly QueryLogEntry[]) => {
      for (const [filter, inClient] of cases) {
        const want = oracle(all, filter, inClient);
        expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
        expect(await allPages(asyncStore(store), filter, 1000), JSON.stringify(filter)).toEqual(want);
      }
    };
    await check(entries);
    // Everything before 26,000: windows 0-2 fully, part of 3; the segments left must still answer the same.
    store.sweepQueryLog(26_000);
    await check(entries.filter((e) => e.ts >= 26_000));
    store.close();
  });

  it('reads at most a budget of whole segments per page: filters that each match much and rarely meet page on, nothing lost or given twice', () => {
    const path = join(dir, 'budget.db');
    const store = new SqliteStore(path);
    const planted: QueryLogEntry[] = [];
    for (let b = 0; b < 7; b++) {
      const batch: QueryLogEntry[] = [];
      for (let i = 0; i < 10_000; i++) {
        const n = b * 10_000 + i;
        // Half pass for a.test, half nxdomain for b.test: 'nxdomain under a.test' matches only the planted rows.
        const plant = n % 13_000 === 6_500;
        const entry = queryFixture({ ts: 50_000 + n, name: n % 2 === 0 || plant ? `w${n % 97}.a.test` : `w${n % 97}.b.test`, action: n % 2 === 1 || plant ? 'nxdomain' : 'pass' });
        if (plant) planted.push(entry);
        batch.push(entry);
      }
      store.write({ ...emptyBatch(), queries: batch });
    }
    const filter: QueryLogFilter = { name: 'a.test', actions: ['nxdomain'] };
    expect(planted.length).toBe(5);
    // The default budget covers these three segments: one page.
    expect(store.queryLog(filter, 100)).toEqual({ entries: [...planted].reverse(), next: null });
    const table = new QueryLogTable(new Database(path, { readonly: true }), 1);
    const got: QueryLogEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { entries: QueryLogEntry[]; next: string | null } = table.search(filter, 100, cursor);
      got.push(...page.entries);
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(got).toEqual([...planted].reverse());
    expect(pages).toBeGreaterThan(1);
    store.close();
  });

  it('brings a store of schema 3 forward: its query log is searchable the same, and new rows join it', async () => {
    const path = join(dir, 'schema3.db');
    const old = new Database(path);
    for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
    old.pragma('user_version = 3');
    const insert = old.prepare(
      `INSERT INTO querylog (ts, client, client_key, customer, name, rname, qtype, action, rcode, domain, verdict, score, rule, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const entries: QueryLogEntry[] = [];
    for (let i = 0; i < 6000; i++) entries.push(mixed(i, 5000 + Math.floor(i / 3)));
    old.transaction(() => {
      for (const e of entries) insert.run(e.ts, e.client, addressKey(e.client), e.customer, e.name, reversedName(e.name), e.qtype, e.action, e.rcode, e.domain, e.verdict, e.score, e.rule, e.reason);
    })();
    old.close();

    const store = new SqliteStore(path);
    const fresh = new SqliteStore(join(dir, 'schema3-fresh.db'));
    fresh.write({ ...emptyBatch(), queries: entries });
    const cases: [QueryLogFilter, (c: string) => boolean][] = [
      [{ client: '10.2.0.0/16' }, (c) => c.startsWith('10.2.')],
      [{ customer: 'small', name: 'big.test' }, () => true],
      [{ actions: ['nxdomain', 'log'], since: 5500, until: 6500 }, () => true],
    ];
    for (const [filter, inClient] of cases) {
      const want = oracle(entries, filter, inClient);
      expect(want.length).toBeGreaterThan(0);
      expect(await allPages(asyncStore(store), filter, 250), JSON.stringify(filter)).toEqual(want);
      expect(await allPages(asyncStore(fresh), filter, 250), JSON.stringify(filter)).toEqual(want);
    }
    const later: QueryLogEntry[] = [];
    for (let i = 6000; i < 7000; i++) later.push(mixed(i, 4000 + i));
    store.write({ ...emptyBatch(), queries: later });
    for (const [filter, inClient] of cases) expect(await allPages(asyncStore(store), filter, 250), JSON.stringify(filter)).toEqual(oracle([...entries, ...later], filter, inClient));
    store.close();
    fresh.close();
    const schema = new Database(path, { readonly: true });
    expect(schema.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const indexes = schema.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'querylog' AND sql IS NOT NULL ORDER BY name`).all() as { name: string; sql: string }[];
    expect(indexes.filter((i) => /\(seg, /.test(i.sql)).map((i) => i.name)).toEqual(['querylog_action', 'querylog_client', 'querylog_customer', 'querylog_name']);
    schema.close();
  });

  it('brings a store of schema 2 forward: its per-minute stats get their totals over every customer', () => {
    const path = join(dir, 'schema2.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.pragma('user_version = 2');
    old.prepare('INSERT INTO stats (ts, customer, queries, blocked, logged) VALUES (?, ?, ?, ?, ?)').run(600, 'acme', 5, 2, 1);
    old.prepare('INSERT INTO stats (ts, customer, queries, blocked, logged) VALUES (?, ?, ?, ?, ?)').run(600, '', 3, 1, 0);
    old.close();
    const store = new SqliteStore(path);
    store.write({ ...emptyBatch(), stats: [{ ts: 660, customer: 'acme', queries: 1, blocked: 0, logged: 0 }] });
    expect(store.stats({ since: 600, until: 720, step: 60 }).map((p) => [p.queries, p.blocked, p.logged])).toEqual([
      [8, 3, 1],
      [1, 0, 0],
    ]);
    expect(store.stats({ since: 600, until: 720, step: 120, customer: 'acme' })[0]?.queries).toBe(6);
    store.close();
  });
});
