/**
 * Writing dnstap frames: what the tests, the benchmark's load generator and
 * anyone replaying captures need. Not on fluxhound's own read path.
 */
import { CONTROL_START, CONTROL_STOP, DNSTAP_CONTENT_TYPE, encodeControl, encodeData } from '../../src/sources/dnstap/frames.js';
import { DNSTAP_MESSAGE } from '../../src/sources/dnstap/protobuf.js';

export interface DnstapFields {
  identity?: string;
  version?: string;
  /** Message.type (MessageType). */
  type: number;
  socketFamily?: number;
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

class Writer {
  private readonly parts: number[] = [];
  private readonly chunks: Buffer[] = [];

  varint(field: number, n: number): this {
    this.key(field, 0);
    this.raw(n);
    return this;
  }

  fixed32(field: number, n: number): this {
    this.key(field, 5);
    this.parts.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.raw(data.length);
    this.flushParts();
    this.chunks.push(Buffer.from(data));
    return this;
  }

  finish(): Buffer {
    this.flushParts();
    return Buffer.concat(this.chunks);
  }

  private key(field: number, wire: number): void {
    this.raw(field * 8 + wire);
  }

  private raw(n: number): void {
    let rest = n;
    while (rest >= 128) {
      this.parts.push((rest % 128) | 128);
      rest = Math.floor(rest / 128);
    }
    this.parts.push(rest);
  }

  private flushParts(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(Buffer.from(this.parts));
    this.parts.length = 0;
  }
}

/** One Dnstap protobuf (a data frame's payload). */
export function encodeDnstap(fields: DnstapFields): Buffer {
  const m = new Writer().varint(1, fields.type);
  if (fields.socketFamily !== undefined) m.varint(2, fields.socketFamily);
  if (fields.socketProtocol !== undefined) m.varint(3, fields.socketProtocol);
  if (fields.queryAddress !== undefined) m.bytes(4, fields.queryAddress);
  if (fields.responseAddress !== undefined) m.bytes(5, fields.responseAddress);
  if (fields.queryPort !== undefined) m.varint(6, fields.queryPort);
  if (fields.responsePort !== undefined) m.varint(7, fields.responsePort);
  if (fields.queryTimeSec !== undefined) m.varint(8, fields.queryTimeSec);
  if (fields.queryTimeNsec !== undefined) m.fixed32(9, fields.queryTimeNsec);
  if (fields.queryMessage !== undefined) m.bytes(10, fields.queryMessage);
  if (fields.responseTimeSec !== undefined) m.varint(12, fields.responseTimeSec);
  if (fields.responseTimeNsec !== undefined) m.fixed32(13, fields.responseTimeNsec);
  if (fields.responseMessage !== undefined) m.bytes(14, fields.responseMessage);
  const top = new Writer();
  if (fields.identity !== undefined) top.bytes(1, Buffer.from(fields.identity));
  if (fields.version !== undefined) top.bytes(2, Buffer.from(fields.version));
  return top.bytes(14, m.finish()).varint(15, DNSTAP_MESSAGE).finish();
}

/** A whole Frame Streams file: START with the dnstap content type, the data frames, STOP. */
export function encodeDnstapFile(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat([encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]), ...payloads.map(encodeData), encodeControl(CONTROL_STOP)]);
}

/** 4 or 16 address bytes from text ('192.0.2.1', '2001:db8::1'). */
export function addressBytes(text: string): Uint8Array {
  if (text.includes(':')) {
    const [head = '', tail = ''] = text.split('::');
    const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
    const left = groups(head);
    const right = text.includes('::') ? groups(tail) : [];
    const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
    const out = new Uint8Array(16);
    all.forEach((g, i) => {
      out[i * 2] = g >> 8;
      out[i * 2 + 1] = g & 255;
    });
    return out;
  }
  return Uint8Array.from(text.split('.').map(Number));
}
