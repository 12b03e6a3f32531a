/**
 * `--intel SOURCE[,key=value...]` for analyze (serve's intel service takes
 * the same flag): the feeds of the config and the flags, loaded once before
 * the input is read, and their counts in the closing summary.
 */
import type { Config } from '../config/schema.js';
import { escapeName } from '../dns/name-text.js';
import type { Infra } from '../enrich/infra/index.js';
import { REFUSALS } from '../intel/index.js';
import type { IntelFeedDetail, IntelFeedSet } from '../intel/feeds/feed-set.js';
import { formatCount } from './summary.js';
import type { IntelFeedConfig } from '../intel/feeds/loader.js';

export const INTEL_FLAG_HELP =
  'threat-intelligence feed: a path or http(s) URL, then ,key=value options (name, kind, column, action, confidence, refresh, expiry, collection); repeatable; adds to config intel.feeds';

/** commander's collector for a repeatable flag. */
export function collectIntel(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The feed set of the feeds (config intel.feeds and --intel: intelFeedsOf), loaded; null when there is no flux feed. */
export async function loadAnalyzeIntel(config: Config, all: readonly IntelFeedConfig[], infra: Infra | null, err: NodeJS.WritableStream): Promise<IntelFeedSet | null> {
  // No feed at all: the feed readers (~20 modules) and spec.ts (zod: config/start.ts) stay unloaded.
  if (all.length === 0) return null;
  const { fluxFeeds } = await import('../intel/feeds/spec.js');
  const feeds = fluxFeeds(all);
  if (feeds.length === 0) return null;
  const [{ IntelFeedSet }, { intelRules }] = await Promise.all([import('../intel/feeds/feed-set.js'), import('../act/intel-rules.js')]);
  const line = (_fields: object, message: string): void => void err.write(`fluxhound: ${oneLine(message)}\n`);
  const set = new IntelFeedSet({
    feeds,
    settings: { cacheDir: config.intel.cacheDir, timeoutMs: config.intel.timeout, maxBytes: config.intel.maxBytes },
    rules: intelRules(config, infra),
    log: { info: line, warn: line },
  });
  await set.load();
  return set;
}

/** Per feed: accepted, skipped (with the first positions), refused by reason. */
export function intelSummaryLines(details: readonly IntelFeedDetail[], samples: (name: string) => readonly { position: string; reason: string }[]): string[] {
  const lines: string[] = [];
  for (const d of details) {
    const head = `intel ${d.name} (${d.kind}, ${escapeName(d.source)})`;
    if (d.counts === null) {
      lines.push(`${head}: no copy${d.error === null ? '' : `: ${oneLine(d.error)}`}`);
      continue;
    }
    const refused = REFUSALS.filter((r) => d.counts!.refused[r] > 0).map((r) => `${formatCount(d.counts!.refused[r])} ${r}`);
    lines.push(`${head}: ${formatCount(d.counts.accepted)} accepted, ${formatCount(d.counts.skipped)} skipped, refused ${refused.length === 0 ? 'none' : refused.join(', ')}${d.error === null ? '' : `; last attempt failed: ${oneLine(d.error)}`}`);
    for (const s of samples(d.name).slice(0, 3)) lines.push(`  skipped ${escapeName(s.position)}: ${oneLine(s.reason)}`);
  }
  return lines;
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
}
