import fc from 'fast-check';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../model/names.js';
import { loadInfra, parseInfra, REFERENCE_FILES } from './index.js';
import type { Infra } from './index.js';
import { infraCacheFile } from './infra-cache.js';
import { TableInfra } from './table-infra.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'data', 'reference');

let work: string;
let lists: string;
let cacheDir: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'fluxhound-infra-cache-'));
  lists = join(work, 'reference');
  cacheDir = join(work, 'cache');
  cpSync(DATA, lists, { recursive: true });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Every name of every list, and a subdomain and a parent of each: what the name tables answer for. */
function namesOf(dir: string): string[] {
  const names: string[] = [];
  for (const file of [REFERENCE_FILES.cnames, REFERENCE_FILES.topSites, REFERENCE_FILES.dynamicDns, REFERENCE_FILES.pools]) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const name = line.split('#')[0]!.trim().split(/\s+/)[0]!;
      if (name === '') continue;
      names.push(name, `x.${name}`, name.slice(name.indexOf('.') + 1), name.toUpperCase());
    }
  }
  return names;
}

/** Both answer every question alike: counts, sources, providers, addresses, ASNs and names. */
function expectSameAnswers(a: Infra, b: Infra, names: readonly string[], addresses: readonly number[]): void {
  expect({ ...b.counts, loadMs: 0 }).toEqual({ ...a.counts, loadMs: 0 });
  expect(b.sources).toEqual(a.sources);
  // One line per question; the first that differs is the failure (an expect() or a deep toEqual over 230k lines takes minutes).
  const want = answers(a, names, addresses);
  const got = answers(b, names, addresses);
  expect(got.length).toBe(want.length);
  expect(got.find((line, i) => line !== want[i])).toBeUndefined();
}

function answers(infra: Infra, names: readonly string[], addresses: readonly number[]): string[] {
  const out: string[] = [];
  for (let p = 0; p < infra.counts.providers; p++) out.push(`provider ${p} ${infra.providerName(p)} ${infra.providerClass(p)}`);
  for (const ip of addresses) out.push(`${formatIPv4(ip)} ${infra.providerOfV4(ip)}`);
  for (const text of ['2606:4700::1111', '2a04:4e42::1', '2003::1', '::ffff:1.1.1.1']) out.push(`${text} ${infra.providerOfAddress(text)}`);
  for (const asn of [13335, 20940, 16509, 32934, 1, 64512]) out.push(`AS${asn} ${infra.providerOfAsn(asn)} ${infra.platformOfAsn(asn)}`);
  for (const name of names) {
    out.push(
      `${name} ${infra.cnameProvider(name)} ${infra.topSiteLists(name)} ${infra.isDynamicDns(name)} ${infra.poolOf(name)} ${infra.platformOfName(name)}`,
    );
  }
  return out;
}

const someAddresses = fc.sample(fc.nat({ max: 0xffffffff }), { numRuns: 3000, seed: 18 });

describe('infra binary cache', () => {
  it('answers exactly as the parsed lists do, on every listed name and random addresses', () => {
    const parsed = new TableInfra(parseInfra(lists));
    const first = loadInfra(lists, { cacheDir }); // parses and writes the cache
    const file = infraCacheFile(cacheDir, lists);
    const inode = statSync(file).ino;
    const cached = loadInfra(lists, { cacheDir });
    expect(statSync(file).ino).toBe(inode); // read, not rewritten (a write renames a new file into place)
    const addresses = [...someAddresses, 0x17eb2101, 0x01010101, 0x08080808, 0x49a20a14];
    expectSameAnswers(parsed, first, namesOf(lists), addresses);
    expectSameAnswers(parsed, cached, namesOf(lists), addresses);
    expect(cached.providerOfAddress(formatIPv4(0x01010101))).not.toBe(-1); // 1.1.1.1 is Cloudflare's: the tables are not empty
  });

  it.each([
    ['a flipped byte', (b: Buffer) => b.fill(b[b.length >> 1]! ^ 0xff, b.length >> 1, (b.length >> 1) + 1)],
    ['truncation', (b: Buffer) => b.subarray(0, b.length - 100)],
    ['an empty file', () => Buffer.alloc(0)],
  ])('rebuilds a cache damaged by %s, and answers as before', (_, damage) => {
    const good = loadInfra(lists, { cacheDir });
    const file = infraCacheFile(cacheDir, lists);
    const written = readFileSync(file);
    writeFileSync(file, damage(Buffer.from(written)));
    const again = loadInfra(lists, { cacheDir });
    expectSameAnswers(good, again, namesOf(lists).slice(0, 2000), someAddresses.slice(0, 300));
    expect(readFileSync(file).equals(written)).toBe(true);
  });

  it('parses a list again when it changed since the cache was written', () => {
    expect(loadInfra(lists, { cacheDir }).isTopSite('fluxhound-test.example')).toBe(false);
    appendFileSync(join(lists, REFERENCE_FILES.topSites), 'fluxhound-test.example tu\n');
    const changed = loadInfra(lists, { cacheDir });
    expect(changed.isTopSite('fluxhound-test.example')).toBe(true);
    expect(changed.counts.topSites).toBe(loadInfra(lists, { cacheDir: false }).counts.topSites);
  });

  it('caches a list directory only when asked, and still reports a bad list', () => {
    loadInfra(lists);
    loadInfra(lists, { cacheDir: false });
    expect(readdirSync(work)).toEqual(['reference']);
    writeFileSync(join(lists, REFERENCE_FILES.pools), 'not-a-name pool\n');
    expect(() => loadInfra(lists, { cacheDir })).toThrow(/^infra: pools\.txt:1: /);
  });
});
