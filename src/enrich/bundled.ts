/**
 * The ip-location-db npm packages that ship with fluxhound: where their files
 * are, what version and date they are, and loading them through the binary
 * cache so only the first start pays for the CSV parse.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { readCache, writeCache } from './cache.js';
import type { CacheContent } from './cache.js';
import { INDEX_WORDS } from './ranges.js';
import type { RangeTable } from './ranges.js';

/** Bump when the cached layout or the parse rules change, so old caches are not trusted. */
const CACHE_FORMAT = 2;

export interface BundledPackage {
  name: string;
  version: string;
  /** YYYY-MM-DD from the version, when it encodes one. */
  date: string | null;
  dir: string;
}

export function bundledPackage(name: string): BundledPackage {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    throw new Error(`enrich: ${name}: package not installed (run npm install)`);
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`enrich: ${name}: package.json has no version`);
  return { name, version, date: dateFromVersion(version), dir: dirname(manifest) };
}

/**
 * ip-location-db versions are major.minor.YYYYMMDDHH (2.3.2026061719 was built
 * 2026-06-17 19:00), which is the only date the packages carry.
 */
export function dateFromVersion(version: string): string | null {
  const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version);
  if (!m) return null;
  const [, y, mo, d] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return `${y}-${mo}-${d}`;
}

/**
 * Where compiled tables go: cacheDir when given (false turns caching off),
 * else $XDG_CACHE_HOME/fluxhound, else node_modules/.cache/fluxhound beside
 * the package (the convention babel, eslint and others use).
 */
export function cacheDirFor(pkg: BundledPackage, cacheDir: string | false | undefined): string | null {
  if (cacheDir === false) return null;
  if (cacheDir !== undefined) return cacheDir;
  const xdg = process.env['XDG_CACHE_HOME'];
  if (xdg) return join(xdg, 'fluxhound');
  const marker = `${sep}node_modules${sep}`;
  const at = pkg.dir.lastIndexOf(marker);
  if (at === -1) return null;
  return join(pkg.dir.slice(0, at + marker.length - 1), '.cache', 'fluxhound');
}

/** An IPv4 and an IPv6 table, as every part of the enricher holds them. */
export interface TablePair {
  v4: RangeTable;
  v6: RangeTable;
}

/** What a bundled package parses into: its two tables plus whatever else it carries. */
export interface BundledTables extends TablePair {
  /** CSV lines skipped as bad, over both files. */
  skipped: number;
}

export interface BundledLoad<T extends BundledTables> {
  package: string;
  /** The IPv4 and IPv6 CSV inside the package; their size and mtime are part of the cache key. */
  files: readonly [string, string];
  cacheDir: string | false | undefined;
  parse: (v4: Buffer, v6: Buffer) => T;
  /** What T holds besides the tables and skip count, for the cache. */
  extraToCache: (value: T) => CacheContent;
  /** T from the cached extras and tables; null when the extras do not have the expected shape. */
  extraFromCache: (content: CacheContent, tables: BundledTables) => T | null;
}

export interface Bundled<T> {
  value: T;
  from: 'cache' | 'csv';
  name: string;
  version: string;
  date: string | null;
}

/** Load a bundled package's tables, from the binary cache when it is valid, else from the CSV. */
export function loadBundled<T extends BundledTables>(load: BundledLoad<T>): Bundled<T> {
  const pkg = bundledPackage(load.package);
  const about = { name: pkg.name, version: pkg.version, date: pkg.date };
  const paths = load.files.map((f) => join(pkg.dir, f));
  const dir = cacheDirFor(pkg, load.cacheDir);
  const file = dir === null ? null : join(dir, `${basename(pkg.name)}-${pkg.version}.bin`);
  const key = file === null ? '' : cacheKey(pkg, paths);
  if (file !== null) {
    const content = readCache(file, key);
    const tables = content === null ? null : tablesFromCache(content);
    const value = tables === null ? null : load.extraFromCache(content!, tables);
    if (value !== null) return { value, from: 'cache', ...about };
  }
  const value = load.parse(readData(pkg, paths[0]!), readData(pkg, paths[1]!));
  if (file !== null) {
    const extra = load.extraToCache(value);
    writeCache(file, key, { words: { ...extra.words, ...tablesToWords(value) }, strings: extra.strings });
  }
  return { value, from: 'csv', ...about };
}

function readData(pkg: BundledPackage, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`enrich: ${pkg.name}/${basename(path)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Everything that would make a stale cache wrong: format, package version, file identity, byte order. */
function cacheKey(pkg: BundledPackage, paths: readonly string[]): string {
  const files = paths.map((p) => {
    try {
      const st = statSync(p);
      return `${basename(p)}:${st.size}:${st.mtimeMs}`;
    } catch {
      return `${basename(p)}:missing`;
    }
  });
  return [`format ${CACHE_FORMAT}`, `${pkg.name}@${pkg.version}`, endianness(), ...files].join('|');
}

function tablesToWords(t: BundledTables): Record<string, Uint32Array> {
  return { ...tableWords('v4', t.v4), ...tableWords('v6', t.v6), skipped: Uint32Array.of(t.skipped) };
}

/** The tables back from cached words; null when a section is missing or sizes disagree. */
function tablesFromCache(content: CacheContent): BundledTables | null {
  const v4 = tableFromWords(content.words, 'v4', 1);
  const v6 = tableFromWords(content.words, 'v6', 4);
  const skipped = content.words['skipped']?.[0];
  return v4 && v6 && skipped !== undefined ? { v4, v6, skipped } : null;
}

/** A range table as cache words named PREFIXStarts, PREFIXEnds, PREFIXValues and PREFIXIndex. */
export function tableWords(prefix: string, t: RangeTable): Record<string, Uint32Array> {
  return { [`${prefix}Starts`]: t.starts, [`${prefix}Ends`]: t.ends, [`${prefix}Values`]: t.values, [`${prefix}Index`]: t.index };
}

/**
 * The table tableWords wrote; null when a section is missing or sizes
 * disagree. The bucket index is cached as well: building it walks every
 * row's end, a pass over megabytes at each start. The CRC vouches for its
 * words, its last word for the row count.
 */
export function tableFromWords(words: Record<string, Uint32Array>, prefix: string, width: 1 | 4): RangeTable | null {
  const starts = words[`${prefix}Starts`];
  const ends = words[`${prefix}Ends`];
  const values = words[`${prefix}Values`];
  const index = words[`${prefix}Index`];
  if (!starts || !ends || !values || !index) return null;
  const length = values.length;
  if (starts.length !== length * width || ends.length !== length * width) return null;
  if (index.length !== INDEX_WORDS || index[INDEX_WORDS - 1] !== length) return null;
  return { width, length, starts, ends, values, index };
}
