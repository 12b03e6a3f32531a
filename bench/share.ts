/**
 * What one rewrite of `serve --stix` / `--misp-feed` and one TAXII
 * republication cost on a large flagged set: N flagged names (default 5000)
 * with 16 addresses each in 50 flux networks, built from the live set as the
 * daemon does (serve/share/live.ts), written atomically, and published
 * (taxii/source.ts Publication). Each build runs twice: synchronously (as
 * `analyze` does; one hold of the event loop) and in slices as the daemon
 * does, with the longest hold of the event loop measured (a 1 ms interval's
 * lateness, and perf_hooks monitorEventLoopDelay's max). Run: `npm run build
 * && node dist/bench/share.js [NAMES]`. Prints one line per step.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlaggedDomains } from '../src/act/flagged.js';
import { writeMispFeed } from '../src/act/misp/sink.js';
import { writeFileAtomic } from '../src/act/rpz/zone-file.js';
import { stixText, stixTextParts } from '../src/act/stix/bundle.js';
import { defaultConfig } from '../src/config/schema.js';
import { emptyFeatures } from '../src/detect/features/index.js';
import type { Verdict } from '../src/model/verdict.js';
import { liveMispFeed, liveMispFeedSteps, liveStixBundle, liveStixBundleSteps, mispOptionsOf, stixOptionsOf } from '../src/serve/share/live.js';
import { rebuildSlices, runStepsYielding } from '../src/serve/slices.js';
import { page, pageOrdered, parseQuery, select, toRecord } from '../src/serve/taxii/query.js';
import { Publication } from '../src/serve/taxii/source.js';

function verdict(i: number, lastSeen: string): Verdict {
  const network = (i % 50) + 1;
  const addresses = Array.from({ length: 16 }, (_, k) => ({ address: `185.${network}.${(i * 7 + k) % 250}.${(k * 13 + i) % 250}`, last_seen: lastSeen, asn: 64500 + k, known: false }));
  return {
    domain: `n${i}.flux${network}.example`,
    registered_domain: `flux${network}.example`,
    scope: 'name',
    verdict: 'fast-flux',
    flux: 'single',
    score: 90,
    reasons: ['16 IPs in 16 ASNs across 9 countries and 16 prefixes', 'TTL 300 s'],
    features: { ...emptyFeatures(), network_id: network, network_size: 400, network_asns: 16 },
    contributions: [],
    first_seen: '2026-12-05T00:00:00.000Z',
    last_seen: lastSeen,
    first_flagged: '2026-12-05T00:01:00.000Z',
    lookups_to_flag: 3,
    enrichment: [],
    network: `fn-${network}`,
    evidence: { addresses, name_servers: [], ns_addresses: [] },
  };
}

/**
 * The event loop's longest hold while `run` runs: a 1 ms timer notes how late
 * it fires (the hold that delayed it), and monitorEventLoopDelay agrees.
 */
async function holding<T>(run: () => Promise<T>): Promise<{ result: T; wallMs: number; longestHoldMs: number; longestSliceMs: number; longestSliceCpuMs: number; histogramMaxMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let longest = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  rebuildSlices.longestMs = 0;
  rebuildSlices.longestCpuMs = 0;
  histogram.enable();
  const started = performance.now();
  const result = await run();
  const wallMs = performance.now() - started;
  histogram.disable();
  clearInterval(tick);
  longest = Math.max(longest, performance.now() - last);
  return { result, wallMs, longestHoldMs: longest, longestSliceMs: rebuildSlices.longestMs, longestSliceCpuMs: rebuildSlices.longestCpuMs, histogramMaxMs: histogram.max / 1e6 };
}

