/**
 * The scheduled reports on a real SQLite store: files for two customers,
 * written atomically, a restart that neither repeats a period nor skips the
 * next, the one-period catch-up after downtime, and a failing customer
 * counted while the other is still written. The clock is the test's, so no
 * test waits for a boundary.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { CustomerMap } from '../../act/customers.js';
import { defaultConfig } from '../../config/schema.js';
import { CUSTOMERS, dayEntries, dayStats, seedStore, T0 } from '../../../test/helpers/report-store.js';
import { asyncStore, emptyBatch } from '../../store/store.js';
import type { ServeContext } from '../service.js';
import type { TransparencyReport } from './report.js';
import { reportsService, ReportsService } from './service.js';

const DAY = 86_400;
const root = mkdtempSync(join(tmpdir(), 'fluxhound-reports-'));
const store = seedStore(join(root, 'store.db'));
// The next two days too, so that every period has something in it.
for (const day of [1, 2, 3]) store.write({ ...emptyBatch(), queries: dayEntries(T0 + day * DAY).slice(0, 9), stats: dayStats(T0 + day * DAY).slice(0, 3) });
afterAll(() => store.close());

const registry = new Registry();

function context(config = defaultConfig()): ServeContext {
  return { config, customers: new CustomerMap(CUSTOMERS), store, reader: asyncStore(store), registry, log: pino({ level: 'silent' }) } as unknown as ServeContext;
}

function files(dir: string, customer: string): string[] {
  try {
    return readdirSync(join(dir, customer)).sort();
  } catch {
    return [];
  }
}

async function written(format: string): Promise<number> {
  const metric = await registry.getSingleMetric('fluxhound_reports_written_total')!.get();
  return metric.values.find((v) => v.labels.format === format)?.value ?? 0;
}

const FORMATS = ['html', 'csv', 'json'] as const;
const first = (ext: string) => `20261130T000000Z--20261201T000000Z.${ext}`;

describe('scheduled reports', () => {
  const dir = join(root, 'reports');
  let now = T0 + DAY + 30;
  const clock = () => now;

  it('writes nothing at a first start, then one file per customer and format at the boundary', async () => {
    const service = new ReportsService({ dir, interval: DAY, formats: FORMATS }, context(), clock);
    await service.start();
    await service.settled();
    expect(files(dir, 'acme')).toEqual([]);
    await service.run(); // what the timer does at the boundary
    await service.stop();
    expect(files(dir, 'acme')).toEqual([first('csv'), first('html'), first('json')]);
    expect(files(dir, 'globex')).toEqual([first('csv'), first('html'), first('json')]);
    const acme = JSON.parse(readFileSync(join(dir, 'acme', first('json')), 'utf8')) as TransparencyReport;
    expect(acme.period).toEqual({ since: '2026-11-30T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' });
    expect(acme.items.map((i) => `${i.kind} ${i.name}`)).toContain('blocked login.evil.example');
    const globex = JSON.parse(readFileSync(join(dir, 'globex', first('json')), 'utf8')) as TransparencyReport;
    expect(globex.customer.id).toBe('globex');
    expect(globex.items.map((i) => [i.name, i.count, i.device_list])).toEqual([['login.evil.example', 1, ['198.51.100.5']]]);
    expect(readFileSync(join(dir, 'acme', first('html')), 'utf8')).toMatch(/^<!doctype html>/);
    expect(readFileSync(join(dir, 'globex', first('csv')), 'utf8')).toMatch(/^customer,name,/);
    expect(await written('html')).toBe(2);
    expect(await written('json')).toBe(2);
  });

  it('resumes after a restart without writing the same period again', async () => {
    const before = statSync(join(dir, 'acme', first('json'))).mtimeMs;
    now = T0 + DAY + 3600;
    const service = new ReportsService({ dir, interval: DAY, formats: FORMATS }, context(), clock);
    await service.start();
    await service.settled();
    await service.run();
    await service.stop();
    expect(files(dir, 'acme')).toHaveLength(3);
    expect(statSync(join(dir, 'acme', first('json'))).mtimeMs).toBe(before);
    expect(await written('json')).toBe(2);
  });

  it('after downtime catches up the last complete period only, then follows on from it', async () => {
    now = T0 + 3 * DAY + 100;
    const service = new ReportsService({ dir, interval: DAY, formats: ['json'] }, context(), clock);
    await service.start();
    await service.settled();
    expect(files(dir, 'acme')).toEqual([first('csv'), first('html'), first('json'), '20261202T000000Z--20261203T000000Z.json']);
    const caught = JSON.parse(readFileSync(join(dir, 'acme', '20261202T000000Z--20261203T000000Z.json'), 'utf8')) as TransparencyReport;
    expect(caught.totals.blocked_names).toBe(3);
    now = T0 + 4 * DAY + 5;
    await service.run();
    await service.stop();
    expect(files(dir, 'globex').at(-1)).toBe('20261203T000000Z--20261204T000000Z.json');
    expect(files(dir, 'acme').some((f) => f.startsWith('20261201T'))).toBe(false);
    expect(files(dir, 'acme').some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('counts a customer it cannot write and still writes the others; the period is tried again', async () => {
    const other = join(root, 'blocked');
    const service = new ReportsService({ dir: other, interval: DAY, formats: ['json'] }, context(), clock);
    await service.start();
    await service.settled();
    writeFileSync(join(other, 'globex'), 'not a folder');
    const failures = async () => (await registry.getSingleMetric('fluxhound_reports_failures_total')!.get()).values[0]!.value;
    const before = await failures();
    now = T0 + 2 * DAY + 10;
    await service.run();
    expect(await failures()).toBe(before + 1);
    expect(files(other, 'acme')).toEqual(['20261201T000000Z--20261202T000000Z.json']);
    now = T0 + 3 * DAY + 10;
    await service.run();
    await service.stop();
    expect(await failures()).toBe(before + 2);
    expect(files(other, 'acme')).toEqual(['20261201T000000Z--20261202T000000Z.json', '20261202T000000Z--20261203T000000Z.json']);
  });

  it('is off without serve.reports.dir, and refuses to run without a store', () => {
    expect(reportsService.create({}, context())).toBeNull();
    const config = defaultConfig();
    config.serve.reports.dir = join(root, 'x');
    expect(() => reportsService.create({}, context(config))).toThrow(/^serve: serve.reports.dir needs the store/);
    expect(reportsService.create({ store: join(root, 'store.db') }, context(config))).toBeInstanceOf(ReportsService);
  });
});
