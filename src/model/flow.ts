/**
 * The record every flow input yields (issue 16): NetFlow v5/v9, IPFIX, Zeek
 * conn.log, Suricata eve flow/netflow, nfdump csv. Defined identically by
 * both halves of the work (FLOW-CONTRACT.md); change it in one place only.
 */

/** One flow record, whatever its source (NetFlow v5/v9, IPFIX, Zeek conn.log, Suricata eve flow/netflow, nfdump csv). */
export interface FlowRecord {
  /** Epoch seconds (fractional) of the first and last packet. */
  start: number;
  end: number;
  src: string;        // canonical IPv4/IPv6 text (RFC 5952)
  srcPort: number;    // 0 when none (ICMP: type*256+code when the source gives it, else 0)
  dst: string;
  dstPort: number;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...). */
  proto: number;
  /** As exported (not yet multiplied by sampling). */
  bytes: number;
  packets: number;
  /** 1 = unsampled; N = 1-in-N as the exporter announced. */
  samplingRate: number;
  /** Who exported it: 'ip:port/domain' for NetFlow/IPFIX, the file's name for logs. */
  exporter: string;
  /** Position for errors and provenance: 'file:line', 'file: datagram 12 record 3'. */
  position: string;
  /**
   * 'src' when the format says the source started the connection (Zeek conn:
   * id.orig_h is the originator; Suricata eve `flow`: src_ip is the flow's
   * client, to_server its direction). Absent when the format does not say
   * (NetFlow v5/v9 and IPFIX records without biflowDirection, eve `netflow`,
   * which logs each direction apart, nfdump csv): the analytics then guess
   * from the ports (detect/flows/endpoints.ts isReply). Additive to the
   * contract (REVIEW16 #2).
   */
  initiator?: 'src';
}

/** A flow record that was not read, and why (like SkippedRecord in observation.ts). */
export interface SkippedFlow {
  position: string;
  reason: string;
}

/**
 * Which way a flow ran relative to the flux host: 'outbound' = one of ours
 * (the client) connected to it; 'inbound' = the flux host (a bot) connected
 * to one of ours.
 */
export type FlowDirection = 'outbound' | 'inbound';

/**
 * Exposure: a client that exchanged traffic with an address of a flagged
 * name or of a flux network. One per client, domain and direction, totals
 * over the flows seen (NDJSON `"record":"exposure"`).
 */
export interface Exposure {
  record: 'exposure';
  /** Our host: the flow's source (outbound) or destination (inbound). */
  client: string;
  /** The client's customer (config customers); null when none is configured or it matches none. */
  customer: string | null;
  /** The flux host's address. */
  address: string;
  /** The flagged name the address answered for (the most recent when several). */
  domain: string;
  /** The flux network ('fn-1') the address belongs to; null if none. */
  network: string | null;
  /** ISO 8601 UTC of the first flow's start and the last flow's end. */
  first: string;
  last: string;
  /** Flows, bytes and packets; bytes and packets multiplied by each flow's sampling rate (estimates when sampled). */
  flows: number;
  bytes: number;
  packets: number;
  /** True when some flow was sampled (its counts are estimates). */
  sampled: boolean;
  direction: FlowDirection;
  /**
   * DNS bypass: the client had no lookup of the domain (nor of any name that
   * answered with this address) through the monitored resolvers within
   * flows.lateness of the flow. Always false for inbound.
   */
  bypass: boolean;
  /** Plain-language account, e.g. "10.0.0.7 connected to 51.178.15.143 (flux.example, fn-1) in 3 flows, 1.2 MB, first 12:00:01". */
  reason: string;
}

/**
 * Fan-out: a host that contacted numerous distinct external addresses in a
 * short window (NDJSON `"record":"fan-out"`), explained like a verdict.
 */
export interface FanOut {
  record: 'fan-out';
  host: string;
  customer: string | null;
  /** Distinct external addresses contacted within `window` seconds (known CDN/cloud/service addresses not counted). */
  distinct: number;
  /** Of those, how many belong to flagged names or flux networks. */
  flux: number;
  window: number;
  /** ISO 8601 UTC of the window's first and last flow. */
  first: string;
  last: string;
  flows: number;
  /** Plain-language reasons with numbers, strongest first. */
  reasons: string[];
}

/**
 * What flows say about a domain's addresses, carried in Verdict.flows and
 * weighed by weights.flow_evidence ("9 of its addresses took connections
 * from 12 clients in 1 h").
 */
export interface FlowEvidence {
  /** The domain's own (not CDN/cloud) addresses that took (or made) connections within the window. */
  addresses: number;
  /** Distinct clients that connected to them (outbound). */
  clients: number;
  /** Distinct of our hosts those addresses connected to (inbound: bots calling in). */
  inbound: number;
  flows: number;
  /** Seconds the counts cover. */
  window: number;
}
