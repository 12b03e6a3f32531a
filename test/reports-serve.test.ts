/**
 * Scheduled reports inside a real daemon: the store service opens the
 * SQLite file and hands it over (context.store), the reports service
 * (registered in serve/registry.ts) catches up the missed period on start
 * and writes the customer's report into the folder. Real clock: the test
 * tolerates an hour boundary passing while it runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { serviceFactories } from '../src/serve/registry.js';
import type { TransparencyReport } from '../src/serve/reports/index.js';
import { fileStamp } from '../src/serve/reports/period.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { emptyBatch } from '../src/store/store.js';
import { waitFor } from './support/daemon.js';
import { quietDaemon } from './support/quiet-daemon.js';
import { entry } from './helpers/report-store.js';

const HOUR = 3600;

describe('serve with serve.reports.dir', () => {
  it('writes the missed period of each customer at start, from the store the store service opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-reports-serve-'));
    const storePath = join(dir, 'state.db');
    const reports = join(dir, 'reports');
    const boundary = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
    // One block in the last complete hour and one in the current hour (in case the hour turns before the service starts).
    const store = new SqliteStore(storePath);
    store.write({
      ...emptyBatch(),
      queries: [
        entry(boundary - HOUR / 2, '192.0.2.7', 'acme', 'before.evil.example', 'sinkhole'),
        entry(boundary + HOUR / 2, '192.0.2.7', 'acme', 'after.evil.example', 'sinkhole'),
      ],
    });
    store.close();
    // acme was reported up to the hour before: that hour is due. globex was never reported: it waits for the next boundary.
    mkdirSync(join(reports, 'acme'), { recursive: true });
    writeFileSync(join(reports, 'acme', `${fileStamp(boundary - 2 * HOUR)}--${fileStamp(boundary - HOUR)}.json`), '{}');
    const configPath = join(dir, 'fluxhound.yaml');
    writeFileSync(
      configPath,
      [
        'customers:',
        '  - {id: acme, name: ACME, networks: [192.0.2.0/24]}',
        '  - {id: globex, name: Globex, networks: [198.51.100.0/24]}',
        'serve:',
        '  reports:',
        `    dir: ${JSON.stringify(reports)}`,
        `    interval: ${HOUR}`,
        '    formats: [json, csv]',
        '',
      ].join('\n'),
    );
    const daemon = quietDaemon(loadConfig(configPath), { factories: serviceFactories, flags: { store: storePath } });
    expect(daemon.services.map((s) => s.name)).toEqual(expect.arrayContaining(['store', 'reports']));
    await daemon.start();
    try {
      const written = await waitFor('the catch-up report', () => {
        const files = readdirSync(join(reports, 'acme')).filter((f) => f.endsWith('.json') && !f.endsWith(`--${fileStamp(boundary - HOUR)}.json`));
        return files.length === 1 && readdirSync(join(reports, 'acme')).some((f) => f.endsWith('.csv')) ? files[0] : undefined;
      });
      const report = JSON.parse(readFileSync(join(reports, 'acme', written), 'utf8')) as TransparencyReport;
      expect(written).toBe(`${fileStamp(Date.parse(report.period.since) / 1000)}--${fileStamp(Date.parse(report.period.until) / 1000)}.json`);
      // The hour that was due (or, if the hour turned meanwhile, the one after it).
      const turned = report.period.since !== new Date((boundary - HOUR) * 1000).toISOString();
      expect(report.items.map((i) => i.name)).toEqual([turned ? 'after.evil.example' : 'before.evil.example']);
      expect(readdirSync(reports).sort()).toEqual(['acme']);
      const metric = await daemon.context.registry.getSingleMetric('fluxhound_reports_written_total')!.get();
      expect(metric.values.map((v) => [v.labels.format, v.value]).sort()).toEqual([
        ['csv', 1],
        ['json', 1],
      ]);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: await daemon.context.registry.metrics(), encoding: 'utf8', timeout: 10_000 });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      await daemon.stop();
    }
  });
});
