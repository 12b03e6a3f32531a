import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Exposure } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import { emptyBatch } from '../../store/store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { ExposureIncrements } from './exposure-increments.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-increments-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_780_000_000;

/** A report as the analysis makes it: running totals of one tally (flows of 100 bytes, 2 packets), first..last. */
function report(flows: number, first: number, last: number, client = '192.0.2.7'): Exposure {
  return {
    record: 'exposure',
    client,
    customer: null,
    address: '51.178.15.143',
    domain: 'login.evil-bank.com',
    network: 'fn-1',
    first: isoTime(first),
    last: isoTime(last),
    flows,
    bytes: flows * 100,
    packets: flows * 2,
    sampled: false,
    direction: 'outbound',
    bypass: false,
    reason: `in ${flows} flows`,
  };
}

function stored(store: SqliteStore, client = '192.0.2.7'): Exposure | undefined {
  return store.exposures({ client }, 10).items[0];
}

describe('exposure increments into the store', () => {
  it('repeated reports of one tally store its exact totals, not their sum', () => {
    const store = new SqliteStore(join(dir, 'repeat.db'));
    const increments = new ExposureIncrements(100);
    for (const flows of [1, 3, 7]) store.write({ ...emptyBatch(), exposures: [increments.increment(report(flows, T0, T0 + flows))] });
    expect(stored(store)).toMatchObject({ flows: 7, bytes: 700, packets: 14, first: isoTime(T0), last: isoTime(T0 + 7) });
    store.close();
  });

  it('after the analysis evicts and restarts a tally, its new flows are added in full', () => {
    const store = new SqliteStore(join(dir, 'evict.db'));
    const increments = new ExposureIncrements(100);
    // 5 flows, evicted; the restarted tally counts 1, then 3 new flows (fewer than before: the max rule lost them).
    for (const r of [report(2, T0, T0 + 2), report(5, T0, T0 + 5), report(1, T0 + 100, T0 + 101), report(3, T0 + 100, T0 + 103)]) {
      store.write({ ...emptyBatch(), exposures: [increments.increment(r)] });
    }
    expect(stored(store)).toMatchObject({ flows: 8, bytes: 800, packets: 16, first: isoTime(T0), last: isoTime(T0 + 103) });
    // A restarted tally with as many flows as the last report, but a later first flow, is new too.
    store.write({ ...emptyBatch(), exposures: [increments.increment(report(4, T0 + 200, T0 + 204))] });
    store.write({ ...emptyBatch(), exposures: [increments.increment(report(4, T0 + 300, T0 + 304))] });
    expect(stored(store)?.flows).toBe(16);
    store.close();
  });

  it('after a daemon restart (a new analysis and a new map), the new flows are added to the stored ones', () => {
    const path = join(dir, 'restart.db');
    let store = new SqliteStore(path);
    let increments = new ExposureIncrements(100);
    for (const flows of [1, 6]) store.write({ ...emptyBatch(), exposures: [increments.increment(report(flows, T0, T0 + flows))] });
    store.close();
    store = new SqliteStore(path);
    increments = new ExposureIncrements(100);
    for (const flows of [1, 2]) store.write({ ...emptyBatch(), exposures: [increments.increment(report(flows, T0 + 3600, T0 + 3600 + flows))] });
    expect(stored(store)).toMatchObject({ flows: 8, bytes: 800, first: isoTime(T0), last: isoTime(T0 + 3602) });
    store.close();
  });

  it('is bounded: past its cap the least recently reported key is forgotten and counted', () => {
    const increments = new ExposureIncrements(2);
    increments.increment(report(1, T0, T0, '192.0.2.1'));
    increments.increment(report(1, T0, T0, '192.0.2.2'));
    increments.increment(report(1, T0, T0, '192.0.2.1'));
    increments.increment(report(1, T0, T0, '192.0.2.3'));
    expect(increments.size).toBe(2);
    expect(increments.forgotten).toBe(1);
    // 192.0.2.1 was reported again (recent): still known, so its same totals add nothing.
    expect(increments.increment(report(2, T0, T0 + 1, '192.0.2.1')).flows).toBe(1);
  });
});
