import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eveFlowParser, parseEveFlows, sniffEveFlows } from './eve-flow.js';
import { nfdumpCsvParser, parseNfdumpCsv, sniffNfdumpCsv } from './nfdump-csv.js';
import {
  parseZeekConnJson, parseZeekConnTsv, sniffZeekConnJson, sniffZeekConnTsv, zeekConnJsonParser, zeekConnTsvParser,
} from './zeek-conn.js';
import { FlowLineDecoder } from './decoder.js';
import { textFormats } from '../index.js';
import { parseFlowLines } from './frame.js';
import type { FlowLineParser, FlowParse } from './frame.js';
import { zeekHeader } from '../zeek/header.js';
import type { FlowRecord } from '../../model/flow.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../test/fixtures/flows/${name}`, import.meta.url));

const https: Omit<FlowRecord, 'position' | 'exporter'> = {
  start: 1710234902.123456, end: 1710234904.623456, src: '192.0.2.10', srcPort: 49152,
  dst: '198.51.100.7', dstPort: 443, proto: 6, bytes: 5529, packets: 19, samplingRate: 1,
};

describe('zeek conn.log TSV', () => {
  const { records, skipped } = parseZeekConnTsv(fixture('zeek-conn.log'), 'conn.log');
  it('reads every data line, by column name', () => {
    expect(skipped).toEqual([]);
    expect(records).toHaveLength(3);
    expect(records[0]).toEqual({ ...https, exporter: 'conn.log', position: 'conn.log:9', initiator: 'src' });
  });
  it('puts IPv6 in RFC 5952 form and reads unset counts as 0', () => {
    expect(records[1]).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::53', proto: 17, bytes: 72, packets: 1, end: 1710234903 });
  });
  it('reads ICMP type and code into srcPort (type*256+code)', () => {
    expect(records[2]).toMatchObject({ proto: 1, srcPort: 8 * 256, dstPort: 0, bytes: 168, packets: 2 });
  });
});

describe('zeek conn.log JSON', () => {
  it('reads the same records as the TSV', () => {
    const { records, skipped } = parseZeekConnJson(fixture('zeek-conn.json'), 'conn.json');
    expect(skipped).toEqual([]);
    expect(records[0]).toEqual({ ...https, exporter: 'conn.json', position: 'conn.json:1', initiator: 'src' });
    expect(records[1]).toMatchObject({ src: '2001:db8::1', start: 1710234903, end: 1710234903 });
  });
});

describe('suricata eve flow and netflow', () => {
  const { records, skipped } = parseEveFlows(fixture('eve-flow.json'), 'eve.json');
  it('reads flow (both directions) and netflow (one), ignoring other events', () => {
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.position)).toEqual(['eve.json:1', 'eve.json:3', 'eve.json:4']);
    expect(records[0]).toEqual({ ...https, exporter: 'eve.json', position: 'eve.json:1', initiator: 'src' });
    expect(records[1]).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::53', proto: 17, bytes: 72, packets: 1 });
    // A netflow event is one direction of a flow: who started it is not said (the analytics guess from the ports).
    expect(records[1]!.initiator).toBeUndefined();
    expect(records[2]!.initiator).toBe('src');
    expect(records[2]).toMatchObject({ proto: 1, srcPort: 2048, dstPort: 0, bytes: 168 });
  });
});

