/**
 * `serve --ip-blocklist PATH --ip-format plain|nftables|ipset`: the flux
 * addresses of the live flagged set, rewritten atomically within a second of
 * each change and on every expiry sweep; an address leaves the list once it
 * has not been seen for policy.expiry seconds.
 */
import { Option, type Command } from 'commander';
import { FluxAddresses } from '../../act/blocklist/addresses.js';
import { formatBlocklist, IP_FORMATS, type IpFormat } from '../../act/blocklist/formats.js';
import { liveAllowlist } from '../../act/rpz/allowlist.js';
import { checkWritable, writeFileAtomic } from '../../act/rpz/zone-file.js';
import { UsageError } from '../../model/errors.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { WRITE_DELAY_MS } from './index.js';
import { ipBlocklistMetrics } from './metrics.js';
import { dataTime, DebouncedWrite, sweepExpired, sweepInterval } from './writer.js';

export const ipBlocklistService: ServiceFactory = {
  name: 'ip-blocklist',
  addOptions(command: Command) {
    command.option('--ip-blocklist <path>', 'keep a blocklist of flux addresses at PATH (never CDN/cloud/allowlisted; expiring after policy.expiry)');
    command.addOption(new Option('--ip-format <format>', 'format of --ip-blocklist').choices([...IP_FORMATS]).default('plain'));
  },
  create(flags, context) {
    if (typeof flags.ipBlocklist !== 'string') return null;
    const format = (flags.ipFormat ?? 'plain') as IpFormat;
    if (!IP_FORMATS.includes(format)) throw new UsageError(`serve: --ip-format takes one of ${IP_FORMATS.join(', ')}`);
    return new IpBlocklistService(flags.ipBlocklist, format, context);
  },
};

export class IpBlocklistService implements Service {
  readonly name = 'ip-blocklist';
  private readonly writer: DebouncedWrite;
  private unsubscribe: (() => void) | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private listed = 0;

  constructor(
    readonly path: string,
    readonly format: IpFormat,
    private readonly context: ServeContext,
    delayMs = WRITE_DELAY_MS,
    /** Seconds since the epoch; data time (writer.ts dataTime) unless a test says otherwise. */
    private readonly now: () => number = () => dataTime(context.flagged),
  ) {
    liveAllowlist(context.config);
    this.writer = new DebouncedWrite(() => this.write(), delayMs, (err) => context.log.error({ service: this.name }, err.message));
    ipBlocklistMetrics(context.registry, { addresses: () => this.listed, writes: () => this.writer.writes, writeErrors: () => this.writer.errors });
  }

  async start(): Promise<void> {
    try {
      checkWritable(this.path);
    } catch (err) {
      throw new UsageError(`ip-blocklist: ${(err as Error).message}`);
    }
    await this.writer.writeNow();
    this.unsubscribe = this.context.flagged.onChange(() => this.writer.schedule());
    this.sweeper = setInterval(() => this.sweep(), sweepInterval(this.context.config.policy.expiry));
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.writer.flush();
  }

  /** SIGHUP: nothing of its own to check (the daemon reloads the allowlist); committed, the list is rewritten at once. */
  async prepareReload(): Promise<() => void> {
    return () => void this.writer.flush(true);
  }

  /** Flagged domains and single addresses age out even when nothing else changes. */
  sweep(): void {
    sweepExpired(this.context.flagged, this.context.config.policy.expiry, this.now());
    this.writer.schedule();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  private async write(): Promise<void> {
    const { config, flagged } = this.context;
    const addresses = new FluxAddresses({
      actions: { 'fast-flux': config.policy.fastFlux, suspicious: config.policy.suspicious },
      allowlist: liveAllowlist(config).allowlist,
      infra: null,
      expiry: config.policy.expiry,
    });
    for (const v of flagged.entries()) addresses.add(v);
    const now = Math.floor(this.now());
    addresses.expire(now);
    const list = addresses.list();
    await writeFileAtomic(this.path, formatBlocklist(list, this.format, { now, expiry: config.policy.expiry }));
    this.listed = list.length;
  }
}
