/**
 * What the text parsers (list, CSV, RPZ) share: caps, the kept entries and
 * the skipped records with their positions. A hostile feed of a million bad
 * lines keeps the first maxSkipped reasons and a count of the rest, so the
 * report of a bad feed stays small.
 */
import type { IntelEntry, IntelSkip, ParsedFeed } from './entry.js';
import type { IntelValue } from './values.js';

export interface ParseLimits {
  /** Entries one feed may give; the rest of the feed is not read (one skip says so). */
  maxEntries: number;
  /** Characters of one line (one record for CSV); a longer one is skipped unread. */
  maxLine: number;
  /** Skipped records reported one by one; the rest are counted in one last skip. */
  maxSkipped: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxEntries: 2_000_000, maxLine: 4096, maxSkipped: 1000 };

export class FeedCollector {
  readonly entries: IntelEntry[] = [];
  private readonly skipped: IntelSkip[] = [];
  private unlisted = 0;
  /** Set once maxEntries is reached: the caller stops reading. */
  full = false;

  constructor(
    readonly source: string,
    readonly limits: ParseLimits,
  ) {}

  /** Keep a value (or skip it with its reason); false once the feed is full. */
  add(value: IntelValue, ref: string, note: string): boolean {
    if ('reason' in value) {
      this.skip(ref, value.reason);
      return !this.full;
    }
    if (this.entries.length >= this.limits.maxEntries) {
      this.skip(ref, `entry cap ${this.limits.maxEntries} reached: the rest of the feed is not read`);
      this.full = true;
      return false;
    }
    this.entries.push({ kind: value.kind, value: value.value, ref, note });
    return true;
  }

  skip(position: string, reason: string): void {
    if (this.skipped.length < this.limits.maxSkipped) this.skipped.push({ position, reason });
    else this.unlisted++;
  }

  result(): ParsedFeed {
    const skipped = this.unlisted === 0 ? this.skipped : [...this.skipped, { position: this.source, reason: `${this.unlisted}${MORE_SKIPPED}` }];
    return { entries: this.entries, skipped };
  }
}

/** The reason of the one record that stands for the skips past the listed ones: 'N more records skipped'. */
const MORE_SKIPPED = ' more records skipped';

/**
 * How many records a feed skipped: the listed skips, with the last one's
 * 'N more records skipped' counted as N (a million bad lines are a million
 * skips in the counts, though only the first thousand are listed).
 */
export function skipCount(skipped: readonly IntelSkip[]): number {
  const last = skipped[skipped.length - 1];
  if (last === undefined || !last.reason.endsWith(MORE_SKIPPED)) return skipped.length;
  const more = Number(last.reason.slice(0, -MORE_SKIPPED.length));
  return Number.isSafeInteger(more) && more > 0 ? skipped.length - 1 + more : skipped.length;
}

/** Every line of text (LF or CRLF) with its 1-based number; stops when visit returns false. No array of lines. */
export function forEachLine(text: string, visit: (line: string, lineNo: number) => boolean): void {
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (!visit(text.slice(start, stop), lineNo)) return;
    start = end + 1;
  }
}

/** Whether a line holds a NUL or another control character than tab: binary junk, never a record. */
export function hasControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

/** Whitespace-separated fields of a line (space and tab). */
export function fieldsOf(line: string): string[] {
  return line.split(/[ \t]+/).filter((f) => f.length > 0);
}
