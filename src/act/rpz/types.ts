/**
 * The RPZ zone as data: what the zone builder produces and both the zone
 * file writer and the RPZ server (AXFR/IXFR) consume. Owners are relative to
 * the zone origin, already validated and escaped in presentation form.
 */

/** One policy record: `owner TTL IN type data`. */
export interface RpzRecord {
  /** Relative owner: 'evil.example', '*.evil.example', 'ns1.evil.example.rpz-nsdname', '32.4.3.2.1.rpz-ip'. */
  owner: string;
  type: 'CNAME' | 'A' | 'AAAA' | 'TXT';
  /** Presentation-form data: '.', '*.', 'rpz-passthru.', 'rpz-drop.', 'sinkhole.example.', '192.0.2.1', a quoted TXT string. */
  data: string;
  /**
   * A master-file comment after the record (the zone file only; AXFR carries
   * none): the intel provenance of a name's trigger. Printable ASCII and
   * spaces only, its fields in the one name rule.
   */
  comment?: string;
}

export interface RpzSoa {
  /** Primary name server, absolute with trailing dot. */
  mname: string;
  /** Responsible mailbox as a name, absolute with trailing dot. */
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface RpzZone {
  /** Zone origin, absolute with trailing dot: 'rpz.fluxhound.'. */
  origin: string;
  /** TTL of every record, seconds. */
  ttl: number;
  soa: RpzSoa;
  /** Name servers of the zone apex, absolute. */
  ns: string[];
  /** Policy records in a stable order (allowlist PASSTHRU entries first). */
  records: RpzRecord[];
}
