/**
 * kill -9 at any moment: a child process writes batches as fast as it can;
 * it is killed mid-stream; the store must pass integrity_check and hold at
 * least every batch the child reported committed. Runs the built module
 * (npm test builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/daemon.js';
import { SqliteStore } from './sqlite-store.js';

const BUILT = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'store', 'sqlite', 'sqlite-store.js');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITER = `
import { SqliteStore } from ${JSON.stringify(BUILT)};
const store = new SqliteStore(process.argv[1]);
let batch = 0;
for (;;) {
  const tuples = [];
  for (let i = 0; i < 500; i++) tuples.push({ name: 'n' + batch + '.flux.test', type: 'A', data: '10.' + (i >> 8) + '.' + (i & 255) + '.1', firstSeen: batch, lastSeen: batch, count: 1, ttl: 5 });
  store.write({ tuples, domains: [{ name: 'n' + batch + '.flux.test', firstSeen: batch, lastSeen: batch, queries: 1 }], verdicts: [], networks: [], meta: { batch: String(batch) }, queries: [], stats: [], exposures: [], fanOuts: [] });
  batch++;
  process.stdout.write('committed ' + batch + '\\n');
}
`;

describe('SqliteStore under kill -9', () => {
  it.each([1, 2, 3])('is consistent and keeps every committed batch (run %i)', async (run) => {
    expect(existsSync(BUILT), `${BUILT} missing: run npm run build`).toBe(true);
    const path = join(dir, `crash-${run}.db`);
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // Kill at a different depth each run; never on a timer.
      await waitFor(`the writer to commit batches (stderr: ${err})`, () => out.split('\n').length > 20 * run, 30_000, 5);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const reported = Math.max(...[...out.matchAll(/committed (\d+)/g)].map((m) => Number(m[1])));
    const store = new SqliteStore(path);
    try {
      expect(store.check()).toBe('ok');
      const counts = store.counts();
      expect(counts.domains).toBeGreaterThanOrEqual(reported);
      // Batches are atomic: never part of one.
      expect(counts.tuples).toBe(counts.domains * 500);
      expect(Number(store.meta('batch'))).toBe(counts.domains - 1);
    } finally {
      store.close();
    }
  }, 60_000);
});
