import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitAt } from '../conformance.case.js';
import {
  CONTROL_ACCEPT,
  CONTROL_FINISH,
  CONTROL_READY,
  CONTROL_START,
  CONTROL_STOP,
  DNSTAP_CONTENT_TYPE,
  FrameReader,
  encodeControl,
  encodeData,
  parseControl,
  startsWithStart,
  type FrameReaderOptions,
} from './frames.js';

type Event = ['data', number, string] | ['control', number, number, string[]] | ['bad', number, string, boolean];

function read(chunks: readonly Buffer[], options: FrameReaderOptions = {}): { events: Event[]; reader: FrameReader; maxBuffered: number } {
  const events: Event[] = [];
  let maxBuffered = 0;
  const reader = new FrameReader(
    {
      data: (payload, frame) => events.push(['data', frame, payload.toString('hex')]),
      control: (control, frame) => events.push(['control', frame, control.type, control.contentTypes]),
      bad: (reason, frame, fatal) => events.push(['bad', frame, reason, fatal]),
    },
    options,
  );
  for (const chunk of chunks) {
    reader.push(chunk);
    maxBuffered = Math.max(maxBuffered, reader.buffered);
  }
  reader.end();
  return { events, reader, maxBuffered };
}

const frameArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((payload) => ({ kind: 'data' as const, payload: Buffer.from(payload) })),
  fc
    .record({ type: fc.constantFrom(CONTROL_ACCEPT, CONTROL_START, CONTROL_STOP, CONTROL_READY, CONTROL_FINISH), types: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }) })
    .map(({ type, types }) => ({ kind: 'control' as const, type, types: types.map((t) => Buffer.from(t, 'latin1').toString('latin1')) })),
);

describe('FrameReader', () => {
  it('reads a START, data frames and a STOP, numbering the data frames', () => {
    const bytes = Buffer.concat([encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]), encodeData(Buffer.from([1, 2])), encodeData(Buffer.from([3])), encodeControl(CONTROL_STOP)]);
    // A control frame carries the number the next data frame gets.
    expect(read([bytes]).events).toEqual([
      ['control', 1, CONTROL_START, [DNSTAP_CONTENT_TYPE]],
      ['data', 1, '0102'],
      ['data', 2, '03'],
      ['control', 3, CONTROL_STOP, []],
    ]);
  });

  it('gives the frames that were written, however the stream is cut (property)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => (f.kind === 'data' ? encodeData(f.payload) : encodeControl(f.type, f.types))));
        let record = 1;
        const expected: Event[] = frames.map((f) => (f.kind === 'data' ? ['data', record++, f.payload.toString('hex')] : ['control', record, f.type, f.types]));
        expect(read(splitAt(bytes, cuts)).events).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random bytes, buffers at most the cap, and dies at most once (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (bytes, cuts, skipOversized) => {
        const { events, maxBuffered } = read(splitAt(Buffer.from(bytes), cuts), { maxFrame: 64, skipOversized });
        expect(maxBuffered).toBeLessThanOrEqual(512);
        const fatal = events.filter((e) => e[0] === 'bad' && e[3]);
        expect(fatal.length).toBeLessThanOrEqual(1);
        if (fatal.length === 1) expect(events[events.length - 1]).toBe(fatal[0]);
      }),
      { numRuns: 500 },
    );
  });

  it('skips an oversized data frame without buffering it (files), then reads on', () => {
    const big = encodeData(Buffer.alloc(1000, 7));
    const chunks = splitAt(Buffer.concat([big, encodeData(Buffer.from([9]))]), [3, 100, 500, 1003]);
    const { events, maxBuffered } = read(chunks, { maxFrame: 100 });
    expect(maxBuffered).toBe(0);
    expect(events).toEqual([
      ['bad', 1, 'data frame of 1000 bytes over the 100-byte cap: skipped', false],
      ['data', 2, '09'],
    ]);
  });

  it('stops at an oversized frame when asked to (live peers)', () => {
    const { events, reader } = read([encodeData(Buffer.alloc(1000)), encodeData(Buffer.from([1]))], { maxFrame: 100, skipOversized: false });
    expect(events).toEqual([['bad', 1, 'data frame of 1000 bytes over the 100-byte cap', true]]);
    expect(reader.dead).toBe(true);
  });

  it('reports a stream cut inside a length, a payload or a control frame', () => {
    expect(read([Buffer.from([0, 0])]).events).toEqual([['bad', 1, 'truncated frame length: 2 of 4 bytes', true]]);
    expect(read([Buffer.from([0, 0, 0, 5, 1, 2])]).events).toEqual([['bad', 1, 'truncated frame: 2 of 5 bytes', true]]);
    expect(read([encodeControl(CONTROL_START, ['x']).subarray(0, 10)]).events).toEqual([['bad', 1, 'truncated control frame: 2 of 13 bytes', true]]);
    expect(read([Buffer.from([0, 0, 0, 0, 0, 0])]).events).toEqual([['bad', 1, 'truncated control frame length: 2 of 4 bytes', true]]);
  });

  it('refuses malformed control frames and skips unknown control types', () => {
    const fieldPastEnd = Buffer.from([0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 9]);
    expect(read([fieldPastEnd]).events).toEqual([['bad', 1, 'malformed START frame: field of 9 bytes past the end', true]]);
    expect(read([Buffer.from([0, 0, 0, 0, 0, 0, 0, 2, 0, 0])]).events).toEqual([['bad', 1, 'control frame of 2 bytes (4..512)', true]]);
    expect(read([encodeControl(9), encodeData(Buffer.from([1]))]).events).toEqual([
      ['bad', 1, 'unknown control frame type 9', false],
      ['data', 1, '01'],
    ]);
  });

  it('parses control fields and sniffs a dnstap START only', () => {
    expect(parseControl(encodeControl(CONTROL_READY, ['a', DNSTAP_CONTENT_TYPE]).subarray(8))).toEqual({ type: CONTROL_READY, contentTypes: ['a', DNSTAP_CONTENT_TYPE] });
    expect(startsWithStart(encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]), DNSTAP_CONTENT_TYPE)).toBe(true);
    expect(startsWithStart(encodeControl(CONTROL_READY, [DNSTAP_CONTENT_TYPE]), DNSTAP_CONTENT_TYPE)).toBe(false);
    expect(startsWithStart(encodeControl(CONTROL_START, ['protobuf:x']), DNSTAP_CONTENT_TYPE)).toBe(false);
    expect(startsWithStart(encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]).subarray(0, 20), DNSTAP_CONTENT_TYPE)).toBe(false);
  });
});
