import fc from 'fast-check';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../model/names.js';
import { defaultReferenceDir, loadInfra, nullInfra, REFERENCE_FILES } from './index.js';
import type { Infra } from './index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DATA = join(ROOT, 'data', 'reference');

let infra: Infra;
beforeAll(() => {
  infra = loadInfra();
});

/** "provider class" of an address, or '' when none. */
function providerOf(address: string): string {
  const p = infra.providerOfAddress(address);
  return p === -1 ? '' : `${infra.providerName(p)} ${infra.providerClass(p)}`;
}

describe('shipped data: addresses', () => {
  it.each([
    ['23.235.33.1', 'fastly cdn'], // 23.235.32.0/20, api.fastly.com/public-ip-list
    ['151.101.1.69', 'fastly cdn'],
    ['2a04:4e42::1', 'fastly cdn'],
    ['104.64.0.1', 'akamai cdn'], // 104.64.0.0/10
    ['23.32.0.1', 'akamai cdn'],
    ['2.16.0.1', 'akamai cdn'],
    ['13.32.0.1', 'cloudfront cdn'], // 13.32.0.0/15: listed as CLOUDFRONT and as AMAZON; CloudFront wins
    ['3.2.0.1', 'aws cloud'],
    ['1.1.1.1', 'cloudflare cdn'],
    ['104.16.0.1', 'cloudflare cdn'],
    ['2606:4700::1111', 'cloudflare cdn'],
    ['::ffff:1.1.1.1', 'cloudflare cdn'], // IPv4-mapped goes to the IPv4 ranges
    ['8.8.8.8', 'google cdn'], // goog.json, not cloud.json
    ['35.190.0.1', 'google-cloud cloud'], // in cloud.json, which goog.json also holds: cloud wins
    ['20.33.0.1', 'azure cloud'],
    ['73.162.10.20', ''], // Comcast residential
    ['80.128.0.1', ''], // Deutsche Telekom residential
    ['10.0.0.1', ''],
    ['2003::1', ''],
    ['::1', ''],
    ['example.com', ''],
  ])('%s → %s', (address, want) => {
    expect(providerOf(address)).toBe(want);
  });

  it('answers the numeric methods like providerOfAddress()', () => {
    expect(infra.providerOfV4(parseIPv4('23.235.33.1'))).toBe(infra.providerOfAddress('23.235.33.1'));
    expect(infra.providerOfV6(parseIPv6('2606:4700::1111')!)).toBe(infra.providerOfAddress('1.1.1.1'));
    expect(infra.providerOfV4(parseIPv4('73.162.10.20'))).toBe(-1);
  });

  it.each([
    [20940, 'akamai'],
    [16625, 'akamai'],
    [13335, 'cloudflare'],
    [54113, 'fastly'],
    [15133, 'edgecast'],
    [16509, 'aws'],
    [7922, ''], // Comcast
    [3320, ''], // Deutsche Telekom
    [0, ''],
  ])('AS%d → %s', (asn, want) => {
    expect(infra.providerName(infra.providerOfAsn(asn))).toBe(want);
  });
});

describe('shipped data: names', () => {
  it.each([
    ['e1234.a.akamaiedge.net', 'akamai'],
    ['www.example.com.edgekey.net', 'akamai'],
    ['a1.g.akamai.net', 'akamai'],
    ['d111111abcdef8.cloudfront.net', 'cloudfront'],
    ['bucket.s3.us-east-1.amazonaws.com', 'aws'],
    ['dualstack.prod.fastly.net', 'fastly'],
    ['contoso.azureedge.net', 'azure-cdn'],
    ['contoso.trafficmanager.net', 'azure'],
    ['x.googleusercontent.com', 'google-cloud'],
    ['E1234.A.AKAMAIEDGE.NET.', 'akamai'],
    ['notakamaiedge.net', ''],
    ['example.com', ''],
  ])('CNAME %s → %s', (name, want) => {
    expect(infra.providerName(infra.cnameProvider(name))).toBe(want);
  });

  it.each([
    ['0.pool.ntp.org', 'ntp-pool'],
    ['2.debian.pool.ntp.org', 'ntp-pool'],
    ['deb.debian.org', 'debian-mirrors'],
    ['de.archive.ubuntu.com', 'ubuntu-mirrors'],
    ['mirrors.fedoraproject.org', 'fedora-mirrors'],
    ['www.ntp.org', null],
    ['pool.ntp.org.example.com', null],
  ])('pool of %s is %s', (name, want) => {
    expect(infra.poolOf(name)).toBe(want);
  });

  it.each([
    ['foo.dyndns.org', true],
    ['x.duckdns.org', true],
    ['home.ddns.net', true],
    ['google.com', false],
    ['duckdns.org.example.com', false],
  ])('dynamic DNS %s: %s', (name, want) => {
    expect(infra.isDynamicDns(name)).toBe(want);
  });

  it.each([
    ['google.com', true, 4],
    ['wikipedia.org', true, 4],
    ['ntp.org', true, 1],
    ['vikoko.info', false, 0],
    ['quikakelinni.top', false, 0],
  ])('top site %s: %s, on ≥ %d lists', (domain, top, lists) => {
    expect(infra.isTopSite(domain)).toBe(top);
    expect(infra.topSiteLists(domain)).toBeGreaterThanOrEqual(lists);
    if (!top) expect(infra.topSiteLists(domain)).toBe(0);
  });
});

