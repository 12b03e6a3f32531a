/**
 * Report times: what `fluxhound report --since/--until` accepts, and the
 * compact UTC stamps in scheduled report file names.
 */
import { UsageError } from '../../model/errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
/** 2026-12-01, 2026-12-01T10:00, 2026-12-01T10:00:00.5Z, 2026-12-01 10:00:00+02:00. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Seconds since the epoch of an ISO 8601 date or time (UTC unless it names
 * an offset) or of a time relative to `now`: '24h', '7d', '90m', '2w'
 * (that long ago). Throws a UsageError naming `what` otherwise.
 */
export function parseReportTime(text: string, now: Date, what: string): number {
  const trimmed = text.trim();
  const relative = /^(\d{1,7})([smhdw])$/.exec(trimmed);
  if (relative !== null) return now.getTime() / 1000 - Number(relative[1]) * UNIT_SECONDS[relative[2]!]!;
  if (ISO.test(trimmed)) {
    // A date-time without an offset is UTC here, whatever the machine's zone (Date.parse would take it as local).
    const utc = /[T ]\d{2}:\d{2}/.test(trimmed) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? `${trimmed}Z` : trimmed;
    const ms = Date.parse(utc.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw new UsageError(`${what} takes an ISO 8601 date or time (2026-12-01, 2026-12-01T08:00Z) or a time ago (24h, 7d), not '${text.slice(0, 60)}'`);
}

/** 1764547200 → '20251201T000000Z' (ISO 8601 basic format: no ':' in file names). */
export function fileStamp(seconds: number): string {
  return new Date(Math.round(seconds) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** '20251201T000000Z' → 1764547200; null when it is not such a stamp. */
export function parseFileStamp(stamp: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (m === null) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isFinite(ms) ? ms / 1000 : null;
}
