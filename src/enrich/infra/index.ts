/**
 * CDN, cloud, pool, dynamic-DNS and top-site facts from the lists the project
 * ships in data/reference/ (made by scripts/refresh-reference.mjs), loaded
 * once into tables that answer without allocating, and kept compiled in the
 * enricher's binary cache (infra-cache.ts) so later starts skip the parse.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { canonicalName, isPlausibleName } from '../../model/names.js';
import { ASN_PACKAGE } from '../asn/index.js';
import { bundledPackage, cacheDirFor } from '../bundled.js';
import { loadCidrs } from './cidrs.js';
import { infraCacheFile, infraCacheKey, readInfraCache, writeInfraCache } from './infra-cache.js';
import { ProviderTable } from './providers.js';
import { fieldsOf, readReferenceFile, rowError } from './reference-file.js';
import type { ReferenceFile, ReferenceRow } from './reference-file.js';
import { SuffixTable } from './suffix-table.js';
import { TableInfra } from './table-infra.js';
import type { InfraParts } from './table-infra.js';
import type { Infra } from './infra.js';

export type { Infra, InfraCounts, InfraSource, ProviderClass } from './infra.js';
export { nullInfra } from './table-infra.js';

export const REFERENCE_FILES = {
  cidrs: 'cdn-cloud-cidrs.txt',
  asns: 'provider-asns.txt',
  cnames: 'cdn-cname-suffixes.txt',
  topSites: 'top-sites.txt',
  dynamicDns: 'dynamic-dns-suffixes.txt',
  pools: 'pools.txt',
  platforms: 'platform-networks.txt',
} as const;

/**
 * data/reference of the project this module belongs to: the first directory
 * above it holding package.json, so the same code works from src/ (vitest),
 * dist/src/ (built) and node_modules/fluxhound/dist/src/ (installed).
 */
export function defaultReferenceDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'data', 'reference');
    if (dirname(dir) === dir) throw new Error(`infra: no package.json above ${from}: pass the data/reference directory`);
  }
}

export interface InfraOptions {
  /**
   * Where the compiled lists are cached (src/enrich/cache.ts); false: no
   * cache. Default: the enricher's cache directory when dir is the project's
   * data/reference, no cache for any other dir.
   */
  cacheDir?: string | false;
}

/** Read every list in dir (default: the project's data/reference); a missing or bad file is an error naming it. */
export function loadInfra(dir?: string, options: InfraOptions = {}): Infra {
  const started = performance.now();
  const from = dir ?? defaultReferenceDir();
  const cacheDir = dir === undefined || options.cacheDir !== undefined ? infraCacheDir(options.cacheDir) : null;
  const file = cacheDir === null ? null : infraCacheFile(cacheDir, from);
  const key = file === null ? '' : infraCacheKey(from, Object.values(REFERENCE_FILES));
  let parts = file === null ? null : readInfraCache(file, key);
  if (parts === null) {
    parts = parseInfra(from);
    if (file !== null) writeInfraCache(file, key, parts);
  }
  parts.counts.loadMs = Math.round(performance.now() - started);
  return new TableInfra(parts);
}

/** The enricher's cache directory (cacheDirFor): one place for every compiled table fluxhound keeps. */
function infraCacheDir(cacheDir: string | false | undefined): string | null {
  if (cacheDir === false) return null;
  if (cacheDir !== undefined) return cacheDir;
  try {
    return cacheDirFor(bundledPackage(ASN_PACKAGE), undefined);
  } catch {
    return null; // Without the data package there is no node_modules to cache in; parse each time.
  }
}

