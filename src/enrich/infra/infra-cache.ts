/**
 * The loaded reference lists through the enricher's binary cache
 * (src/enrich/cache.ts, the same file format, naming and safety rules), so a
 * start reads a few compiled tables instead of parsing data/reference's
 * 1.4 MB of text again (~75k lines: ~180 ms of a 1.1 s start, and much of
 * its garbage collection).
 */
import { statSync } from 'node:fs';
import { endianness } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { tableFromWords, tableWords } from '../bundled.js';
import { readCache, writeCache } from '../cache.js';
import type { CacheContent, StringList } from '../cache.js';
import type { InfraCounts, InfraSource, ProviderClass } from './infra.js';
import { SuffixTable } from './suffix-table.js';
import type { InfraParts } from './table-infra.js';

/** Bump when the cached layout changes. Changed parse rules need no bump: the loader's own files are in the key. */
const INFRA_CACHE_FORMAT = 1;

/** The counts in the order the cache keeps them; loadMs is measured at each start, never cached. */
const COUNT_NAMES = [
  'providers',
  'cidrsV4',
  'cidrsV6',
  'asns',
  'cnameSuffixes',
  'topSites',
  'dynamicDnsSuffixes',
  'poolSuffixes',
  'platforms',
  'platformAsns',
  'platformDomains',
] as const satisfies readonly (keyof InfraCounts)[];

const SUFFIX_TABLES = ['cnames', 'topSites', 'dynamicDns', 'pools', 'platformDomains'] as const satisfies readonly (keyof InfraParts)[];

/**
 * The code that turns the lists into tables: a rebuilt or edited loader
 * makes a new key, so a cache never outlives the rules it was parsed by.
 */
const LOADER_FILES = ['./index', './cidrs', './reference-file', './suffix-table', './providers', '../../model/names'].map((f) =>
  // .js when built, .ts under vitest: the extension this module has.
  fileURLToPath(new URL(f + extname(fileURLToPath(import.meta.url)), import.meta.url)),
);

/** Where the lists of dir are cached in cacheDir: one file per directory, named by a hash of its path. */
export function infraCacheFile(cacheDir: string, dir: string): string {
  return join(cacheDir, `infra-${crc32(dir).toString(16).padStart(8, '0')}.bin`);
}

/** Everything that would make a cached copy wrong: layout, directory, each list's and loader file's size and mtime, byte order. */
export function infraCacheKey(dir: string, files: readonly string[]): string {
  const stamp = (p: string) => {
    try {
      const st = statSync(p);
      return `${p}:${st.size}:${st.mtimeMs}`;
    } catch {
      return `${p}:missing`;
    }
  };
  return [`infra format ${INFRA_CACHE_FORMAT}`, endianness(), ...files.map((f) => stamp(join(dir, f))), ...LOADER_FILES.map(stamp)].join('|');
}

/** The parts from the cache when it holds them for exactly this key; null otherwise. */
export function readInfraCache(file: string, key: string): InfraParts | null {
  const content = readCache(file, key);
  return content === null ? null : partsFromCache(content);
}

/** Best effort, like every cache write: false when it could not be written. */
export function writeInfraCache(file: string, key: string, parts: InfraParts): boolean {
  return writeCache(file, key, partsToCache(parts));
}

export function partsToCache(p: InfraParts): CacheContent {
  const words: Record<string, Uint32Array> = {
    counts: Uint32Array.from(COUNT_NAMES, (name) => p.counts[name]),
    ...tableWords('v4', p.v4),
    ...tableWords('v6', p.v6),
    ...mapWords('asns', p.asns),
    ...mapWords('platformAsns', p.platformAsns),
  };
  const strings: Record<string, StringList> = {
    sources: p.sources.map((s) => JSON.stringify(s)),
    providerNames: p.providerNames,
    providerClasses: p.providerClasses,
    poolNames: p.poolNames,
    platformNames: p.platformNames,
  };
  for (const name of SUFFIX_TABLES) {
    const t = p[name].words();
    words[`${name}Hashes`] = new Uint32Array(t.hashes.buffer, t.hashes.byteOffset, t.hashes.length);
    words[`${name}Values`] = new Uint32Array(t.values.buffer, t.values.byteOffset, t.values.length);
    words[`${name}Shape`] = Uint32Array.of(t.capacity, t.maxLength);
    strings[`${name}Keys`] = p[name].keyList();
  }
  return { words, strings };
}

