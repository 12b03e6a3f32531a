import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeSuite } from '../store.case.js';
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
});
