/**
 * What one rewrite of `serve --stix` / `--misp-feed` and one TAXII
 * republication cost on a large flagged set: N flagged names (default 5000)
 * with 16 addresses each in 50 flux networks, built from the live set as the
 * daemon does (serve/share/live.ts), written atomically, and published
 * (taxii/source.ts Publication). Run: `npm run build && node
 * dist/bench/share.js [NAMES]`. Prints one line per step (ms, objects, bytes).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlaggedDomains } from '../src/act/flagged.js';
import { writeMispFeed } from '../src/act/misp/sink.js';
import { writeFileAtomic } from '../src/act/rpz/zone-file.js';
import { stixText } from '../src/act/stix/bundle.js';
import { defaultConfig } from '../src/config/schema.js';
import { emptyFeatures } from '../src/detect/features/index.js';
import type { Verdict } from '../src/model/verdict.js';
import { liveMispFeed, liveStixBundle, mispOptionsOf, stixOptionsOf } from '../src/serve/share/live.js';
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

async function main(): Promise<void> {
  const names = Number(process.argv[2] ?? 5000);
  const config = defaultConfig();
  const flagged = new FlaggedDomains();
  for (let i = 0; i < names; i++) flagged.upsert(verdict(i, '2026-12-05T01:00:00.000Z'));
  const live = { flagged, networks: () => [] };
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-share-'));
  const time = async <T>(what: string, run: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    const result = await run();
    console.log(`${what}: ${Math.round(performance.now() - started)} ms`);
    return result;
  };
  try {
    const { bundle } = await time(`stix: build the bundle of ${names} names`, () => liveStixBundle(live, stixOptionsOf(config)));
    const text = await time(`stix: serialise ${bundle.objects.length} objects`, () => stixText(bundle));
    await time('stix: atomic write', () => writeFileAtomic(join(dir, 'f.stix.json'), [text]));
    console.log(`stix: ${(statSync(join(dir, 'f.stix.json')).size / 1e6).toFixed(1)} MB`);
    const { feed } = await time('misp: build the feed', () => liveMispFeed(live, mispOptionsOf(config, null)));
    await time(`misp: write ${feed.files.length} files`, () => writeMispFeed(join(dir, 'misp'), feed));
    const publication = new Publication();
    await time('taxii: first publication', () => publication.publish(bundle.objects, Date.now()));
    // Every name seen again later: every indicator and relationship gets a new version.
    for (let i = 0; i < names; i++) flagged.upsert(verdict(i, '2026-12-05T02:00:00.000Z'));
    const next = liveStixBundle(live, stixOptionsOf(config)).bundle;
    const added = await time('taxii: republication after every name moved', () => publication.publish(next.objects, Date.now()));
    console.log(`taxii: ${added} new versions, ${publication.size} held`);
    const heap = process.memoryUsage().heapUsed;
    console.log(`heap: ${Math.round(heap / 1e6)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
