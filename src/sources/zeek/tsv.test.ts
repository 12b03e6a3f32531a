import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, decodeText, observationsOf, runConformance, skipsOf } from '../conformance.case.js';
import { fixture, suricataIdsLookup } from '../fixtures.case.js';
import { zeekAdditional, zeekAnswer, zeekAuthority, zeekQueryType } from './answers.js';
import { ZEEK_DNS_FIELDS, unescapeZeek, zeekHeader } from './header.js';
import { zeekFormat } from './index.js';

const HEADER = zeekHeader();

type Row = Partial<Record<(typeof ZEEK_DNS_FIELDS)[number], string>>;

/** A Zeek 6 dns.log line: an answered A lookup unless told otherwise. */
function row(fields: Row = {}, order: readonly string[] = ZEEK_DNS_FIELDS): string {
  const defaults: Record<string, string> = {
    ts: '1710234902.118204', uid: 'CQ0iDnyOyLiO5ZRLb', 'id.orig_h': '192.168.7.21', 'id.orig_p': '51514',
    'id.resp_h': '192.168.7.1', 'id.resp_p': '53', proto: 'udp', trans_id: '7201', rtt: '0.021330',
    query: 'login.flux-example.net', qclass: '1', qclass_name: 'C_INTERNET', qtype: '1', qtype_name: 'A',
    rcode: '0', rcode_name: 'NOERROR', AA: 'F', TC: 'F', RD: 'T', RA: 'T', Z: '0',
    answers: '198.51.100.23,203.0.113.77', TTLs: '150.000000,150.000000', rejected: 'F',
  };
  return order.map((name) => (fields as Record<string, string>)[name] ?? defaults[name] ?? '-').join('\t');
}



const withHeader = (...lines: string[]) => [...HEADER, ...lines].join('\n') + '\n';

runConformance(zeekFormat, {
  preamble: HEADER,
  good: [
    row(),
    row({ query: 'nosuch.example.com', qtype: '28', qtype_name: 'AAAA', rcode: '3', rcode_name: 'NXDOMAIN', answers: '-', TTLs: '-' }),
    row({ rtt: '-', rcode: '-', rcode_name: '-', answers: '-', TTLs: '-', RA: 'F' }),
    row({ answers: 'cdn.example.net,2001:db8::1', TTLs: '60.000000,20.000000', qtype: '28', qtype_name: 'AAAA' }),
  ],
  bad: [
    'garbage',
    'a\tb\tc',
    row({ answers: '192.0.2.1,192.0.2.2,192.0.2.3', TTLs: '60.000000,60.000000' }),
    row({ query: 'bad\\x20name.example' }),
    row({ ts: 'yesterday' }),
    `${row()}\textra`,
  ],
  absurd: [
    row({ ts: '1e300' }),
    row({ ts: '-1' }),
    row({ ts: 'NaN' }),
    row({ ts: '253402300799.000000' }),
    row({ ts: '99999999999999999999999.5' }),
    row({ TTLs: '-1.000000,150.000000' }),
    row({ TTLs: '1e300,150.000000' }),
    row({ TTLs: 'NaN,150.000000' }),
    row({ TTLs: '4294967296.000000,150.000000' }),
    row({ TTLs: '2147483648.000000,150.000000' }),
    row({ query: `${'a'.repeat(63)}.`.repeat(5) }),
    row({ qtype: '99999999999', qtype_name: '-' }),
    row({ answers: Array(10_000).fill('192.0.2.1').join(','), TTLs: Array(10_000).fill('1.000000').join(',') }),
  ],
  foreign: ['{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1","query":"a.example"}\n', '#separator \\x09\n#path\tconn\n#fields\tts\tuid\tproto\n'],
});

