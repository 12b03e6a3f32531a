/**
 * A fixed feed set for in-process serve tests: the index built from real
 * feed files once, never refreshed (ServeContext.intel). The daemon's own
 * feed set (src/intel/feeds) loads, refreshes and swaps; a test about what
 * the services do with an index needs only its `current()`.
 */
import { isRegistrable } from '../../src/detect/registered-domain.js';
import { buildIntelIndex, type IntelAction, type IntelIndex } from '../../src/intel/index.js';
import { parseList } from '../../src/intel/list.js';
import type { IntelFeeds } from '../../src/intel/view.js';
import { readFileSync } from 'node:fs';

export interface StaticFeed {
  name: string;
  /** A feed file in the list format (one domain, address or network a line). */
  path: string;
  action: IntelAction;
  confidence: number;
}

/** The index of these list files, as the daemon builds it (the one public-suffix rule, the given allowlist). */
export function indexOfFeeds(feeds: readonly StaticFeed[], isAllowlisted: (name: string) => boolean = () => false): IntelIndex {
  return buildIntelIndex(
    feeds.map((f) => ({ name: f.name, action: f.action, confidence: f.confidence, expiresAt: Infinity, feed: parseList(readFileSync(f.path, 'utf8'), f.path) })),
    { isRegistrable, isAllowlisted },
  );
}

export function staticIntelFeeds(index: IntelIndex | null): IntelFeeds {
  return {
    current: () => index,
    load: async () => undefined,
    start: () => undefined,
    stop: async () => undefined,
    put: () => {
      throw new Error('static feeds take no pushed feed');
    },
    status: () => [],
    onChange: () => () => undefined,
  };
}