describe('shipped data: single-tenant platforms', () => {
  it.each([
    [32934, 'meta'],
    [13414, 'x'],
    [19679, 'dropbox'],
    [62041, 'telegram'],
    [15169, ''], // Google: multi-tenant (Google Cloud in the same AS), never a platform
    [16509, ''], // Amazon
    [13335, ''], // Cloudflare
  ])('AS%d is platform "%s"', (asn, name) => {
    const p = infra.platformOfAsn(asn);
    expect(name === '' ? p : infra.platformName(p)).toBe(name === '' ? -1 : name);
  });

  it.each([
    ['scontent-ams2-1.xx.fbcdn.net', 'meta'],
    ['www.instagram.com', 'meta'],
    ['mmg.whatsapp.net', 'meta'],
    ['pbs.twimg.com', 'x'],
    ['t.co', 'x'],
    ['dl.dropboxusercontent.com', 'dropbox'],
    ['notfacebook.com', ''],
    ['facebook.com.evil.example', ''],
  ])('%s is served by "%s"', (name, platform) => {
    const p = infra.platformOfName(name);
    expect(platform === '' ? p : infra.platformName(p)).toBe(platform === '' ? -1 : platform);
  });

  it('lists no multi-tenant cloud or CDN AS as a platform', () => {
    for (let p = 0; p < infra.counts.platforms; p++) expect(infra.platformName(p)).not.toBe('');
    for (const asn of [8075, 12222, 13335, 14618, 15169, 16509, 54113, 396982, 31898]) expect(infra.platformOfAsn(asn)).toBe(-1);
  });
});