async function main(): Promise<void> {
  const names = Number(process.argv[2] ?? 5000);
  const config = defaultConfig();
  const flagged = new FlaggedDomains();
  for (let i = 0; i < names; i++) flagged.upsert(verdict(i, '2026-12-05T01:00:00.000Z'));
  const live = { flagged, networks: () => [] };
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-share-'));
  const time = async <T>(what: string, run: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const result = await run();
    const used = process.cpuUsage(cpu);
    console.log(`${what}: ${Math.round(performance.now() - started)} ms wall, ${Math.round((used.user + used.system) / 1000)} ms CPU`);
    return result;
  };
  const sliced = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const h = await holding(run);
    console.log(`${what}: ${Math.round(h.wallMs)} ms wall, longest hold ${h.longestHoldMs.toFixed(1)} ms (longest slice ${h.longestSliceMs.toFixed(1)} ms wall, ${h.longestSliceCpuMs.toFixed(1)} ms CPU; loop-delay max ${h.histogramMaxMs.toFixed(1)} ms)`);
    return h.result;
  };
  try {
    // Before: the synchronous builders (analyze's path; the daemon's before issue 15b): one hold each.
    const { bundle } = await time(`stix: build the bundle of ${names} names, synchronous (one hold)`, () => liveStixBundle(live, stixOptionsOf(config)));
    const text = await time(`stix: serialise ${bundle.objects.length} objects, synchronous (one hold)`, () => stixText(bundle));
    // After: as the daemon does it now, in slices with the event loop free between them.
    const yielded = await sliced('stix: build the bundle in slices', () => runStepsYielding(liveStixBundleSteps(live, stixOptionsOf(config))));
    await sliced('stix: serialise + atomic write, an object at a time', () => writeFileAtomic(join(dir, 'f.stix.json'), stixTextParts(yielded.bundle)));
    console.log(`stix: ${(statSync(join(dir, 'f.stix.json')).size / 1e6).toFixed(1)} MB, same bytes as synchronous: ${readFileSync(join(dir, 'f.stix.json'), 'utf8') === text}`);
    const { feed } = await time('misp: build the feed, synchronous (one hold)', () => liveMispFeed(live, mispOptionsOf(config, null)));
    const feedSliced = await sliced('misp: build the feed in slices', () => runStepsYielding(liveMispFeedSteps(live, mispOptionsOf(config, null))));
    console.log(`misp: same files as synchronous: ${JSON.stringify(feedSliced.feed.files) === JSON.stringify(feed.files)}`);
    await sliced(`misp: write ${feed.files.length} files`, () => writeMispFeed(join(dir, 'misp'), feed));
    const publication = new Publication();
    await time('taxii: first publication, synchronous (one hold)', () => publication.publish(bundle.objects, Date.now()));
    const yieldedPublication = new Publication();
    await sliced('taxii: first publication in slices', () => runStepsYielding(yieldedPublication.publishSteps(bundle.objects, Date.now())));
    // Every name seen again later: every indicator and relationship gets a new version.
    for (let i = 0; i < names; i++) flagged.upsert(verdict(i, '2026-12-05T02:00:00.000Z'));
    const next = liveStixBundle(live, stixOptionsOf(config)).bundle;
    const added = await time('taxii: republication after every name moved, synchronous (one hold)', () => publication.publish(next.objects, Date.now()));
    await sliced('taxii: republication after every name moved, in slices', () => runStepsYielding(yieldedPublication.publishSteps(next.objects, Date.now())));
    console.log(`taxii: ${added} new versions, ${publication.size} held`);
    // A poller's page: the old select-and-sort of every version against the ordered log's binary search + walk.
    const query = parseQuery(new URLSearchParams(`added_after=${new Date(0).toISOString()}&limit=1000`), new Set(['id', 'type', 'version', 'spec_version'] as const));
    const records = publication.objects().map(toRecord);
    await time(`taxii: one page by select-and-sort of ${records.length} versions`, () => page(select(records, query), query));
    await time('taxii: one page from the ordered log', () => pageOrdered(publication, query));
    const heap = process.memoryUsage().heapUsed;
    console.log(`heap: ${Math.round(heap / 1e6)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
