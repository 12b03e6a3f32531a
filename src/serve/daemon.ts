/**
 * The daemon in one function: build the detector and the live flagged set,
 * start every configured service, print each flag as NDJSON the moment it
 * happens, and stop cleanly on SIGTERM/SIGINT (SIGHUP reloads).
 */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { FlaggedDomains } from '../act/flagged.js';
import { runInSlices } from './slices.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { Detector } from '../detect/detector.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Infra } from '../enrich/infra/index.js';
import type { DnsObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import type { ServeContext, Service, ServiceFactory } from './service.js';

export interface DaemonOptions {
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
  log: Logger;
  /** Flag events as NDJSON, one line each, written as they happen; null for none. */
  out: Writable | null;
  factories: readonly ServiceFactory[];
  flags: Record<string, unknown>;
  /** The config file, re-read on SIGHUP; undefined when running on defaults. */
  configPath?: string;
  /** Names that must never be blocked. */
  isAllowed?: (name: string) => boolean;
}

/** How often the flagged set is refreshed from the detector, milliseconds. */
const REFRESH_MS = 30_000;

export interface DaemonStats {
  observations: number;
  skipped: number;
  flagEvents: number;
}

export class Daemon {
  readonly context: ServeContext;
  readonly services: Service[] = [];
  readonly stats: DaemonStats = { observations: 0, skipped: 0, flagEvents: 0 };
  private running = false;
  private refresher: NodeJS.Timeout | null = null;
  private refreshing = false;

  constructor(private readonly options: DaemonOptions) {
    const flagged = new FlaggedDomains({ isAllowed: options.isAllowed });
    const onVerdict = (v: Verdict): void => {
      if (!flagged.upsert(v)) return;
      this.stats.flagEvents++;
      options.out?.write(JSON.stringify(v) + '\n');
    };
    const detector = new Detector({
      config: options.config,
      enricher: options.enricher,
      infra: options.infra,
      onFlag: onVerdict,
      onFinal: onVerdict,
    });
    const stats = this.stats;
    const log = options.log;
    const observers = new Set<(o: DnsObservation) => void>();
    this.context = {
      config: options.config,
      registry: new Registry(),
      detector,
      flagged,
      log,
      observations: {
        observe(o) {
          stats.observations++;
          detector.observe(o);
          flagged.touch(o.qname, o.ts);
          for (const observer of observers) observer(o);
        },
        skip(s) {
          stats.skipped++;
          log.warn({ format: s.format, file: s.position.file, position: s.position.line }, `skipped: ${s.reason}`);
        },
      },
    };
    this.context.metrics = () => this.metrics();
    this.context.onObservation = (listener) => {
      observers.add(listener);
      return () => observers.delete(listener);
    };
    for (const factory of options.factories) {
      const service = factory.create(options.flags, this.context);
      if (service !== null) this.services.push(service);
    }
  }

  /** Starts every service; if one fails, the ones already started are stopped and the error is passed on. */
  async start(): Promise<void> {
    const started: Service[] = [];
    try {
      for (const service of this.services) {
        await service.start();
        started.push(service);
      }
    } catch (err) {
      for (const service of started.reverse()) await service.stop().catch(() => undefined);
      throw err;
    }
    this.running = true;
    this.refresher = setInterval(() => this.refreshInSlices(), REFRESH_MS);
    this.refresher.unref();
  }

  /**
   * Re-reads every flagged domain the detector still tracks, so the
   * evidence the actions use (addresses for the IP blocklist and rpz-ip,
   * name servers for rpz-nsdname) follows the flux as it rotates. Flag
   * events (NDJSON on stdout) stay one per threshold crossing.
   */
  refreshFlagged(): number {
    let changed = 0;
    for (const v of [...this.context.flagged.entries()]) if (this.refreshOne(v.domain)) changed++;
    return changed;
  }

  /**
   * refreshFlagged as the timer runs it: the same work in slices of at most
   * REFRESH_SLICE_MS on setImmediate, so queries arriving meanwhile wait for
   * one slice, not for the whole set. A domain dropped between two slices
   * (expiry, allowlist) is not brought back. A call while one is under way
   * changes nothing (done(0)).
   */
  refreshInSlices(done?: (changed: number) => void): void {
    if (this.refreshing) {
      done?.(0);
      return;
    }
    this.refreshing = true;
    // Re-scoring a flagged domain costs tens of microseconds: a thousand in one go would hold every DNS answer for tens of ms.
    const domains = Array.from(this.context.flagged.entries(), (v) => v.domain);
    let next = 0;
    let changed = 0;
    runInSlices(
      () => {
        if (next >= domains.length) return false;
        const domain = domains[next++]!;
        if (this.context.flagged.lastActive(domain) !== null && this.refreshOne(domain)) changed++;
        return true;
      },
      () => this.running,
      () => {
        this.refreshing = false;
        done?.(changed);
      },
    );
  }

  /** Re-scores one flagged domain; true when its flagged verdict changed. */
  private refreshOne(domain: string): boolean {
    const now = this.context.detector.current(domain);
    return now !== null && now.verdict !== 'benign' && this.context.flagged.upsert(now);
  }

  /**
   * SIGHUP: re-read the config file (when one was given) into the shared
   * config, so thresholds, weights and policy actions apply from the next
   * lookup on; then let every service re-read its own files. A bad file is
   * logged and the running config kept. Listen addresses and the store path
   * take a restart.
   */
  async reload(): Promise<void> {
    if (this.options.configPath !== undefined) {
      try {
        const next = loadConfig(this.options.configPath, {});
        // Section by section, in place: parts of the daemon hold a section (the allowlist holds `policy`).
        const config = this.options.config as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(next)) {
          const current = config[key];
          if (typeof current === 'object' && current !== null && typeof value === 'object' && value !== null) Object.assign(current, value);
          else config[key] = value;
        }
        this.options.log.info({ config: this.options.configPath }, 'config reloaded');
      } catch (err) {
        this.options.log.error({ config: this.options.configPath }, `config reload failed, keeping the running config: ${(err as Error).message}`);
      }
    }
    for (const service of this.services) {
      try {
        await service.reload?.();
      } catch (err) {
        this.options.log.error({ service: service.name }, `reload failed: ${(err as Error).message}`);
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.refresher !== null) clearInterval(this.refresher);
    for (const service of [...this.services].reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.options.log.error({ service: service.name }, `stop failed: ${(err as Error).message}`);
      }
    }
  }

  /** Prometheus text of the registry, plus the daemon's own counters and what services still print themselves. */
  async metrics(): Promise<string> {
    const lines = [
      '# TYPE fluxhound_observations_total counter',
      `fluxhound_observations_total ${this.stats.observations}`,
      '# TYPE fluxhound_skipped_total counter',
      `fluxhound_skipped_total ${this.stats.skipped}`,
      '# TYPE fluxhound_flag_events_total counter',
      `fluxhound_flag_events_total ${this.stats.flagEvents}`,
      '# TYPE fluxhound_flagged_domains gauge',
      `fluxhound_flagged_domains ${this.context.flagged.size}`,
      '# TYPE fluxhound_tracked_domains gauge',
      `fluxhound_tracked_domains ${this.context.detector.tracked}`,
    ];
    for (const service of this.services) lines.push(...(service.metrics?.() ?? []));
    return (await this.context.registry.metrics()) + lines.join('\n') + '\n';
  }
}

/** Runs until SIGTERM or SIGINT; SIGHUP reloads. Resolves after a clean stop. */
export async function runUntilSignalled(daemon: Daemon, log: Logger): Promise<void> {
  let signalled: (signal: string) => void = () => undefined;
  const signal = new Promise<string>((resolve) => (signalled = resolve));
  // Installed before start: a service may work for a while during start (a followed file's history).
  const onTerm = (): void => signalled('SIGTERM');
  const onInt = (): void => signalled('SIGINT');
  const onHup = (): void => {
    log.info('SIGHUP: reloading');
    void daemon.reload();
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);
  try {
    await daemon.start();
    log.info({ services: daemon.services.map((s) => s.name) }, 'fluxhound serve started');
    log.info({ signal: await signal }, 'stopping');
    await daemon.stop();
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('SIGHUP', onHup);
  }
}