/** The parts back; null when anything is missing or does not fit (the caller parses the lists instead). */
export function partsFromCache(c: CacheContent): InfraParts | null {
  const counts = countsOf(c.words['counts']);
  const v4 = tableFromWords(c.words, 'v4', 1);
  const v6 = tableFromWords(c.words, 'v6', 4);
  const asns = mapOf(c.words, 'asns');
  const platformAsns = mapOf(c.words, 'platformAsns');
  const sources = sourcesOf(c.strings['sources']);
  const providerNames = arrayOf(c.strings['providerNames']);
  const providerClasses = arrayOf(c.strings['providerClasses']);
  const poolNames = arrayOf(c.strings['poolNames']);
  const platformNames = arrayOf(c.strings['platformNames']);
  const tables = SUFFIX_TABLES.map((name) => suffixTableOf(c, name));
  const [cnames, topSites, dynamicDns, pools, platformDomains] = tables;
  if (!counts || !v4 || !v6 || !asns || !platformAsns || !sources || !providerNames || !providerClasses || !poolNames || !platformNames) return null;
  if (!cnames || !topSites || !dynamicDns || !pools || !platformDomains) return null;
  if (!providerClasses.every((cls): cls is ProviderClass => cls === 'cdn' || cls === 'cloud') || providerClasses.length !== providerNames.length) return null;
  return {
    sources,
    counts,
    providerNames,
    providerClasses,
    v4,
    v6,
    asns,
    cnames,
    topSites,
    dynamicDns,
    pools,
    poolNames,
    platformNames,
    platformAsns,
    platformDomains,
  };
}

function countsOf(words: Uint32Array | undefined): InfraCounts | null {
  if (words === undefined || words.length !== COUNT_NAMES.length) return null;
  const counts = { loadMs: 0 } as InfraCounts;
  COUNT_NAMES.forEach((name, i) => {
    counts[name] = words[i]!;
  });
  return counts;
}

function mapWords(name: string, map: ReadonlyMap<number, number>): Record<string, Uint32Array> {
  return { [`${name}Keys`]: Uint32Array.from(map.keys()), [`${name}Values`]: Uint32Array.from(map.values()) };
}

function mapOf(words: Record<string, Uint32Array>, name: string): Map<number, number> | null {
  const keys = words[`${name}Keys`];
  const values = words[`${name}Values`];
  if (!keys || !values || keys.length !== values.length) return null;
  const map = new Map<number, number>();
  for (let i = 0; i < keys.length; i++) map.set(keys[i]!, values[i]!);
  return map;
}

/** The small lists, as arrays: they are indexed on hot paths and hold a few dozen names. */
function arrayOf(list: StringList | undefined): string[] | null {
  return list === undefined ? null : Array.from({ length: list.length }, (_, i) => list.at(i)!);
}

function sourcesOf(list: StringList | undefined): InfraSource[] | null {
  const texts = arrayOf(list);
  if (texts === null) return null;
  const sources = texts.map((t) => JSON.parse(t) as InfraSource);
  return sources.every((s) => s.kind === 'infra' && typeof s.name === 'string' && Array.isArray(s.upstream)) ? sources : null;
}

function suffixTableOf(c: CacheContent, name: string): SuffixTable | null {
  const hashes = c.words[`${name}Hashes`];
  const values = c.words[`${name}Values`];
  const shape = c.words[`${name}Shape`];
  const keys = c.strings[`${name}Keys`];
  if (!hashes || !values || !shape || shape.length !== 2 || !keys) return null;
  const words = {
    capacity: shape[0]!,
    maxLength: shape[1]!,
    hashes: new Int32Array(hashes.buffer, hashes.byteOffset, hashes.length),
    values: new Int32Array(values.buffer, values.byteOffset, values.length),
  };
  return SuffixTable.fromWords(words, keys);
}
