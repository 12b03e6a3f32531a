/**
 * Threat-intelligence feeds at scale (issue 15): a feed of N entries (1M by
 * default: half domains, half IPv4/IPv6 addresses and networks) generated on
 * the fly as a plain list, parsed and indexed with the real public-suffix
 * rule, then looked up as the detector's hot path does. Reports parse and
 * build time, the heap the parsed feed and the index hold, lookups per second
 * and bytes allocated per lookup (heap before/after a million lookups, no gc
 * between: an allocation-free path shows ~0). `node --expose-gc
 * dist/bench/intel.js` runs it alone; FLUXHOUND_BENCH_INTEL_ENTRIES and
 * FLUXHOUND_BENCH_INTEL_LOOKUPS change the sizes.
 */
import { pathToFileURL } from 'node:url';
import { isRegistrable } from '../src/detect/registered-domain.js';
import { buildIntelIndex, type IntelIndex } from '../src/intel/index.js';
import { parseList } from '../src/intel/list.js';

export interface IntelBenchOptions {
  entries: number;
  lookups: number;
}

export interface IntelFigures {
  entries: number;
  textBytes: number;
  parseMs: number;
  buildMs: number;
  /** Heap (plus array buffers) the parsed entries and the index hold after gc; NaN without --expose-gc. */
  heapBytes: number;
  accepted: number;
  skipped: number;
  refused: number;
  lookups: number;
  domainLookupsPerSec: number;
  addressLookupsPerSec: number;
  /** Heap growth over the timed lookups divided by their number; NaN without --expose-gc. */
  bytesPerDomainLookup: number;
  bytesPerAddressLookup: number;
  hits: number;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): IntelBenchOptions {
  const n = (key: string, fallback: number) => {
    const v = Number(env[key] ?? fallback);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`bench: ${key} takes a positive whole number`);
    return v;
  };
  return { entries: n('FLUXHOUND_BENCH_INTEL_ENTRIES', 1_000_000), lookups: n('FLUXHOUND_BENCH_INTEL_LOOKUPS', 1_000_000) };
}

