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
  /**
   * Offsets of the suffixes already written, by a hash of their lower-cased
   * labels (a match is checked byte by byte, pointers followed, before it is
   * used); null without compression. Numbers, not texts: no string is built
   * per name, which made compression most of a message's cost.
   */
  private readonly suffixes: Map<number, number> | null;

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
    const labels = suffixHashes(wire);
    const base = this.length;
    for (let k = 0; k < labels; k++) {
      const p = starts[k]!;
      const at = suffixes.get(hashes[k]!);
      if (at !== undefined && sameSuffix(wire, p, this.buf, at)) {
        this.remember(base, k);
        this.room(p + 2);
        // A copy loop: a subarray view per name cost more than the bytes.
        for (let i = 0; i < p; i++) this.buf[this.length++] = wire[i]!;
        return this.u16(0xc000 | at);
      }
    }
    this.remember(base, labels);
    return this.bytes(wire);
  }

  /** Notes where the first `labels` suffixes of the name being written at `base` start (the one hashed last). */
  private remember(base: number, labels: number): void {
    const suffixes = this.suffixes!;
    for (let k = 0; k < labels; k++) {
      const at = base + starts[k]!;
      if (at > MAX_POINTER_TARGET) return;
      // The first suffix with a hash keeps it: a rare collision only costs a missed pointer.
      if (!suffixes.has(hashes[k]!)) suffixes.set(hashes[k]!, at);
    }
  }

  /** Empty again, compression table included, keeping the buffer: one writer for many messages. */
  reset(): this {
    this.length = 0;
    this.suffixes?.clear();
    return this;
  }

  /** Writes a u16 at an earlier offset (RDLENGTH). */
  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** What is written so far, without a copy: valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Label starts and suffix hashes of the name `suffixHashes` looked at last (a name has at most 127 labels). */
const starts = new Int32Array(128);
const hashes = new Int32Array(128);

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * Fills `starts` and `hashes` for each label of `wire` but the root: the hash
 * of the lower-cased suffix from that label on (FNV-1a, last label first, so
 * one pass gives every suffix). Returns the number of labels.
 */
function suffixHashes(wire: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < wire.length && wire[p] !== 0 && n < 128; p += wire[p]! + 1) starts[n++] = p;
  let h = 0x811c9dc5;
  for (let k = n - 1; k >= 0; k--) {
    const p = starts[k]!;
    const end = Math.min(p + 1 + wire[p]!, wire.length);
    for (let i = p; i < end; i++) h = Math.imul(h ^ lower(wire[i]!), 0x01000193);
    // 30 bits: a small integer V8 keeps unboxed as a map key.
    hashes[k] = h & 0x3fffffff;
  }
  return n;
}

/** Whether the suffix of `wire` from `p` is the name written at `at` in `buf` (pointers followed), compared lower-cased. */
function sameSuffix(wire: Uint8Array, p: number, buf: Uint8Array, at: number): boolean {
  let q = at;
  for (let hops = 0; hops < 128; ) {
    const len = buf[q]!;
    if ((len & 0xc0) === 0xc0) {
      q = ((len & 0x3f) << 8) | buf[q + 1]!;
      hops++;
      continue;
    }
    if (wire[p] !== len) return false;
    if (len === 0) return true;
    for (let i = 1; i <= len; i++) if (lower(wire[p + i]!) !== lower(buf[q + i]!)) return false;
    p += len + 1;
    q += len + 1;
  }
  return false;
}
