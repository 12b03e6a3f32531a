/**
 * Writing small capture files: the frames a DNS packet makes on each link
 * type, and pcap / pcapng containers around them. Used by the tests (hostile
 * and hand-made captures) and by the benchmark (a large generated capture).
 */
import { parseIPv4, parseIPv6 } from '../../src/model/names.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
  PROTO_TCP, PROTO_UDP,
} from '../../src/sources/pcap/packet.js';

export interface Frame {
  /** Seconds since the epoch. */
  ts: number;
  bytes: Uint8Array;
  /** The original length when the capture kept fewer bytes; defaults to bytes.length. */
  originalLength?: number;
}

export interface Endpoints {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_ACK = 16;
export const TCP_PSH = 8;

function addressBytes(text: string): Uint8Array {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  const groups = parseIPv6(text);
  if (groups === null) throw new Error(`synth: not an address: ${text}`);
  const out = new Uint8Array(16);
  for (let g = 0; g < 8; g++) {
    out[2 * g] = groups[g]! >>> 8;
    out[2 * g + 1] = groups[g]! & 255;
  }
  return out;
}

/** An IPv4 or IPv6 packet (by the addresses' family) carrying `transport` of protocol `proto`. */
export function ipPacket(src: string, dst: string, proto: number, transport: Uint8Array, options: { fragmentOffset?: number; moreFragments?: boolean } = {}): Buffer {
  const s = addressBytes(src);
  const d = addressBytes(dst);
  if (s.length === 4) {
    const packet = Buffer.alloc(20 + transport.length);
    packet[0] = 0x45;
    packet.writeUInt16BE(packet.length, 2);
    packet.writeUInt16BE(0x1234, 4);
    packet.writeUInt16BE(((options.moreFragments === true ? 0x2000 : 0) | ((options.fragmentOffset ?? 0) & 0x1fff)) >>> 0, 6);
    packet[8] = 64;
    packet[9] = proto;
    packet.set(s, 12);
    packet.set(d, 16);
    packet.set(transport, 20);
    return packet;
  }
  const packet = Buffer.alloc(40 + transport.length);
  packet[0] = 0x60;
  packet.writeUInt16BE(transport.length, 4);
  packet[6] = proto;
  packet[7] = 64;
  packet.set(s, 8);
  packet.set(d, 24);
  packet.set(transport, 40);
  return packet;
}

export function udpDatagram(e: Endpoints, payload: Uint8Array): Buffer {
  const udp = Buffer.alloc(8 + payload.length);
  udp.writeUInt16BE(e.srcPort, 0);
  udp.writeUInt16BE(e.dstPort, 2);
  udp.writeUInt16BE(udp.length, 4);
  udp.set(payload, 8);
  return udp;
}

export function tcpSegment(e: Endpoints, seq: number, flags: number, payload: Uint8Array): Buffer {
  const tcp = Buffer.alloc(20 + payload.length);
  tcp.writeUInt16BE(e.srcPort, 0);
  tcp.writeUInt16BE(e.dstPort, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  tcp.set(payload, 20);
  return tcp;
}

/** The link-layer frame of an IP packet. */
export function linkFrame(linkType: number, ip: Uint8Array, vlanTags = 0): Buffer {
  const v6 = ip[0]! >>> 4 === 6;
  const etherType = v6 ? 0x86dd : 0x0800;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      const header = Buffer.alloc(14 + 4 * vlanTags);
      header.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2], 0);
      for (let t = 0; t < vlanTags; t++) {
        header.writeUInt16BE(t === 0 && vlanTags > 1 ? 0x88a8 : 0x8100, 12 + 4 * t);
        header.writeUInt16BE(100 + t, 14 + 4 * t);
      }
      header.writeUInt16BE(etherType, 12 + 4 * vlanTags);
      return Buffer.concat([header, ip]);
    }
    case LINKTYPE_LINUX_SLL: {
      const header = Buffer.alloc(16);
      header.writeUInt16BE(772, 2); // ARPHRD_LOOPBACK
      header.writeUInt16BE(6, 4);
      header.writeUInt16BE(etherType, 14);
      return Buffer.concat([header, ip]);
    }
    case LINKTYPE_LINUX_SLL2: {
      const header = Buffer.alloc(20);
      header.writeUInt16BE(etherType, 0);
      header.writeUInt32BE(1, 4);
      header.writeUInt16BE(772, 8);
      header[11] = 6;
      return Buffer.concat([header, ip]);
    }
    case LINKTYPE_NULL:
      return Buffer.concat([Uint8Array.of(v6 ? 30 : 2, 0, 0, 0), ip]);
    case LINKTYPE_LOOP:
      return Buffer.concat([Uint8Array.of(0, 0, 0, v6 ? 30 : 2), ip]);
    case LINKTYPE_RAW:
    case 12:
    case 14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return Buffer.from(ip);
    default:
      throw new Error(`synth: no frames for link type ${linkType}`);
  }
}

