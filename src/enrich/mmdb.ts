/**
 * The user's own MaxMind databases instead of the bundled data: GeoLite2-ASN
 * (or GeoIP2-ISP) for ASNs, GeoLite2-Country or -City for countries. Files
 * from ip-location-db's *-mmdb packages work too (`country_code` field).
 * The tree is turned into range tables at load (see mmdb-tree.ts); the
 * maxmind Reader parses the metadata and decodes each distinct record once.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Reader } from 'maxmind';
import type { Response } from 'maxmind';
import { formatIPv4, formatIPv6 } from '../model/names.js';
import { AsOrgCollector } from './asn/orgs.js';
import type { DataSource } from './enricher.js';
import { CountryCodes } from './geo/codes.js';
import { walkV4, walkV6 } from './mmdb-tree.js';
import type { TreeShape } from './mmdb-tree.js';
import { RangeBuilder } from './ranges.js';
import type { RangeTable } from './ranges.js';
import type { AsnPart, CountryPart } from './table-enricher.js';

/** Records decoded before deciding the file holds the wrong kind of data. */
const TYPE_PROBE = 64;

export async function loadAsnMmdb(path: string): Promise<AsnPart> {
  const db = await openMmdb(path);
  const orgs = new AsOrgCollector();
  const tables = db.toTables('autonomous_system_number', 'GeoLite2-ASN', (rec) => {
    const asn = rec['autonomous_system_number'];
    if (typeof asn !== 'number' || !Number.isInteger(asn) || asn <= 0 || asn > 0xffffffff) return -1;
    const org = rec['autonomous_system_organization'];
    orgs.add(asn, typeof org === 'string' ? org : '');
    return asn;
  });
  return { ...tables, orgs: orgs.finish(), source: db.source('asn') };
}

export async function loadCountryMmdb(path: string): Promise<CountryPart> {
  const db = await openMmdb(path);
  const codes = new CountryCodes();
  const tables = db.toTables('country.iso_code', 'GeoLite2-Country or GeoLite2-City', (rec) => {
    const code = isoCode(rec['country']) ?? isoCode(rec['registered_country']) ?? rec['country_code'];
    return typeof code === 'string' ? codes.internText(code) : -1;
  });
  return { ...tables, codes: codes.list(), source: db.source('country') };
}

/** country.iso_code, or registered_country.iso_code when the former is absent (e.g. anycast ranges). */
function isoCode(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const code = (record as Record<string, unknown>)['iso_code'];
  return typeof code === 'string' ? code : undefined;
}

/** Reads one decoded record; returns its table value (>= 1) or -1 when it lacks the fact. */
type RecordValue = (record: Record<string, unknown>) => number;

async function openMmdb(path: string): Promise<OpenMmdb> {
  const file = basename(path);
  let db: Buffer;
  try {
    db = await readFile(path);
  } catch (err) {
    throw new Error(`enrich: ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(db);
  } catch (err) {
    throw new Error(`enrich: ${file}: not a MaxMind DB (${oneLine(err)})`);
  }
  return new OpenMmdb(file, db, reader);
}

class OpenMmdb {
  constructor(
    private readonly file: string,
    private readonly db: Buffer,
    private readonly reader: Reader<Response>,
  ) {}

  source(kind: DataSource['kind']): DataSource {
    const { databaseType, buildEpoch } = this.reader.metadata;
    const date = Number.isNaN(buildEpoch.getTime()) ? null : buildEpoch.toISOString().slice(0, 10);
    return { kind, name: `${databaseType} (${this.file})`, date };
  }

  /**
   * IPv4 and IPv6 range tables with the value valueOf gives each network's
   * record. Records are decoded once per distinct record, through maxmind's
   * get() on the network's first address.
   */
  toTables(field: string, want: string, valueOf: RecordValue): { v4: RangeTable; v6: RangeTable } {
    const { nodeCount, recordSize, ipVersion, databaseType } = this.reader.metadata;
    const tree: TreeShape = { db: this.db, nodeCount, recordSize, ipVersion };
    const values = new Map<number, number>();
    let usable = 0;
    const valueAt = (record: number, address: string): number => {
      let value = values.get(record);
      if (value === undefined) {
        const decoded = this.reader.get(address) as Record<string, unknown> | null;
        value = decoded === null ? -1 : valueOf(decoded);
        values.set(record, value);
        if (value > 0) usable++;
        else if (usable === 0 && values.size >= TYPE_PROBE) throw this.wrongType(databaseType, field, want);
      }
      return value;
    };
    const v4 = new RangeBuilder(1);
    const v6 = new RangeBuilder(4);
    try {
      walkV4(tree, (b, rec) => addNetwork(v4, b, valueAt(rec, formatIPv4(b[0]!))));
      walkV6(tree, (b, rec) => addNetwork(v6, b, valueAt(rec, formatIPv6(groupsOf(b)))));
    } catch (err) {
      if (err instanceof WrongType) throw err;
      throw new Error(`enrich: ${this.file}: corrupt search tree or data (${oneLine(err)})`);
    }
    if (usable === 0) throw this.wrongType(databaseType, field, want);
    return { v4: v4.finish(), v6: v6.finish() };
  }

  private wrongType(databaseType: string, field: string, want: string): WrongType {
    return new WrongType(`enrich: ${this.file}: database type ${databaseType} has no ${field}; want ${want}`);
  }
}

/** Marks the one error the walk may throw on purpose, so it is not reported as corruption. */
class WrongType extends Error {}

function addNetwork(builder: RangeBuilder, bounds: Uint32Array, value: number): void {
  if (value > 0) builder.add(bounds, value);
}

/** Eight 16-bit groups of the first address in bounds, for maxmind's text API. */
function groupsOf(bounds: Uint32Array): Uint16Array {
  const g = new Uint16Array(8);
  for (let i = 0; i < 4; i++) {
    g[2 * i] = bounds[i]! >>> 16;
    g[2 * i + 1] = bounds[i]! & 0xffff;
  }
  return g;
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}
