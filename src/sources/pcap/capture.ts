/**
 * The capture file containers: pcap (either byte order, micro- or nanosecond
 * timestamps) and pcapng (sections of either byte order, per-interface link
 * type, timestamp resolution and offset; enhanced, simple and obsolete packet
 * blocks; every other block skipped). Push-based: chunks may split anywhere,
 * bytes are gathered only until the next record is whole.
 */

/** Largest packet read (tcpdump's maximum snap length); a longer record is skipped. */
export const MAX_PACKET = 256 * 1024;
/** Largest pcapng block of any kind; a longer length means the file is damaged. */
export const MAX_BLOCK = 16 * 1024 * 1024;
/** Interfaces per pcapng section. */
const MAX_INTERFACES = 4096;

/** Classic pcap magic, microsecond timestamps (also what the corpus's pcap writer writes). */
export const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const OPTION_TSRESOL = 9;
const OPTION_TSOFFSET = 14;
/** Largest if_tsoffset taken, seconds either way (2^32: pcap's whole range of seconds). */
const MAX_TSOFFSET = 2n ** 32n;

/** True when `head` starts like a pcap or pcapng file. */
export function sniffCapture(head: Uint8Array): boolean {
  if (head.length < 24) return false;
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  const le = b.readUInt32LE(0);
  const be = b.readUInt32BE(0);
  if (le === PCAP_MICRO || le === PCAP_NANO || be === PCAP_MICRO || be === PCAP_NANO) {
    // Version 2.4 in the same byte order: random bytes rarely get this far.
    const little = le === PCAP_MICRO || le === PCAP_NANO;
    return (little ? b.readUInt16LE(4) : b.readUInt16BE(4)) === 2;
  }
  if (le !== PCAPNG_SHB) return false;
  return b.readUInt32LE(8) === PCAPNG_BOM || b.readUInt32BE(8) === PCAPNG_BOM;
}

export interface CaptureEvents {
  /** A packet: its interface's link type, time in seconds, and the captured bytes[start, end). */
  packet(linkType: number, ts: number, bytes: Buffer, start: number, end: number): void;
  /** A packet record that cannot be read (it still counts as a packet). */
  badPacket(reason: string): void;
  /** Damage outside any packet; after a fatal one nothing more is read. */
  damage(reason: string): void;
}

interface Interface {
  linkType: number;
  snapLength: number;
  /** Seconds per timestamp unit. */
  scale: number;
  /** Seconds added to every timestamp (if_tsoffset); NaN when it is out of range. */
  offset: number;
  /** The if_tsoffset as written, when out of range. */
  badOffset?: bigint;
}

const enum State {
  Start,
  Pcap,
  Pcapng,
  /** After damage: looking for the next record that a plausible one follows. */
  Resync,
  Dead,
}

/** Block types a pcapng resync may land on (pcapng draft §11.1). */
const PCAPNG_BLOCK_TYPES: ReadonlySet<number> = new Set([PCAPNG_SHB, 1, 2, 3, 4, 5, 6, 9, 10, 0xbad, 0x40000bad]);
/** A resync believes a record when the next one is within a day of it. */
const RESYNC_SECONDS = 86400;
/** The longest silence between two records of a sound capture. */
const MAX_GAP_SECONDS = 366 * 86400;
/** Original packet lengths a resync believes. */
const MAX_ORIGINAL = 1024 * 1024;

export class CaptureReader {
  private state = State.Start;
  private little = true;
  /**
   * Bytes of a record cut by a chunk boundary, gathered until the next step
   * has the `need` bytes it asked for; whole records are read in place from
   * the chunks, so only the cut ones are copied.
   */
  private pending: Buffer = Buffer.alloc(0);
  private pendingLength = 0;
  private need = 1;
  /** Bytes of an oversized record still to pass over. */
  private skipping = 0;
  private pcapLinkType = 0;
  private pcapScale = 1e-6;
  private interfaces: Interface[] = [];
  private lastTs = 0;
  private snapLength = 0;
  /** Seconds of the last good pcap record; -1 before the first. */
  private lastSeconds = -1;
  /** What the resync is in: pcap records or pcapng blocks. */
  private resyncPcapng = false;
  private inputEnded = false;