describe('zeek: dns.log fixture (hand-written, Zeek 6 layout)', () => {
  const outcomes = decode(zeekFormat, [fixture('zeek/dns.log')], 'dns.log');
  const seen = observationsOf(outcomes);

  it('reads both header blocks and reports the two bad records by line', () => {
    expect(seen).toHaveLength(17);
    expect(skipsOf(outcomes)).toEqual([
      [33, "bad query name 'bad name.example'"],
      [35, 'answers and TTLs differ in length (3 vs 2)'],
    ]);
  });

  it('types a CNAME chain: names are CNAMEs, addresses A', () => {
    expect(seen[0]).toEqual(suricataIdsLookup(1573665066.806735, false));
  });

  it('keeps a response without answers, and a query without response with rcode null', () => {
    expect(seen[2]).toMatchObject({ qname: 'suricata-ids.org', qtype: 'AAAA', rcode: 'NOERROR', answers: [] });
    expect(seen[8]).toMatchObject({ qname: 'update.example.org', rcode: null, answers: [], client: '192.168.7.22' });
  });

  it('types names by the asked type: MX, NS, PTR', () => {
    expect(seen[6]!.answers.map((a) => [a.type, a.data, a.ttl])[4]).toEqual(['MX', 'aspmx.l.google.com', 14399]);
    expect(seen[12]!.answers.map((a) => a.type)).toEqual(['NS', 'NS']);
    expect(seen[11]!.answers).toEqual([
      { name: '141.2.0.192.in-addr.arpa', type: 'PTR', data: 'host-141.flux-example.net', ttl: 3600 },
    ]);
  });

  it('reads auth/addl (auth-addl.zeek) into authority and additional', () => {
    expect(seen[7]!.authority.map((r) => [r.type, r.data])).toEqual([
      ['NS', 'ns1.flux-example.net'],
      ['NS', 'ns2.flux-example.net'],
    ]);
    expect(seen[7]!.additional.map((r) => [r.type, r.data, r.ttl])).toEqual([
      ['A', '198.51.100.53', null],
      ['A', '203.0.113.53', null],
    ]);
    expect(seen[9]).toMatchObject({ rcode: 'NXDOMAIN', authority: [{ type: 'NS', data: 'a.iana-servers.net' }] });
  });

  it('puts IPv6 answers in RFC 5952 form and keeps an IPv6 client', () => {
    expect(seen[10]!.answers.map((a) => a.data)).toEqual(['2001:db8::1', '2001:db8::2']);
    expect(seen[10]!.client).toBe('2001:db8:1::21');
  });

  it('keeps TXT and unknown-type text, decodes escapes, reads the root', () => {
    expect(seen[13]!.answers).toEqual([{ name: 'example.com', type: 'TXT', data: 'TXT 10 v=spf1 -all', ttl: 300 }]);
    expect(seen[14]!.qname).toBe('café.example');
    expect(seen[15]).toMatchObject({ qname: 'example.net', qtype: 'TYPE65534' });
    expect(seen[15]!.answers[0]).toEqual({ name: 'example.net', type: 'TYPE65534', data: 'BIND9 signing signal', ttl: 0 });
    expect(seen[16]).toMatchObject({ qname: '.', qtype: 'NS' });
  });
});

