/**
 * `serve --stix FILE` and `serve --misp-feed DIR`: the daemon keeps what it
 * shares current. Each is rewritten atomically (temp + rename) from the
 * flagged set and the detector's flux networks when the flagged serial
 * moves, at most once per WRITE_DELAY_MS (a change after a quiet spell is
 * written at once), at start-up and at stop. The same state gives the same
 * bytes (the builders' ids and times come from the data).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeMispFeed } from '../../act/misp/sink.js';
import { checkWritable, writeFileAtomic } from '../../act/rpz/zone-file.js';
import { stixTextParts } from '../../act/stix/bundle.js';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import { DebouncedWrite } from '../rpz-file/writer.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { runStepsYielding } from '../slices.js';
import { liveMispFeedSteps, liveStixBundleSteps, mispOptionsOf, stixOptionsOf, type LiveFindings } from './live.js';
import { mispFeedMetrics, stixFileMetrics, type ShareReadings } from './metrics.js';

/**
 * At most one rewrite per 10 s: a bundle of thousands of names takes seconds
 * of CPU to build (README, Cost; in slices, so the event loop stays free),
 * and partners poll these files on minutes, not seconds.
 */
export const WRITE_DELAY_MS = 10_000;

/** One rewrite: build from the live state, write, and say what was written. */
type Rewrite = (live: LiveFindings, config: Config) => Promise<{ items: number; held: number }>;

export const stixFileService: ServiceFactory = {
  name: 'stix-file',
  addOptions(command: Command) {
    command.option('--stix <file>', 'keep a STIX 2.1 bundle of the findings at FILE (atomic rewrite at most every 10 s after a change, and at stop; config: stix)');
  },
  create(flags, context) {
    return typeof flags.stix === 'string' ? stixFile(flags.stix, context) : null;
  },
};

/** The --stix service for `path` (`delayMs` between rewrites: tests shorten it). */
export function stixFile(path: string, context: ServeContext, delayMs = WRITE_DELAY_MS): SharedFileService {
  const rewrite: Rewrite = async (live, config) => {
    // Built in slices and serialised an object at a time as it is written: DNS answers never wait for a whole rewrite.
    const { bundle, held } = await runStepsYielding(liveStixBundleSteps(live, stixOptionsOf(config)));
    await writeFileAtomic(path, stixTextParts(bundle));
    return { items: bundle.objects.reduce((n, o) => n + (o.type === 'indicator' ? 1 : 0), 0), held };
  };
  return new SharedFileService('stix-file', context, () => checkWritable(path), rewrite, delayMs);
}

export const mispFeedService: ServiceFactory = {
  name: 'misp-feed',
  addOptions(command: Command) {
    command.option('--misp-feed <dir>', 'keep a MISP feed directory of the findings at DIR (events, manifest.json, hashes.csv; rewritten at most every 10 s after a change, and at stop; config: misp)');
  },
  create(flags, context) {
    return typeof flags.mispFeed === 'string' ? mispFeed(flags.mispFeed, context) : null;
  },
};

/** The --misp-feed service for `dir`. */
export function mispFeed(dir: string, context: ServeContext, delayMs = WRITE_DELAY_MS): SharedFileService {
    // The directory may not exist yet (a fresh web root): writeMispFeed creates it; an existing one is probed.
    const check = (): void => {
      if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
      if (existsSync(dir)) checkWritable(join(dir, 'manifest.json'));
    };
    // The allowlist files are read once per config (start, each SIGHUP), not on every rewrite.
    const options = new WeakMap<Config, ReturnType<typeof mispOptionsOf>>();
    const rewrite: Rewrite = async (live, config) => {
      let settings = options.get(config);
      if (settings === undefined) options.set(config, (settings = mispOptionsOf(config, context.infra ?? null)));
      const { feed, held } = await runStepsYielding(liveMispFeedSteps(live, settings));
      await writeMispFeed(dir, feed);
      return { items: feed.events.length, held };
    };
    return new SharedFileService('misp-feed', context, check, rewrite, delayMs);
}

export class SharedFileService implements Service {
  private readonly writer: DebouncedWrite;
  private unsubscribe: (() => void) | null = null;
  private config: Config;
  private readonly live: LiveFindings;
  readonly readings = { items: 0, held: 0, lastWriteMs: 0 };
  /** Why the last rewrite failed; null once one succeeds. */
  private failure: string | null = null;

  constructor(
    readonly name: 'stix-file' | 'misp-feed',
    private readonly context: ServeContext,
    private readonly check: () => void,
    private readonly rewrite: Rewrite,
    delayMs = WRITE_DELAY_MS,
  ) {
    this.config = context.config;
    this.live = { flagged: context.flagged, networks: () => context.detector.networks.summaries() };
    this.writer = new DebouncedWrite(() => this.write(), delayMs, (err) => {
      this.failure = err.message;
      context.log.error({ service: name }, err.message);
    });
    const readings: ShareReadings = {
      writes: () => this.writer.writes,
      writeErrors: () => this.writer.errors,
      items: () => this.readings.items,
      lastWriteSeconds: () => this.readings.lastWriteMs / 1000,
      held: () => this.readings.held,
    };
    (name === 'stix-file' ? stixFileMetrics : mispFeedMetrics)(context.registry, readings);
  }

  async start(): Promise<void> {
    try {
      this.check();
    } catch (err) {
      throw new UsageError(`${this.name === 'stix-file' ? 'serve: --stix' : 'serve: --misp-feed'}: ${(err as Error).message}`);
    }
    // A partner fetching as we start finds a file at once (the store's restored findings, or an empty one).
    await this.writer.writeNow();
    this.unsubscribe = this.context.flagged.onChange(() => this.writer.schedule());
  }

  /** The last state goes out at stop: verdicts updated since the last change (last seen, score) are written too. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.writer.flush(true);
  }

  /** SIGHUP: the next config's producer, marking and allowlist files (read now; a bad file refuses the reload); rewritten at once. */
  async prepareReload(next: Config): Promise<() => void> {
    stixOptionsOf(next);
    mispOptionsOf(next, null);
    return () => {
      this.config = next;
      void this.writer.flush(true);
    };
  }

  health(): string | null {
    return this.failure === null ? null : `${this.name}: the last rewrite failed: ${this.failure}`;
  }

  /** Waits for any pending rewrite (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  private async write(): Promise<void> {
    const started = performance.now();
    const { items, held } = await this.rewrite(this.live, this.config);
    this.readings.items = items;
    this.readings.held = held;
    this.readings.lastWriteMs = Math.round(performance.now() - started);
    this.failure = null;
    this.context.log.debug({ service: this.name, items, held, ms: this.readings.lastWriteMs }, 'rewritten');
  }
}
