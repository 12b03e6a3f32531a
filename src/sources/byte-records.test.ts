import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatIPv4, parseIPv4 } from '../model/names.js';
import { needsDecoding, plainIPv4, plainIPv6, plainName } from './byte-records.js';
import { canonicalIPv6, plausibleName } from './records.js';

/** `text` as UTF-8 between other bytes, with its bounds: the readers must stay inside them. */
function inLine(text: string): [Buffer, number, number] {
  const body = Buffer.from(text);
  return [Buffer.concat([Buffer.from('x\t'), body, Buffer.from('\t.y')]), 2, 2 + body.length];
}

const chars = (alphabet: string, maxLength: number) =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((a) => a.join(''));
const anyText = chars('aZz09.:-_fF\\x \té\u007f,', 70);
const ipv4ish = fc
  .array(fc.oneof(fc.nat(300).map(String), fc.constantFrom('00', '01', '', '1a')), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join('.'));
const ipv6ish = fc
  .array(chars('0123456789abcdefABCDEF', 5), { minLength: 1, maxLength: 10 })
  .chain((groups) => fc.constantFrom(':', '::').map((sep) => groups.join(':').replace(':', sep)))
  .chain((text) => fc.constantFrom(text, `${text}:1.2.3.4`, `::ffff:${text}`, text.toUpperCase()));
/** 253 and 254 characters, with and without a trailing dot, and a 64-character label. */
const edgeNames = [61, 62].flatMap((last) => {
  const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(last)}`;
  return [name, `${name}.`, name.toUpperCase()];
});
const nameish = fc
  .array(chars('abcXYZ019-_*', 70), { minLength: 1, maxLength: 5 })
  .chain((labels) => fc.constantFrom(labels.join('.'), `${labels.join('.')}.`, `${labels.join('..')}`));

describe('byte-records: the byte readers agree with the string functions', () => {
  it('plainName is plausibleName for plain ASCII names and null for what it leaves to the string path', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nameish, fc.constantFrom('.', '..', '', 'a.', 'A', 'x'.repeat(64), ...edgeNames)), (text) => {
        const got = plainName(...inLine(text));
        const want = plausibleName(text);
        const plain = /^[\x21-\x7e]*$/.test(text) && !/[\\:]/.test(text);
        if (plain) expect(got).toBe(want);
        else expect(got).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('plainIPv4 accepts exactly what parseIPv4 accepts, as the same text', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4ish, anyText), (text) => {
        expect(plainIPv4(...inLine(text))).toBe(parseIPv4(text) >= 0 ? text : null);
      }),
      { numRuns: 2000 },
    );
  });

  it('plainIPv4 gives each address its own text, also when addresses collide in its table', () => {
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i++) {
        const text = formatIPv4(Math.imul(i, 0x9e3779b1) >>> 0);
        if (plainIPv4(...inLine(text)) !== text) wrong.push(text);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('plainIPv6 is canonicalIPv6 for text that could be an address, null otherwise', () => {
    fc.assert(
      fc.property(fc.oneof(ipv6ish, anyText), (text) => {
        const couldBe = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/.test(text);
        expect(plainIPv6(...inLine(text))).toBe(couldBe ? canonicalIPv6(text) : null);
      }),
      { numRuns: 2000 },
    );
  });

  it('needsDecoding finds escapes and non-ASCII bytes', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(needsDecoding(...inLine(text))).toBe(/[\\\u0080-\uffff]/.test(text));
      }),
    );
  });
});
