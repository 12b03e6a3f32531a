/**
 * Issue 12, defect 14: fluxhound_store_verdicts_written_total counted batches
 * the writer thread then failed to write ("database or disk is full"). The
 * built daemon runs with its writer thread and a store capped by
 * serve.store.maxBytes (SQLite max_page_count: SQLite itself refuses with
 * SQLITE_FULL, as on a full disk); what the metrics call written must be
 * what the database holds, failures are counted apart, and /health says 503.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, requireBuilt, ROOT } from './support/cli.js';
import { freePort, startDaemon, waitFor } from './support/daemon.js';
import { fetchWithToken, writeTokenFile } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-store-full-'));
const tokens = writeTokenFile(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`${name} missing from /metrics`);
  return Number(m[1]);
}

describe('a store that cannot write', () => {
  it('counts as written only the verdicts committed, counts the failed ones apart, and answers /health 503', async () => {
    requireBuilt();
    const db = join(dir, 'full.db');
    const config = join(dir, 'fluxhound.yaml');
    writeFileSync(config, 'serve:\n  store:\n    maxBytes: 65536\n    flushInterval: 200\n');
    const port = await freePort();
    const daemon = startDaemon(process.execPath, [
      CLI, 'serve', '-c', config, '--no-flags', '--log-level', 'warn',
      '--follow', join(ROOT, 'examples', 'example.dns.log'), '--store', db, '--http', `127.0.0.1:${port}`, '--api-tokens', tokens.file,
    ]);
    try {
      const url = `http://127.0.0.1:${port}`;
      const text = await waitFor('a failed store batch', async () => {
        const t = await (await fetchWithToken(`${url}/metrics`, tokens.read)).text();
        return metric(t, 'fluxhound_store_errors_total') >= 2 && metric(t, 'fluxhound_store_verdicts_failed_total') > 0 ? t : undefined;
      }, 20_000);
      const health = await fetchWithToken(`${url}/health`, tokens.read);
      expect(health.status).toBe(503);
      const body = (await health.json()) as { status: string; reasons: string[] };
      expect(body.status).toBe('unhealthy');
      expect(body.reasons).toEqual([expect.stringMatching(/^store: cannot write: database or disk is full$/)]);
      expect(metric(text, 'fluxhound_store_write_failing')).toBe(1);
      const written = metric(text, 'fluxhound_store_verdicts_written_total');
      const reader = new Database(db, { readonly: true });
      const stored = (reader.prepare('SELECT count(*) AS n FROM verdicts').get() as { n: number }).n;
      reader.close();
      expect(written).toBe(stored);
      expect(daemon.output()).toMatch(/store: write failed: database or disk is full/);
    } finally {
      await daemon.stop();
    }
  }, 40_000);
});
