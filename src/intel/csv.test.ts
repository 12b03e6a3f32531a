import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads the named column under an abuse.ch-style commented header, RFC 4180 quoting and line breaks included', () => {
    const text = [
      '################################',
      '# URLhaus dump',
      '# id,dateadded,url,url_status',
      '"1","2026-01-01","http://bad.example/x.exe","online"',
      '"2","2026-01-01","http://[2001:db8::5]/a, ""b""","online"',
      '"3","2026-01-01","http://multi',
      'line.example/","online"',
      '"4","2026-01-01","https://after.example/","online"',
    ].join('\r\n');
    const feed = parseCsv(text, 'urlhaus.csv', 'url');
    expect(feed.entries.map((e) => `${e.value} ${e.ref}`)).toEqual(['bad.example urlhaus.csv:4', '2001:db8::5 urlhaus.csv:5', 'after.example urlhaus.csv:8']);
    expect(feed.skipped).toEqual([{ position: 'urlhaus.csv:6', reason: 'control character (NUL or binary) in the field' }]);
  });

  it('reads a column by number; a plain header row is then data, and its one-label name is left for the index to refuse', () => {
    const feed = parseCsv('first_seen,ip\n2026,192.0.2.9\n2026,198.51.100.0/25\n', 'ips.csv', 2);
    expect(feed.entries.map((e) => `${e.kind} ${e.value} ${e.ref}`)).toEqual(['domain ip ips.csv:1', 'address 192.0.2.9 ips.csv:2', 'cidr 198.51.100.0/25 ips.csv:3']);
  });

  it('skips hostile records with positions: short rows, NULs, an unclosed quote, a huge record, a missing header', () => {
    const text = ['score,domain', '1,ok.example', 'short', '1,nul\u0000.example', '1,"x'.padEnd(9000, 'x') + '"', '1,"never closed', '2,late.example'].join('\n');
    const feed = parseCsv(text, 'd.csv', 'Domain');
    // After an unclosed quote the reader resumes on the next line.
    expect(feed.entries.map((e) => e.value)).toEqual(['ok.example', 'late.example']);
    expect(feed.skipped).toEqual([
      { position: 'd.csv:3', reason: 'no column 2 (the record has 1)' },
      { position: 'd.csv:4', reason: 'control character (NUL or binary) in the field' },
      { position: 'd.csv:5', reason: 'record longer than 4096 characters' },
      { position: 'd.csv:6', reason: 'quoted field never closed' },
    ]);
    const none = parseCsv('a,b\n1,2\n', 'n.csv', 'domain');
    expect(none.entries).toEqual([]);
    expect(none.skipped[0]).toEqual({ position: 'n.csv:1', reason: "no column named 'domain' in the header" });
  });

  it('refuses a column number that is no column (a caller error)', () => {
    expect(() => parseCsv('', 'x', 0)).toThrow(/column/);
  });
});
