import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeDnstap, type DnstapFields } from '../../../test/support/dnstap-encode.js';
import { DnstapRecord, MessageType, readDnstap, type ByteRange } from './protobuf.js';

const hex = (bytes: Uint8Array, range: ByteRange) => (range.start < 0 ? undefined : Buffer.from(bytes.subarray(range.start, range.end)).toString('hex'));
const hexOf = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('hex'));

const fieldsArb: fc.Arbitrary<DnstapFields> = fc.record(
  {
    identity: fc.string({ maxLength: 20 }),
    type: fc.integer({ min: 1, max: 14 }),
    socketFamily: fc.integer({ min: 0, max: 2 }),
    socketProtocol: fc.integer({ min: 0, max: 7 }),
    queryAddress: fc.uint8Array({ minLength: 4, maxLength: 16 }),
    responseAddress: fc.uint8Array({ minLength: 4, maxLength: 16 }),
    queryPort: fc.integer({ min: 0, max: 65535 }),
    responsePort: fc.integer({ min: 0, max: 65535 }),
    queryTimeSec: fc.integer({ min: 0, max: 2 ** 40 }),
    queryTimeNsec: fc.integer({ min: 0, max: 0xffffffff }),
    responseTimeSec: fc.integer({ min: 0, max: 2 ** 40 }),
    responseTimeNsec: fc.integer({ min: 0, max: 0xffffffff }),
    queryMessage: fc.uint8Array({ maxLength: 300 }),
    responseMessage: fc.uint8Array({ maxLength: 300 }),
  },
  { requiredKeys: ['type'] },
);

describe('readDnstap', () => {
  it('reads back every field that was written (property)', () => {
    const record = new DnstapRecord();
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const bytes = encodeDnstap(fields);
        expect(readDnstap(bytes, record)).toBeNull();
        expect(record.kind).toBe(1);
        expect(record.hasMessage).toBe(true);
        expect(record.type).toBe(fields.type);
        expect(record.socketFamily).toBe(fields.socketFamily ?? 0);
        expect(record.socketProtocol).toBe(fields.socketProtocol ?? 0);
        expect(record.queryPort).toBe(fields.queryPort ?? -1);
        expect(record.responsePort).toBe(fields.responsePort ?? -1);
        expect(record.queryTimeSec).toBe(fields.queryTimeSec ?? -1);
        expect(record.queryTimeNsec).toBe(fields.queryTimeNsec ?? 0);
        expect(record.responseTimeSec).toBe(fields.responseTimeSec ?? -1);
        expect(record.responseTimeNsec).toBe(fields.responseTimeNsec ?? 0);
        expect(hex(bytes, record.queryAddress)).toBe(hexOf(fields.queryAddress));
        expect(hex(bytes, record.responseAddress)).toBe(hexOf(fields.responseAddress));
        expect(hex(bytes, record.queryMessage)).toBe(hexOf(fields.queryMessage));
        expect(hex(bytes, record.responseMessage)).toBe(hexOf(fields.responseMessage));
        expect(hex(bytes, record.identity)).toBe(fields.identity === undefined ? undefined : Buffer.from(fields.identity).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random or truncated bytes and never points outside them (fuzz)', () => {
    const record = new DnstapRecord();
    const inside = (range: ByteRange, length: number) => range.start === -1 || (range.start >= 0 && range.start <= range.end && range.end <= length);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fieldsArb.chain((f) => {
        const bytes = encodeDnstap(f);
        return fc.nat({ max: bytes.length }).map((cut) => bytes.subarray(0, cut));
      })), (bytes) => {
        const reason = readDnstap(bytes, record);
        expect(reason === null || reason.startsWith('protobuf: ')).toBe(true);
        for (const range of [record.identity, record.version, record.queryAddress, record.responseAddress, record.queryMessage, record.responseMessage]) {
          expect(inside(range, bytes.length)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reads a sub-range of a buffer and gives reasons for broken fields', () => {
    const record = new DnstapRecord();
    const frame = encodeDnstap({ type: MessageType.CLIENT_RESPONSE, queryPort: 5353 });
    const padded = Buffer.concat([Buffer.from([0xff, 0xff]), frame, Buffer.from([0xff])]);
    expect(readDnstap(padded, record, 2, 2 + frame.length)).toBeNull();
    expect(record.queryPort).toBe(5353);
    expect(readDnstap(Buffer.from([0x72, 0x03, 0x08]), record)).toBe('protobuf: Dnstap message of 3 bytes past the end');
    expect(readDnstap(Buffer.from([0x72, 0x01, 0x08]), record)).toBe('protobuf: Message varint cut at the end');
    expect(readDnstap(Buffer.from([0x72, 0x02, 0x0a, 0x00]), record)).toBe('protobuf: Message field 1 has wire type 2');
    expect(readDnstap(Buffer.from([0x7a, 0x00]), record)).toBe('protobuf: Dnstap field 15 has wire type 2');
    expect(readDnstap(Buffer.from([0x0b]), record)).toBe('protobuf: Dnstap field 1 has wire type 3');
    expect(readDnstap(Buffer.from([0x83, 0x01]), record)).toBe('protobuf: field 16: wire type 3');
    expect(readDnstap(Buffer.from([0x00]), record)).toBe('protobuf: field number 0');
    // An unknown field of every wire type is passed over.
    expect(readDnstap(Buffer.from([0xa0, 0x01, 0x05, 0xa1, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xa5, 0x01, 1, 2, 3, 4, 0x78, 0x01]), record)).toBeNull();
    expect(record.kind).toBe(1);
  });
});
