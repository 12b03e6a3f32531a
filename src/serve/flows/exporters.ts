/**
 * The exporters the collector reads, each with its own statistics and
 * sequence state, keyed by source 'ip:port' (the key the template cache
 * uses too). The table is capped (serve.flows.maxExporters) so that spoofed
 * source addresses cannot grow memory or the metric label set: when full,
 * the exporter silent longest makes room only if it has been silent past
 * the template lifetime (its templates are gone anyway: a restarted
 * softflowd comes back from a new port); otherwise the newcomer is refused.
 */
import type { DecodeCounts } from '../../sources/netflow/index.js';
import { SequenceTracker, sequenceRecords, type ExportHeader } from './sequence.js';

export interface ExporterStats {
  datagrams: number;
  bytes: number;
  flows: number;
  /** Template and options-template records announced. */
  templates: number;
  /** Data sets dropped: no live template for them. */
  noTemplateSets: number;
  /** NetFlow v9 only: records in those sets (the header's record count minus the records read). */
  noTemplateRecords: number;
  /** Enterprise elements skipped (IPFIX). */
  enterpriseElements: number;
  /** IANA elements fluxhound does not use. */
  unusedElements: number;
  /** Flow records skipped as damaged (never counting the no-template sets above). */
  skippedRecords: number;
  /** Datagrams that were not NetFlow v5/v9/IPFIX, or were damaged anywhere. */
  malformed: number;
  /** Lost between exporter and collector, from the sequence numbers: v9 counts datagrams, v5 and IPFIX records. */
  lostDatagrams: number;
  lostRecords: number;
  /** Sequence numbers that went back or jumped too far (restart, reordering). */
  sequenceResets: number;
  /** Milliseconds (the collector's clock) of the last datagram. */
  lastSeen: number;
  readonly sequence: SequenceTracker;
}

function emptyStats(now: number): ExporterStats {
  return {
    datagrams: 0, bytes: 0, flows: 0, templates: 0, noTemplateSets: 0, noTemplateRecords: 0, enterpriseElements: 0,
    unusedElements: 0, skippedRecords: 0, malformed: 0, lostDatagrams: 0, lostRecords: 0, sequenceResets: 0,
    lastSeen: now, sequence: new SequenceTracker(),
  };
}

export class ExporterTable {
  /** Least recently heard first (re-inserted on each datagram). */
  private readonly table = new Map<string, ExporterStats>();

  constructor(
    public maxExporters: number,
    /** Milliseconds an exporter must have been silent before a newcomer may take its place. */
    public idleMs: number,
  ) {}

  get size(): number {
    return this.table.size;
  }

  entries(): IterableIterator<[string, ExporterStats]> {
    return this.table.entries();
  }

  get(key: string): ExporterStats | undefined {
    return this.table.get(key);
  }

  /** The exporter's statistics, a new entry when there is room, or null when the table is full of exporters heard recently. */
  admit(key: string, now: number): ExporterStats | null {
    const known = this.table.get(key);
    if (known !== undefined) {
      this.table.delete(key);
      this.table.set(key, known);
      known.lastSeen = now;
      return known;
    }
    while (this.table.size >= this.maxExporters) {
      const [oldestKey, oldest] = this.table.entries().next().value as [string, ExporterStats];
      if (now - oldest.lastSeen <= this.idleMs) return null;
      this.table.delete(oldestKey);
    }
    const stats = emptyStats(now);
    this.table.set(key, stats);
    return stats;
  }
}

/** Adds one decoded datagram to its exporter's statistics and sequence state. */
export function account(stats: ExporterStats, length: number, header: ExportHeader | null, counts: DecodeCounts): void {
  stats.datagrams++;
  stats.bytes += length;
  stats.flows += counts.flows;
  stats.templates += counts.templates + counts.optionsTemplates;
  stats.noTemplateSets += counts.lostNoTemplate;
  stats.enterpriseElements += counts.enterpriseElements;
  stats.unusedElements += counts.unusedElements;
  const damaged = counts.skipped - counts.lostNoTemplate;
  stats.skippedRecords += damaged;
  if (header === null || counts.version === 0 || damaged > 0) stats.malformed++;
  if (header === null) return;
  if (header.version === 9 && counts.lostNoTemplate > 0) {
    // RFC 3954 §5.1: the header counts template, options and data records together.
    stats.noTemplateRecords += Math.max(0, header.count - counts.templates - counts.optionsTemplates - counts.dataRecords);
  }
  const event = stats.sequence.observe(header, sequenceRecords(header, counts.dataRecords, counts.lostNoTemplate));
  if (event.kind === 'gap') {
    if (header.version === 9) stats.lostDatagrams += event.lost;
    else stats.lostRecords += event.lost;
  } else if (event.kind === 'reset') stats.sequenceResets++;
}
