/**
 * What the layers above read of the loaded feeds. The index is swapped whole
 * on every (re)load, so a reader takes `current()` once per lookup and never
 * keeps it: analyze passes a fixed index, serve the feed set that refreshes.
 */
import type { ParsedFeed } from './entry.js';
import type { IntelAction, IntelFeedCounts, IntelIndex } from './index.js';

export interface IntelView {
  /** The index in force; null while no feed is loaded (or none configured). */
  current(): IntelIndex | null;
}

/** How a pushed feed (the TAXII inbox) is used: like a configured feed's action, confidence and expiry. */
export interface PushedFeedMeta {
  action: IntelAction;
  confidence: number;
  /** Seconds the entries stay valid after the push; 0 = until replaced. */
  expiry: number;
}

/** The state of one feed, for metrics, `/health`, the API and analyze's summary. */
export interface IntelFeedStatus {
  name: string;
  kind: string;
  /** path or URL (a URL's user info and query are never shown). */
  source: string;
  /** When the copy in force was read or fetched (epoch ms); null before any good copy. */
  loadedAt: number | null;
  /** The last failure (one line) since the last success; null when the last attempt succeeded. */
  error: string | null;
  counts: IntelFeedCounts | null;
}

/**
 * The daemon's feeds (src/intel/feeds): loads every configured feed, refreshes
 * each on its interval, keeps the last good copy of a URL feed on disk, and
 * swaps in a new index when any feed changed. A feed that fails keeps its
 * previous copy (logged, counted); one whose copy passed its expiry stops
 * matching.
 */
export interface IntelFeeds extends IntelView {
  /** First load of every feed (file read, URL fetched, else its last good copy on disk); never rejects for one bad feed. */
  load(): Promise<void>;
  /** Begins the refresh timers. */
  start(): void;
  /** Stops the timers and aborts fetches in flight. */
  stop(): Promise<void>;
  /**
   * Replaces the entries of a pushed feed (the TAXII inbox: `taxii:<poster>`)
   * and rebuilds the index; an empty feed removes it.
   */
  put(name: string, feed: ParsedFeed, meta: PushedFeedMeta): void;
  status(): IntelFeedStatus[];
  /** Calls listener after each index swap; returns an unsubscribe function. */
  onChange(listener: (index: IntelIndex | null) => void): () => void;
  /** Calls listener after a feed's copy was confirmed and the index in force renewed its expiry (IntelIndex.renew). */
  onRenew?(listener: (feed: string, expiresAt: number) => void): () => void;
}