/** Parse every list in dir into the tables TableInfra answers from. */
export function parseInfra(dir: string): InfraParts {
  const read = (file: string) => readReferenceFile(dir, file);
  const files = {
    cidrs: read(REFERENCE_FILES.cidrs),
    asns: read(REFERENCE_FILES.asns),
    cnames: read(REFERENCE_FILES.cnames),
    topSites: read(REFERENCE_FILES.topSites),
    dynamicDns: read(REFERENCE_FILES.dynamicDns),
    pools: read(REFERENCE_FILES.pools),
    platforms: read(REFERENCE_FILES.platforms),
  };
  const providers = new ProviderTable();
  const cidrs = loadCidrs(files.cidrs, providers);
  const asns = loadAsns(files.asns, providers);
  const cnames = loadNames(files.cnames, 3, (f, row) => providers.intern(f[1]!, f[2]!, REFERENCE_FILES.cnames, row));
  const topSites = loadNames(files.topSites, 2, (f) => f[1]!.length);
  const dynamicDns = loadNames(files.dynamicDns, 1, () => 1);
  const poolNames: string[] = [];
  const pools = loadNames(files.pools, 2, (f) => {
    const at = poolNames.indexOf(f[1]!);
    return at !== -1 ? at : poolNames.push(f[1]!) - 1;
  });
  const platforms = loadPlatforms(files.platforms);
  return {
    sources: Object.values(files).map((f) => f.source),
    counts: {
      providers: providers.names.length,
      cidrsV4: cidrs.linesV4,
      cidrsV6: cidrs.linesV6,
      asns: asns.size,
      cnameSuffixes: cnames.size,
      topSites: topSites.size,
      dynamicDnsSuffixes: dynamicDns.size,
      poolSuffixes: pools.size,
      platforms: platforms.names.length,
      platformAsns: platforms.asns.size,
      platformDomains: platforms.domains.size,
      loadMs: 0,
    },
    providerNames: providers.names,
    providerClasses: providers.classes,
    v4: cidrs.v4,
    v6: cidrs.v6,
    asns,
    cnames,
    topSites,
    dynamicDns,
    pools,
    poolNames,
    platformNames: platforms.names,
    platformAsns: platforms.asns,
    platformDomains: platforms.domains,
  };
}

/**
 * platform-networks.txt: `asn ASN PLATFORM` and `domain DOMAIN PLATFORM`
 * lines. Every platform must have both (a network without the domains it
 * serves would call its own names injected).
 */
function loadPlatforms(file: ReferenceFile): { names: string[]; asns: Map<number, number>; domains: SuffixTable } {
  const name = file.source.name;
  const names: string[] = [];
  const asns = new Map<number, number>();
  const domains = new SuffixTable(file.rows.length);
  const indexOf = (platform: string) => {
    const at = names.indexOf(platform);
    return at !== -1 ? at : names.push(platform) - 1;
  };
  const hasDomain: boolean[] = [];
  const firstRow = new Map<number, ReferenceRow>();
  for (const row of file.rows) {
    const [kind, value, platform] = fieldsOf(name, row, 3);
    const p = indexOf(platform!);
    if (!firstRow.has(p)) firstRow.set(p, row);
    if (kind === 'asn') {
      const asn = /^\d{1,10}$/.test(value!) ? Number(value) : 0;
      if (asn <= 0 || asn > 0xffffffff) throw rowError(name, row, `bad ASN "${value}"`);
      if (asns.has(asn)) throw rowError(name, row, `AS${asn} listed twice`);
      asns.set(asn, p);
    } else if (kind === 'domain') {
      const key = canonicalName(value!);
      if (!isPlausibleName(key) || key.indexOf('.') === -1) throw rowError(name, row, `"${value}" is not a domain name`);
      if (!domains.set(key, p)) throw rowError(name, row, `${key} listed twice`);
      hasDomain[p] = true;
    } else {
      throw rowError(name, row, `"${kind}" is neither asn nor domain`);
    }
  }
  for (let p = 0; p < names.length; p++) {
    if (hasDomain[p] !== true) throw rowError(name, firstRow.get(p)!, `platform ${names[p]} serves no domain`);
  }
  return { names, asns, domains };
}

function loadAsns(file: ReferenceFile, providers: ProviderTable): Map<number, number> {
  const name = file.source.name;
  const asns = new Map<number, number>();
  for (const row of file.rows) {
    const [asnText, provider, cls] = fieldsOf(name, row, 3);
    const asn = /^\d{1,10}$/.test(asnText!) ? Number(asnText) : 0;
    if (asn <= 0 || asn > 0xffffffff) throw rowError(name, row, `bad ASN "${asnText}"`);
    if (asns.has(asn)) throw rowError(name, row, `AS${asn} listed twice`);
    asns.set(asn, providers.intern(provider!, cls!, name, row));
  }
  return asns;
}

/** A suffix table keyed by each row's first field (a name), valued by valueOf(fields, row). */
function loadNames(
  file: ReferenceFile,
  fieldCount: number,
  valueOf: (fields: string[], row: ReferenceRow) => number,
): SuffixTable {
  const name = file.source.name;
  const table = new SuffixTable(file.rows.length);
  for (const row of file.rows) {
    const fields = fieldsOf(name, row, fieldCount);
    const key = canonicalName(fields[0]!);
    if (!isPlausibleName(key) || key.indexOf('.') === -1) throw rowError(name, row, `"${fields[0]}" is not a domain name`);
    if (!table.set(key, valueOf(fields, row))) throw rowError(name, row, `${key} listed twice`);
  }
  return table;
}