  constructor(private readonly events: CaptureEvents) {}

  push(chunk: Buffer): void {
    let offset = this.skip(chunk, 0);
    while (this.pendingLength > 0 && offset < chunk.length) {
      const take = Math.min(this.need - this.pendingLength, chunk.length - offset);
      this.reserve(this.pendingLength + take);
      chunk.copy(this.pending, this.pendingLength, offset, offset + take);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength < this.need) return;
      const used = this.parse(this.pending.subarray(0, this.pendingLength));
      if (this.state === State.Dead) return;
      this.pending.copyWithin(0, used, this.pendingLength);
      this.pendingLength -= used;
      offset = this.skip(chunk, offset);
    }
    if (offset >= chunk.length || this.state === State.Dead) return;
    const data = offset === 0 ? chunk : chunk.subarray(offset);
    const used = this.parse(data);
    if ((this.state as State) === State.Dead || used === data.length) return;
    // The start of a record the next chunk completes: a copy, so the chunk is not kept alive.
    this.reserve(data.length - used);
    data.copy(this.pending, 0, used);
    this.pendingLength = data.length - used;
  }

  /** Passes over what is left of an oversized record; returns the new offset. */
  private skip(chunk: Buffer, offset: number): number {
    if (this.state === State.Dead) return chunk.length;
    const n = Math.min(this.skipping, chunk.length - offset);
    this.skipping -= n;
    return offset + n;
  }

  private reserve(bytes: number): void {
    if (this.pending.length >= bytes) return;
    const grown = Buffer.allocUnsafe(Math.max(bytes, 2 * this.pending.length, 64 * 1024));
    this.pending.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
  }

  end(): void {
    if (this.state === State.Resync && this.pendingLength > 0) {
      // A last record that fills the input exactly can be believed without a successor.
      this.inputEnded = true;
      const used = this.parse(this.pending.subarray(0, this.pendingLength));
      if (this.state === State.Resync || (this.state as State) === State.Dead) this.pendingLength = 0;
      else {
        this.pending.copyWithin(0, used, this.pendingLength);
        this.pendingLength -= used;
      }
    }
    if (this.state === State.Dead || this.state === State.Resync || this.pendingLength === 0) return;
    const state = this.state;
    this.state = State.Dead;
    this.pending = Buffer.alloc(0);
    this.pendingLength = 0;
    if (state === State.Start) this.events.damage('truncated file header');
    else this.events.badPacket(state === State.Pcap ? 'truncated packet record' : 'truncated block');
  }

  private fatal(reason: string): number {
    this.state = State.Dead;
    this.events.damage(reason);
    return 0;
  }

  // Plain byte reads: Buffer's readUInt32LE checks its argument on every call,
  // and these run several times per packet. Every caller has checked that the
  // bytes are there.
  private u32(b: Buffer, at: number): number {
    return this.little
      ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
      : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  private u16(b: Buffer, at: number): number {
    return this.little ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
  }

  /** Reads what is whole in `data`; returns the bytes used and sets `need` for the next step. */
  private parse(data: Buffer): number {
    let p = 0;
    if (this.state === State.Start) {
      if (data.length < 12) return this.wait(12, p);
      const le = data.readUInt32LE(0);
      const be = data.readUInt32BE(0);
      if (le === PCAPNG_SHB) this.state = State.Pcapng;
      else if (le === PCAP_MICRO || le === PCAP_NANO || be === PCAP_MICRO || be === PCAP_NANO) {
        if (data.length < 24) return this.wait(24, p);
        this.little = le === PCAP_MICRO || le === PCAP_NANO;
        this.pcapScale = (this.little ? le : be) === PCAP_NANO ? 1e-9 : 1e-6;
        // The low 16 bits; the upper ones may carry FCS information.
        this.pcapLinkType = this.u32(data, 20) & 0xffff;
        this.snapLength = this.u32(data, 16);
        this.state = State.Pcap;
        p = 24;
      } else return this.fatal('not a pcap or pcapng file');
    }
    if (this.state === State.Resync) return this.resyncPcapng ? this.resyncBlocks(data, p) : this.resyncRecords(data, p);
    return this.state === State.Pcap ? this.pcapRecords(data, p) : this.blocks(data, p);
  }

  /**
   * Damage: one report, then the bytes up to the next plausible record are
   * passed over. Nothing after damage can be trusted blindly, so a record is
   * believed only when the next one is plausible too (pcap), or when its
   * lengths agree at both ends (pcapng).
   */
  private damaged(data: Buffer, p: number, reason: string, pcapng: boolean): number {
    this.events.badPacket(reason);
    this.state = State.Resync;
    this.resyncPcapng = pcapng;
    return pcapng ? this.resyncBlocks(data, p + 1) : this.resyncRecords(data, p + 1);
  }

  /** A pcap record header at p that could be real: its time within `window` of `seconds` (its neighbour's; -1 unknown). */
  private plausibleRecord(data: Buffer, p: number, seconds: number, window: number): boolean {
    const ts = this.u32(data, p);
    const captured = this.u32(data, p + 8);
    const original = this.u32(data, p + 12);
    if (this.u32(data, p + 4) >= (this.pcapScale === 1e-9 ? 1e9 : 1e6)) return false;
    if (captured === 0 || captured > MAX_PACKET || captured > original || original > MAX_ORIGINAL) return false;
    if (this.snapLength > 0 && captured > Math.max(this.snapLength, 65535)) return false;
    return seconds < 0 ? ts > 0 : Math.abs(ts - seconds) <= window;
  }

  private resyncRecords(data: Buffer, p: number): number {
    const end = data.length;
    for (; end - p >= 16; p++) {
      if (!this.plausibleRecord(data, p, this.lastSeconds, MAX_GAP_SECONDS)) continue;
      const next = p + 16 + this.u32(data, p + 8);
      if (next === end && this.inputEnded) break;
      if (end - next < 16) {
        if (this.inputEnded) continue;
        return this.wait(next + 16 - p, p);
      }
      if (this.plausibleRecord(data, next, this.u32(data, p), RESYNC_SECONDS)) break;
    }
    if (end - p < 16) return this.wait(16, p);
    this.state = State.Pcap;
    return this.pcapRecords(data, p);
  }

  private resyncBlocks(data: Buffer, p: number): number {
    const end = data.length;
    for (; end - p >= 12; p++) {
      const type = this.u32(data, p);
      const length = this.u32(data, p + 4);
      if (!PCAPNG_BLOCK_TYPES.has(type) || length < 12 || length % 4 !== 0 || length > MAX_PACKET + 64) continue;
      if (end - p < length) {
        if (this.inputEnded) continue;
        return this.wait(length, p);
      }
      if (this.u32(data, p + length - 4) === length) break;
    }
    if (end - p < 12) return this.wait(12, p);
    this.state = State.Pcapng;
    return this.blocks(data, p);
  }

  private wait(bytes: number, used: number): number {
    this.need = bytes;
    return used;
  }

  private pcapRecords(data: Buffer, p: number): number {
    const end = data.length;
    const fractions = this.pcapScale === 1e-9 ? 1e9 : 1e6;
    while (end - p >= 16) {
      // What every real record header satisfies: a fraction under one second, no more bytes
      // captured than the packet had, and a time within a year of the record before (a zeroed
      // or overwritten header fails this).
      const seconds = this.u32(data, p);
      const fraction = this.u32(data, p + 4);
      const captured = this.u32(data, p + 8);
      if (captured > MAX_PACKET) return this.damaged(data, p, `packet record of ${captured} bytes: damaged, skipped to the next plausible record`, false);
      if (fraction >= fractions || captured > this.u32(data, p + 12) || (this.lastSeconds >= 0 && Math.abs(seconds - this.lastSeconds) > MAX_GAP_SECONDS)) {
        return this.damaged(data, p, 'implausible packet record header: damaged, skipped to the next plausible record', false);
      }
      if (end - p < 16 + captured) return this.wait(16 + captured, p);
      this.lastSeconds = seconds;
      this.events.packet(this.pcapLinkType, seconds + fraction * this.pcapScale, data, p + 16, p + 16 + captured);
      p += 16 + captured;
    }
    return this.wait(16, p);
  }

  private blocks(data: Buffer, p: number): number {
    const end = data.length;
    while (end - p >= 12) {
      const raw = data.readUInt32LE(p);
      if (raw === PCAPNG_SHB) {
        const bom = data.readUInt32LE(p + 8);
        if (bom === PCAPNG_BOM) this.little = true;
        else if (data.readUInt32BE(p + 8) === PCAPNG_BOM) this.little = false;
        else return this.damaged(data, p, 'bad section header byte order', true);
      }
      const type = this.u32(data, p);
      const length = this.u32(data, p + 4);
      if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK) return this.damaged(data, p, `bad block length ${length}`, true);
      const packetBlock = type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_PB;
      if (packetBlock && length > MAX_PACKET + 64) {
        this.events.badPacket(`packet block of ${length} bytes skipped`);
        if (end - p >= length) {
          p += length;
          continue;
        }
        this.skipping = length - (end - p);
        return this.wait(1, end);
      }
      if (end - p < length) return this.wait(length, p);
      if (this.u32(data, p + length - 4) !== length) return this.damaged(data, p, 'block lengths differ', true);
      if (raw === PCAPNG_SHB) this.interfaces = [];
      else if (type === BLOCK_IDB) this.addInterface(data, p + 8, p + length - 4);
      else if (packetBlock) this.packetBlock(type, data, p + 8, p + length - 4);
      p += length;
    }
    return this.wait(12, p);
  }

  private addInterface(data: Buffer, start: number, end: number): void {
    if (end - start < 8 || this.interfaces.length >= MAX_INTERFACES) return;
    const iface: Interface = { linkType: this.u16(data, start), snapLength: this.u32(data, start + 4), scale: 1e-6, offset: 0 };
    for (let p = start + 8; end - p >= 4; ) {
      const code = this.u16(data, p);
      const length = this.u16(data, p + 2);
      if (code === 0 || end - p - 4 < length) break;
      if (code === OPTION_TSRESOL && length >= 1) {
        const v = data[p + 4]!;
        iface.scale = v & 0x80 ? 2 ** -(v & 0x7f) : 10 ** -v;
      } else if (code === OPTION_TSOFFSET && length === 8) {
        const offset = this.little ? data.readBigInt64LE(p + 4) : data.readBigInt64BE(p + 4);
        // Beyond ±2^32 s no timestamp of this interface can be a time: its packets are skipped, each with the reason.
        iface.offset = offset >= -MAX_TSOFFSET && offset <= MAX_TSOFFSET ? Number(offset) : NaN;
        if (Number.isNaN(iface.offset)) iface.badOffset = offset;
      }
      p += 4 + ((length + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private packetBlock(type: number, data: Buffer, start: number, end: number): void {
    if (type === BLOCK_SPB) {
      const iface = this.interfaces[0];
      if (iface === undefined || end - start < 4) return this.events.badPacket(iface === undefined ? 'packet before any interface' : 'bad packet block');
      let captured = Math.min(this.u32(data, start), end - start - 4);
      if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
      return this.events.packet(iface.linkType, this.lastTs, data, start + 4, start + 4 + captured);
    }
    if (end - start < 20) return this.events.badPacket('bad packet block');
    const id = type === BLOCK_EPB ? this.u32(data, start) : this.u16(data, start);
    const iface = this.interfaces[id];
    if (iface === undefined) return this.events.badPacket(`packet on undeclared interface ${id}`);
    const captured = this.u32(data, start + 12);
    if (captured > end - start - 20) return this.events.badPacket('packet longer than its block');
    const units = this.u32(data, start + 4) * 4294967296 + this.u32(data, start + 8);
    if (iface.badOffset !== undefined) return this.events.badPacket(`interface ${id}: if_tsoffset ${iface.badOffset} s is out of range`);
    this.lastTs = units * iface.scale + iface.offset;
    this.events.packet(iface.linkType, this.lastTs, data, start + 20, start + 20 + captured);
  }
}
