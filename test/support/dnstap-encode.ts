/**
 * Writing dnstap files for the tests and the benchmark's load generator: the
 * protobuf comes from the product's encoder (src/sources/dnstap/encode.ts,
 * which the corpus's dnstap writer uses), the rest is test convenience.
 */
import { CONTROL_START, CONTROL_STOP, DNSTAP_CONTENT_TYPE, encodeControl, encodeData } from '../../src/sources/dnstap/frames.js';

export { encodeDnstap, type DnstapFields } from '../../src/sources/dnstap/encode.js';

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
