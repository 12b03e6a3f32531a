/**
 * A Daemon (src/serve/daemon.ts) with its detector on real worker threads
 * (dist's compiled worker.js: tests run from the TypeScript sources), its
 * NDJSON output collected. For the tests of serve --workers beside the code.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import { createEnricher } from '../../src/enrich/index.js';
import type { Verdict } from '../../src/model/verdict.js';
import { Daemon } from '../../src/serve/daemon.js';
import type { ServiceFactory } from '../../src/serve/service.js';
import { ROOT } from './cli.js';

/** The bundled ASN and country tables, which the workers load too (their recipe names no .mmdb). */
export const BUNDLED = await createEnricher({});

export const WORKER = pathToFileURL(join(ROOT, 'dist', 'src', 'detect', 'parallel', 'worker.js'));

export interface WorkerDaemonOptions {
  config?: Config;
  configPath?: string;
  workerUrl?: URL;
  /** Worker threads; 1: one Detector in this thread (the comparison). Default 2. */
  count?: number;
  factories?: readonly ServiceFactory[];
  flags?: Record<string, unknown>;
  askMs?: number;
  /** Default true: only services hand flows (none here), so the workers get no flows. */
  flowsFromServicesOnly?: boolean;
}

export function daemonOnWorkers(options: WorkerDaemonOptions = {}): { daemon: Daemon; lines: () => Verdict[]; log: () => string } {
  const config = options.config ?? defaultConfig();
  let text = '';
  let logged = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logged += String(chunk);
      done();
    },
  });
  const daemon = new Daemon({
    config,
    enricher: BUNDLED,
    infra: null,
    log: pino({ level: 'info' }, logStream),
    out,
    factories: options.factories ?? [],
    flags: options.flags ?? {},
    configPath: options.configPath,
    flowsFromServicesOnly: options.flowsFromServicesOnly ?? true,
    workers: {
      count: options.count ?? 2,
      recipe: { config, reference: false, intelSpecs: [], baseline: null, reportBenign: false },
      workerUrl: options.workerUrl ?? WORKER,
      askMs: options.askMs,
    },
  });
  const lines = (): Verdict[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Verdict);
  return { daemon, lines, log: () => logged };
}

/** Polls check every 20 ms until it holds; throws after 20 s. */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
