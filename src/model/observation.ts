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
  /**
   * The customer the client named over encrypted DNS (a DoH path, a DoT SNI
   * label: src/serve/dns), which wins over its address; absent when it named none.
   */
  customer?: string;
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
  /**
   * 'probe': fluxhound asked this itself (serve's active confirmation,
   * src/serve/confirm), not a client; verdicts count such lookups apart.
   * Absent for everything a source read.
   */
  origin?: 'probe';
  /**
   * A capture held another response to the same query (same asker address
   * and port — the client, or a resolver for its own upstream query — DNS id
   * and question, within a few seconds) with a different
   * answer: a sign of on-path injection. Set by the pcap and dnstap sources
   * on the later response; absent otherwise.
   */
  conflict?: true;
}

/** Where a record came from, for error messages: `zeek: dns.log:1042: ...`. */
export interface InputPosition {
  file: string;
  /** 1-based line for text formats; 1-based record/packet/frame number for binary ones. */
  line: number;
}

/**
 * Times a source may produce, seconds since the epoch: from 1987-01-01 (RFC
 * 1034/1035; nothing earlier is DNS traffic) to 2^32 (2106-02-07, where pcap's
 * 32-bit seconds end). Anything else (NaN, an if_tsoffset of 2^62, a zero
 * timestamp) is a bad record: skipped and counted, never 1970 in a blocklist.
 */
const EARLIEST_TIME = 536_457_600;
const LATEST_TIME = 4_294_967_296;

export function isPlausibleTime(ts: number): boolean {
  return ts >= EARLIEST_TIME && ts < LATEST_TIME;
}

/** The skip reason for an implausible time. */
export function implausibleTime(ts: number): string {
  return `timestamp ${Number.isFinite(ts) ? ts : String(ts)} is not a time between 1987 and 2106`;
}

/** Why an observation's times cannot be used (its time, else its first sighting), or null when both are plausible. */
export function timeProblem(o: Pick<DnsObservation, 'ts' | 'firstSeen'>): string | null {
  if (!isPlausibleTime(o.ts)) return implausibleTime(o.ts);
  if (!isPlausibleTime(o.firstSeen)) return implausibleTime(o.firstSeen);
  return null;
}

/** A record a source could not use. */
export interface SkippedRecord {
  position: InputPosition;
  /** Which source format rejected it ('zeek', 'eve', ...). */
  format: string;
  reason: string;
  /**
   * True when the record was flow data (a flow log line, an eve flow event, a NetFlow/IPFIX datagram or the
   * damage around one): the decoder that read it says so, and a run counts it among its flow skips.
   */
  flow?: true;
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
