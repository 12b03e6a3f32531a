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
}

/** A flow record that was not read, and why (like SkippedRecord in observation.ts). */
export interface SkippedFlow {
  position: string;
  reason: string;
}
