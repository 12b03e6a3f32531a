import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldText, parseUint128, parseUint32, scanCsv } from './csv.js';

/** Every row as its list of field texts; [] for a row that did not parse. */
function rows(text: string, maxFields = 4): { line: number; fields: string[] }[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: { line: number; fields: string[] }[] = [];
  scanCsv(bytes, maxFields, (row) => {
    const n = Math.min(row.count, maxFields);
    out.push({ line: row.line, fields: Array.from({ length: n }, (_, i) => fieldText(bytes, row, i)) });
  });
  return out;
}

describe('scanCsv', () => {
  it.each([
    ['plain fields', '1,2,3,Google LLC\n', ['1', '2', '3', 'Google LLC']],
    ['quoted comma', '1,2,3,"Cloudflare, Inc."\n', ['1', '2', '3', 'Cloudflare, Inc.']],
    ['doubled quotes', '1,2,3,"LLC ""SPUTNIK"""\n', ['1', '2', '3', 'LLC "SPUTNIK"']],
    ['CRLF line end', '1,2,AU\r\n', ['1', '2', 'AU']],
    ['no final newline', '1,2,AU', ['1', '2', 'AU']],
    ['empty last field', '1,2,3,\n', ['1', '2', '3', '']],
    ['UTF-8 text', '1,2,3,"Telefônica Brasil S.A"\n', ['1', '2', '3', 'Telefônica Brasil S.A']],
  ])('%s', (_, text, want) => {
    expect(rows(text)).toEqual([{ line: 1, fields: want }]);
  });

  it('skips blank lines but still counts them', () => {
    expect(rows('a,b,c\n\n\r\nd,e,f\n').map((r) => r.line)).toEqual([1, 4]);
  });

  it('reports a row with broken quoting as zero fields', () => {
    expect(rows('1,2,3,"unterminated\n4,5,6\n')).toEqual([
      { line: 1, fields: [] },
      { line: 2, fields: ['4', '5', '6'] },
    ]);
    expect(rows('1,2,"AU"x\n')).toEqual([{ line: 1, fields: [] }]);
  });

  it('counts fields past maxFields without storing them', () => {
    const bytes = Buffer.from('1,2,3,a,b,c\n');
    let count = 0;
    scanCsv(bytes, 3, (row) => (count = row.count));
    expect(count).toBe(6);
  });
});

describe('parseUint32', () => {
  const parse = (s: string) => parseUint32(Buffer.from(s), 0, s.length);
  it.each([
    ['0', 0],
    ['16777216', 16777216],
    ['4294967295', 4294967295],
    ['4294967296', -1],
    ['', -1],
    ['12a', -1],
    ['-1', -1],
    ['12345678901', -1],
  ])('%j → %d', (s, want) => {
    expect(parse(s)).toBe(want);
  });
});

describe('parseUint128', () => {
  const parse = (s: string): bigint | null => {
    const out = new Uint32Array(4);
    if (!parseUint128(Buffer.from(s), 0, s.length, out, 0)) return null;
    return out.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
  };
  const max = (1n << 128n) - 1n;

  it.each([
    ['0', 0n],
    ['42540488161975842760550356425300246528', 42540488161975842760550356425300246528n],
    [max.toString(), max],
    [(max + 1n).toString(), null],
    ['1' + '0'.repeat(39), null],
    ['', null],
    ['4254048816197584276055035642530024652x', null],
  ])('%s', (s, want) => {
    expect(parse(s)).toBe(want);
  });

  it('agrees with BigInt on any 128-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max }), (n) => {
        expect(parse(n.toString())).toBe(n);
      }),
    );
  });
});
