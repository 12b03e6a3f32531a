import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteLineSplitter, LineSplitter } from './lines.js';
import { splitAt } from './conformance.case.js';

type Event = [number, string | null];

type Splitting = (chunks: readonly Buffer[], max?: number) => { events: Event[]; positions: number[] };

/**
 * What a splitter hands out, as [line number, text] (null text: over-long);
 * the byte splitter's lines are decoded here, and its `ascii` flag checked.
 */
function splitting(kind: 'text' | 'bytes'): Splitting {
  return (chunks, max) => {
    const events: Event[] = [];
    const positions: number[] = [];
    const seen = (lineNumber: number, text: string): void => {
      events.push([lineNumber, text]);
      positions.push(splitter.position());
    };
    const overlong = (lineNumber: number): void => {
      events.push([lineNumber, null]);
    };
    const splitter =
      kind === 'text'
        ? new LineSplitter({ line: (text, start, end, lineNumber) => seen(lineNumber, text.slice(start, end)), overlong }, max)
        : new ByteLineSplitter(
            {
              line(bytes, start, end, lineNumber, ascii) {
                if (ascii) expect(bytes.subarray(start, end).every((b) => b < 0x80)).toBe(true);
                seen(lineNumber, bytes.toString('utf8', start, end));
              },
              overlong,
            },
            max,
          );
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    return { events, positions };
  };
}

/** The same, worked out directly from the whole input. */
function expected(bytes: Buffer, max: number): Event[] {
  const events: Event[] = [];
  let start = 0;
  let number = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    const terminated = end !== -1;
    if (!terminated) end = bytes.length;
    number++;
    if (end - start > max) events.push([number, null]);
    else {
      let text = bytes.subarray(start, end).toString('utf8');
      if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      events.push([number, text]);
    }
    start = end + 1;
  }
  return events;
}

describe.each([
  ['LineSplitter', splitting('text')],
  ['ByteLineSplitter', splitting('bytes')],
])('%s', (_name, run: Splitting) => {
  it('numbers lines from 1, strips CRLF and hands out an unterminated last line', () => {
    expect(run([Buffer.from('a\r\nb\n\nc')]).events).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, ''],
      [4, 'c'],
    ]);
  });

  it('decodes a character split across chunks', () => {
    const bytes = Buffer.from('café\nnaïve\n');
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(run([bytes.subarray(0, cut), bytes.subarray(cut)]).events).toEqual([
        [1, 'café'],
        [2, 'naïve'],
      ]);
    }
  });

  it('drops an over-long line as it streams in, then carries on', () => {
    const bytes = Buffer.from(`ok\n${'x'.repeat(100)}\nnext\n`);
    const chunks = splitAt(bytes, [5, 20, 40, 60, 80, 104]);
    expect(run(chunks, 16).events).toEqual([
      [1, 'ok'],
      [2, null],
      [3, 'next'],
    ]);
  });

  it('reports position() as the line being handed out', () => {
    expect(run([Buffer.from('a\nb\nc')]).positions).toEqual([1, 2, 3]);
  });

  it('hands out the same lines however the bytes are chunked (random bytes, small cap)', () => {
    const alphabet = fc.constantFrom(0x0a, 0x0d, 0x41, 0x20, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xef, 0xbb, 0xbf);
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 12 }), (raw, cuts, max) => {
        const bytes = Buffer.from(raw);
        const want = expected(bytes, max);
        expect(run([bytes], max).events).toEqual(want);
        expect(run(splitAt(bytes, cuts), max).events).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