describe('nfdump 1.7.1 -o csv, real (softflowd -> nfcapd -> TZ=UTC nfdump, make-nfdump-real.sh)', () => {
  const { records, skipped } = parseNfdumpCsv(fixture('nfdump-real.csv'), 'flows.csv');
  const at = (line: number): FlowRecord | undefined => records.find((r) => r.position === `flows.csv:${line}`);
  it('reads all 17 flows but the one nfdump prints at 1970, by header name, and stops at the Summary block', () => {
    expect(records).toHaveLength(16);
    expect(skipped).toEqual([{ position: 'flows.csv:12', reason: expect.stringMatching(/timestamp 0 is not a time between 1987 and 2106/) as string }]);
  });
  it('reads 1.7.1 times (whole seconds, no zone: UTC), td beside them, and counts', () => {
    // 2017-04-03 12:40:51 .. 12:40:53: the HTTP download of chrissanders_dns_isp_hijack, 53 packets, 73,575 bytes.
    expect(at(10)).toEqual({
      start: Date.UTC(2017, 3, 3, 12, 40, 51) / 1000, end: Date.UTC(2017, 3, 3, 12, 40, 53) / 1000,
      src: '38.29.168.232', srcPort: 80, dst: '172.16.16.170', dstPort: 64257, proto: 6,
      bytes: 73575, packets: 53, samplingRate: 1, exporter: 'flows.csv', position: 'flows.csv:10',
    });
  });
  it('reads ICMP as nfdump 1.7.1 prints it (sp 0, dp type*256+code) into srcPort, and ICMP6 and IPv6', () => {
    expect(at(13)).toMatchObject({ src: '203.0.113.9', proto: 1, srcPort: 0, dstPort: 0 }); // echo reply 0.0
    expect(at(14)).toMatchObject({ src: '198.51.100.1', proto: 1, srcPort: 3 * 256 + 3, dstPort: 0 }); // port unreachable 3.3
    expect(at(15)).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::53', proto: 58, srcPort: 0, dstPort: 0 });
    expect(at(17)).toMatchObject({ src: '2001:db8::1', srcPort: 5353, dstPort: 53, proto: 17, bytes: 77 });
  });
});

describe('sniffing tells flows from DNS logs', () => {
  const dnsLog = Buffer.from(zeekHeader().join('\n') + '\n');
  const dnsJson = Buffer.from('{"ts":1,"uid":"C","id.orig_h":"192.0.2.1","id.orig_p":1,"id.resp_h":"192.0.2.53","id.resp_p":53,"proto":"udp","query":"example.com"}\n');
  const eveDns = Buffer.from('{"timestamp":"2024-03-12T09:15:05+0000","event_type":"dns","dns":{}}\n');
  const cases: [string, Buffer, string | null][] = [
    ['conn.log', fixture('zeek-conn.log'), 'zeek-conn'],
    ['conn.json', fixture('zeek-conn.json'), 'zeek-conn-json'],
    ['eve flows', fixture('eve-flow.json'), 'eve-flow'],
    ['nfdump csv', fixture('nfdump-real.csv'), 'nfdump-csv'],
    ['dns.log', dnsLog, null],
    ['dns json', dnsJson, null],
    ['eve dns', eveDns, null],
    ['garbage', Buffer.from('\u0000\u00ff garbage\n'), null],
  ];
  const sniffers: [string, (head: Buffer) => boolean][] = [
    ['zeek-conn', sniffZeekConnTsv], ['zeek-conn-json', sniffZeekConnJson], ['eve-flow', sniffEveFlows], ['nfdump-csv', sniffNfdumpCsv],
  ];
  it.each(cases)('%s', (_name, head, expected) => {
    expect(sniffers.filter(([, sniff]) => sniff(head)).map(([name]) => name)).toEqual(expected === null ? [] : [expected]);
  });
});

