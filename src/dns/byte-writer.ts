/**
 * The one byte writer for DNS messages and records: a growable buffer of
 * big-endian integers, bytes and names. Name compression (RFC 1035 §4.1.4)
 * is optional: a writer made with `compress: true` writes a pointer for the
 * longest suffix of a name it has already written (compared lower-cased, as
 * DNS compares names); without it names are written whole, as record data
 * that is signed or kept apart from its message must be.
 */
import { MAX_NAME_WIRE, WireError } from './constants.js';

/** Pointers hold 14 bits: a name written past this offset cannot be pointed at. */
const MAX_POINTER_TARGET = 0x3fff;

export class ByteWriter {
  private buf = new Uint8Array(512);
  length = 0;
  /** Suffixes already written (lower-cased wire bytes as latin1 text) by their offset; null without compression. */
  private readonly suffixes: Map<string, number> | null;

  constructor(options: { compress?: boolean } = {}) {
    this.suffixes = options.compress === true ? new Map() : null;
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.u16(Math.floor(v / 65536) & 0xffff);
    return this.u16(v & 0xffff);
  }

  /** 48-bit unsigned (TSIG time). */
  u48(v: number): this {
    this.u16(Math.floor(v / 2 ** 32) & 0xffff);
    return this.u32(v % 2 ** 32);
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /**
   * An uncompressed wire name (from nameToWire or the reader's nameWire);
   * compressed against the names before it when this writer compresses.
   */
  name(wire: Uint8Array): this {
    if (wire.length > MAX_NAME_WIRE || wire.length === 0) throw new WireError('not a wire name');
    const suffixes = this.suffixes;
    if (suffixes === null) return this.bytes(wire);
    for (let p = 0; p < wire.length; p += wire[p]! + 1) {
      if (wire[p] === 0) break;
      const key = suffixKey(wire, p);
      const at = suffixes.get(key);
      if (at !== undefined) {
        this.bytes(wire.subarray(0, p));
        return this.u16(0xc000 | at);
      }
      if (this.length + p <= MAX_POINTER_TARGET) suffixes.set(key, this.length + p);
    }
    return this.bytes(wire);
  }

  /** Writes a u16 at an earlier offset (RDLENGTH). */
  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** The wire suffix from `p`, lower-cased, as a map key. */
function suffixKey(wire: Uint8Array, p: number): string {
  let key = '';
  for (let i = p; i < wire.length; i++) {
    const c = wire[i]!;
    key += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return key;
}