/** xorshift32: the same feed and queries every run. */
function words(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const TLDS = ['com', 'net', 'org', 'ru', 'info', 'co.uk', 'xyz', 'top'];

/** A public IPv4 address: first octet 20..99 holds no special-purpose block. */
function publicV4(r: number): string {
  return `${20 + (r % 80)}.${(r >>> 8) & 255}.${(r >>> 16) & 255}.${(r >>> 24) & 255}`;
}

/** The i-th listed domain. */
export function listedDomain(i: number): string {
  return `fx${i.toString(36)}.example-${i % 5000}.${TLDS[i % TLDS.length]}`;
}

/** The feed text: domains, then IPv4 addresses (80%), IPv4 networks (10%), IPv6 addresses and /48s (5% each). */
export function feedText(entries: number): { text: string; v4: string[] } {
  const next = words(0x9e3779b9);
  const lines: string[] = ['# generated intel feed'];
  const domains = Math.floor(entries / 2);
  for (let i = 0; i < domains; i++) lines.push(listedDomain(i));
  const addresses = entries - domains;
  const v4: string[] = [];
  for (let i = 0; i < addresses; i++) {
    const r = next();
    const slot = i % 20;
    if (slot < 16) {
      const a = publicV4(r);
      v4.push(a);
      lines.push(a);
    } else if (slot < 18) lines.push(`${publicV4(r & 0x00ffffff)}/${24 + (r % 6)}`);
    else if (slot === 18) lines.push(`2a0${(r & 7).toString(16)}:${(r >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`);
    else lines.push(`2a0${(r & 7).toString(16)}:${(r >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::/48`);
  }
  return { text: lines.join('\n') + '\n', v4 };
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
function settledHeap(): number {
  if (!gc) return NaN;
  gc();
  gc();
  return heapNow();
}

export function benchIntel(options: IntelBenchOptions, log: (line: string) => void): IntelFigures {
  log(`intel: generating a ${options.entries.toLocaleString('en')}-entry feed`);
  const { text, v4 } = feedText(options.entries);
  const before = settledHeap();
  let t = performance.now();
  const parsed = parseList(text, 'bench.txt', { maxEntries: options.entries * 2, maxLine: 4096, maxSkipped: 1000 });
  const parseMs = performance.now() - t;
  t = performance.now();
  const index = buildIntelIndex([{ name: 'bench', action: 'block', confidence: 80, expiresAt: Infinity, feed: parsed }], { isRegistrable, isAllowlisted: () => false });
  const buildMs = performance.now() - t;
  const heapBytes = settledHeap() - before;
  const counts = index.counts[0]!;
  const refused = Object.values(counts.refused).reduce((a, b) => a + b, 0);
  log(`intel: parsed in ${parseMs.toFixed(0)} ms, indexed in ${buildMs.toFixed(0)} ms`);

  // Queries: half below a listed domain (an ancestor walk that hits), half unlisted; addresses half listed.
  const next = words(0x85ebca6b);
  const domainQueries: string[] = [];
  const addressQueries: string[] = [];
  const domains = Math.floor(options.entries / 2);
  for (let i = 0; i < options.lookups; i++) {
    const r = next();
    domainQueries.push(i % 2 === 0 ? `www${r % 10}.${listedDomain(r % domains)}` : `q${r.toString(36)}.unlisted-${r % 977}.com`);
    addressQueries.push(i % 2 === 0 ? v4[r % v4.length]! : publicV4(next()));
  }
  const domainRun = timeLookups(index, domainQueries, (ix, q) => ix.matchDomain(q, 0) !== null);
  const addressRun = timeLookups(index, addressQueries, (ix, q) => ix.matchAddress(q, 0) !== null);
  return {
    entries: options.entries,
    textBytes: text.length,
    parseMs,
    buildMs,
    heapBytes,
    accepted: counts.accepted,
    skipped: counts.skipped,
    refused,
    lookups: options.lookups,
    domainLookupsPerSec: domainRun.perSec,
    addressLookupsPerSec: addressRun.perSec,
    bytesPerDomainLookup: domainRun.bytesPerLookup,
    bytesPerAddressLookup: addressRun.bytesPerLookup,
    hits: domainRun.hits + addressRun.hits,
  };
}

/** Three passes (the first two warm the optimiser); the last is timed and its heap growth measured without a gc inside. */
function timeLookups(index: IntelIndex, queries: string[], lookup: (index: IntelIndex, q: string) => boolean): { perSec: number; bytesPerLookup: number; hits: number } {
  let hits = 0;
  let ms = 0;
  let grown = NaN;
  for (let pass = 0; pass < 3; pass++) {
    hits = 0;
    gc?.();
    const heap = heapNow();
    const t = performance.now();
    for (let i = 0; i < queries.length; i++) if (lookup(index, queries[i]!)) hits++;
    ms = performance.now() - t;
    grown = gc ? heapNow() - heap : NaN;
  }
  return { perSec: (queries.length / ms) * 1000, bytesPerLookup: Math.max(0, grown) / queries.length, hits };
}

export function formatIntel(f: IntelFigures): string {
  const mb = (b: number) => (Number.isNaN(b) ? 'n/a (run with --expose-gc)' : `${(b / 1e6).toFixed(0)} MB`);
  const per = (b: number) => (Number.isNaN(b) ? 'n/a' : `${b.toFixed(2)} B`);
  const rate = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;
  return [
    `intel feed: ${f.entries.toLocaleString('en')} entries (${(f.textBytes / 1e6).toFixed(1)} MB of list text), ${f.accepted.toLocaleString('en')} indexed, ${f.refused} refused, ${f.skipped} skipped`,
    `  parse ${f.parseMs.toFixed(0)} ms, index build ${f.buildMs.toFixed(0)} ms, heap held ${mb(f.heapBytes)}`,
    `  ${f.lookups.toLocaleString('en')} lookups each: domains ${rate(f.domainLookupsPerSec)} (${per(f.bytesPerDomainLookup)} allocated a lookup), addresses ${rate(f.addressLookupsPerSec)} (${per(f.bytesPerAddressLookup)} a lookup)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = benchIntel(optionsFromEnv(), (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${formatIntel(figures)}\n${JSON.stringify(figures)}\n`);
}
