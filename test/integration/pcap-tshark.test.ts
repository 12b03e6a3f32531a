/**
 * tshark as an independent decoder: on every pcap/pcapng fixture, each DNS
 * response it dissects must come out of fluxhound's pcap decoder at the same
 * frame number with the same question, rcode, and the same records in each
 * section (owner, type, TTL, and the data of A, AAAA, NS, CNAME and PTR).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResourceRecord } from '../../src/model/observation.js';
import { decode } from '../../src/sources/conformance.case.js';
import { rcodeName, typeName } from '../../src/sources/dns-wire/index.js';
import { pcapFormat } from '../../src/sources/pcap/index.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2 } from '../../src/sources/pcap/packet.js';
import { aaaaResponse, fluxResponse, query, TO_CLIENT, TO_CLIENT6, TO_SERVER } from '../../src/sources/pcap/samples.case.js';
import { ipPacket, lengthPrefixed, linkFrame, pcapFile, pcapngFile, TCP_ACK, TCP_PSH, TCP_SYN, tcpFrame, udpDatagram, udpFrame } from '../support/pcap-synth.js';
import { findBinary } from '../support/binaries.js';

const tshark = findBinary('tshark', 'tshark');
const DIR = join(import.meta.dirname, '../fixtures/pcap');
const FIXTURES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f));
const FIELDS = [
  'frame.number', 'dns.qry.name', 'dns.qry.type', 'dns.flags.rcode', 'dns.count.answers', 'dns.count.auth_rr', 'dns.count.add_rr',
  'dns.resp.name', 'dns.resp.type', 'dns.resp.ttl', 'dns.a', 'dns.aaaa', 'dns.ns', 'dns.cname', 'dns.ptr.domain_name',
];
const DATA_FIELD: Record<string, number> = { A: 10, AAAA: 11, NS: 12, CNAME: 13, PTR: 14 };

interface Expected {
  frame: number;
  qname: string;
  qtype: string;
  rcode: string;
  sections: Partial<ResourceRecord>[][];
}

function tsharkResponses(file: string): Expected[] {
  const out = execFileSync(tshark.path!, [
    '-r', file, '-n', '-Y', '(udp.port == 53 || tcp.port == 53) && dns.flags.response == 1',
    '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f]),
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((line) => line.length > 0).map((line) => {
    const columns = line.split('|');
    const list = (i: number) => (columns[i] === undefined || columns[i] === '' ? [] : columns[i]!.split(','));
    const data = Object.fromEntries(Object.entries(DATA_FIELD).map(([type, i]) => [type, list(i)]));
    const names = list(7);
    const types = list(8).map(Number);
    const ttls = list(9).map(Number);
    const counts = [Number(columns[4]), Number(columns[5]), Number(columns[6])];
    const sections: Partial<ResourceRecord>[][] = [[], [], []];
    let section = 0;
    let left = counts[0]!;
    names.forEach((name, i) => {
      while (left === 0 && section < 2) left = counts[++section]!;
      left--;
      const type = typeName(types[i]!);
      if (type === 'OPT') return;
      const record: Partial<ResourceRecord> = { name: name === '<Root>' ? '.' : name.toLowerCase(), type, ttl: ttls.shift()! };
      const values = data[type];
      if (values !== undefined) record.data = values.shift()!.toLowerCase();
      sections[section]!.push(record);
    });
    return { frame: Number(columns[0]), qname: list(1)[0]!.toLowerCase(), qtype: typeName(Number(list(2)[0])), rcode: rcodeName(Number(columns[3])), sections };
  });
}

/** Made-up captures for what the fixtures lack: DNS over TCP in several segments, IPv6, QinQ, Linux cooked v2, pcapng. */
function generated(dir: string): string[] {
  const message = lengthPrefixed(fluxResponse(3, 'tcp.flux.example'));
  const ack = TCP_ACK | TCP_PSH;
  const frames = [
    udpFrame(LINKTYPE_ETHERNET, TO_SERVER, query()),
    udpFrame(LINKTYPE_ETHERNET, TO_CLIENT, fluxResponse()),
    udpFrame(LINKTYPE_ETHERNET, TO_CLIENT6, aaaaResponse()),
    linkFrame(LINKTYPE_ETHERNET, ipPacket(TO_CLIENT.src, TO_CLIENT.dst, 17, udpDatagram(TO_CLIENT, fluxResponse(4, 'vlan.flux.example'))), 2),
    tcpFrame(LINKTYPE_ETHERNET, { ...TO_CLIENT, dstPort: 40010 }, 5000, TCP_SYN | TCP_ACK, Buffer.alloc(0)),
    tcpFrame(LINKTYPE_ETHERNET, { ...TO_CLIENT, dstPort: 40010 }, 5001, ack, message.subarray(0, 1)),
    tcpFrame(LINKTYPE_ETHERNET, { ...TO_CLIENT, dstPort: 40010 }, 5002, ack, message.subarray(1, 50)),
    tcpFrame(LINKTYPE_ETHERNET, { ...TO_CLIENT, dstPort: 40010 }, 5051, ack, message.subarray(50)),
  ].map((bytes, i) => ({ ts: 1700000000 + i / 10, bytes }));
  const pcap = join(dir, 'generated.pcap');
  const pcapng = join(dir, 'generated-sll2.pcapng');
  writeFileSync(pcap, pcapFile(frames));
  writeFileSync(pcapng, pcapngFile([0, 1, 2].map((i) => ({ ts: 1700000000 + i, bytes: udpFrame(LINKTYPE_LINUX_SLL2, i === 1 ? TO_CLIENT6 : TO_CLIENT, i === 1 ? aaaaResponse() : fluxResponse(i)) })), { linkType: LINKTYPE_LINUX_SLL2, tsresol: 9 }));
  return [pcap, pcapng];
}

describe.skipIf(tshark.missing !== null)(`pcap decoder against tshark${tshark.missing === null ? '' : ` (${tshark.missing})`}`, () => {
  it('agrees on generated captures: TCP in segments, IPv6, QinQ, Linux cooked v2, pcapng', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-tshark-'));
    try {
      for (const file of generated(dir)) compare(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each(FIXTURES)('%s: the same responses, field for field', (name) => compare(join(DIR, name)), 60_000);
});

function compare(file: string): void {
  {
    const expected = tsharkResponses(file);
    expect(expected.length).toBeGreaterThan(0);
    const ours = decode(pcapFormat, [readFileSync(file)]).flatMap((o) => (o.kind === 'observe' && o.observation.rcode !== null ? [{ frame: o.line, observation: o.observation }] : []));
    expect(ours.map((o) => o.frame)).toEqual(expected.map((e) => e.frame));
    ours.forEach(({ observation }, i) => {
      const want = expected[i]!;
      const pick = (records: ResourceRecord[], like: Partial<ResourceRecord>[]) =>
        records.map((r, k) => ('data' in (like[k] ?? {}) ? { name: r.name, type: r.type, ttl: r.ttl, data: r.data } : { name: r.name, type: r.type, ttl: r.ttl }));
      expect({
        frame: want.frame,
        qname: observation.qname,
        qtype: observation.qtype,
        rcode: observation.rcode,
        sections: [pick(observation.answers, want.sections[0]!), pick(observation.authority, want.sections[1]!), pick(observation.additional, want.sections[2]!)],
      }).toEqual(want);
    });
  }
}
