/**
 * From a captured frame to the DNS payload: link layer, IPv4/IPv6 (extension
 * headers), UDP or TCP on a DNS port (53 unless told otherwise). One reusable result object per decoder;
 * addresses are turned into text only for DNS packets.
 */
import { byteText, ipv4Text, ipv6Text } from '../dns-wire/index.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some systems write it in the link-type field (12 on most, 14 on OpenBSD). */
const DLT_RAW_12 = 12;
const DLT_RAW_14 = 14;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const MAX_VLAN_TAGS = 4;
const MAX_IPV6_EXTENSIONS = 8;

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** The ports DNS is read on, as a table indexed by port (1 = DNS). */
export type PortTable = Uint8Array;

export function portTable(ports: readonly number[]): PortTable {
  const table = new Uint8Array(65536);
  for (const port of ports) table[port & 0xffff] = 1;
  return table;
}

/** Port 53 only. */
export const DNS_PORTS: PortTable = portTable([53]);

const flowScratch = new Uint8Array(36);

/** What one frame holds, filled by parsePacket. */
export class PacketInfo {
  proto = 0;
  srcPort = 0;
  dstPort = 0;
  /** The transport payload (the DNS message for UDP, a TCP segment's data). */
  payloadStart = 0;
  payloadEnd = 0;
  /** OTHER_UDP only: the capture kept less than the datagram; the datagram is the first fragment of several. */
  cut = false;
  fragment = false;
  /** TCP only. */
  seq = 0;
  tcpFlags = 0;
  private ipVersion = 0;
  private ipStart = 0;
  private bytes: Uint8Array = new Uint8Array(0);

  setIp(bytes: Uint8Array, version: number, ipStart: number): void {
    // Stored only when it changes (every packet of a chunk shares it): a write barrier otherwise.
    if (this.bytes !== bytes) this.bytes = bytes;
    this.ipVersion = version;
    this.ipStart = ipStart;
  }

  source(): string {
    return this.address(this.ipVersion === 4 ? this.ipStart + 12 : this.ipStart + 8);
  }

  destination(): string {
    return this.address(this.ipVersion === 4 ? this.ipStart + 16 : this.ipStart + 24);
  }

  /**
   * The direction of a TCP connection as a map key: the raw source and
   * destination addresses and ports, one character per byte (12 for IPv4,
   * 36 for IPv6, so the two never meet). One short string per segment, where
   * texts joined by '|' took four strings and a join.
   */
  flowKey(): string {
    const addresses = this.ipVersion === 4 ? 8 : 32;
    const from = this.ipVersion === 4 ? this.ipStart + 12 : this.ipStart + 8;
    for (let i = 0; i < addresses; i++) flowScratch[i] = this.bytes[from + i]!;
    flowScratch[addresses] = this.srcPort >>> 8;
    flowScratch[addresses + 1] = this.srcPort & 255;
    flowScratch[addresses + 2] = this.dstPort >>> 8;
    flowScratch[addresses + 3] = this.dstPort & 255;
    return byteText(flowScratch, addresses + 4);
  }

  private address(at: number): string {
    return this.ipVersion === 4 ? ipv4Text(this.bytes, at) : ipv6Text(this.bytes, at);
  }
}

/** parsePacket's answer when the frame is not DNS (another protocol, port or link payload): passed over silently. */
export const NOT_DNS = '';
/** parsePacket's answer when `info` holds a DNS packet. */
export const DNS = null;
/**
 * parsePacket's answer for a UDP datagram on no DNS port: `info` holds its
 * ports and payload (possibly cut short by the capture: `info.cut`, or a first
 * fragment: `info.fragment`), for the decoder to try as NetFlow/IPFIX export.
 */
export const OTHER_UDP = '\u0000udp';

/**
 * Reads the frame bytes[start, end) of `linkType` into `info`. Returns DNS
 * (null) for a UDP or TCP packet to or from port 53, OTHER_UDP for UDP on
 * other ports, NOT_DNS ('') for anything else, or a reason why a packet could
 * not be read.
 */
