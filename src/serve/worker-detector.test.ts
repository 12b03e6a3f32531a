/**
 * The daemon with its detector on two real worker threads (dist's compiled
 * worker.js, as test/parallel.test.ts): a flux name's flag reaches the
 * flagged set and the NDJSON output; a flag restored from the store is not
 * raised again; current() answers from the workers' verdicts; stop drains
 * (nothing left unexamined). What the daemon changes in the workers, and
 * what it asks all of them, is in worker-live.test.ts.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../model/verdict.js';
import { rotateFlux } from '../../test/helpers/observations.js';
import { requireBuilt } from '../../test/support/cli.js';
import { daemonOnWorkers, until, WORKER } from '../../test/support/worker-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-worker-detector-'));
beforeAll(() => requireBuilt());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Math.floor(Date.now() / 1000) - 7200;

describe('serve with the detector on worker threads', () => {
  it('flags from workers reach the flagged set; restored flags stay quiet; stop drains', async () => {
    const { daemon, lines } = daemonOnWorkers();
    expect(daemon.workers).not.toBeNull();
    await daemon.start();
    try {
      const observe = (o: Parameters<typeof daemon.context.observations.observe>[0]): void => daemon.context.observations.observe(o);
      // Restored from the store before the restart: its flag event went out then.
      daemon.context.detector.rememberFlag({ domain: 'www.flux-b.example', verdict: 'fast-flux', first_flagged: null } as unknown as Verdict);
      rotateFlux(observe, T, 'www.flux-a.example', '192.0.2.1');
      rotateFlux(observe, T + 10, 'www.flux-b.example', '192.0.2.2');
      await until(() => daemon.context.flagged.match('www.flux-a.example') !== null, 'a worker flag in the flagged set');
      await until(() => daemon.workers!.backlog === 0, 'the workers past every observation');
      expect(lines().some((v) => v.domain === 'www.flux-a.example' && v.verdict === 'fast-flux')).toBe(true);
      expect(lines().filter((v) => v.domain === 'www.flux-b.example')).toEqual([]);
      expect(daemon.context.detector.stats.restoredFlags).toBe(1);
      expect(daemon.context.detector.current('www.flux-a.example')).toMatchObject({ domain: 'www.flux-a.example', verdict: 'fast-flux' });
      expect(await daemon.workers!.refresh('www.flux-a.example')).toMatchObject({ verdict: 'fast-flux' });
      expect(daemon.stats.observations).toBe(24);
      expect(daemon.context.detector.stats.observations).toBe(24);
      // Handed on just before stop: examined before the workers go.
      rotateFlux(observe, T + 20, 'www.flux-c.example', '192.0.2.3');
    } finally {
      await daemon.stop();
    }
    expect(daemon.workers!.backlog).toBe(0);
    expect(lines().some((v) => v.domain === 'www.flux-c.example')).toBe(true);
  }, 60_000);

  it('says on GET /health when a worker thread dies, and DNS goes on (observations pass the detector by)', async () => {
    // The real worker, which exits once it has started: as a crash of the thread would.
    const dying = join(dir, 'dying-worker.mjs');
    writeFileSync(dying, `import ${JSON.stringify(WORKER.href)};\nsetTimeout(() => process.exit(3), 300);\n`);
    const { daemon } = daemonOnWorkers({ workerUrl: pathToFileURL(dying) });
    await daemon.start();
    try {
      expect(daemon.health()).toEqual([]);
      await until(() => daemon.health().some((r) => r.startsWith('detector: a worker thread failed')), 'the health reason');
      expect(daemon.health().join('\n')).toMatch(/exited \(3\)/);
      // The answer path does not throw: the observation passes the detector by.
      expect(daemon.context.detector.room?.()).toBe(false);
    } finally {
      await daemon.stop();
    }
  });
});
