/**
 * A threat-intelligence feed of domains with the time each was listed, for
 * `fluxhound eval --intel`. Three shapes, told apart by the first line that
 * is neither blank nor a `#` comment:
 *
 * - NDJSON (it starts with `{`): one object per line; the domain is the first
 *   of `domain`, `indicator` that is a string; the time the first of
 *   `listed_at`, `first_seen`, `date_added`, `valid_from` present.
 * - CSV (it holds a comma): `domain,listed_at`. A first line whose second
 *   field is not a time is a header: then the columns are found by name
 *   (the NDJSON keys), so wider exports work too. Fields may be "quoted".
 * - Plain text: `<time> <domain>`, the domain the last whitespace-separated
 *   field and the time everything before it (so `2025-04-17 10:00:00 x.ru`).
 *
 * A time is Unix seconds (a number, fractions allowed) or ISO 8601: a date
 * (`2025-04-17`, midnight UTC) or a date and time with `T` or a space,
 * optional seconds and fraction, and `Z`, `±hh:mm`, ` UTC` or nothing
 * (UTC). Both must fall between 1987 and 2106. A domain is a DNS name of two
 * labels or more (a trailing dot and upper case are fine; the one name text
 * of src/dns is kept). A line that does not parse is skipped and counted,
 * with its line number; a domain listed twice keeps its earliest time.
 */
import { nameText } from '../dns/name-writer.js';
import { isPlausibleTime } from '../model/observation.js';

export const DOMAIN_KEYS = ['domain', 'indicator'] as const;
export const TIME_KEYS = ['listed_at', 'first_seen', 'date_added', 'valid_from'] as const;
/** Distinct domains kept from one feed; the rest are skipped, counted. */
export const MAX_LISTINGS = 2_000_000;
const SKIP_SAMPLES = 20;

export type FeedShape = 'ndjson' | 'csv' | 'text';

export interface Feed {
  shape: FeedShape | null;
  /** Domain (one name text) → earliest listing, seconds since the epoch. */
  listings: Map<string, number>;
  lines: number;
  skipped: number;
  /** The first few skipped lines. */
  skippedSamples: { line: number; reason: string }[];
}

export class FeedParser {
  readonly feed: Feed = { shape: null, listings: new Map(), lines: 0, skipped: 0, skippedSamples: [] };
  /** CSV columns (from a header), or the default domain,time. */
  private columns: { domain: number; time: number } = { domain: 0, time: 1 };

  line(text: string): void {
    const number = ++this.feed.lines;
    const line = text.trim();
    if (line === '' || line.startsWith('#')) return;
    if (this.feed.shape === null) {
      this.feed.shape = line.startsWith('{') ? 'ndjson' : line.includes(',') ? 'csv' : 'text';
      if (this.feed.shape === 'csv' && this.header(line)) return;
    }
    const entry = this.feed.shape === 'ndjson' ? ndjsonEntry(line) : this.feed.shape === 'csv' ? this.csvEntry(line) : textEntry(line);
    if (typeof entry === 'string') {
      this.skip(number, entry);
      return;
    }
    const before = this.feed.listings.get(entry.domain);
    if (before === undefined && this.feed.listings.size >= MAX_LISTINGS) {
      this.skip(number, `over ${MAX_LISTINGS} domains`);
      return;
    }
    if (before === undefined || entry.listedAt < before) this.feed.listings.set(entry.domain, entry.listedAt);
  }

  private skip(line: number, reason: string): void {
    this.feed.skipped++;
    if (this.feed.skippedSamples.length < SKIP_SAMPLES) this.feed.skippedSamples.push({ line, reason });
  }

  /** True when the first CSV line is a header (it names a domain or time column, not a time); takes the columns from it. */
  private header(line: string): boolean {
    const fields = csvFields(line);
    if (fields !== null && fields.length >= 2 && parseTime(fields[1]!) !== null) return false;
    const names = (fields ?? []).map((f) => f.trim().toLowerCase());
    const find = (keys: readonly string[]) => keys.map((k) => names.indexOf(k)).find((i) => i >= 0) ?? -1;
    const domain = find(DOMAIN_KEYS);
    const time = find(TIME_KEYS);
    // Only a line naming a known column is a header; anything else is a record (skipped, counted and
    // reported with its line number if it is bad), never dropped unseen.
    if (domain < 0 && time < 0) return false;
    if (domain >= 0 && time >= 0) this.columns = { domain, time };
    return true;
  }

  private csvEntry(line: string): Entry | string {
    const fields = csvFields(line);
    if (fields === null) return 'unterminated quote';
    const domain = fields[this.columns.domain];
    const time = fields[this.columns.time];
    if (domain === undefined || time === undefined) return `expected ${Math.max(this.columns.domain, this.columns.time) + 1} fields, found ${fields.length}`;
    return entryOf(domain, time);
  }
}

interface Entry {
  domain: string;
  listedAt: number;
}

function entryOf(domainText: string, timeText: string | number): Entry | string {
  const domain = feedDomain(domainText);
  if (domain === null) return `'${shown(domainText)}' is not a domain name`;
  const listedAt = typeof timeText === 'number' ? (isPlausibleTime(timeText) ? timeText : null) : parseTime(timeText);
  if (listedAt === null) return `'${shown(String(timeText))}' is not a time (Unix seconds or ISO 8601, 1987..2106)`;
  return { domain, listedAt };
}

function ndjsonEntry(line: string): Entry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not a JSON object';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const o = value as Record<string, unknown>;
  const domain = DOMAIN_KEYS.map((k) => o[k]).find((v) => typeof v === 'string');
  if (typeof domain !== 'string') return `no ${DOMAIN_KEYS.join(' or ')} string`;
  const time = TIME_KEYS.map((k) => o[k]).find((v) => v !== undefined && v !== null);
  if (typeof time !== 'string' && typeof time !== 'number') return `no ${TIME_KEYS.join(', ')} time`;
  return entryOf(domain, time);
}

function textEntry(line: string): Entry | string {
  const cut = line.search(/\s+\S+$/);
  if (cut <= 0) return 'expected <time> <domain>';
  return entryOf(line.slice(cut).trim(), line.slice(0, cut).trim());
}

/** The fields of one CSV line (RFC 4180 quotes, "" inside a quoted field); null for an unterminated quote. */
export function csvFields(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (i < line.length && line[i] !== ',') i++;
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    fields.push(field.trim());
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|z|[+-]\d{2}:?\d{2}|UTC)?$/;

/** Seconds since the epoch of Unix seconds or an ISO 8601 time (UTC when no zone is given); null otherwise or outside 1987..2106. */
export function parseTime(text: string): number | null {
  const t = text.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(t)) seconds = Number(t);
  else {
    const m = ISO.exec(t);
    if (m === null) return null;
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const check = new Date(ms);
    // Date.UTC rolls 2025-02-30 over into March: such a date is not one.
    if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
    seconds = ms / 1000 + (fraction === '' ? 0 : Number(fraction));
    if (zone !== 'Z' && zone !== 'z' && zone !== 'UTC') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.replace(/[+:-]/g, '');
      seconds -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
    }
  }
  return isPlausibleTime(seconds) ? seconds : null;
}

/** The one text of a listed domain, or null when it is not a name of two labels or more. */
export function feedDomain(text: string): string | null {
  const t = text.trim();
  if (t === '' || t.includes('/') || t.includes(' ')) return null;
  const name = nameText(t);
  return name === null || name.labels < 2 ? null : name.text;
}

function shown(text: string): string {
  return JSON.stringify(text.slice(0, 60)).slice(1, -1);
}
