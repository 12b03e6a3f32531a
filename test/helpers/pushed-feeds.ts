/**
 * The pushed half of a feed set (IntelFeeds) for tests of what pushes into
 * it (the TAXII inbox): put() rebuilds the index over the real
 * buildIntelIndex, as the daemon's IntelFeedSet does; nothing is loaded or
 * refreshed.
 */
import type { ParsedFeed } from '../../src/intel/entry.js';
import { buildIntelIndex, type IntelFeedInput, type IntelIndex } from '../../src/intel/index.js';
import type { IntelFeeds, PushedFeedMeta } from '../../src/intel/view.js';

export class PushedFeeds implements IntelFeeds {
  readonly inputs = new Map<string, IntelFeedInput>();
  private index: IntelIndex | null = null;
  current(): IntelIndex | null {
    return this.index;
  }
  async load(): Promise<void> {}
  start(): void {}
  async stop(): Promise<void> {}
  put(name: string, feed: ParsedFeed, meta: PushedFeedMeta): void {
    if (feed.entries.length === 0) this.inputs.delete(name);
    else this.inputs.set(name, { name, action: meta.action, confidence: meta.confidence, expiresAt: Infinity, feed });
    this.index = buildIntelIndex([...this.inputs.values()], { isRegistrable: (n) => n.includes('.'), isAllowlisted: () => false });
  }
  status() {
    return [];
  }
  onChange() {
    return () => undefined;
  }
}
