import { describe, expect, it } from 'vitest';
import type { DnsObservation } from '../../model/observation.js';
import { ZeekLineFacts } from './line-facts.js';
import { ZEEK_DNS_FIELDS, zeekHeader } from './header.js';
import { ZeekTsvDecoder } from './tsv.js';

const FIELDS = [...ZEEK_DNS_FIELDS, 'auth'];

function row(query: string, qtype: string, answers: string, auth = '-', ts = '1700000000.000000'): string {
  const ttls = answers === '-' ? '-' : answers.split(',').map(() => '60.000000').join(',');
  const v: Record<string, string> = { ts, query, qtype: '1', qtype_name: qtype, answers, TTLs: ttls, auth };
  return FIELDS.map((f) => v[f] ?? (f === 'id.orig_h' ? '10.0.0.7' : '0')).join('\t');
}

/** Every kind of query column and answer the decoder reads one way or another. */
const LINES = [
  row('www.Example.COM.', 'A', '192.0.2.1,2001:DB8::1'),
  row('-', 'A', '192.0.2.1'),
  row('(empty)', 'A', '-'),
  row('\\x41bc.example', 'A', '192.0.2.2,\\x31.2.3.4'),
  row('bücher.example', 'A', '192.0.2.3'),
  row('bad name!.example', 'A', '192.0.2.4'),
  row('zone.example', 'NS', 'ns1.host.net,NS2.Host.NET.,192.0.2.9', 'ns3.other.org,\\x6es4.other.org'),
  row('zone.example', 'query-2', 'ns5.host.net'),
  row('mail.example', 'MX', 'mx.example', 'ns6.other.org'),
  'short\tline',
];

describe('ZeekLineFacts', () => {
  const header = zeekHeader().map((h) => (h.startsWith('#fields') ? `#fields\t${FIELDS.join('\t')}` : h));

  it('reads the query name ZeekTsvDecoder reads, and null where it skips before the name', () => {
    const facts = new ZeekLineFacts();
    for (const h of header) facts.directive(Buffer.from(h), 0, Buffer.byteLength(h));
    for (const text of LINES) {
      const bytes = Buffer.from(text);
      const decoded: (string | null)[] = [];
      const decoder = new ZeekTsvDecoder('t.log', { observe: (o: DnsObservation) => void decoded.push(o.qname), skip: () => void decoded.push(null) });
      decoder.push(Buffer.from([...header, text].join('\n') + '\n'));
      decoder.end();
      const qname = facts.read(bytes, 0, bytes.length, false) ? facts.queryName() : null;
      expect(qname, text).toBe(decoded[0] ?? null);
    }
  });

  it('hands the answer addresses the decoder hands for a refused record, and every name server it reads', () => {
    const facts = new ZeekLineFacts();
    for (const h of header) facts.directive(Buffer.from(h), 0, Buffer.byteLength(h));
    for (const text of LINES) {
      const refused: (number | string | null)[] = [];
      const servers: string[] = [];
      const decoder = new ZeekTsvDecoder('t.log', {
        admit: () => false,
        refusedAddress: (key) => void refused.push(key),
        observe: () => undefined,
        skip: () => undefined,
      });
      decoder.push(Buffer.from([...header, text].join('\n') + '\n'));
      decoder.end();
      const observed: DnsObservation[] = [];
      const full = new ZeekTsvDecoder('t.log', { observe: (o) => void observed.push(o), skip: () => undefined });
      full.push(Buffer.from([...header, text].join('\n') + '\n'));
      full.end();
      const bytes = Buffer.from(text);
      const noted: (number | string | null)[] = [];
      const named: string[] = [];
      if (facts.read(bytes, 0, bytes.length, false) && facts.queryName() !== null) {
        facts.addresses((key) => void noted.push(key));
        facts.servers((b, s, e) => {
          const plain = /^[a-z0-9.-]+$/i.test(b.toString('latin1', s, e));
          if (plain) named.push(b.toString('latin1', s, e).toLowerCase().replace(/\.$/, ''));
          return plain;
        }, (server) => void named.push(server));
      }
      expect(noted, text).toEqual(refused);
      for (const o of observed) for (const rr of [...o.answers, ...o.authority]) if (rr.type === 'NS') servers.push(rr.data);
      expect(named, text).toEqual(servers);
    }
  });
});
