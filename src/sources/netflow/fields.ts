/**
 * The information elements (IANA IPFIX registry, which v9 shares for ids < 128)
 * that fill a FlowRecord, and the accumulator a data record is decoded into.
 */
import { formatIPv4, formatIPv6 } from '../../model/names.js';

export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  /** v9 OUT_BYTES / OUT_PKTS: used only when no in-counters are present. */
  postOctetDeltaCount: 23,
  postPacketDeltaCount: 24,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  samplingInterval: 34,
  samplerRandomInterval: 50,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  octetTotalCount: 85,
  packetTotalCount: 86,
  icmpTypeCodeIPv6: 139,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  icmpTypeIPv4: 176,
  icmpCodeIPv4: 177,
  initiatorOctets: 231,
  /** RFC 5103 biflowDirection: 1 = the source is the initiator (0 arbitrary, 2 reverse initiator, 3 perimeter). */
  biflowDirection: 239,
  initiatorPackets: 298,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
  observationTimeMilliseconds: 323,
  systemInitTimeMilliseconds: 160,
} as const;

/** Fields of one data record; -1 = absent. Reused across records (no allocation per record). */
export class RecordFields {
  src = '';
  dst = '';
  srcPort = -1;
  dstPort = -1;
  proto = -1;
  bytes = -1;
  packets = -1;
  outBytes = -1;
  outPackets = -1;
  icmpTypeCode = -1;
  icmpType = -1;
  icmpCode = -1;
  /** Epoch seconds. */
  start = -1;
  end = -1;
  observed = -1;
  /** Milliseconds of router uptime (v9 first/last switched). */
  startUptime = -1;
  endUptime = -1;
  sampling = -1;
  samplingSpace = -1;
  /** Epoch seconds of the exporter's boot (IPFIX options data), the base of IPFIX sysUpTime fields. */
  systemInit = -1;
  /** biflowDirection as exported; -1 = absent. */
  biflowDirection = -1;
  used = 0;
  unused = 0;

  reset(): void {
    this.src = this.dst = '';
    this.srcPort = this.dstPort = this.proto = -1;
    this.bytes = this.packets = this.outBytes = this.outPackets = -1;
    this.icmpTypeCode = this.icmpType = this.icmpCode = -1;
    this.start = this.end = this.observed = this.startUptime = this.endUptime = -1;
    this.sampling = this.samplingSpace = this.systemInit = -1;
    this.biflowDirection = -1;
    this.used = this.unused = 0;
  }
}

/** Unsigned big-endian integer of 1..8 bytes (beyond 2^53 loses precision, as counters never reach). */
export function readUnsigned(b: Uint8Array, at: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[at + i]!;
  return v;
}

/** No address yet, or only an unspecified one (0.0.0.0, ::). */
function unset(address: string): boolean {
  return address === '' || address === '0.0.0.0' || address === '::';
}

const v6 = new Uint16Array(8);
function readIPv6(b: Uint8Array, at: number): string {
  for (let i = 0; i < 8; i++) v6[i] = (b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!;
  return formatIPv6(v6);
}

/** Store one IANA element into `f`; returns false when fluxhound does not use it. */
export function storeElement(f: RecordFields, id: number, b: Uint8Array, at: number, len: number): boolean {
  switch (id) {
    // A record may carry both families (Procera: the IPv4 pair and '::'): an unspecified address never replaces another.
    case IE.sourceIPv4Address:
      if (len !== 4) return false;
      if (unset(f.src)) f.src = formatIPv4(readUnsigned(b, at, 4));
      return true;
    case IE.destinationIPv4Address:
      if (len !== 4) return false;
      if (unset(f.dst)) f.dst = formatIPv4(readUnsigned(b, at, 4));
      return true;
    case IE.sourceIPv6Address:
      if (len !== 16) return false;
      if (unset(f.src)) f.src = readIPv6(b, at);
      return true;
    case IE.destinationIPv6Address:
      if (len !== 16) return false;
      if (unset(f.dst)) f.dst = readIPv6(b, at);
      return true;
  }
  if (len < 1 || len > 8) return false;
  const v = readUnsigned(b, at, len);
  switch (id) {
    // A port or protocol wider than its type (a damaged template) is not used: it would not fit the record.
    case IE.sourceTransportPort: if (v > 0xffff) return false; f.srcPort = v; return true;
    case IE.destinationTransportPort: if (v > 0xffff) return false; f.dstPort = v; return true;
    case IE.protocolIdentifier: if (v > 0xff) return false; f.proto = v; return true;
    case IE.octetDeltaCount: case IE.octetTotalCount: case IE.initiatorOctets:
      if (f.bytes < 0) f.bytes = v; return true;
    case IE.packetDeltaCount: case IE.packetTotalCount: case IE.initiatorPackets:
      if (f.packets < 0) f.packets = v; return true;
    case IE.postOctetDeltaCount: f.outBytes = v; return true;
    case IE.postPacketDeltaCount: f.outPackets = v; return true;
    case IE.icmpTypeCodeIPv4: case IE.icmpTypeCodeIPv6: f.icmpTypeCode = v; return true;
    case IE.icmpTypeIPv4: f.icmpType = v; return true;
    case IE.icmpCodeIPv4: f.icmpCode = v; return true;
    case IE.flowStartSysUpTime: f.startUptime = v; return true;
    case IE.flowEndSysUpTime: f.endUptime = v; return true;
    case IE.flowStartSeconds: f.start = v; return true;
    case IE.flowEndSeconds: f.end = v; return true;
    case IE.flowStartMilliseconds: f.start = v / 1000; return true;
    case IE.flowEndMilliseconds: f.end = v / 1000; return true;
    case IE.flowStartMicroseconds: f.start = ntpSeconds(b, at, len); return true;
    case IE.flowEndMicroseconds: f.end = ntpSeconds(b, at, len); return true;
    case IE.observationTimeMilliseconds: f.observed = v / 1000; return true;
    case IE.samplingInterval: case IE.samplerRandomInterval: case IE.samplingPacketInterval:
      f.sampling = v; return true;
    case IE.samplingPacketSpace: f.samplingSpace = v; return true;
    case IE.systemInitTimeMilliseconds: f.systemInit = v / 1000; return true;
    case IE.biflowDirection: f.biflowDirection = v; return true;
    default: return false;
  }
}

/** dateTimeMicroseconds (RFC 7011 §6.1.9): NTP seconds since 1900 and a binary fraction. */
function ntpSeconds(b: Uint8Array, at: number, len: number): number {
  if (len !== 8) return -1;
  return readUnsigned(b, at, 4) - 2_208_988_800 + readUnsigned(b, at + 4, 4) / 2 ** 32;
}
