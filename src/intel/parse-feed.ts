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
import type { ParsedFeed } from './entry.js';
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

/** UTF-8 without a byte-order mark; bad sequences become U+FFFD, which no value accepts. */
export function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function refused(source: string, reason: string): ParsedFeed {
  return { entries: [], skipped: [{ position: source, reason }] };
}