describe('hostile input is skipped and counted with its position', () => {
  const header = fixture('zeek-conn.log').toString('utf8').split('\n').slice(0, 8).join('\n');
  const good = '1710234902.1\tC\t192.0.2.10\t1\t198.51.100.7\t2\ttcp\t-\t1\t1\t1\tSF\tT\tF\t0\t-\t1\t1\t1\t1\t(empty)';
  const column = (i: number, value: string): string => good.split('\t').map((v, j) => (j === i ? value : v)).join('\t');
  const tsvCases: [string, string, RegExp][] = [
    ['garbage', 'not a conn line at all', /fields where #fields has 21/],
    ['truncated', good.slice(0, 30), /fields where/],
    ['NaN ts', column(0, 'NaN'), /bad ts 'NaN'/],
    ['ts of 1970', column(0, '0.8'), /timestamp 0.8 is not a time between 1987 and 2106/],
    ['end past 2106', column(8, '9999999999'), /not a time between 1987 and 2106/],
    ['negative ts', column(0, '-5'), /bad ts/],
    ['bad address', column(2, '999.1.1.1'), /bad id.orig_h/],
    ['port out of range', column(3, '70000'), /bad id.orig_p/],
    ['negative bytes', column(17, '-1'), /bad orig_ip_bytes '-1'/],
    ['exponent count', column(16, '1e3'), /bad orig_pkts/],
    ['NaN duration', column(8, 'NaN'), /bad duration/],
    ['unknown proto', column(6, 'carrier-pigeon'), /bad proto/],
  ];
  it.each(tsvCases)('TSV %s', (_name, line, reason) => {
    const { records, skipped } = parseZeekConnTsv(`${header}\n${line}\n${good}\n`, 'c.log');
    expect(records).toHaveLength(1);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.position).toBe('c.log:9');
    expect(skipped[0]?.reason).toMatch(reason);
  });

  it('a line over 1 MiB is skipped and the next one read', () => {
    const { records, skipped } = parseZeekConnTsv(`${header}\n${'x'.repeat((1 << 20) + 10)}\n${good}\n`, 'c.log');
    expect(skipped).toEqual([{ position: 'c.log:9', reason: 'line longer than 1 MiB' }]);
    expect(records).toHaveLength(1);
  });

  it('data of another log (a dns.log header concatenated in) is skipped, not misread', () => {
    const { records, skipped } = parseZeekConnTsv(`${zeekHeader().join('\n')}\n1\tC\t192.0.2.1\n`, 'x.log');
    expect(records).toEqual([]);
    expect(skipped[0]).toEqual({ position: 'x.log:9', reason: 'no conn_state, orig_pkts, orig_bytes or duration in #fields (not a conn.log?)' });
  });

  const jsonFlow = JSON.parse(fixture('eve-flow.json').toString('utf8').split('\n')[0] ?? '') as Record<string, unknown>;
  /** The fixture's first event with `patch` applied to the event and its `flow` object. */
  const eve = (patch: (event: Record<string, unknown>, flow: Record<string, unknown>) => void): string => {
    const copy = structuredClone(jsonFlow);
    patch(copy, copy['flow'] as Record<string, unknown>);
    return JSON.stringify(copy);
  };
  const eveCases: [string, string, RegExp][] = [
    ['garbage', '{{{', /invalid JSON/],
    ['array', '[1,2]', /not a JSON object/],
    ['truncated', JSON.stringify(jsonFlow).slice(0, 80), /invalid JSON/],
    ['string bytes', eve((_, flow) => { flow['bytes_toserver'] = '12'; }), /bad bytes_toserver/],
    ['negative packets', eve((_, flow) => { flow['pkts_toclient'] = -3; }), /bad pkts_toclient '-3'/],
    ['bad start', eve((_, flow) => { flow['start'] = 'yesterday'; }), /bad flow.start/],
    ['end before start', eve((_, flow) => { flow['end'] = '2020-01-01T00:00:00+0000'; }), /end before/],
    ['no flow object', eve((event) => { delete event['flow']; }), /no 'flow' object/],
    ['bad ip', eve((event) => { event['dest_ip'] = 42; }), /bad dest_ip '42'/],
  ];
  it.each(eveCases)('eve %s', (_name, line, reason) => {
    const { records, skipped } = parseEveFlows(`${line}\n${JSON.stringify(jsonFlow)}\n`, 'e.json');
    expect(records).toHaveLength(1);
    expect(skipped).toEqual([{ position: 'e.json:1', reason: expect.stringMatching(reason) as string }]);
  });

  const csv = fixture('nfdump-real.csv').toString('utf8').split('\n');
  const csvLine = (i: number, value: string): string => (csv[1] ?? '').split(',').map((v, j) => (j === i ? value : v)).join(',');
  const csvCases: [string, string, RegExp][] = [
    ['truncated', (csv[1] ?? '').slice(0, 40), /fields where the header has/],
    ['bad time', csvLine(0, '2024-13-40 99:00:00'), /bad ts/],
    ['negative bytes', csvLine(12, '-7'), /bad ibyt/],
    ['NaN packets', csvLine(11, 'NaN'), /bad ipkt/],
    ['bad proto', csvLine(7, 'XYZ'), /bad pr/],
  ];
  it.each(csvCases)('nfdump %s', (_name, line, reason) => {
    const { records, skipped } = parseNfdumpCsv(`${csv[0]}\n${line}\n${csv[1]}\n`, 'n.csv');
    expect(records).toHaveLength(1);
    expect(skipped).toEqual([{ position: 'n.csv:2', reason: expect.stringMatching(reason) as string }]);
  });

  it('nfdump data without a header is skipped', () => {
    expect(parseNfdumpCsv(`${csv[1]}\n`, 'n.csv').skipped).toEqual([{ position: 'n.csv:1', reason: 'data before the nfdump csv header' }]);
  });

  it('nfdump data under a header without a needed column is skipped line by line, the header itself not', () => {
    expect(parseNfdumpCsv(`ts,te,td,sa\n${csv[1]}\n${csv[2]}\n`, 'n.csv').skipped).toEqual([
      { position: 'n.csv:2', reason: "no 'da' in the csv header" },
      { position: 'n.csv:3', reason: "no 'da' in the csv header" },
    ]);
  });
});