describe('shipped data: files', () => {
  it('loads every file, in the sizes the README states', () => {
    const c = infra.counts;
    expect(c.cidrsV4).toBeGreaterThan(5_000);
    expect(c.cidrsV6).toBeGreaterThan(1_000);
    expect(c.asns).toBeGreaterThan(50);
    expect(c.cnameSuffixes).toBeGreaterThan(100);
    expect(c.topSites).toBeGreaterThan(15_000);
    expect(c.dynamicDnsSuffixes).toBeGreaterThan(30_000);
    expect(c.poolSuffixes).toBeGreaterThan(5);
    expect(infra.providerName(c.providers)).toBe('');
    expect(() => infra.providerClass(c.providers)).toThrow(RangeError);
  });

  it('names each file and its date', () => {
    expect(infra.sources.map((s) => s.name)).toEqual(Object.values(REFERENCE_FILES));
    for (const s of infra.sources) {
      expect(s.kind).toBe('infra');
      expect(s.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(s.upstream.length).toBeGreaterThan(0);
    }
  });

  it('keeps the data under 3 MB, as the PROVENANCE promises', () => {
    const total = Object.values(REFERENCE_FILES).reduce((n, f) => n + readFileSync(join(DATA, f)).length, 0);
    expect(total).toBeLessThan(3_000_000);
  });

  it('agrees with a naive scan of cdn-cloud-cidrs.txt on random addresses', () => {
    const prefixes = readCidrs(join(DATA, REFERENCE_FILES.cidrs));
    const naive = (v6: boolean, a: bigint) => prefixes.find((p) => p.v6 === v6 && a >= p.start && a <= p.end)?.provider ?? '';
    const inside = fc.tuple(fc.nat(prefixes.length - 1), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.constantFrom(-1n, 0n, 0n, 1n));
    fc.assert(
      fc.property(inside, fc.nat(0xffffffff), ([i, r, nudge], random) => {
        const p = prefixes[i]!;
        const bits = p.v6 ? 128n : 32n;
        const a = (p.start + (r % (p.end - p.start + 1n)) + nudge + (1n << bits)) % (1n << bits);
        const got = p.v6 ? infra.providerOfV6(groups(a)) : infra.providerOfV4(Number(a));
        expect(infra.providerName(got)).toBe(naive(p.v6, a));
        expect(infra.providerName(infra.providerOfV4(random))).toBe(naive(false, BigInt(random)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('loadInfra', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-infra-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the shipped data with one file replaced. */
  function withFile(file: string, text: string): string {
    const copy = mkdtempSync(join(dir, 'data-'));
    cpSync(DATA, copy, { recursive: true });
    writeFileSync(join(copy, file), text);
    return copy;
  }

  it('finds data/reference above src/ and above dist/src/', () => {
    expect(defaultReferenceDir()).toBe(DATA);
    expect(defaultReferenceDir(join(ROOT, 'dist', 'src', 'enrich', 'infra'))).toBe(DATA);
    expect(() => defaultReferenceDir('/')).toThrow('infra: no package.json above /');
  });

  it('says which file it cannot read', () => {
    expect(() => loadInfra(join(dir, 'nowhere'))).toThrow(`infra: ${join(dir, 'nowhere', 'cdn-cloud-cidrs.txt')}: cannot read (ENOENT)`);
  });

  it.each([
    [REFERENCE_FILES.asns, '13335 cloudflare cdn\n13335 cloudflare cdn\n', 'infra: provider-asns.txt:2: AS13335 listed twice'],
    [REFERENCE_FILES.asns, 'AS13335 cloudflare cdn\n', 'infra: provider-asns.txt:1: bad ASN "AS13335"'],
    [REFERENCE_FILES.cnames, 'akamaiedge.net akamai cloud\n', 'infra: cdn-cname-suffixes.txt:1: provider akamai is cloud here but cdn before'],
    [REFERENCE_FILES.topSites, '# date: 2026-01-01\nexample.com t\nexample.com u\n', 'infra: top-sites.txt:3: example.com listed twice'],
    [REFERENCE_FILES.dynamicDns, 'duckdns.org\nbad name.org\n', 'infra: dynamic-dns-suffixes.txt:2: want 1 fields, got 2'],
    [REFERENCE_FILES.pools, 'org ntp-pool\n', 'infra: pools.txt:1: "org" is not a domain name'],
    [REFERENCE_FILES.platforms, 'asn 32934 meta\n', 'infra: platform-networks.txt:1: platform meta serves no domain'],
    [REFERENCE_FILES.platforms, 'asn 32934 meta\nasn 32934 x\n', 'infra: platform-networks.txt:2: AS32934 listed twice'],
    [REFERENCE_FILES.platforms, 'prefix 31.13.0.0/16 meta\n', 'infra: platform-networks.txt:1: "prefix" is neither asn nor domain'],
  ])('refuses a bad %s, naming the line', (file, text, message) => {
    expect(() => loadInfra(withFile(file, text))).toThrow(message);
  });

  it('reads the date and sources from the header', () => {
    const copy = withFile(REFERENCE_FILES.pools, '# source: somewhere@abc\n# date: 2025-02-03 (note)\nexample.org mirrors  # why\n');
    const loaded = loadInfra(copy);
    expect(loaded.sources.find((s) => s.name === 'pools.txt')).toEqual({ kind: 'infra', name: 'pools.txt', date: '2025-02-03', upstream: ['somewhere@abc'] });
    expect(loaded.poolOf('a.example.org')).toBe('mirrors');
    expect(loaded.poolOf('0.pool.ntp.org')).toBeNull();
  });
});

describe('nullInfra', () => {
  it('knows nothing and names no data', () => {
    expect(nullInfra.providerOfAddress('1.1.1.1')).toBe(-1);
    expect(nullInfra.providerOfV6(parseIPv6('2606:4700::1111')!)).toBe(-1);
    expect(nullInfra.providerOfAsn(13335)).toBe(-1);
    expect(nullInfra.cnameProvider('e1.a.akamaiedge.net')).toBe(-1);
    expect(nullInfra.isTopSite('google.com')).toBe(false);
    expect(nullInfra.isDynamicDns('x.duckdns.org')).toBe(false);
    expect(nullInfra.poolOf('0.pool.ntp.org')).toBeNull();
    expect(nullInfra.sources).toEqual([]);
  });
});

interface Prefix {
  v6: boolean;
  start: bigint;
  end: bigint;
  provider: string;
}

/** The CIDR file read the slow, obvious way (BigInt bounds, a linear scan): the reference the tables are checked against. */
function readCidrs(path: string): Prefix[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [cidr, provider] = l.split(' ') as [string, string];
      const [addr, len] = cidr.split('/') as [string, string];
      const v6 = addr.includes(':');
      const bits = v6 ? 128n : 32n;
      const value = v6 ? [...parseIPv6(addr)!].reduce((a, g) => (a << 16n) | BigInt(g), 0n) : BigInt(parseIPv4(addr));
      const size = 1n << (bits - BigInt(len));
      return { v6, start: value, end: value + size - 1n, provider };
    });
}

function groups(a: bigint): Uint16Array {
  return Uint16Array.from({ length: 8 }, (_, i) => Number((a >> BigInt(112 - 16 * i)) & 0xffffn));
}