/** A DNS message over UDP, as a frame of `linkType`. */
export function udpFrame(linkType: number, e: Endpoints, message: Uint8Array): Buffer {
  return linkFrame(linkType, ipPacket(e.src, e.dst, PROTO_UDP, udpDatagram(e, message)));
}

/** A TCP segment as a frame of `linkType`. */
export function tcpFrame(linkType: number, e: Endpoints, seq: number, flags: number, payload: Uint8Array): Buffer {
  return linkFrame(linkType, ipPacket(e.src, e.dst, PROTO_TCP, tcpSegment(e, seq, flags, payload)));
}

/** A DNS message with its 2-byte length prefix, as sent over TCP. */
export function lengthPrefixed(message: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

export interface PcapOptions {
  linkType?: number;
  nano?: boolean;
  bigEndian?: boolean;
  snapLength?: number;
}

export function pcapHeader(options: PcapOptions = {}): Buffer {
  const header = Buffer.alloc(24);
  const w32 = (v: number, at: number) => (options.bigEndian === true ? header.writeUInt32BE(v >>> 0, at) : header.writeUInt32LE(v >>> 0, at));
  const w16 = (v: number, at: number) => (options.bigEndian === true ? header.writeUInt16BE(v, at) : header.writeUInt16LE(v, at));
  w32(options.nano === true ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(2, 4);
  w16(4, 6);
  w32(options.snapLength ?? 262144, 16);
  w32(options.linkType ?? LINKTYPE_ETHERNET, 20);
  return header;
}

export function pcapRecord(frame: Frame, options: PcapOptions = {}): Buffer {
  const record = Buffer.alloc(16 + frame.bytes.length);
  const w32 = (v: number, at: number) => (options.bigEndian === true ? record.writeUInt32BE(v >>> 0, at) : record.writeUInt32LE(v >>> 0, at));
  const seconds = Math.floor(frame.ts);
  w32(seconds, 0);
  w32(Math.round((frame.ts - seconds) * (options.nano === true ? 1e9 : 1e6)), 4);
  w32(frame.bytes.length, 8);
  w32(frame.originalLength ?? frame.bytes.length, 12);
  record.set(frame.bytes, 16);
  return record;
}

export function pcapFile(frames: readonly Frame[], options: PcapOptions = {}): Buffer {
  return Buffer.concat([pcapHeader(options), ...frames.map((f) => pcapRecord(f, options))]);
}

export interface PcapngInterface {
  linkType: number;
  /** if_tsresol byte (6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n); omitted when undefined. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
}

function block(type: number, body: Uint8Array, bigEndian: boolean): Buffer {
  const padded = (body.length + 3) & ~3;
  const out = Buffer.alloc(12 + padded);
  const w32 = (v: number, at: number) => (bigEndian ? out.writeUInt32BE(v >>> 0, at) : out.writeUInt32LE(v >>> 0, at));
  w32(type, 0);
  w32(out.length, 4);
  out.set(body, 8);
  w32(out.length, out.length - 4);
  return out;
}

export function pcapngSection(bigEndian = false): Buffer {
  const body = Buffer.alloc(16);
  if (bigEndian) {
    body.writeUInt32BE(0x1a2b3c4d, 0);
    body.writeUInt16BE(1, 4);
  } else {
    body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(1, 4);
  }
  body.fill(0xff, 8, 16); // section length unknown
  return block(0x0a0d0d0a, body, bigEndian);
}

export function pcapngInterface(iface: PcapngInterface, bigEndian = false): Buffer {
  const options: number[] = [];
  const option = (code: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    if (bigEndian) {
      head.writeUInt16BE(code, 0);
      head.writeUInt16BE(value.length, 2);
    } else {
      head.writeUInt16LE(code, 0);
      head.writeUInt16LE(value.length, 2);
    }
    options.push(...head, ...value, ...Array<number>((4 - (value.length % 4)) % 4).fill(0));
  };
  if (iface.tsresol !== undefined) option(9, Buffer.from([iface.tsresol]));
  if (iface.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (bigEndian) v.writeBigInt64BE(BigInt(iface.tsoffset));
    else v.writeBigInt64LE(BigInt(iface.tsoffset));
    option(14, v);
  }
  if (options.length > 0) options.push(0, 0, 0, 0);
  const body = Buffer.alloc(8 + options.length);
  if (bigEndian) {
    body.writeUInt16BE(iface.linkType, 0);
    body.writeUInt32BE(262144, 4);
  } else {
    body.writeUInt16LE(iface.linkType, 0);
    body.writeUInt32LE(262144, 4);
  }
  body.set(options, 8);
  return block(1, body, bigEndian);
}

/** An enhanced packet block; the timestamp in the interface's units (`unitsPerSecond`, 1e6 by default). */
export function pcapngPacket(frame: Frame, interfaceId = 0, unitsPerSecond = 1e6, bigEndian = false): Buffer {
  const body = Buffer.alloc(20 + frame.bytes.length);
  const units = BigInt(Math.round(frame.ts * unitsPerSecond));
  const w32 = (v: number, at: number) => (bigEndian ? body.writeUInt32BE(v >>> 0, at) : body.writeUInt32LE(v >>> 0, at));
  w32(interfaceId, 0);
  w32(Number(units >> 32n), 4);
  w32(Number(units & 0xffffffffn), 8);
  w32(frame.bytes.length, 12);
  w32(frame.originalLength ?? frame.bytes.length, 16);
  body.set(frame.bytes, 20);
  return block(6, body, bigEndian);
}

/** A simple packet block (no timestamp, interface 0). */
export function pcapngSimplePacket(frame: Frame, bigEndian = false): Buffer {
  const body = Buffer.alloc(4 + frame.bytes.length);
  if (bigEndian) body.writeUInt32BE(frame.bytes.length, 0);
  else body.writeUInt32LE(frame.bytes.length, 0);
  body.set(frame.bytes, 4);
  return block(3, body, bigEndian);
}

/** Any other block (name resolution, statistics, custom...), which readers pass over. */
export function pcapngOtherBlock(type: number, body: Uint8Array, bigEndian = false): Buffer {
  return block(type, body, bigEndian);
}

export function pcapngFile(frames: readonly Frame[], iface: PcapngInterface = { linkType: LINKTYPE_ETHERNET }, bigEndian = false): Buffer {
  const unitsPerSecond = iface.tsresol === undefined ? 1e6 : iface.tsresol & 0x80 ? 2 ** (iface.tsresol & 0x7f) : 10 ** iface.tsresol;
  return Buffer.concat([
    pcapngSection(bigEndian),
    pcapngInterface(iface, bigEndian),
    ...frames.map((f) => pcapngPacket({ ...f, ts: f.ts - (iface.tsoffset ?? 0) }, 0, unitsPerSecond, bigEndian)),
  ]);
}
