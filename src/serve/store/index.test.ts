import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { aResponse } from '../../../test/helpers/observations.js';
import { defaultConfig } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { queryFixture } from '../../store/store.case.js';
import { emptyBatch } from '../../store/store.js';
import type { Exposure, FanOut } from '../../model/flow.js';
import { isoTime } from '../../model/verdict.js';
import { waitFor } from '../../../test/support/daemon.js';
import { storeOptions, storeService } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-store-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function daemon(path: string, config = defaultConfig()): Daemon {
  return new Daemon({
    config,
    enricher: octetEnricher,
    infra: null,
    log: pino({ level: 'silent' }),
    out: null,
    factories: [storeService()],
    flags: { store: path },
  });
}

/** One rotating answer: 2 addresses in 2 new first octets (ASNs and countries of the octet enricher); `salt` keeps names apart. */
function rotation(name: string, step: number, ts: number, salt = 0) {
  const addresses = [0, 1].map((k) => `${((step * 2 + k) % 200) + 20}.${salt}.${step}.${k + 1}`);
  return aResponse(ts, name, addresses, 30);
}

describe('store service', () => {
  it('is on with the forwarder or an explicit --store, off with --no-store', () => {
    const ctx = daemon(join(dir, 'x.db')).context;
    expect(storeOptions({}, ctx)).toBeNull();
    expect(storeOptions({ dns: '127.0.0.1:5353' }, ctx)?.path).toBe('fluxhound.db');
    expect(storeOptions({ dns: '127.0.0.1:5353', store: false }, ctx)).toBeNull();
    expect(storeOptions({ store: 'a.db', retention: '2' }, ctx)).toMatchObject({ path: 'a.db', retention: 2 });
    expect(() => storeOptions({ store: 'a.db', retention: 'soon' }, ctx)).toThrow(/--retention/);
  });

  it('counts exposure and fan-out rows in fluxhound_store_rows{table}', async () => {
    const path = join(dir, 'findings.db');
    const t = Math.floor(Date.now() / 1000) - 600;
    const store = new SqliteStore(path);
    const exposure = (client: string): Exposure => ({
      record: 'exposure', client, customer: null, address: '51.178.15.143', domain: 'login.evil-bank.com', network: 'fn-1', first: isoTime(t), last: isoTime(t + 5),
      flows: 1, bytes: 100, packets: 2, sampled: false, direction: 'outbound', bypass: false, reason: `${client} connected to 51.178.15.143`,
    });
    const fanOut: FanOut = { record: 'fan-out', host: '192.0.2.66', customer: null, distinct: 250, flux: 0, window: 300, first: isoTime(t), last: isoTime(t + 200), flows: 300, reasons: ['250 distinct'] };
    store.write({ ...emptyBatch(), exposures: ['192.0.2.7', '192.0.2.8', '192.0.2.9'].map(exposure), fanOuts: [fanOut] });
    store.close();
    const d = daemon(path);
    await d.start();
    try {
      // Counted at start (the writer thread answers a little later), then every minute.
      await waitFor('the rows counted', async () => /^fluxhound_store_rows\{table="exposures"\} 3$/m.test(await d.metrics()));
      expect(await d.metrics()).toMatch(/^fluxhound_store_rows\{table="fanouts"\} 1$/m);
    } finally {
      await d.stop();
    }
  });

  it('keeps verdicts and detection windows across a restart', async () => {
    const path = join(dir, 'restart.db');
    const now = Date.now() / 1000;
    const first = daemon(path);
    await first.start();
    for (let step = 0; step < 8; step++) first.context.observations.observe(rotation('www.flux-one.test', step, now - 60 + step));
    // Half the evidence for a second name: not enough to flag on its own.
    first.context.observations.observe(rotation('cdn.flux-two.test', 0, now - 30, 1));
    expect(first.context.flagged.match('www.flux-one.test')?.verdict).toBe('fast-flux');
    expect(first.context.flagged.match('cdn.flux-two.test')).toBeNull();
    const serial = first.context.flagged.serial;
    await first.stop();

    const second = daemon(path);
    await second.start();
    try {
      expect(second.context.flagged.match('www.flux-one.test')?.verdict).toBe('fast-flux');
      expect(second.context.flagged.match('sub.www.flux-one.test')).not.toBeNull();
      expect(second.context.flagged.serial).toBeGreaterThan(serial);
      // The window of the second name survived: the rest of its evidence flags it now.
      for (let step = 1; step < 3; step++) second.context.observations.observe(rotation('cdn.flux-two.test', step, now - 30 + step, 1));
      const fresh = daemon(join(dir, 'fresh.db'));
      await fresh.start();
      for (let step = 1; step < 3; step++) fresh.context.observations.observe(rotation('cdn.flux-two.test', step, now - 30 + step, 1));
      await fresh.stop();
      expect(second.context.detector.tracked).toBeGreaterThan(0);
      expect(second.context.detector.stats.observations).toBeGreaterThan(2);
      expect(second.context.flagged.match('cdn.flux-two.test')?.verdict).toBe('fast-flux');
      expect(fresh.context.flagged.match('cdn.flux-two.test')?.verdict).not.toBe('fast-flux');
      expect(await second.metrics()).toMatch(/^fluxhound_store_restored_verdicts 1$/m);
    } finally {
      await second.stop();
    }
    const store = new SqliteStore(path);
    expect(store.check()).toBe('ok');
    expect(store.history('www.flux-one.test').length).toBeGreaterThanOrEqual(1);
    expect(store.domain('www.flux-one.test')?.queries).toBe(8);
    store.close();
  });

  it('records the query log and the per-minute stats, sets context.store while it runs, sweeps the query log by its own retention', async () => {
    const path = join(dir, 'querylog.db');
    const config = defaultConfig();
    config.serve.querylog.maxPending = 100;
    config.serve.querylog.retention = 1;
    const d = daemon(path, config);
    expect(d.context.store).toBeNull();
    await d.start();
    const now = Date.now() / 1000;
    try {
      expect(d.context.store).not.toBeNull();
      // Older than the query log's retention (1 day): the sweep at the next start removes it.
      d.context.logQuery(queryFixture({ ts: now - 3 * 86400, name: 'old.querylog.test' }));
      for (let i = 0; i < 150; i++) {
        const entry = queryFixture({ ts: now + i / 1000, name: `n${i}.querylog.test`, customer: 'acme', action: i % 2 === 0 ? 'nxdomain' : 'log' });
        d.context.logQuery(entry);
        d.context.queryStats.count(entry.ts, entry.customer, entry.action);
      }
      const metrics = await d.metrics();
      expect(metrics).toMatch(/^fluxhound_store_querylog_pending 100$/m);
      expect(metrics).toMatch(/^fluxhound_store_querylog_dropped_total 51$/m);
    } finally {
      await d.stop();
    }
    expect(d.context.store).toBeNull();
    expect(await d.metrics()).toMatch(/^fluxhound_store_querylog_written_total 100$/m);
    const store = new SqliteStore(path);
    const page = store.queryLog({ since: now - 4 * 86400 }, 1000);
    expect(page.entries.map((e) => e.name)).toEqual([...Array.from({ length: 99 }, (_, i) => `n${98 - i}.querylog.test`), 'old.querylog.test']);
    const minute = Math.floor(now / 60) * 60;
    const [point] = store.stats({ since: minute, until: minute + 120, step: 120, customer: 'acme' });
    expect(point).toMatchObject({ queries: 150, blocked: 75, logged: 75 });
    store.close();

    const again = daemon(path, config);
    await again.start();
    await again.stop();
    expect(await again.metrics()).toMatch(/^fluxhound_store_querylog_swept_rows_total 1$/m);
    const swept = new SqliteStore(path);
    expect(swept.queryLog({ since: now - 4 * 86400 }, 1000).entries).toHaveLength(99);
    swept.close();
  });
});
