/**
 * Zone snapshots in wire form and the journal of differences between
 * successive ones (RFC 1995 IXFR). Each snapshot is immutable, so a transfer
 * in progress keeps reading the one it started with while the zone moves on.
 * The journal is bounded by entries and by records held; a client whose
 * serial fell off it gets the whole zone.
 */
import type { RpzZone } from '../../act/rpz/types.js';
import { CLASS_IN, encodeRecord, nameToWire, rdataOf, soaRdata, TYPE, WireError } from './wire.js';
import type { SoaData } from './wire.js';

export interface ZoneSnapshot {
  origin: string;
  /** Canonical wire form of the origin (lower case). */
  originWire: Uint8Array;
  serial: number;
  soa: SoaData;
  /** The SOA record in wire form. */
  soaRecord: Uint8Array;
  ttl: number;
  /** Every record but the SOA (apex NS first, then policy records) by a key of owner, type and data. */
  records: Map<string, Uint8Array>;
}

export interface ZoneDiff {
  from: number;
  to: number;
  fromSoa: Uint8Array;
  toSoa: Uint8Array;
  deleted: Uint8Array[];
  added: Uint8Array[];
}

/** Builds a snapshot; a record that cannot be encoded throws WireError naming it. */
export function compileZone(zone: RpzZone): ZoneSnapshot {
  const origin = zone.origin.endsWith('.') ? zone.origin : `${zone.origin}.`;
  const originWire = nameToWire(origin.toLowerCase());
  const soa: SoaData = { ...zone.soa };
  const soaRecord = encodeRecord(originWire, TYPE.SOA, CLASS_IN, zone.ttl, soaRdata(soa));
  const records = new Map<string, Uint8Array>();
  for (const ns of zone.ns) {
    records.set(`@ NS ${ns.toLowerCase()}`, encodeRecord(originWire, TYPE.NS, CLASS_IN, zone.ttl, rdataOf('NS', ns, origin)));
  }
  for (const r of zone.records) {
    let owner: Uint8Array;
    let rdata: Uint8Array;
    try {
      owner = nameToWire(r.owner, origin);
      rdata = rdataOf(r.type, r.data, origin);
    } catch (err) {
      throw new WireError(`rpz-server: record '${r.owner} ${r.type} ${r.data}': ${(err as Error).message}`);
    }
    records.set(`${r.owner.toLowerCase()} ${r.type} ${r.data}`, encodeRecord(owner, TYPE[r.type], CLASS_IN, zone.ttl, rdata));
  }
  return { origin, originWire, serial: soa.serial >>> 0, soa, soaRecord, ttl: zone.ttl, records };
}

export function diffZones(before: ZoneSnapshot, after: ZoneSnapshot): ZoneDiff {
  const deleted: Uint8Array[] = [];
  const added: Uint8Array[] = [];
  for (const [key, rr] of before.records) {
    const now = after.records.get(key);
    if (now === undefined || !Buffer.from(now).equals(rr)) deleted.push(rr);
  }
  for (const [key, rr] of after.records) {
    const then = before.records.get(key);
    if (then === undefined || !Buffer.from(then).equals(rr)) added.push(rr);
  }
  return { from: before.serial, to: after.serial, fromSoa: before.soaRecord, toSoa: after.soaRecord, deleted, added };
}

/** RFC 1982 serial arithmetic: true when a is newer than b. */
export function serialGreater(a: number, b: number): boolean {
  const d = ((a >>> 0) - (b >>> 0) + 2 ** 32) % 2 ** 32;
  return d !== 0 && d < 2 ** 31;
}

export interface JournalLimits {
  /** Most differences kept. Default 100. */
  maxDiffs: number;
  /** Most records (added plus deleted) kept over all differences. Default 100000. */
  maxRecords: number;
}

export type IxfrPlan = { kind: 'current' } | { kind: 'incremental'; diffs: ZoneDiff[] } | { kind: 'full' };

export class ZoneJournal {
  private diffs: ZoneDiff[] = [];
  private held = 0;
  current: ZoneSnapshot;

  constructor(
    first: ZoneSnapshot,
    private readonly limits: JournalLimits = { maxDiffs: 100, maxRecords: 100_000 },
  ) {
    this.current = first;
  }

  /** Installs a new snapshot. A serial that does not move forward clears the journal (everyone gets AXFR). */
  update(next: ZoneSnapshot): void {
    if (!serialGreater(next.serial, this.current.serial)) {
      this.diffs = [];
      this.held = 0;
    } else {
      const diff = diffZones(this.current, next);
      this.diffs.push(diff);
      this.held += diff.added.length + diff.deleted.length;
      while (this.diffs.length > 0 && (this.diffs.length > this.limits.maxDiffs || this.held > this.limits.maxRecords)) {
        const old = this.diffs.shift()!;
        this.held -= old.added.length + old.deleted.length;
      }
    }
    this.current = next;
  }

  get length(): number {
    return this.diffs.length;
  }

  /** What an IXFR from `serial` gets: the SOA alone (up to date or ahead), the differences, or the whole zone. */
  plan(serial: number): IxfrPlan {
    if (serial >>> 0 === this.current.serial || serialGreater(serial, this.current.serial)) return { kind: 'current' };
    const start = this.diffs.findIndex((d) => d.from === serial >>> 0);
    if (start < 0) return { kind: 'full' };
    return { kind: 'incremental', diffs: this.diffs.slice(start) };
  }
}
