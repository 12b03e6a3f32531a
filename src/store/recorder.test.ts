import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlaggedDomains } from '../act/flagged.js';
import { isBlockAction, type QueryAction } from '../model/query-log.js';
import { Recorder } from './recorder.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { queryFixture } from './store.case.js';
import type { StatsBucket, StoreBatch } from './store.js';

/** Per-minute counts as the daemon's QueryStats (serve/, a layer above) hands them over: drain() takes them all. */
class Counts {
  private buckets: StatsBucket[] = [];
  count(ts: number, customer: string | null, action: QueryAction): void {
    const minute = Math.floor(ts / 60) * 60;
    let b = this.buckets.find((x) => x.ts === minute && x.customer === (customer ?? ''));
    if (b === undefined) this.buckets.push((b = { ts: minute, customer: customer ?? '', queries: 0, blocked: 0, logged: 0 }));
    b.queries++;
    if (action === 'log') b.logged++;
    else if (isBlockAction(action)) b.blocked++;
  }
  get pending(): number {
    return this.buckets.length;
  }
  drain(): StatsBucket[] {
    const out = this.buckets;
    this.buckets = [];
    return out;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Recorder: the query log', () => {
  it('queues entries up to the cap, drops and counts the rest, and writes them with the drained stats in one batch', () => {
    const store = new SqliteStore(join(dir, 'queue.db'));
    const stats = new Counts();
    const recorder = new Recorder(store, new FlaggedDomains(), null, 100_000, false, { maxQueries: 3, stats });
    for (let i = 0; i < 5; i++) {
      const entry = queryFixture({ ts: 6000 + i, name: `q${i}.test`, customer: 'acme' });
      recorder.logQuery(entry);
      stats.count(entry.ts, entry.customer, entry.action);
    }
    expect(recorder.pendingQueries).toBe(3);
    expect(recorder.stats.queriesDropped).toBe(2);
    expect(recorder.flush()).toBeNull();
    expect(recorder.pendingQueries).toBe(0);
    expect(stats.pending).toBe(0);
    expect(recorder.stats).toMatchObject({ flushes: 1, queriesWritten: 3, queriesFailed: 0 });
    expect(store.queryLog({ since: 6000 }, 10).entries.map((e) => e.name)).toEqual(['q2.test', 'q1.test', 'q0.test']);
    expect(store.stats({ since: 6000, until: 6060, step: 60, customer: 'acme' })[0]).toMatchObject({ queries: 5, blocked: 5 });
    // Nothing new: no batch at all.
    expect(recorder.flush()).toBeNull();
    expect(recorder.stats.flushes).toBe(1);
    store.close();
  });

  it('counts the entries of a failed batch as lost and sends its stats again with the next one', () => {
    const store = new SqliteStore(join(dir, 'failed.db'));
    // The hand-over of the writer thread: batches are taken now, their fate reported later (committed/failed).
    const handedOver: StoreBatch[] = [];
    const stats = new Counts();
    const recorder = new Recorder({ write: (b) => handedOver.push(b) }, new FlaggedDomains(), null, 100_000, true, { maxQueries: 100, stats });
    recorder.logQuery(queryFixture({ ts: 7000, name: 'lost.test' }));
    stats.count(7000, null, 'nxdomain');
    recorder.flush();
    recorder.failed('database or disk is full');
    expect(recorder.stats).toMatchObject({ errors: 1, queriesFailed: 1, queriesWritten: 0 });
    recorder.logQuery(queryFixture({ ts: 7001, name: 'kept.test' }));
    stats.count(7001, null, 'pass');
    recorder.flush();
    recorder.committed();
    expect(recorder.stats).toMatchObject({ queriesWritten: 1 });
    store.write(handedOver[1]!);
    expect(store.queryLog({ since: 7000 }, 10).entries.map((e) => e.name)).toEqual(['kept.test']);
    expect(store.stats({ since: 6960, until: 7020, step: 60 })[0]).toMatchObject({ queries: 2, blocked: 1 });
    store.close();
  });

  it('a batch the writer refuses at hand-over (its queue full) is that batch, not the oldest still in flight', () => {
    const store = new SqliteStore(join(dir, 'refused.db'));
    const handedOver: StoreBatch[] = [];
    let full = false;
    const stats = new Counts();
    const writer = {
      write: (b: StoreBatch) => {
        if (full) throw new Error('store writer: queue full');
        handedOver.push(b);
      },
    };
    const recorder = new Recorder(writer, new FlaggedDomains(), null, 100_000, true, { maxQueries: 100, stats });
    recorder.logQuery(queryFixture({ ts: 8000, name: 'first.test' }));
    stats.count(8000, null, 'nxdomain');
    recorder.flush();
    full = true;
    for (const ts of [8001, 8002]) {
      recorder.logQuery(queryFixture({ ts, name: `refused${ts}.test` }));
      stats.count(ts, null, 'nxdomain');
    }
    expect(recorder.flush()).toBeInstanceOf(Error);
    full = false;
    // The first batch commits after all: its rows count as written, and its stats are not sent again.
    recorder.committed();
    expect(recorder.stats).toMatchObject({ errors: 1, queriesFailed: 2, queriesWritten: 1 });
    recorder.flush();
    recorder.committed();
    for (const b of handedOver) store.write(b);
    // Three queries counted, each once: the refused batch's stats went with the next one.
    expect(store.stats({ since: 7980, until: 8040, step: 60 })[0]).toMatchObject({ queries: 3, blocked: 3 });
    store.close();
  });
});

describe('Recorder: flow exposures', () => {
  it('sums two increments of one client, domain and direction waiting for the same flush into one row', () => {
    const batches: StoreBatch[] = [];
    const recorder = new Recorder({ write: (b) => batches.push(b) }, new FlaggedDomains(), null, 100_000, false, { maxQueries: 10, stats: null });
    const base = {
      record: 'exposure' as const,
      client: '192.0.2.7',
      customer: null,
      address: '51.178.15.143',
      domain: 'login.evil-bank.com',
      network: null,
      direction: 'outbound' as const,
      sampled: false,
    };
    recorder.exposure({ ...base, first: '2026-12-05T16:00:00.000Z', last: '2026-12-05T16:00:05.000Z', flows: 2, bytes: 200, packets: 4, bypass: true, reason: 'bypass' });
    recorder.exposure({ ...base, first: '2026-12-05T16:10:00.000Z', last: '2026-12-05T16:10:05.000Z', flows: 1, bytes: 50, packets: 1, sampled: true, bypass: false, reason: 'looked up' });
    expect(recorder.pendingFindings).toBe(1);
    recorder.flush();
    expect(batches[0]?.exposures).toEqual([
      { ...base, first: '2026-12-05T16:00:00.000Z', last: '2026-12-05T16:10:05.000Z', flows: 3, bytes: 250, packets: 5, sampled: true, bypass: true, reason: 'bypass' },
    ]);
  });
});
