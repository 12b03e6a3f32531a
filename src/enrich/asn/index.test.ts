import { describe, expect, it } from 'vitest';
import { findV4, findV6 } from '../ranges.js';
import { parseAsnCsv, parseAsnFiles } from './index.js';
import { AsOrgCollector } from './orgs.js';

const V4 = [
  '16777216,16777471,13335,"Cloudflare, Inc."',
  'start,end,asn,org', // a header: not a row
  '16778240,16779263,38803,Gtelecom Pty Ltd',
  '35309568,35313663,201907,"LLC ""SPUTNIK"""',
  '35313664,35313919,0,Reserved', // AS0: "not routed"
  '35313920,35314175,99,"broken quote',
  '35314176,35314431', // too few fields
  '35314432,35314431,5,End before start',
  '4294967296,4294967297,6,Beyond IPv4',
  '35315000,35315999,201907,Another name for the same AS',
  '',
].join('\n');

const V6 = [
  '42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,Hurricane Electric LLC',
  '42540488161975842760550356425300246528,1,7,End before start',
  '340282366920938463463374607431768211456,340282366920938463463374607431768211457,8,Beyond IPv6',
].join('\n');

describe('parseAsnCsv', () => {
  it('reads ranges and organisation names, skipping and counting bad lines', () => {
    const orgs = new AsOrgCollector();
    const r = parseAsnCsv(Buffer.from(V4), 'asn-ipv4-num.csv', 1, orgs);
    expect(r.table.length).toBe(4);
    expect(r.skipped).toBe(6);
    expect(r.firstSkippedLine).toBe(2);
    expect(findV4(r.table, 16777216)).toBe(13335);
    expect(findV4(r.table, 16777471)).toBe(13335);
    expect(findV4(r.table, 16777472)).toBe(0);
    expect(findV4(r.table, 35313700)).toBe(0); // the AS0 row
    const names = orgs.finish();
    expect(names.name(13335)).toBe('Cloudflare, Inc.');
    expect(names.name(201907)).toBe('LLC "SPUTNIK"'); // the first name seen wins
    expect(names.name(99)).toBe('');
  });

  it('reads 128-bit decimal IPv6 bounds', () => {
    const r = parseAsnCsv(Buffer.from(V6), 'asn-ipv6-num.csv', 4, new AsOrgCollector());
    expect(r.table.length).toBe(1);
    expect(r.skipped).toBe(2);
    // The row is 2001::/32: 2001:: up to 2001:0:ffff:ffff:ffff:ffff:ffff:ffff.
    expect(findV6(r.table, 0x20010000, 0, 0, 0)).toBe(6939);
    expect(findV6(r.table, 0x20010000, 0xffffffff, 0xffffffff, 0xffffffff)).toBe(6939);
    expect(findV6(r.table, 0x20010001, 0, 0, 0)).toBe(0);
    expect(findV6(r.table, 0x2000ffff, 0xffffffff, 0xffffffff, 0xffffffff)).toBe(0);
  });

  it('throws when a file yields no rows at all', () => {
    expect(() => parseAsnFiles(Buffer.from('garbage\nmore garbage\n'), Buffer.from(V6))).toThrow(
      /^enrich: asn-ipv4-num\.csv: no usable rows \(2 lines skipped; first bad line 1\)$/,
    );
    expect(() => parseAsnFiles(Buffer.from(V4), Buffer.alloc(0))).toThrow(/^enrich: asn-ipv6-num\.csv: no usable rows/);
  });
});