describe('zeek: header handling', () => {
  it('finds fields by name whatever their order, with extra columns', () => {
    const order = ['query', 'answers', 'extra', 'TTLs', 'qtype_name', 'ts', 'rcode_name', 'id.orig_h'];
    const text = ['#separator \\x09', `#fields\t${order.join('\t')}`, row({}, order)].join('\n');
    expect(observationsOf(decodeText(zeekFormat, text))).toEqual([
      expect.objectContaining({ qname: 'login.flux-example.net', qtype: 'A', rcode: 'NOERROR', ts: 1710234902.118204 }),
    ]);
  });

  it('uses the declared separators and markers', () => {
    const text = [
      '#separator \\x7c',
      '#set_separator|;',
      '#empty_field|EMPTY',
      '#unset_field|NONE',
      '#fields|ts|query|qtype_name|rcode_name|answers|TTLs',
      '1710234902.5|a.example|A|NONE|192.0.2.1;192.0.2.2|5.000000;6.000000',
      '1710234903.5|b.example|A|NOERROR|EMPTY|EMPTY',
    ].join('\n');
    const [first, second] = observationsOf(decodeText(zeekFormat, text));
    expect(first).toMatchObject({ rcode: null, answers: [{ data: '192.0.2.1', ttl: 5 }, { data: '192.0.2.2', ttl: 6 }] });
    expect(second).toMatchObject({ qname: 'b.example', answers: [] });
  });

  it('decodes \\xHH escapes and backslashes in fields', () => {
    const text = withHeader(row({ query: 'tab\\x09in.example' }), row({ query: 'a\\\\b.example', answers: 'x\\x2cy.example', TTLs: '1.000000' }));
    const outcomes = decodeText(zeekFormat, text);
    expect(skipsOf(outcomes)).toEqual([[9, "bad query name 'tab\\x09in.example'"]]);
    expect(observationsOf(outcomes)[0]).toMatchObject({ qname: 'a\\b.example', answers: [{ type: 'CNAME', data: 'x,y.example' }] });
  });

  it('reads data before any header with the Zeek 6 layout', () => {
    expect(observationsOf(decodeText(zeekFormat, `${row()}\n`))).toHaveLength(1);
  });

  it('skips the records of a log that is not a dns.log, naming why', () => {
    const text = '#separator \\x09\n#fields\tts\tuid\tproto\n1710234902.1\tCabc\tudp\n';
    expect(skipsOf(decodeText(zeekFormat, text))).toEqual([[3, "no 'query' in #fields (not a dns.log?)"]]);
  });

  it('maps Zeek mnemonics: * is ANY, query-N and unknown-N are numbered', () => {
    const text = withHeader(
      row({ qtype: '255', qtype_name: '*', answers: '-', TTLs: '-' }),
      row({ qtype: '64', qtype_name: 'query-64', rcode: '23', rcode_name: 'unknown-23', answers: '-', TTLs: '-' }),
      row({ qtype: '16', qtype_name: '-', rcode: '2', rcode_name: '-', answers: '-', TTLs: '-' }),
    );
    expect(observationsOf(decodeText(zeekFormat, text)).map((o) => [o.qtype, o.rcode])).toEqual([
      ['ANY', 'NOERROR'],
      ['SVCB', 'RCODE23'],
      ['TXT', 'SERVFAIL'],
    ]);
  });

  it('drops answers that cannot be what was asked, keeping the lookup', () => {
    const text = withHeader(row({ answers: 'not a name,192.0.2.1', TTLs: '1.000000,2.000000' }));
    expect(observationsOf(decodeText(zeekFormat, text))[0]!.answers).toEqual([
      { name: 'login.flux-example.net', type: 'A', data: '192.0.2.1', ttl: 2 },
    ]);
  });

  it('applies RFC 2181 to TTLs with the sign bit set, and rejects negative ones', () => {
    const text = withHeader(row({ TTLs: '2147483648.000000,150.5' }), row({ TTLs: '-1.000000,1.000000' }));
    const outcomes = decodeText(zeekFormat, text);
    expect(observationsOf(outcomes)[0]!.answers.map((a) => a.ttl)).toEqual([0, 150]);
    expect(skipsOf(outcomes)).toEqual([[10, "bad TTL '-1.000000'"]]);
  });

  it('hands a line none of the records gathered from a line skipped halfway through its answers', () => {
    // Lines 9 and 10 are skipped after their first answers were read (a bad second TTL, too few TTLs).
    const text = withHeader(
      row({ answers: '192.0.2.1,192.0.2.2,192.0.2.3', TTLs: '1.000000,-1.000000,1.000000' }),
      row({ answers: '192.0.2.4,192.0.2.5,192.0.2.6', TTLs: '1.000000,1.000000' }),
      row({ answers: '198.51.100.9', TTLs: '7.000000' }),
      row({ answers: '-', TTLs: '-' }),
      row({ answers: '192.0.2.7,192.0.2.8,192.0.2.9,192.0.2.10', TTLs: '5.000000,5.000000,5.000000,5.000000' }),
    );
    const outcomes = decodeText(zeekFormat, text);
    expect(skipsOf(outcomes).map(([line]) => line)).toEqual([9, 10]);
    const [one, two, three] = observationsOf(outcomes);
    expect(one!.answers).toEqual([{ name: 'login.flux-example.net', type: 'A', data: '198.51.100.9', ttl: 7 }]);
    expect(two!.answers).toEqual([]);
    expect(three!.answers.map((r) => r.data)).toEqual(['192.0.2.7', '192.0.2.8', '192.0.2.9', '192.0.2.10']);
  });
});

