/**
 * Writing dnstap: one `Dnstap` protobuf (dnstap.proto, the same field
 * numbers protobuf.ts reads), bare or as a Frame Streams data frame. The
 * corpus's dnstap writer makes a million of these, so an encoder writes
 * into buffers it keeps and hands out a view: copy it (or write it out)
 * before the next call.
 */
import { ByteWriter } from '../../dns/byte-writer.js';
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

/**
 * The protobuf field forms dnstap uses, written into the one growable byte
 * buffer (src/dns/byte-writer.ts): varints, little-endian fixed32 and
 * length-delimited bytes.
 */
function raw(w: ByteWriter, n: number): void {
  let rest = n;
  while (rest >= 128) {
    w.u8((rest % 128) | 128);
    rest = Math.floor(rest / 128);
  }
  w.u8(rest);
}

function varint(w: ByteWriter, field: number, n: number): void {
  raw(w, field * 8 + WIRE_VARINT);
  raw(w, n);
}

function fixed32(w: ByteWriter, field: number, n: number): void {
  raw(w, field * 8 + WIRE_FIXED32);
  w.u8(n).u8(n >>> 8).u8(n >>> 16).u8(n >>> 24);
}

function bytesField(w: ByteWriter, field: number, data: Uint8Array): void {
  raw(w, field * 8 + WIRE_BYTES);
  raw(w, data.length);
  w.bytes(data);
}

function text(w: ByteWriter, field: number, value: string): void {
  bytesField(w, field, Buffer.from(value, 'utf8'));
}

export class DnstapEncoder {
  private readonly message = new ByteWriter();
  private readonly outer = new ByteWriter();

  /** One Dnstap protobuf (a data frame's payload): a view valid until the next call. */
  payload(fields: DnstapFields): Uint8Array {
    this.encode(fields, false);
    return this.outer.view();
  }

  /** The same as a Frame Streams data frame (32-bit big-endian length first): a view valid until the next call. */
  frame(fields: DnstapFields): Uint8Array {
    const out = this.outer;
    this.encode(fields, true);
    const length = out.length - 4;
    out.patch16(0, length >>> 16);
    out.patch16(2, length & 0xffff);
    return out.view();
  }

  private encode(f: DnstapFields, framed: boolean): void {
    const m = this.message.reset();
    varint(m, 1, f.type);
    if (f.socketFamily !== undefined) varint(m, 2, f.socketFamily);
    if (f.socketProtocol !== undefined) varint(m, 3, f.socketProtocol);
    if (f.queryAddress !== undefined) bytesField(m, 4, f.queryAddress);
    if (f.responseAddress !== undefined) bytesField(m, 5, f.responseAddress);
    if (f.queryPort !== undefined) varint(m, 6, f.queryPort);
    if (f.responsePort !== undefined) varint(m, 7, f.responsePort);
    if (f.queryTimeSec !== undefined) varint(m, 8, f.queryTimeSec);
    if (f.queryTimeNsec !== undefined) fixed32(m, 9, f.queryTimeNsec);
    if (f.queryMessage !== undefined) bytesField(m, 10, f.queryMessage);
    if (f.responseTimeSec !== undefined) varint(m, 12, f.responseTimeSec);
    if (f.responseTimeNsec !== undefined) fixed32(m, 13, f.responseTimeNsec);
    if (f.responseMessage !== undefined) bytesField(m, 14, f.responseMessage);
    const top = this.outer.reset();
    // Room for the frame's length, written once the payload's is known.
    if (framed) top.u32(0);
    if (f.identity !== undefined) text(top, 1, f.identity);
    if (f.version !== undefined) text(top, 2, f.version);
    bytesField(top, 14, m.view());
    varint(top, 15, DNSTAP_MESSAGE);
  }
}

/** One Dnstap protobuf in a Buffer of its own. */
export function encodeDnstap(fields: DnstapFields): Buffer {
  return Buffer.from(new DnstapEncoder().payload(fields));
}