export function parsePacket(linkType: number, bytes: Uint8Array, start: number, end: number, info: PacketInfo, ports: PortTable = DNS_PORTS): string | null {
  let p = start;
  let etherType = -1;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (end - p < 14) return 'truncated Ethernet header';
      etherType = (bytes[p + 12]! << 8) | bytes[p + 13]!;
      p += 14;
      for (let tags = 0; etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD; tags++) {
        if (tags === MAX_VLAN_TAGS) return 'too many VLAN tags';
        if (end - p < 4) return 'truncated VLAN tag';
        etherType = (bytes[p + 2]! << 8) | bytes[p + 3]!;
        p += 4;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (end - p < 16) return 'truncated Linux cooked header';
      etherType = (bytes[p + 14]! << 8) | bytes[p + 15]!;
      p += 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (end - p < 20) return 'truncated Linux cooked v2 header';
      etherType = (bytes[p]! << 8) | bytes[p + 1]!;
      p += 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      // The address family, in the writer's byte order for NULL: the IP version nibble says as much.
      if (end - p < 4) return 'truncated loopback header';
      p += 4;
      break;
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      break;
    default:
      return `unsupported link type ${linkType}`;
  }
  if (etherType !== -1 && etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return NOT_DNS;
  if (p >= end) return etherType === -1 ? 'no IP header' : NOT_DNS;
  const version = bytes[p]! >>> 4;
  if (version === 4 && linkType !== LINKTYPE_IPV6 && etherType !== ETHERTYPE_IPV6) return parseIPv4(bytes, p, end, info, ports);
  if (version === 6 && linkType !== LINKTYPE_IPV4 && etherType !== ETHERTYPE_IPV4) return parseIPv6(bytes, p, end, info, ports);
  return etherType === -1 && linkType !== LINKTYPE_NULL && linkType !== LINKTYPE_LOOP ? `bad IP version ${version}` : NOT_DNS;
}

function parseIPv4(bytes: Uint8Array, p: number, end: number, info: PacketInfo, ports: PortTable): string | null {
  if (end - p < 20) return 'truncated IPv4 header';
  const headerLength = (bytes[p]! & 15) * 4;
  if (headerLength < 20) return 'bad IPv4 header length';
  const totalLength = (bytes[p + 2]! << 8) | bytes[p + 3]!;
  if (totalLength < headerLength) return 'bad IPv4 total length';
  if (end - p < headerLength) return 'truncated IPv4 header';
  const proto = bytes[p + 9]!;
  if (proto !== PROTO_UDP && proto !== PROTO_TCP) return NOT_DNS;
  const fragment = ((bytes[p + 6]! << 8) | bytes[p + 7]!) & 0x3fff;
  info.setIp(bytes, 4, p);
  // Ethernet pads short frames: the IP length says where the packet ends.
  const ipEnd = Math.min(end, p + totalLength);
  const truncated = p + totalLength > end;
  if (fragment !== 0) {
    // Only a fragment with the transport header can be DNS; its payload is incomplete either way.
    if ((fragment & 0x1fff) !== 0) return NOT_DNS;
    const result = transport(bytes, proto, p + headerLength, ipEnd, truncated, info, ports);
    if (result === OTHER_UDP) info.fragment = true;
    return result === DNS ? 'IPv4 fragment' : result === OTHER_UDP ? result : NOT_DNS;
  }
  return transport(bytes, proto, p + headerLength, ipEnd, truncated, info, ports);
}

function parseIPv6(bytes: Uint8Array, p: number, end: number, info: PacketInfo, ports: PortTable): string | null {
  if (end - p < 40) return 'truncated IPv6 header';
  const payloadLength = (bytes[p + 4]! << 8) | bytes[p + 5]!;
  // Payload length 0 is a jumbogram (RFC 2675): the capture says where it ends.
  const ipEnd = payloadLength === 0 ? end : Math.min(end, p + 40 + payloadLength);
  const truncated = payloadLength !== 0 && p + 40 + payloadLength > end;
  let next = bytes[p + 6]!;
  info.setIp(bytes, 6, p);
  let q = p + 40;
  let fragmented = false;
  for (let n = 0; ; n++) {
    if (next === PROTO_UDP || next === PROTO_TCP) break;
    if (n === MAX_IPV6_EXTENSIONS) return NOT_DNS;
    let length: number;
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
      if (ipEnd - q < 2) return 'truncated IPv6 extension header';
      length = (bytes[q + 1]! + 1) * 8;
    } else if (next === 51) {
      if (ipEnd - q < 2) return 'truncated IPv6 extension header';
      length = (bytes[q + 1]! + 2) * 4;
    } else if (next === 44) {
      if (ipEnd - q < 8) return 'truncated IPv6 extension header';
      // A later fragment cannot be read; a first one has the transport header but not all its payload.
      if ((((bytes[q + 2]! << 8) | bytes[q + 3]!) & 0xfff8) !== 0) return NOT_DNS;
      fragmented = (bytes[q + 3]! & 1) !== 0;
      length = 8;
    } else {
      return NOT_DNS;
    }
    if (ipEnd - q < length) return 'truncated IPv6 extension header';
    next = bytes[q]!;
    q += length;
  }
  const result = transport(bytes, next, q, ipEnd, truncated, info, ports);
  if (result === OTHER_UDP) info.fragment = fragmented;
  return fragmented && result === DNS ? 'IPv6 fragment' : result;
}

/** The capture kept fewer bytes than the IP packet had (its snap length). */
const CUT_SHORT = 'packet cut short by the capture';

function transport(bytes: Uint8Array, proto: number, p: number, end: number, truncated: boolean, info: PacketInfo, ports: PortTable): string | null {
  info.proto = proto;
  if (proto === PROTO_UDP) {
    if (end - p < 8) return truncated ? 'truncated UDP header' : NOT_DNS;
    info.srcPort = (bytes[p]! << 8) | bytes[p + 1]!;
    info.dstPort = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    const udpLength = (bytes[p + 4]! << 8) | bytes[p + 5]!;
    if (ports[info.srcPort] === 0 && ports[info.dstPort] === 0) {
      // Not DNS: perhaps flow export (NetFlow/IPFIX), which the decoder tells from its header.
      if (udpLength < 8) return NOT_DNS;
      info.payloadStart = p + 8;
      info.payloadEnd = Math.min(end, p + udpLength);
      info.cut = truncated || p + udpLength > end;
      info.fragment = false;
      return OTHER_UDP;
    }
    if (truncated) return CUT_SHORT;
    if (udpLength < 8) return 'bad UDP length';
    info.payloadStart = p + 8;
    info.payloadEnd = Math.min(end, p + udpLength);
    return DNS;
  }
  if (end - p < 20) return truncated ? 'truncated TCP header' : NOT_DNS;
  info.srcPort = (bytes[p]! << 8) | bytes[p + 1]!;
  info.dstPort = (bytes[p + 2]! << 8) | bytes[p + 3]!;
  if (ports[info.srcPort] === 0 && ports[info.dstPort] === 0) return NOT_DNS;
  if (truncated) return CUT_SHORT;
  const headerLength = (bytes[p + 12]! >>> 4) * 4;
  if (headerLength < 20 || end - p < headerLength) return 'truncated TCP header';
  info.seq = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>> 0;
  info.tcpFlags = bytes[p + 13]!;
  info.payloadStart = p + headerLength;
  info.payloadEnd = end;
  return DNS;
}