describe('zeek: the byte path agrees with the string functions', () => {
  const element = fc.constantFrom(
    '192.0.2.1', '01.2.3.4', '1.2.3.256', '2001:DB8:0::1', '::ffff:192.0.2.1', '1::2::3', 'fe80::1%eth0',
    'CDN.Example.NET.', 'cdn.example.net', 'a..b', 'foo:bar.example', 'x\\x2cy.example', '\\x31.2.3.4', '\\x32001:db8::1',
    'caf\\xc3\\xa9.fr', 'café.fr', 'TXT 5 hello', 'BIND9 signing signal', '', '.', 'A.', `${'a'.repeat(64)}.example`,
  );
  const list = fc.array(element, { minLength: 1, maxLength: 4 });
  const qtype = fc.constantFrom(['1', 'A'], ['28', 'AAAA'], ['15', 'MX'], ['2', 'NS'], ['65534', 'query-65534']);
  const fields = [...ZEEK_DNS_FIELDS, 'auth', 'addl'];
  const header = zeekHeader().map((line) => (line.startsWith('#fields') ? `#fields\t${fields.join('\t')}` : line));

  it('reads answers, auth and addl as answers.ts reads their unescaped text', () => {
    fc.assert(
      fc.property(list, list, list, qtype, (answers, auth, addl, [code, name]) => {
        // A zero-length answers field is no answers at all, and its TTL would be one too many.
        fc.pre(answers.join(',') !== '');
        const line = row({ answers: answers.join(','), TTLs: answers.map(() => '60.000000').join(','), qtype: code, qtype_name: name }, ZEEK_DNS_FIELDS);
        const text = [...header, `${line}\t${auth.join(',')}\t${addl.join(',')}`].join('\n');
        const [seen] = observationsOf(decodeText(zeekFormat, text));
        const owner = 'login.flux-example.net';
        const qtypeName = zeekQueryType(name);
        const keep = <T>(records: (T | null)[]): T[] => records.filter((r): r is T => r !== null);
        expect(seen).toMatchObject({
          answers: keep(answers.map((a) => zeekAnswer(owner, qtypeName, unescapeZeek(a), 60))),
          authority: keep(auth.map((a) => zeekAuthority(owner, unescapeZeek(a)))),
          additional: keep(addl.map((a) => zeekAdditional(owner, unescapeZeek(a)))),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reads a log whose separator is not ASCII the same however it is chunked', () => {
    // 0xFF alone is not UTF-8: Zeek's `#separator \xff` and the bytes in the lines both read as U+FFFD.
    const ff = (text: string) => Buffer.from(text.replaceAll('|', '\xff'), 'latin1');
    const bytes = Buffer.concat([Buffer.from('#separator \\xff\n'), ff('#fields|ts|query|qtype_name\n1710234902.5|a.example|A\n')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const outcomes = decode(zeekFormat, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(observationsOf(outcomes).map((o) => [o.qname, o.qtype]), `cut at ${cut}`).toEqual([['a.example', 'A']]);
    }
  });
});

describe('zeek tsv: a sink that admits only some names', () => {
  it('asks once per record with its query name and decodes nothing more of a record it does not admit', () => {
    const asked: string[] = [];
    const observed: string[] = [];
    const skipped: string[] = [];
    const decoder = zeekFormat.createDecoder('admit.dns.log', {
      admit: (qname) => (asked.push(qname), qname.endsWith('.kept.example')),
      observe: (o) => observed.push(o.qname),
      skip: (s) => skipped.push(s.reason),
    });
    decoder.push(
      Buffer.from(
        withHeader(
          row({ query: 'a.kept.example' }),
          row({ query: 'b.other.example' }),
          // Bad after the name: skipped only when admitted.
          row({ query: 'c.other.example', qtype: '-', qtype_name: '-' }),
          row({ query: 'd.kept.example', qtype: '-', qtype_name: '-' }),
          // Bad before the name: skipped, never asked.
          'a\tb\tc',
        ),
      ),
    );
    decoder.end();
    expect(asked).toEqual(['a.kept.example', 'b.other.example', 'c.other.example', 'd.kept.example']);
    expect(observed).toEqual(['a.kept.example']);
    expect(skipped).toEqual(['no query type', `expected ${ZEEK_DNS_FIELDS.length} fields, got 3`]);
  });

  it('hands the answer addresses of a record it refuses as the detector keys them, null for one it cannot read plainly', () => {
    const refused: (number | string | null)[] = [];
    const decoder = zeekFormat.createDecoder('refused.dns.log', {
      admit: (qname) => qname.endsWith('.kept.example'),
      refusedAddress: (key) => refused.push(key),
      observe: () => {},
      skip: () => {},
    });
    decoder.push(
      Buffer.from(
        withHeader(
          row({ query: 'a.kept.example' }),
          row({ query: 'b.other.example', answers: 'cdn.other.example,255.255.255.255,10.0.0.1', TTLs: '60.0,60.0,60.0' }),
          row({ query: 'c.other.example', qtype: '28', qtype_name: 'AAAA', answers: '2001:DB8:0:0::1', TTLs: '60.0' }),
          row({ query: 'd.other.example', answers: '198.51.100.\\x37', TTLs: '60.0' }),
          row({ query: 'e.other.example', answers: '-', TTLs: '-' }),
        ),
      ),
    );
    decoder.end();
    // IPv4 as a signed 32-bit integer (255.255.255.255 is -1), IPv6 in RFC 5952 text, a CNAME target is none.
    expect(refused).toEqual([-1, (10 << 24) | 1, '2001:db8::1', null]);
  });
});
