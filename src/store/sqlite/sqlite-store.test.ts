import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryAction, QueryLogEntry } from '../../model/query-log.js';
import { allPages, queryFixture, storeSuite } from '../store.case.js';
import { emptyBatch, type QueryLogFilter } from '../store.js';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeSuite('sqlite', () => new SqliteStore(join(dir, 'suite.db')));

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

  it('answers the same whichever index a search picks: ranges with many matches (walked in time order) and few (read and sorted)', () => {
    const store = new SqliteStore(join(dir, 'planner.db'));
    const entries: QueryLogEntry[] = [];
    const actions: QueryAction[] = ['pass', 'pass', 'pass', 'nxdomain', 'log'];
    for (let i = 0; i < 25_000; i++) {
      const h = Math.imul(i + 1, 2654435761) >>> 0;
      entries.push(
        queryFixture({
          ts: 5000 + Math.floor(i / 2),
          client: h % 5 === 0 ? `10.2.${(h >>> 8) & 255}.9` : `10.1.${(h >>> 8) & 255}.${(h >>> 16) & 255}`,
          customer: (h >>> 4) % 10 === 0 ? 'small' : 'big',
          name: (h >>> 12) % 10 < 7 ? `n${(h >>> 20) % 50}.big.test` : `n${(h >>> 20) % 50}.other.test`,
          action: actions[(h >>> 24) % actions.length]!,
        }),
      );
    }
    store.write({ ...emptyBatch(), queries: entries });
    const oracle = (f: QueryLogFilter, inClient: (c: string) => boolean) =>
      entries
        .map((e, i) => [e, i] as const)
        .filter(([e]) => inClient(e.client) && (f.customer === undefined || e.customer === f.customer))
        .filter(([e]) => (f.name === undefined || e.name.endsWith(`.${f.name}`)) && (f.actions === undefined || f.actions.includes(e.action)))
        .filter(([e]) => (f.since === undefined || e.ts >= f.since) && (f.until === undefined || e.ts < f.until))
        .sort(([a, i], [b, j]) => b.ts - a.ts || j - i)
        .map(([e]) => e);
    const cases: [QueryLogFilter, (c: string) => boolean][] = [
      [{ client: '10.1.0.0/16' }, (c) => c.startsWith('10.1.')],
      [{ client: '10.1.0.0/16', customer: 'small' }, (c) => c.startsWith('10.1.')],
      [{ client: '10.2.0.0/16', name: 'big.test', actions: ['pass', 'log'] }, (c) => c.startsWith('10.2.')],
      [{ name: 'big.test', actions: ['nxdomain', 'log'] }, () => true],
      [{ client: '10.2.7.0/24', name: 'other.test' }, (c) => c.startsWith('10.2.7.')],
      [{ client: '10.0.0.0/8', since: 9000, until: 12000 }, () => true],
    ];
    for (const [filter, inClient] of cases) {
      const want = oracle(filter, inClient);
      expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(allPages(store, filter, 1000), JSON.stringify(filter)).toEqual(want);
    }
    store.close();
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
