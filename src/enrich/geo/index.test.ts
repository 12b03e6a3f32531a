import { describe, expect, it } from 'vitest';
import { findV4, findV6 } from '../ranges.js';
import { CountryCodes, parseCountryCsv, parseCountryFiles } from './index.js';

describe('parseCountryCsv', () => {
  it('interns codes, upper-cases them and skips what is not a code', () => {
    const codes = new CountryCodes();
    const text = ['16777216,16777471,AU', '16777472,16778239,cn', '16778240,16779263,AU', '16779264,16781311,C', '1,2,C1', '16781312,16785407,'].join('\r\n');
    const r = parseCountryCsv(Buffer.from(text), 'asn-country-ipv4-num.csv', 1, codes);
    expect(r.table.length).toBe(3);
    expect(r.skipped).toBe(3);
    const list = codes.list();
    expect(list).toEqual(['', 'AU', 'CN']);
    expect(list[findV4(r.table, 16777216)]).toBe('AU');
    expect(list[findV4(r.table, 16778239)]).toBe('CN');
    expect(findV4(r.table, 16779264)).toBe(0);
  });

  it('returns the same string object for the same code', () => {
    const codes = new CountryCodes();
    const a = codes.internText('de');
    const b = codes.intern(Buffer.from('DE'), 0, 2);
    expect(a).toBe(b);
    expect(codes.internText('DEU')).toBe(-1);
  });

  it('reads IPv6 rows and refuses empty files', () => {
    const v6 = '42540528726795050063891204319802818560,42540528806023212578155541913346768895,JP\n';
    const d = parseCountryFiles(Buffer.from('16777216,16777471,AU\n'), Buffer.from(v6));
    expect(d.codes[findV6(d.v6, 0x20010200, 0, 0, 1)]).toBe('JP'); // 2001:200::/32
    expect(() => parseCountryFiles(Buffer.from('\n'), Buffer.from(v6))).toThrow(
      /^enrich: asn-country-ipv4-num\.csv: no usable rows \(0 lines skipped\)$/,
    );
  });
});
