/**
 * `--follow FILE`: tail growing logs into the live detector, as `tail -F`
 * does: Zeek's current/dns.log, Suricata's eve.json, a passive-DNS feed
 * written to disk. The file is read from its start (history warms the
 * windows), then polled for growth; a file that shrinks or is replaced
 * (rotation) is reopened from its start; a file that does not exist yet is
 * waited for. The format is sniffed from the first complete lines unless
 * --follow-format names it. A flow log (conn.log, eve.json flow events)
 * hands its flows to the daemon's flow path (context.observations.flow).
 */
import type { Command } from 'commander';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../../model/errors.js';
import { timeProblem } from '../../model/observation.js';
import type { Decoder, ObservationSink, SourceFormat } from '../../sources/source.js';
import { SNIFF_BYTES } from '../../sources/input.js';
import type { ServeContext, Service, ServiceFactory } from '../service.js';
import { followMetrics, type FollowMetrics } from './metrics.js';

export interface FollowOptions {
  file: string;
  /** null to sniff. */
  format: SourceFormat | null;
  formats: readonly SourceFormat[];
  sink: ObservationSink;
  /** Milliseconds between checks for growth. */
  pollMs: number;
  log: ServeContext['log'];
  metrics: FollowMetrics;
  /** Resolves when the daemon's flow queue has room (context.flowRoom): a flow log is read no faster than its flows are analysed. */
  flowRoom?: () => Promise<void>;
}

const READ_CHUNK = 1024 * 1024;

/** Follows one file until stopped. */
export class FollowedFile implements Service {
  readonly name = 'follow';
  private handle: FileHandle | null = null;
  private inode = -1;
  private offset = 0;
  private decoder: Decoder | null = null;
  private head: Buffer[] = [];
  private headBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly buffer = Buffer.allocUnsafe(READ_CHUNK);

  constructor(private readonly options: FollowOptions) {}

  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.busy;
    await this.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.busy = this.poll()
        .catch((err: unknown) => this.options.log.error({ file: this.options.file }, `follow: ${(err as Error).message}`))
        .finally(() => this.schedule());
    }, this.options.pollMs);
  }

  private async poll(): Promise<void> {
    let info;
    try {
      info = await stat(this.options.file);
    } catch {
      return; // not there (yet, or between rotation and re-creation)
    }
    if (this.handle !== null && (info.ino !== this.inode || info.size < this.offset)) {
      this.options.log.info({ file: this.options.file }, 'follow: file rotated or truncated; reading it from the start');
      this.options.metrics.reopened.inc({ file: this.options.file });
      await this.close();
    }
    if (this.handle === null) {
      this.handle = await open(this.options.file, 'r');
      this.inode = info.ino;
      this.offset = 0;
    }
    while (!this.stopped) {
      // A conn.log's history can hold millions of flows: wait for the analysis rather than have them dropped.
      await this.options.flowRoom?.();
      if (this.stopped) break;
      const { bytesRead } = await this.handle.read(this.buffer, 0, READ_CHUNK, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      this.options.metrics.bytes.inc({ file: this.options.file }, bytesRead);
      this.feed(Buffer.from(this.buffer.subarray(0, bytesRead)));
    }
  }

  private feed(chunk: Buffer): void {
    if (this.decoder !== null) {
      this.decoder.push(chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const head = Buffer.concat(this.head, this.headBytes);
    // Sniff once whole lines are there (text formats) or enough bytes (binary ones).
    if (head.lastIndexOf(10) < 0 && head.length < SNIFF_BYTES) return;
    const format = this.options.format ?? this.options.formats.find((f) => f.sniff(head.subarray(0, SNIFF_BYTES)));
    if (format === undefined) {
      if (head.length < SNIFF_BYTES) return; // perhaps the header is still being written
      this.options.metrics.unknownFormat.inc({ file: this.options.file });
      this.options.log.error({ file: this.options.file }, 'follow: unknown input format; use --follow-format');
      this.head = [];
      this.headBytes = 0;
      return;
    }
    this.head = [];
    this.headBytes = 0;
    const sink = this.options.sink;
    const file = this.options.file;
    // A record with an impossible time is skipped with its position, whatever the format (the decoder only knows its own checks).
    const decoder: Decoder = format.createDecoder(file, {
      observe(o) {
        const problem = timeProblem(o);
        if (problem === null) sink.observe(o);
        else sink.skip({ position: { file, line: decoder.position() }, format: format.name, reason: problem });
      },
      skip: (skipped) => sink.skip(skipped),
      // A flow log (Zeek conn.log, eve.json flow/netflow events, nfdump csv): its flows go to the daemon's flow analysis.
      flow: (f) => sink.flow?.(f),
    });
    this.decoder = decoder;
    this.decoder.push(head);
  }

  private async close(): Promise<void> {
    this.decoder?.end();
    this.decoder = null;
    this.head = [];
    this.headBytes = 0;
    if (this.handle !== null) await this.handle.close().catch(() => undefined);
    this.handle = null;
  }
}

/** All followed files as one service. */
class Follow implements Service {
  readonly name = 'follow';
  constructor(
    private readonly files: FollowedFile[],
    /** A sniffed format may be a flow log: only a given DNS-only one (--follow-format zeek) says no flows come. */
    readonly flows: boolean,
  ) {}
  async start(): Promise<void> {
    for (const f of this.files) await f.start();
  }
  async stop(): Promise<void> {
    for (const f of this.files) await f.stop();
  }
}

export function followService(formats: () => readonly SourceFormat[]): ServiceFactory {
  return {
    name: 'follow',
    addOptions(command: Command) {
      command
        .option('--follow <file...>', 'tail growing logs (Zeek dns.log or conn.log, eve.json, passive DNS) into the detector and the flow analysis, like tail -F')
        .option('--follow-format <name>', 'format of the followed files (default: sniffed)')
        .option('--follow-interval <ms>', 'milliseconds between checks for new data', '250');
    },
    create(flags, context) {
      const files = flags.follow as string[] | undefined;
      if (files === undefined || files.length === 0) return null;
      const all = formats();
      let format: SourceFormat | null = null;
      if (typeof flags.followFormat === 'string') {
        format = all.find((f) => f.name === flags.followFormat) ?? null;
        if (format === null) throw new UsageError(`serve: unknown --follow-format '${flags.followFormat}' (known: ${all.map((f) => f.name).join(', ')})`);
      }
      const pollMs = Number(flags.followInterval);
      if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) {
        throw new UsageError(`serve: --follow-interval takes milliseconds between 10 and 60000, not '${String(flags.followInterval)}'`);
      }
      const metrics = followMetrics(context.registry);
      return new Follow(files.map((file) => new FollowedFile({ file, format, formats: all, sink: context.observations, pollMs, log: context.log, metrics, flowRoom: context.flowRoom })), format?.flows !== false);
    },
  };
}
