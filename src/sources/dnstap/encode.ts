/**
 * Writing dnstap: one `Dnstap` protobuf (dnstap.proto, the same field
 * numbers protobuf.ts reads), bare or as a Frame Streams data frame. The
 * corpus's dnstap writer makes a million of these, so an encoder writes
 * into buffers it keeps and hands out a view: copy it (or write it out)
 * before the next call.
 */
import { DNSTAP_MESSAGE } from './protobuf.js';

export interface DnstapFields {
  identity?: string;
  version?: string;
  /** Message.type (MessageType). */
  type: number;
  /** SocketFamily: 1 INET, 2 INET6. */
  socketFamily?: number;
  /** SocketProtocol: 1 UDP, 2 TCP. */
  socketProtocol?: number;
  queryAddress?: Uint8Array;
  responseAddress?: Uint8Array;
  queryPort?: number;
  responsePort?: number;
  queryTimeSec?: number;
  queryTimeNsec?: number;
  responseTimeSec?: number;
  responseTimeNsec?: number;
  queryMessage?: Uint8Array;
  responseMessage?: Uint8Array;
}

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** A growable byte buffer with the protobuf field forms dnstap uses; reset and reused. */
class ProtoBuffer {
  bytes = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  raw(n: number): void {
    this.room(10);
    let rest = n;
    while (rest >= 128) {
      this.bytes[this.length++] = (rest % 128) | 128;
      rest = Math.floor(rest / 128);
    }
    this.bytes[this.length++] = rest;
  }

  varint(field: number, n: number): void {
    this.raw(field * 8 + WIRE_VARINT);
    this.raw(n);
  }

  fixed32(field: number, n: number): void {
    this.raw(field * 8 + WIRE_FIXED32);
    this.room(4);
    const b = this.bytes;
    b[this.length++] = n & 255;
    b[this.length++] = (n >>> 8) & 255;
    b[this.length++] = (n >>> 16) & 255;
    b[this.length++] = (n >>> 24) & 255;
  }

  field(field: number, data: Uint8Array): void {
    this.raw(field * 8 + WIRE_BYTES);
    this.raw(data.length);
    this.room(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  text(field: number, text: string): void {
    this.field(field, Buffer.from(text, 'utf8'));
  }
}

export class DnstapEncoder {
  private readonly message = new ProtoBuffer();
  private readonly outer = new ProtoBuffer();

  /** One Dnstap protobuf (a data frame's payload): a view valid until the next call. */
  payload(fields: DnstapFields): Uint8Array {
    this.encode(fields, 0);
    return this.outer.bytes.subarray(0, this.outer.length);
  }

  /** The same as a Frame Streams data frame (32-bit big-endian length first): a view valid until the next call. */
  frame(fields: DnstapFields): Uint8Array {
    const out = this.outer;
    this.encode(fields, 4);
    const length = out.length - 4;
    out.bytes[0] = length >>> 24;
    out.bytes[1] = (length >>> 16) & 255;
    out.bytes[2] = (length >>> 8) & 255;
    out.bytes[3] = length & 255;
    return out.bytes.subarray(0, out.length);
  }

  private encode(f: DnstapFields, headroom: number): void {
    const m = this.message;
    m.length = 0;
    m.varint(1, f.type);
    if (f.socketFamily !== undefined) m.varint(2, f.socketFamily);
    if (f.socketProtocol !== undefined) m.varint(3, f.socketProtocol);
    if (f.queryAddress !== undefined) m.field(4, f.queryAddress);
    if (f.responseAddress !== undefined) m.field(5, f.responseAddress);
    if (f.queryPort !== undefined) m.varint(6, f.queryPort);
    if (f.responsePort !== undefined) m.varint(7, f.responsePort);
    if (f.queryTimeSec !== undefined) m.varint(8, f.queryTimeSec);
    if (f.queryTimeNsec !== undefined) m.fixed32(9, f.queryTimeNsec);
    if (f.queryMessage !== undefined) m.field(10, f.queryMessage);
    if (f.responseTimeSec !== undefined) m.varint(12, f.responseTimeSec);
    if (f.responseTimeNsec !== undefined) m.fixed32(13, f.responseTimeNsec);
    if (f.responseMessage !== undefined) m.field(14, f.responseMessage);
    const top = this.outer;
    top.length = headroom;
    if (f.identity !== undefined) top.text(1, f.identity);
    if (f.version !== undefined) top.text(2, f.version);
    top.field(14, m.bytes.subarray(0, m.length));
    top.varint(15, DNSTAP_MESSAGE);
  }
}

/** One Dnstap protobuf in a Buffer of its own. */
export function encodeDnstap(fields: DnstapFields): Buffer {
  return Buffer.from(new DnstapEncoder().payload(fields));
}
