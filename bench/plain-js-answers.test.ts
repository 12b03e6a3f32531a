/** The floor's field readers must give what the DuckDB feature query's casts give, byte for byte of input. */
import { describe, expect, it } from 'vitest';
import { ADDRESS, address, BAD_ADDRESS, NOT_ADDRESS, parseAddress, parseDecimal, parseMicros } from './plain-js-answers.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

function read(text: string): { kind: number; words: number[] | null } {
  const kind = parseAddress(bytes(text), 0, text.length);
  return { kind, words: kind === ADDRESS ? [...address] : null };
}

describe('parseAddress', () => {
  it.each([
    ['1.1.1.1', ADDRESS, [0, 0, 0xffff, 0x01010101]],
    ['010.001.001.001', ADDRESS, [0, 0, 0xffff, 0x0a010101]], // the SQL's UTINYINT cast reads '010' as 10
    ['255.255.255.255', ADDRESS, [0, 0, 0xffff, 0xffffffff]],
    ['2001:4860::8888', ADDRESS, [0x20014860, 0, 0, 0x8888]],
    ['2001:4860:0:0:0:0:0:8888', ADDRESS, [0x20014860, 0, 0, 0x8888]],
    ['ABCD::1', ADDRESS, [0xabcd0000, 0, 0, 1]],
    ['::', ADDRESS, [0, 0, 0, 0]],
    ['fe80::', ADDRESS, [0xfe800000, 0, 0, 0]],
    ['::ffff:101:101', ADDRESS, [0, 0, 0xffff, 0x01010101]], // IPv4-mapped hex is that IPv4 address, as in the SQL
    ['1:2:3:4::5:6:7:8', ADDRESS, [0x10002, 0x30004, 0x50006, 0x70008]], // '::' standing for no group, accepted by the SQL
    ['256.1.1.1', BAD_ADDRESS, null],
    ['::ffff:1.2.3.4', BAD_ADDRESS, null],
    ['12345::1', BAD_ADDRESS, null],
    ['1::2::3', BAD_ADDRESS, null],
    ['1:2', BAD_ADDRESS, null],
    ['1:2:3:4:5:6:7:8:9', BAD_ADDRESS, null],
    [':1:2:3:4:5:6:7', BAD_ADDRESS, null],
    ['1:2:3:4:5:6:7:', BAD_ADDRESS, null],
    ['edge.example.test', NOT_ADDRESS, null],
    ['1.2.3', NOT_ADDRESS, null],
    ['1.2.3.4.5', NOT_ADDRESS, null],
    ['1234.1.1.1', NOT_ADDRESS, null],
    ['', NOT_ADDRESS, null],
  ])('%s', (text, kind, words) => {
    expect(read(text)).toEqual({ kind, words });
  });
});

describe('parseDecimal (TRY_CAST AS DOUBLE)', () => {
  it.each([
    ['300.000000', 300],
    ['0.500000', 0.5],
    ['86400', 86400],
    [' 5', 5],
    ['1e2', 100],
    ['', Number.NaN],
    ['-', Number.NaN],
    ['(empty)', Number.NaN],
  ])('%s', (text, value) => {
    expect(parseDecimal(bytes(text), 0, text.length)).toBe(value);
  });
});

describe('parseMicros', () => {
  it('orders Zeek timestamps as their values do, exactly to the microsecond', () => {
    const ts = ['1743638400.929933', '1743638400.929934', '1743638401', '1743638401.1', '1743638401.100001'];
    const micros = ts.map((t) => parseMicros(bytes(t), 0, t.length));
    expect(micros).toEqual([1743638400929933, 1743638400929934, 1743638401000000, 1743638401100000, 1743638401100001]);
    expect(parseMicros(bytes('-'), 0, 1)).toBeNaN();
  });
});
