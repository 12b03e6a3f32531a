/**
 * The 'rpz-server' service: serves the live RPZ (built from the flagged
 * domains by src/act/rpz/zone.ts) to secondaries over AXFR/IXFR, with
 * NOTIFY and TSIG. The zone is rebuilt shortly after the flagged set
 * changes, bursts of changes sharing one build.
 */
import type { Command } from 'commander';
import { liveAllowlist, withNames } from '../../act/rpz/allowlist.js';
import { buildRpzZone, emptyBuildStats, nextSerial, rpzOptionsOf } from '../../act/rpz/zone.js';
import type { RpzOptions } from '../../act/rpz/zone.js';
import type { RpzZone } from '../../act/rpz/types.js';
import type { Config } from '../../config/schema.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { parseFlags, readKeyFile } from './options.js';
import type { RpzServerFlags } from './options.js';
import { RpzServer } from './server.js';
import { netGovernor } from '../net/index.js';

export { RpzServer } from './server.js';

/** Milliseconds between a change of the flagged set and the rebuild (more changes in between share it). */
const REBUILD_DELAY_MS = 100;
/**
 * Fewest milliseconds between two rebuilds: a flood of flags costs one build a second at most,
 * and the serial (Unix time, below) never runs ahead of the clock by more than a second.
 */
const MIN_REBUILD_INTERVAL_MS = 1000;

export const rpzServerService: ServiceFactory = {
  name: 'rpz-server',
  addOptions(command: Command): void {
    command
      .option('--rpz-server <addr:port>', 'serve the RPZ to secondaries (SOA, AXFR, IXFR over TCP; SOA over UDP) on ADDRESS:PORT')
      .option('--rpz-notify <addr:port...>', 'secondaries to NOTIFY when the zone changes (port 53 when left out)')
      .option('--rpz-allow <cidr...>', 'who may transfer the RPZ (default loopback; required for a non-loopback --rpz-server)')
      .option('--tsig-key <name:secret>', 'TSIG key (hmac-sha256, base64 secret) required for transfers and used to sign NOTIFY')
      .option('--tsig-key-file <file>', 'the TSIG key from a BIND key file, as tsig-keygen writes it (re-read on SIGHUP)');
  },
  create(flags: Record<string, unknown>, context: ServeContext): Service | null {
    const parsed = parseFlags(flags);
    if (parsed === null) return null;
    return new LiveRpzServer(parsed, context);
  },
};

/** The server plus what keeps its zone current: the flagged set's onChange → a rebuild → setZone (journal, NOTIFY). */
class LiveRpzServer implements Service {
  readonly name = 'rpz-server';
  private readonly server: RpzServer;
  private rpzOptions: RpzOptions;
  private serial: number;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastBuild = 0;
  /** The flagged set's serial the served zone was built from. */
  private builtFrom: number;

  constructor(
    private readonly flags: RpzServerFlags,
    private readonly context: ServeContext,
  ) {
    this.rpzOptions = rpzOptionsOf(context.config);
    this.builtFrom = context.flagged.serial;
    const zone = this.build(null);
    this.serial = zone.soa.serial;
    this.server = new RpzServer({
      listen: flags.listen,
      allow: flags.allow,
      key: flags.key,
      notify: flags.notify,
      log: context.log.child({ service: 'rpz-server' }),
      zone,
      governor: netGovernor(context),
      registry: context.registry,
    });
  }

  /**
   * The serial is the Unix time of the build (or the flagged set's serial if that is ahead; one
   * more than the last when two builds share a second), so a restarted daemon serves a higher
   * serial than before and its secondaries take the new zone instead of keeping the old one.
   */
  private build(previous: number | null): RpzZone {
    const candidate = Math.max(this.context.flagged.serial, Math.floor(Date.now() / 1000));
    // The operator's managed allow entries (src/serve/lists/) are PASSTHRU too.
    const options = { ...this.rpzOptions, allowlist: withNames(this.rpzOptions.allowlist, liveAllowlist(this.context.config).managed) };
    return buildRpzZone(this.context.flagged.entries(), options, nextSerial(previous, candidate), emptyBuildStats());
  }

  private rebuild(): void {
    this.timer = null;
    this.lastBuild = Date.now();
    try {
      this.builtFrom = this.context.flagged.serial;
      const zone = this.build(this.serial);
      this.serial = zone.soa.serial;
      this.server.setZone(zone);
    } catch (err) {
      this.context.log.error({ service: 'rpz-server', err: (err as Error).message }, 'RPZ rebuild failed; still serving the previous zone');
    }
  }

  private scheduleRebuild(): void {
    if (this.timer !== null) return;
    const wait = Math.max(REBUILD_DELAY_MS, this.lastBuild + MIN_REBUILD_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => this.rebuild(), wait);
  }

  async start(): Promise<void> {
    await this.server.start();
    this.unsubscribe = this.context.flagged.onChange(() => this.scheduleRebuild());
    // Services started before this one (--follow reads its file's history) may have flagged names already.
    if (this.context.flagged.serial !== this.builtFrom) this.scheduleRebuild();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.server.stop();
  }

  /** SIGHUP: re-read the key file and the zone options (allowlist files included) of the next config; committed, rebuild. */
  async prepareReload(next: Config): Promise<() => void> {
    const key = this.flags.keyFile === null ? null : readKeyFile(this.flags.keyFile);
    const options = rpzOptionsOf(next);
    return () => {
      if (key !== null) this.server.setKey(key);
      this.rpzOptions = options;
      this.scheduleRebuild();
    };
  }
}
