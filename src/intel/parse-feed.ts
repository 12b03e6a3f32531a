/**
 * One door for every feed's content: bytes (or text) and a kind in, one
 * ParsedFeed out. The kinds live in one registry (FEED_PARSERS); a kind left
 * null is sniffed from the first bytes. Never throws on content: a feed
 * whose kind cannot be told, or whose parser refuses its options, comes back
 * as one skip naming the source.
 *
 * 'taxii' is no content kind (the loader fetches objects with the TAXII
 * client and hands them to the STIX reader); 'warninglist' is an allowlist,
 * not flux: MISP warninglists extend the reference lists
 * (intel/warninglist: parseWarninglist, withWarninglistFiles), so such a
 * feed never reaches the index (feeds/spec.ts fluxFeeds leaves it out).
 */
import type { IntelEntry, IntelSkip, ParsedFeed } from './entry.js';
import { DEFAULT_PARSE_LIMITS } from './feed-text.js';
import { parseCsv } from './csv.js';
import { parseList } from './list.js';
import { parseMispEvent } from './misp/index.js';
import { parseRpz } from './rpz.js';
import { sniffKind } from './sniff.js';
import { parseStix } from './stix/index.js';

/** Every kind a feed may name in config or `--intel`. */
export const FEED_KINDS = ['list', 'csv', 'rpz', 'stix', 'misp', 'taxii', 'warninglist'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];
/** The kinds whose content this module reads. */
export type ContentKind = 'list' | 'csv' | 'rpz' | 'stix' | 'misp';

export interface ParseFeedOptions {
  /** null: sniffed from the content. */
  kind: FeedKind | null;
  /** csv: the column by header name or 1-based number. */
  column?: string | number | null;
  /** Epoch ms STIX valid_until is compared with; default now. */
  now?: number;
}

export interface ParsedFeedOf extends ParsedFeed {
  /** The kind read (the one given, else the one sniffed); null when none could be told. */
  kind: ContentKind | null;
}

type ContentParser = (text: string, source: string, options: ParseFeedOptions) => ParsedFeed;

/** The one registry of content kinds. */
export const FEED_PARSERS: Readonly<Record<ContentKind, ContentParser>> = {
  list: (text, source) => parseList(text, source),
  csv: (text, source, options) => {
    if (options.column === null || options.column === undefined) return refused(source, 'a csv feed needs its column (column=NAME or a number from 1)');
    return parseCsv(text, source, options.column);
  },
  rpz: (text, source) => parseRpz(text, source),
  stix: (text, source, options) => parseStix(text, source, { now: options.now }),
  // One event file; a feed directory or URL (manifest.json + events) is read event by event by the loader.
  misp: (text, source) => parseMispEvent(text, source),
};

export function parseFeed(content: Uint8Array | string, source: string, options: ParseFeedOptions): ParsedFeedOf {
  let kind: FeedKind | null = options.kind;
  if (kind === null) {
    kind = sniffKind(typeof content === 'string' ? new TextEncoder().encode(content.slice(0, 65536)) : content);
    if (kind === null) return { kind: null, ...refused(source, 'feed kind not recognised (empty, binary or unknown JSON); name it with kind=') };
  }
  if (kind === 'taxii') return { kind: null, ...refused(source, 'a taxii feed is fetched from its server, not read from content') };
  const text = typeof content === 'string' ? content : decodeText(content);
  if (kind === 'warninglist') return { kind: null, ...refused(source, 'a warninglist is an allowlist: it extends the reference lists (intel/warninglist), it lists no flux') };
  try {
    return { kind, ...FEED_PARSERS[kind](text, source, options) };
  } catch (err) {
    // A parser throws only on a bad option (a csv column of 0); content never throws.
    return { kind, ...refused(source, (err as Error).message) };
  }
}

/** Characters of list text parsed between two pauses (about 50,000 lines of names). */
export const LIST_SLICE_CHARS = 1 << 20;

/**
 * parseFeed for a daemon: a list (the kind a million-entry feed comes in) is
 * parsed in slices of about a megabyte cut at line ends, with `pause()`
 * awaited between them, so DNS answers wait for one slice, not the whole
 * feed. The result is the one parseFeed gives (same refs, caps, skips).
 * Other kinds are parsed in one piece.
 */
export async function parseFeedInSlices(content: Uint8Array | string, source: string, options: ParseFeedOptions, pause: () => Promise<void>): Promise<ParsedFeedOf> {
  const text = typeof content === 'string' ? content : decodeText(content);
  const kind = options.kind ?? (text.length > LIST_SLICE_CHARS ? sniffKind(typeof content === 'string' ? new TextEncoder().encode(text.slice(0, 65536)) : content) : null);
  if (kind !== 'list' || text.length <= LIST_SLICE_CHARS) return parseFeed(text, source, { ...options, kind: kind ?? options.kind });
  const limits = DEFAULT_PARSE_LIMITS;
  const entries: IntelEntry[] = [];
  const skipped: IntelSkip[] = [];
  let unlisted = 0;
  let at = 0;
  let line = 1;
  while (at < text.length) {
    let end = Math.min(text.length, at + LIST_SLICE_CHARS);
    if (end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl === -1 ? text.length : nl + 1;
    }
    const slice = text.slice(at, end);
    const part = parseList(slice, source, { ...limits, maxEntries: limits.maxEntries - entries.length }, line);
    for (const e of part.entries) entries.push(e);
    let full = false;
    for (const s of part.skipped) {
      const more = s.position === source ? /^([0-9]+) more records skipped$/.exec(s.reason) : null;
      if (more !== null) unlisted += Number(more[1]);
      else if (skipped.length < limits.maxSkipped) skipped.push(s);
      else unlisted++;
      full ||= s.reason.startsWith('entry cap ');
    }
    if (full) break;
    line += countLines(slice);
    at = end;
    if (at < text.length) await pause();
  }
  if (unlisted > 0) skipped.push({ position: source, reason: `${unlisted} more records skipped` });
  return { kind: 'list', entries, skipped };
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** UTF-8 without a byte-order mark; bad sequences become U+FFFD, which no value accepts. */
export function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function refused(source: string, reason: string): ParsedFeed {
  return { entries: [], skipped: [{ position: source, reason }] };
}
