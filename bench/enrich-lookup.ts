/**
 * Enrichment micro-benchmark: load time (CSV parse, binary cache) and
 * lookups per second on 1M random IPv4 and 1M random IPv6 addresses.
 * Standalone: `npm run -s build && node --expose-gc dist/bench/enrich-lookup.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadBundledAsn } from '../src/enrich/asn/index.js';
import type { Enricher } from '../src/enrich/enricher.js';
import { loadBundledCountry } from '../src/enrich/geo/index.js';
import { createEnricher } from '../src/enrich/index.js';

const LOOKUPS = 1_000_000;

export interface EnrichBench {
  v4PerSec: number;
  v6PerSec: number;
  /** createEnricher() with default options: what a start costs once the cache is warm. */
  loadMs: number;
}

export async function benchEnrich(): Promise<EnrichBench> {
  let t = performance.now();
  const enricher = await createEnricher();
  const loadMs = performance.now() - t;
  const { v4PerSec, v6PerSec } = lookupRates(enricher);
  return { v4PerSec, v6PerSec, loadMs };
}

/** xorshift32: the same addresses every run, so numbers compare across runs. */
function randomWords(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0;
  }
  return out;
}

export function lookupRates(enricher: Enricher): { v4PerSec: number; v6PerSec: number; sink: number } {
  const v4 = randomWords(LOOKUPS, 0x9e3779b9);
  // Global unicast (2000::/4) with random low bits: where real AAAA answers live.
  const v6 = new Uint16Array(randomWords(LOOKUPS * 4, 0x85ebca6b).buffer);
  for (let i = 0; i < LOOKUPS; i++) v6[i * 8] = 0x2000 | (v6[i * 8]! & 0x0fff);
  const groups = new Uint16Array(8);
  let sink = 0;
  // Warm-up so the timed loops run optimised code.
  for (let i = 0; i < 100_000; i++) sink += enricher.asnV4(v4[i]!) + enricher.countryV4(v4[i]!).length;

  let t = performance.now();
  for (let i = 0; i < LOOKUPS; i++) sink += enricher.asnV4(v4[i]!) + enricher.countryV4(v4[i]!).length;
  const v4Ms = performance.now() - t;

  t = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    for (let j = 0; j < 8; j++) groups[j] = v6[i * 8 + j]!;
    sink += enricher.asnV6(groups) + enricher.countryV6(groups).length;
  }
  const v6Ms = performance.now() - t;
  // One "lookup" is one address resolved to both ASN and country.
  return { v4PerSec: (LOOKUPS / v4Ms) * 1000, v6PerSec: (LOOKUPS / v6Ms) * 1000, sink };
}

/**
 * Heap growth in bytes over LOOKUPS IPv4 lookups (needs --expose-gc; NaN
 * without). A few hundred KB that do not grow with LOOKUPS are V8's own
 * bookkeeping; an allocating hot path would show tens of MB.
 * The sink stays a small integer so the loop itself allocates nothing, and
 * the last of three runs is taken so it measures optimised code.
 */
function heapGrowth(enricher: Enricher): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return NaN;
  const ips = randomWords(LOOKUPS, 7);
  const run = (): number => {
    let sink = 0;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < LOOKUPS; i++) sink = (sink + enricher.asnV4(ips[i]!) + enricher.countryV4(ips[i]!).length) | 0;
    const after = process.memoryUsage().heapUsed;
    return sink === 0.5 ? NaN : after - before;
  };
  run();
  run();
  return run();
}

function ms(from: number): string {
  return `${(performance.now() - from).toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-'));
  try {
    let t = performance.now();
    const asn = loadBundledAsn(false).value;
    const country = loadBundledCountry(false).value;
    console.log(`load from CSV (no cache):  ${ms(t)}`);
    loadBundledAsn(dir);
    loadBundledCountry(dir);
    t = performance.now();
    const a2 = loadBundledAsn(dir);
    const c2 = loadBundledCountry(dir);
    console.log(`load from binary cache:    ${ms(t)} (${a2.from}, ${c2.from})`);
    const tables = [asn.v4, asn.v6, country.v4, country.v6];
    const bytes = tables.reduce((n, x) => n + x.starts.byteLength + x.ends.byteLength + x.values.byteLength, 0);
    let orgChars = 0;
    for (let i = 0; i < asn.orgs.names.length; i++) orgChars += asn.orgs.names.at(i)!.length;
    console.log(`rows: asn v4 ${asn.v4.length}, v6 ${asn.v6.length}; country v4 ${country.v4.length}, v6 ${country.v6.length}; skipped ${asn.skipped + country.skipped}`);
    console.log(`tables: ${(bytes / 1048576).toFixed(1)} MiB typed arrays + ${asn.orgs.names.length} AS names (${(orgChars / 1048576).toFixed(1)} M chars)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = await benchEnrich();
  console.log(`createEnricher() default:  ${r.loadMs.toFixed(0)} ms`);
  console.log(`IPv4: ${(r.v4PerSec / 1e6).toFixed(2)} M lookups/s (ASN + country)`);
  console.log(`IPv6: ${(r.v6PerSec / 1e6).toFixed(2)} M lookups/s (ASN + country)`);
  const enricher = await createEnricher();
  console.log(`heap growth over ${LOOKUPS / 1e6}M IPv4 lookups: ${(heapGrowth(enricher) / 1024).toFixed(0)} KiB`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
