import { describe, expect, it } from 'vitest';
import { epochSeconds, rcodeName, rrType, shown, ttlOrInvalid } from './values.js';

describe('values', () => {
  it.each([
    [1710234902.5, 1710234902.5],
    ['1710234902.5', 1710234902.5],
    ['2016-05-26T11:24:34.170604+0200', 1464254674.170604],
    ['2016-05-26T09:24:34.170604Z', 1464254674.170604],
    ['2016-05-26 09:24:34', 1464254674],
    ['2016-05-26T11:24:34+02:00', 1464254674],
    ['9999-12-31T23:59:59Z', 253402300799],
    ['2016-02-30T00:00:00Z', -1],
    ['2016-05-26T24:00:00Z', -1],
    ['1e400', -1],
    [-1, -1],
    [Number.NaN, -1],
    [1e300, -1],
    [null, -1],
    ['', -1],
  ])('epochSeconds(%j) is %d', (value, want) => {
    expect(epochSeconds(value)).toBeCloseTo(want, 6);
  });

  it.each([
    [300, 300],
    [300.9, 300],
    [0, 0],
    [2147483648, 0],
    [4294967295, 0],
    [4294967296, -1],
    [-1, -1],
    [Number.NaN, -1],
    [Number.POSITIVE_INFINITY, -1],
  ])('ttlOrInvalid(%d) is %d', (value, want) => {
    expect(ttlOrInvalid(value)).toBe(want);
  });

  it('names types and rcodes from numbers and strings', () => {
    expect([rrType(1), rrType(65534), rrType('aaaa'), rrType('no spaces'), rrType(70000)]).toEqual(['A', 'TYPE65534', 'AAAA', null, null]);
    expect([rcodeName(3), rcodeName(23), rcodeName('nxdomain'), rcodeName(undefined)]).toEqual(['NXDOMAIN', 'RCODE23', 'NXDOMAIN', null]);
  });

  it('quotes values short and on one line', () => {
    expect(shown('a\tb')).toBe("'a\\x09b'");
    expect(shown('x'.repeat(100))).toBe(`'${'x'.repeat(40)}…'`);
    expect(shown({ a: 1 })).toBe(`'{"a":1}'`);
  });
});
