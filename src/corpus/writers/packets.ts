/**
 * Ethernet frames of IPv4 or IPv6 packets carrying UDP or TCP, each with its
 * pcap record header, built in one scratch buffer: what the corpus's pcap
 * writer puts on the wire. Checksums (IPv4 header, UDP, TCP) are computed as
 * a NIC would, so tshark's checksum validation finds nothing to report.
 * Containers and link types beyond Ethernet are the sources' business
 * (src/sources/pcap reads many); a generator needs one faithful form.
 */
import { parseIPv4, parseIPv6 } from '../../model/names.js';
import { PCAP_MICRO } from '../../sources/pcap/capture.js';
import { LINKTYPE_ETHERNET, PROTO_TCP, PROTO_UDP } from '../../sources/pcap/packet.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** The snapshot length the pcap file header (libpcap 2.4, microseconds, Ethernet) declares. */
const SNAP_LENGTH = 262144;

const RECORD_HEADER = 16;
const ETHERNET_HEADER = 14;
const MAX_FRAME = RECORD_HEADER + ETHERNET_HEADER + 40 + 20 + 65535 + 2;

/** The 24-byte pcap file header (little-endian, as libpcap writes on x86). */
export function pcapFileHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(PCAP_MICRO, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(SNAP_LENGTH, 16);
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return h;
}

/** 4 or 16 address bytes of an address text; throws for anything else. */
export function addressBytes(text: string): Uint8Array {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  const groups = parseIPv6(text);
  if (groups === null) throw new Error(`corpus: '${text}' is not an IP address`);
  const out = new Uint8Array(16);
  for (let g = 0; g < 8; g++) {
    out[2 * g] = groups[g]! >>> 8;
    out[2 * g + 1] = groups[g]! & 255;
  }
  return out;
}

export interface Segment {
  seq: number;
  ack: number;
  flags: number;
}

/** Builds one record at a time; the returned view is valid until the next call. */
export class FrameBuilder {
  private readonly buf = Buffer.alloc(MAX_FRAME);
  private ipId = 0;

  constructor(
    private readonly clientMac: Uint8Array,
    private readonly serverMac: Uint8Array,
  ) {}

  /**
   * A pcap record at `ts` of one Ethernet frame from `src` to `dst`: UDP, or
   * TCP when `tcp` is given. `toServer` picks the MAC addresses.
   */
  record(ts: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array, toServer: boolean, tcp?: Segment): Uint8Array {
    const b = this.buf;
    const v6 = src.length === 16;
    const ipHeader = v6 ? 40 : 20;
    const transportHeader = tcp === undefined ? 8 : 20;
    const transportLength = transportHeader + payload.length;
    const ipAt = RECORD_HEADER + ETHERNET_HEADER;
    const tAt = ipAt + ipHeader;
    const frameLength = ETHERNET_HEADER + ipHeader + transportLength;
    // pcap record header: time, captured and original length.
    const micros = Math.round(ts * 1e6);
    const seconds = Math.floor(micros / 1e6);
    b.writeUInt32LE(seconds, 0);
    b.writeUInt32LE(micros - seconds * 1e6, 4);
    b.writeUInt32LE(frameLength, 8);
    b.writeUInt32LE(frameLength, 12);
    // Ethernet II.
    b.set(toServer ? this.serverMac : this.clientMac, RECORD_HEADER);
    b.set(toServer ? this.clientMac : this.serverMac, RECORD_HEADER + 6);
    b.writeUInt16BE(v6 ? 0x86dd : 0x0800, RECORD_HEADER + 12);
    const proto = tcp === undefined ? PROTO_UDP : PROTO_TCP;
    if (v6) {
      b.writeUInt32BE(0x60000000, ipAt);
      b.writeUInt16BE(transportLength, ipAt + 4);
      b[ipAt + 6] = proto;
      b[ipAt + 7] = 64;
      b.set(src, ipAt + 8);
      b.set(dst, ipAt + 24);
    } else {
      b[ipAt] = 0x45;
      b[ipAt + 1] = 0;
      b.writeUInt16BE(ipHeader + transportLength, ipAt + 2);
      this.ipId = (this.ipId + 1) & 0xffff;
      b.writeUInt16BE(this.ipId, ipAt + 4);
      b.writeUInt16BE(0x4000, ipAt + 6); // don't fragment
      b[ipAt + 8] = 64;
      b[ipAt + 9] = proto;
      b.writeUInt16BE(0, ipAt + 10);
      b.set(src, ipAt + 12);
      b.set(dst, ipAt + 16);
      b.writeUInt16BE(finish(sum(b, ipAt, ipAt + 20, 0)), ipAt + 10);
    }
    b.writeUInt16BE(srcPort, tAt);
    b.writeUInt16BE(dstPort, tAt + 2);
    let checksumAt: number;
    if (tcp === undefined) {
      b.writeUInt16BE(transportLength, tAt + 4);
      checksumAt = tAt + 6;
    } else {
      b.writeUInt32BE(tcp.seq >>> 0, tAt + 4);
      b.writeUInt32BE(tcp.ack >>> 0, tAt + 8);
      b[tAt + 12] = 5 << 4;
      b[tAt + 13] = tcp.flags;
      b.writeUInt16BE(65535, tAt + 14);
      b.writeUInt16BE(0, tAt + 18);
      checksumAt = tAt + 16;
    }
    b.writeUInt16BE(0, checksumAt);
    b.set(payload, tAt + transportHeader);
    // Pseudo-header (RFC 768, RFC 8200 §8.1): addresses, protocol, length; then the segment.
    let s = sum(src, 0, src.length, 0);
    s = sum(dst, 0, dst.length, s);
    s += proto + transportLength;
    s = sum(b, tAt, tAt + transportLength, s);
    let checksum = finish(s);
    // UDP sends a computed 0 as 0xffff (0 means "no checksum", which IPv6 forbids).
    if (checksum === 0 && tcp === undefined) checksum = 0xffff;
    b.writeUInt16BE(checksum, checksumAt);
    return b.subarray(0, RECORD_HEADER + frameLength);
  }
}

/** The 16-bit ones' complement sum of bytes [from, to), added to `s` (folded later). */
function sum(bytes: Uint8Array, from: number, to: number, s: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < to) s += bytes[i]! << 8;
  // Folded once per call: at most 2^15 words of 2^16 each stay exact integers.
  return (s % 65536) + Math.floor(s / 65536);
}

function finish(s: number): number {
  let folded = s;
  while (folded > 0xffff) folded = (folded % 65536) + Math.floor(folded / 65536);
  return ~folded & 0xffff;
}
