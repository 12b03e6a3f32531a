/**
 * Load time and lookup rates of the infra tables, and whether lookups
 * allocate: `npm run -s build && node --expose-gc dist/bench/infra-lookup.js [DATA_DIR]`.
 * Inputs are made up front (a fixed seed), so the loops time only the lookups.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cidrBounds } from '../src/enrich/infra/cidrs.js';
import { defaultReferenceDir, loadInfra, REFERENCE_FILES } from '../src/enrich/infra/index.js';
import type { Infra } from '../src/enrich/infra/index.js';

export interface InfraBench {
  loadMs: { min: number; median: number; max: number };
  /** Million lookups per second, per method. */
  rates: Record<string, number>;
  /** Heap growth over all timed loops, MiB (needs --expose-gc to mean anything). */
  heapGrowthMiB: number;
}

export function benchInfra(dir: string = defaultReferenceDir(), lookups = 5_000_000, loads = 7): InfraBench {
  const times: number[] = [];
  let infra: Infra | null = null;
  for (let i = 0; i < loads; i++) {
    const t0 = performance.now();
    infra = loadInfra(dir);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const loaded = infra!;
  const random = xorshift(20250403);
  const { v4, v6 } = sampleAddresses(dir, random);
  const names = sampleNames(random);
  const loops: [string, (i: number) => number][] = [
    ['providerOfV4 (½ inside ranges)', (i) => loaded.providerOfV4(v4[i & 0xffff]!)],
    ['providerOfV6 (½ inside ranges)', (i) => loaded.providerOfV6(v6[i & 0x3ff]!)],
    ['providerOfAsn', (i) => loaded.providerOfAsn(v4[i & 0xffff]! & 0x7ffff)],
    ['cnameProvider', (i) => loaded.cnameProvider(names[i & 0xff]!)],
    ['isDynamicDns', (i) => (loaded.isDynamicDns(names[i & 0xff]!) ? 1 : 0)],
    ['isTopSite', (i) => (loaded.isTopSite(names[i & 0xff]!) ? 1 : 0)],
    ['poolOf', (i) => (loaded.poolOf(names[i & 0xff]!) === null ? 0 : 1)],
  ];
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rates: Record<string, number> = {};
  let sink = 0;
  for (const [label, lookup] of loops) {
    for (let i = 0; i < 100_000; i++) sink += lookup(i); // warm up the JIT
    const t0 = performance.now();
    for (let i = 0; i < lookups; i++) sink += lookup(i);
    rates[label] = lookups / (performance.now() - t0) / 1000;
  }
  gc?.();
  const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  if (sink === -1) console.log(sink); // keeps the loops from being optimised away
  return { loadMs: { min: times[0]!, median: times[times.length >> 1]!, max: times[times.length - 1]! }, rates, heapGrowthMiB };
}

/** 65,536 IPv4 and 1,024 IPv6 addresses: every other one inside a shipped prefix, the rest random. */
function sampleAddresses(dir: string, random: () => number): { v4: Uint32Array; v6: Uint16Array[] } {
  const prefixes = readFileSync(join(dir, REFERENCE_FILES.cidrs), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const bounds = new Uint32Array(8);
      return { width: cidrBounds(l.split(' ')[0]!, bounds), bounds };
    });
  const p4 = prefixes.filter((p) => p.width === 1);
  const p6 = prefixes.filter((p) => p.width === 4);
  const v4 = new Uint32Array(65536);
  for (let i = 0; i < v4.length; i++) {
    const p = p4[random() % p4.length]!.bounds;
    v4[i] = i % 2 === 0 ? random() : p[0]! + (random() % (p[1]! - p[0]! + 1));
  }
  const v6 = Array.from({ length: 1024 }, (_, i) => {
    const g = new Uint16Array(8);
    const p = p6[random() % p6.length]!.bounds;
    for (let w = 0; w < 4; w++) {
      const word = i % 2 === 0 ? (w === 0 ? 0x20000000 | (random() & 0x0fffffff) : random()) : (p[w]! | (random() & (p[4 + w]! ^ p[w]!))) >>> 0;
      g[2 * w] = word >>> 16;
      g[2 * w + 1] = word & 0xffff;
    }
    return g;
  });
  return { v4, v6 };
}

/** 256 names of the shapes detection sees: CDN CNAME targets, pools, dynamic DNS, popular and unknown names. */
function sampleNames(random: () => number): string[] {
  const shapes = [
    (n: number) => `e${n}.a.akamaiedge.net`,
    (n: number) => `d${n.toString(16)}abcdef.cloudfront.net`,
    (n: number) => `${n % 4}.pool.ntp.org`,
    (n: number) => `host${n}.duckdns.org`,
    () => 'google.com',
    () => 'wikipedia.org',
    (n: number) => `www${n}.shop-${n % 97}.example.com`,
    (n: number) => `cdn-${n}.static.some-long-registered-name.co.uk`,
  ];
  return Array.from({ length: 256 }, (_, i) => shapes[i % shapes.length]!(random() % 100000));
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = benchInfra(process.argv[2]);
  const { min, median, max } = result.loadMs;
  console.log(`load: median ${median.toFixed(0)} ms (min ${min.toFixed(0)}, max ${max.toFixed(0)}) over 7 loads`);
  for (const [label, rate] of Object.entries(result.rates)) console.log(`${label.padEnd(32)} ${rate.toFixed(1)} M/s`);
  console.log(`heap growth over all loops: ${result.heapGrowthMiB.toFixed(2)} MiB`);
}
