/**
 * `fluxhound eval --intel FEED --input CAPTURE`: read the feed, analyse the
 * capture through the whole pipeline (src/analyze.ts, any input format), and
 * measure how long before each listing fluxhound flagged the domain.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { analyze } from '../analyze.js';
import type { Config } from '../config/schema.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Infra } from '../enrich/infra/index.js';
import { UsageError } from '../model/errors.js';
import type { Verdict } from '../model/verdict.js';
import { FeedParser, type Feed } from './intel-feed.js';
import { leadTimes, matchKey, type FlaggedName, type LeadTimeReport } from './lead-time.js';

/** Flagged names kept from one capture; past it the report says how many were left out. */
const MAX_FLAGGED = 1_000_000;

export interface LeadTimeOptions {
  feed: string;
  inputs: string[];
  format: string;
  config: Config;
  enricher: Enricher;
  infra: Infra | null;
}

export interface LeadTimeResult extends LeadTimeReport {
  feed: { file: string; shape: Feed['shape']; lines: number; domains: number; skipped: number; skippedSamples: Feed['skippedSamples'] };
  capture: { files: string[]; records: number; skipped: number; flaggedLeftOut: number };
}

export async function readFeed(file: string): Promise<Feed> {
  if (!existsSync(file)) throw new UsageError(`eval: --intel ${file}: no such file`);
  const parser = new FeedParser();
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) parser.line(line);
  return parser.feed;
}

export async function runLeadTime(options: LeadTimeOptions): Promise<LeadTimeResult> {
  const feed = await readFeed(options.feed);
  const listedKeys = new Set([...feed.listings.keys()].map(matchKey));
  const flagged = new Map<string, number>();
  const seen = new Set<string>();
  let flaggedLeftOut = 0;
  const keep = (v: Verdict): void => {
    if (v.scope !== 'name') return;
    const key = matchKey(v.domain);
    if (listedKeys.has(key)) seen.add(key);
    if (v.verdict !== 'fast-flux' || v.first_flagged === null) return;
    const at = Date.parse(v.first_flagged) / 1000;
    const before = flagged.get(v.domain);
    if (before !== undefined) {
      if (at < before) flagged.set(v.domain, at);
    } else if (flagged.size < MAX_FLAGGED) flagged.set(v.domain, at);
    else flaggedLeftOut++;
  };
  const summary = await analyze({
    files: options.inputs,
    format: options.format,
    config: options.config,
    enricher: options.enricher,
    infra: options.infra,
    baseline: null,
    all: true,
    sinks: [{ name: 'lead-time', verdict: keep, close: async () => {} }],
  });
  const names: FlaggedName[] = [...flagged].map(([name, firstFlagged]) => ({ name, firstFlagged }));
  return {
    ...leadTimes(names, feed.listings, seen),
    feed: { file: options.feed, shape: feed.shape, lines: feed.lines, domains: feed.listings.size, skipped: feed.skipped, skippedSamples: feed.skippedSamples },
    capture: { files: options.inputs, records: summary.records, skipped: summary.skipped, flaggedLeftOut },
  };
}
