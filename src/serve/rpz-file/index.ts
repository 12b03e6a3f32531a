/**
 * `serve --rpz-file PATH`: the RPZ zone of the live flagged set, rewritten
 * atomically within a second of each change, for resolvers that load a file
 * (Unbound zonefile, Knot Resolver policy.rpz, PowerDNS rpzFile).
 * Flagged domains quiet for longer than policy.expiry are swept out.
 */
import type { Command } from 'commander';
import { buildRpzZone, emptyBuildStats, nextSerial, rpzOptionsOf, type RpzBuildStats, type RpzOptions } from '../../act/rpz/zone.js';
import { liveAllowlist, withNames } from '../../act/rpz/allowlist.js';
import { checkWritable, existingSerial, writeZoneFile } from '../../act/rpz/zone-file.js';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../model/errors.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { rpzFileMetrics } from './metrics.js';
import { dataTime, DebouncedWrite, sweepExpired, sweepInterval } from './writer.js';

/** At most one write per second, whatever the rate of changes. */
export const WRITE_DELAY_MS = 1000;

export const rpzFileService: ServiceFactory = {
  name: 'rpz-file',
  addOptions(command: Command) {
    command.option('--rpz-file <path>', 'keep an RPZ zone file of the flagged domains at PATH (atomic rewrite within 1 s of a change; config: rpz, policy)');
  },
  create(flags, context) {
    if (typeof flags.rpzFile !== 'string') return null;
    return new RpzFileService(flags.rpzFile, context);
  },
};

export class RpzFileService implements Service {
  readonly name = 'rpz-file';
  private options: RpzOptions;
  private serial: number | null = null;
  private stats: RpzBuildStats = emptyBuildStats();
  private records = 0;
  private expired = 0;
  private readonly writer: DebouncedWrite;
  private unsubscribe: (() => void) | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    private readonly context: ServeContext,
    delayMs = WRITE_DELAY_MS,
  ) {
    // Config problems (a bad origin, sinkhole name or allowlist file) fail here, at start-up.
    this.options = rpzOptionsOf(context.config);
    this.writer = new DebouncedWrite(() => this.write(), delayMs, (err) => context.log.error({ service: this.name }, err.message));
    rpzFileMetrics(context.registry, {
      writes: () => this.writer.writes,
      writeErrors: () => this.writer.errors,
      records: () => this.records,
      serial: () => this.serial ?? 0,
      invalidNames: () => this.stats.invalidNames,
      skippedAddresses: () => this.stats.skippedAddresses,
      expired: () => this.expired,
    });
  }

  async start(): Promise<void> {
    try {
      checkWritable(this.path);
    } catch (err) {
      throw new UsageError(`rpz-file: ${(err as Error).message}`);
    }
    this.serial = existingSerial(this.path);
    // A resolver starting with us finds a zone at once, even an empty one.
    await this.writer.writeNow();
    this.unsubscribe = this.context.flagged.onChange(() => this.writer.schedule());
    const expiry = this.context.config.policy.expiry;
    this.sweeper = setInterval(() => this.sweep(), sweepInterval(expiry));
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.writer.flush();
  }

  /**
   * SIGHUP: the zone options of the next config (a name that is not a name is
   * refused here, so the whole reload is), with its allowlist files re-read;
   * committed, the zone is rewritten at once.
   */
  async prepareReload(next: Config): Promise<() => void> {
    const options = rpzOptionsOf(next);
    return () => {
      this.options = options;
      void this.writer.flush(true);
    };
  }

  /** Expiry at `now` (seconds since the epoch; default data time); returns how many flagged domains went. */
  sweep(now = dataTime(this.context.flagged)): number {
    const gone = sweepExpired(this.context.flagged, this.context.config.policy.expiry, now);
    this.expired += gone;
    return gone;
  }

  /** Waits for any pending write (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  private async write(): Promise<void> {
    const { flagged } = this.context;
    const serial = nextSerial(this.serial, flagged.serial);
    const stats = emptyBuildStats();
    // The operator's managed allow entries (src/serve/lists/) are PASSTHRU too.
    const options = { ...this.options, allowlist: withNames(this.options.allowlist, liveAllowlist(this.context.config).managed) };
    const zone = buildRpzZone(flagged.entries(), options, serial, stats);
    await writeZoneFile(this.path, zone);
    this.serial = serial;
    this.stats = stats;
    this.records = zone.records.length;
    this.context.log.debug({ service: this.name, serial, records: zone.records.length }, 'zone written');
  }
}
