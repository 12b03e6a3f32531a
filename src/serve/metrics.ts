/**
 * The daemon's own metrics, in the one registry every service declares into:
 * what reached the detector, what the actions hold, which build runs, the
 * process itself (prom-client's standard process_* and nodejs_* families),
 * and how SIGHUP reloads went.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';

export interface DaemonMetrics {
  observations: Counter;
  skipped: Counter;
  flagEvents: Counter;
  reloads: Counter<'result'>;
}

/** Declares the daemon's families; `flagged` and `tracked` are read at scrape time. */
export interface DaemonReadings {
  flagged: () => number;
  tracked: () => number;
  /** Observations of the root or a public suffix, never scored (Detector.stats.publicSuffixes). */
  publicSuffixes: () => number;
  /** Verdicts FlaggedDomains refused because they name the root or a public suffix. */
  flaggedRefusedSuffixes: () => number;
  /** Threshold crossings not printed again because the store had restored that flag (Detector.stats.restoredFlags). */
  restoredFlags: () => number;
}

export function daemonMetrics(registry: Registry, live: DaemonReadings): DaemonMetrics {
  collectDefaultMetrics({ register: registry });
  // Gauges named *_total, which promtool rejects (a _total is a counter); nodejs_active_{handles,requests,resources}{type} hold the same by type.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  new Gauge({
    name: 'fluxhound_build_info',
    help: 'Always 1; the labels say which fluxhound and which Node.js run.',
    labelNames: ['version', 'node'],
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version }, 1);
  new Gauge({
    name: 'fluxhound_flagged_domains',
    help: 'Domains in the live flagged set the actions block.',
    registers: [registry],
    collect() {
      this.set(live.flagged());
    },
  });
  new Gauge({
    name: 'fluxhound_tracked_domains',
    help: 'Names and registered domains the detector holds state for.',
    registers: [registry],
    collect() {
      this.set(live.tracked());
    },
  });
  new Counter({
    name: 'fluxhound_detector_public_suffixes_total',
    help: 'Observations of the root or a public suffix (ICANN or private): never scored, never flagged.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(live.publicSuffixes());
    },
  });
  new Counter({
    name: 'fluxhound_flagged_refused_total',
    help: 'Verdicts the live flagged set refused, by reason (public_suffix: the domain or its registered domain is a public suffix or the root).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'public_suffix' }, live.flaggedRefusedSuffixes());
    },
  });
  new Counter({
    name: 'fluxhound_detector_restored_flags_total',
    help: 'Threshold crossings not emitted as flag events because the store restored that flag at start.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(live.restoredFlags());
    },
  });
  return {
    observations: new Counter({ name: 'fluxhound_observations_total', help: 'Live observations handed to the detector (every service).', registers: [registry] }),
    skipped: new Counter({ name: 'fluxhound_skipped_total', help: 'Live records skipped as malformed (logged with their position).', registers: [registry] }),
    flagEvents: new Counter({ name: 'fluxhound_flag_events_total', help: 'Flag events: a domain crossed a threshold or its flagged verdict changed.', registers: [registry] }),
    reloads: new Counter({
      name: 'fluxhound_config_reloads_total',
      help: 'SIGHUP reloads, by result: applied everywhere, or refused (nothing changed).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

let version: string | null = null;

/** The version in fluxhound's package.json (found above this file, in src/ or in dist/src/). */
export function packageVersion(): string {
  if (version !== null) return version;
  version = 'unknown';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fluxhound' && typeof pkg.version === 'string') return (version = pkg.version);
    } catch {
      // not here; one folder up
    }
  }
  return version;
}
