/**
 * A Daemon for in-process service tests: no enrichment data, no reference
 * lists, a silent log and no NDJSON out, unless the test says otherwise;
 * no services unless it gives their factories and flags.
 */
import { pino } from 'pino';
import type { Config } from '../../src/config/schema.js';
import { nullEnricher } from '../../src/enrich/index.js';
import { Daemon, type DaemonOptions } from '../../src/serve/daemon.js';

export function quietDaemon(config: Config, options: Partial<Omit<DaemonOptions, 'config'>> = {}): Daemon {
  return new Daemon({ config, enricher: nullEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {}, ...options });
}