describe('streaming: any chunking gives the same records and skips', () => {
  const inputs: [string, (file: string) => FlowLineParser, Buffer][] = [
    ['zeek-conn.log', zeekConnTsvParser, fixture('zeek-conn.log')],
    ['zeek-conn.json', zeekConnJsonParser, fixture('zeek-conn.json')],
    ['eve-flow.json', eveFlowParser, Buffer.concat([fixture('eve-flow.json'), Buffer.from('{"event_type":"flow"}\n\u00e9t\u00e9 garbage\n')])],
    ['nfdump-real.csv', nfdumpCsvParser, fixture('nfdump-real.csv')],
  ];
  it.each(inputs)('%s', (name, parserFor, bytes) => {
    const whole = parseFlowLines(bytes, name, parserFor(name));
    expect(whole.records.length).toBeGreaterThan(0);
    let seed = 7;
    for (let round = 0; round < 20; round++) {
      const out: FlowParse = { records: [], skipped: [] };
      const decoder = new FlowLineDecoder('flows', name, parserFor(name), {
        observe: () => undefined,
        flow: (r) => out.records.push(r),
        skip: (s) => out.skipped.push({ position: `${s.position.file}:${s.position.line}`, reason: s.reason }),
      });
      for (let at = 0; at < bytes.length; ) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const size = 1 + (seed % 17);
        decoder.push(bytes.subarray(at, at + size));
        at += size;
      }
      decoder.end();
      expect(out).toEqual(whole);
    }
  });
});

describe('nfdump biflows', () => {
  it('adds the out counts to the in counts', () => {
    const csv = fixture('nfdump-real.csv').toString('utf8').split('\n');
    const line = (csv[1] ?? '').split(',').map((v, j) => (j === 13 ? '4' : j === 14 ? '400' : v)).join(',');
    expect(parseNfdumpCsv(`${csv[0]}\n${line}\n`, 'n.csv').records[0]).toMatchObject({ packets: 1 + 4, bytes: 102 + 400 });
  });
});

describe('the DNS text sniffers and the flow logs', () => {
  it.each([['zeek-conn.log'], ['zeek-conn.json'], ['nfdump-real.csv']])('no DNS format takes %s', (name) => {
    expect(textFormats.filter((format) => format.sniff(fixture(name))).map((format) => format.name)).toEqual([]);
  });
  it('an eve.json with flow events is also taken by the DNS eve reader (one file, both kinds: to decide when wiring)', () => {
    expect(textFormats.filter((format) => format.sniff(fixture('eve-flow.json'))).map((format) => format.name)).toEqual(['eve']);
  });
});

describe('zeek conn.log of newer Zeek (ip_proto column)', () => {
  it('reads the same records by column name, the extra column counted but not read', () => {
    const text = fixture('zeek-conn.log').toString('utf8').split('\n').map((line) => {
      if (line.startsWith('#fields')) return `${line}\tip_proto`;
      if (line.startsWith('#types')) return `${line}\tcount`;
      if (line.length === 0 || line.startsWith('#')) return line;
      return `${line}\t${line.includes('\ticmp\t') ? 1 : line.includes('\tudp\t') ? 17 : 6}`;
    }).join('\n');
    const plain = parseZeekConnTsv(fixture('zeek-conn.log'), 'conn.log');
    expect(parseZeekConnTsv(text, 'conn.log')).toEqual(plain);
    expect(sniffZeekConnTsv(Buffer.from(text))).toBe(true);
  });
});
