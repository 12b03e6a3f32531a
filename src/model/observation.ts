/**
 * DnsObservation: what one DNS transaction (or one passive-DNS tuple) told us.
 * Every source produces it; enrichment and detection consume it. Nothing in
 * src/model imports from elsewhere in src.
 */

/** One resource record from any section of a response. */
export interface ResourceRecord {
  /** Owner name, lower-case, no trailing dot. */
  name: string;
  /** Mnemonic type: 'A', 'AAAA', 'NS', 'CNAME', ... ('TYPE65' for unknown ones). */
  type: string;
  /**
   * Presentation-form data: dotted-quad for A, RFC 5952 canonical text for
   * AAAA (so equal addresses are equal strings), a lower-case name without
   * trailing dot for NS/CNAME/PTR. Sources guarantee these forms.
   */
  data: string;
  /** TTL in seconds; null when the input does not carry it (passive DNS). */
  ttl: number | null;
}

export interface DnsObservation {
  /** When the answer was seen, seconds since the Unix epoch (fractional). */
  ts: number;
  /** Queried name, lower-case, no trailing dot. */
  qname: string;
  /** Query type mnemonic ('A', 'AAAA', 'NS', ...). */
  qtype: string;
  /** Response code mnemonic ('NOERROR', 'NXDOMAIN', ...); null when unknown. */
  rcode: string | null;
  /** Address of the client that asked, when known. */
  client: string | null;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /**
   * How many times this exact answer was seen (passive DNS aggregates); 1 for a
   * single transaction.
   */
  count: number;
  /** For aggregated tuples: when this answer was first seen (seconds); otherwise equal to ts. */
  firstSeen: number;
}

/** Where a record came from, for error messages: `zeek: dns.log:1042: ...`. */
export interface InputPosition {
  file: string;
  /** 1-based line for text formats; 1-based record/packet/frame number for binary ones. */
  line: number;
}

/** A record a source could not use. */
export interface SkippedRecord {
  position: InputPosition;
  /** Which source format rejected it ('zeek', 'eve', ...). */
  format: string;
  reason: string;
}

export function emptyObservation(ts: number, qname: string, qtype: string): DnsObservation {
  return {
    ts,
    qname,
    qtype,
    rcode: null,
    client: null,
    answers: [],
    authority: [],
    additional: [],
    count: 1,
    firstSeen: ts,
  };
}
