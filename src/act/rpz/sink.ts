/** `analyze --rpz FILE`: the run's flagged verdicts as an RPZ zone file, written atomically at the end. */
import { isActionable, type Verdict } from '../../model/verdict.js';
import type { VerdictSink } from '../sink.js';
import { buildRpzZone, emptyBuildStats, nextSerial, rpzVerdictOf, type RpzBuildStats, type RpzOptions, type RpzVerdict } from './zone.js';
import { existingSerial, writeZoneFile } from './zone-file.js';

export interface RpzSink extends VerdictSink {
  /** Filled in by close(). */
  readonly stats: RpzBuildStats & { records: number; serial: number };
}

/**
 * Keeps the part of each flagged verdict the zone needs and writes the zone
 * on close. The serial is seconds since the epoch, or one more than the
 * file's current serial when that is not behind it (RFC 1982), so it grows
 * with every write.
 */
export function rpzSink(path: string, options: RpzOptions, now: () => number = () => Date.now() / 1000): RpzSink {
  const kept: RpzVerdict[] = [];
  const stats = { ...emptyBuildStats(), records: 0, serial: 0 };
  return {
    name: 'rpz',
    stats,
    verdict(v: Verdict) {
      if (isActionable(v)) kept.push(rpzVerdictOf(v, options));
    },
    async close() {
      const serial = nextSerial(existingSerial(path), Math.floor(now()));
      const zone = buildRpzZone(kept, options, serial, stats);
      kept.length = 0;
      stats.records = zone.records.length;
      stats.serial = zone.soa.serial;
      await writeZoneFile(path, zone);
    },
  };
}
