// NetFlow/IPFIX export traffic inside captures: a real one (softflowd -> tcpdump
// on lo, merged by mergecap with the DNS captures softflowd read) and hand-made
// frames for the rules of exports.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { FlowRecord } from '../../model/flow.js';
import { decodeFlows, runFlowConformance, type FlowOutcome } from '../flow-conformance.case.js';
import { decode, observationsOf } from '../conformance.case.js';
import { netflowFormat } from '../netflow/index.js';
import { LINKTYPE_ETHERNET, PROTO_UDP } from './packet.js';
import { createPcapFormat, pcapFormat } from './index.js';
import { ipPacket, linkFrame, pcapFile, pcapHeader, pcapRecord, udpDatagram, udpFrame, type Frame } from '../../../test/support/pcap-synth.js';

const flowsDir = new URL('../../../test/fixtures/flows/', import.meta.url);
const pcapDir = new URL('../../../test/fixtures/pcap/', import.meta.url);
const fixture = (name: string, dir = flowsDir): Buffer => readFileSync(new URL(name, dir));

const flowsOf = (outcomes: FlowOutcome[]): FlowRecord[] => outcomes.flatMap((o) => (o.kind === 'flow' ? [o.flow] : []));
const skipsOf = (outcomes: FlowOutcome[]) => outcomes.flatMap((o) => (o.kind === 'skip' ? [[o.line, o.skipped.reason] as const] : []));
const withoutSource = (f: FlowRecord) => ({ ...f, exporter: undefined, position: undefined });

describe('pcap: NetFlow/IPFIX export traffic (softflowd, tcpdump, mergecap)', () => {
  const merged = fixture('softflowd-dns-and-exports.pcapng');

  test('one capture gives the DNS observations and the exported flows, each exporter its own', () => {
    const outcomes = decodeFlows(pcapFormat, [merged], 'merged.pcapng');
    expect(skipsOf(outcomes)).toEqual([]);
    const flows = flowsOf(outcomes);
    // softflowd -v 5 and -v 9 over the 33-packet capture (29 flows each), -v 10 and -v 9 over the 10-packet one (14 each).
    const byExporter = new Map<string, number>();
    for (const f of flows) byExporter.set(f.exporter, (byExporter.get(f.exporter) ?? 0) + 1);
    expect([...byExporter.values()]).toEqual([29, 29, 14, 14]);
    for (const exporter of byExporter.keys()) expect(exporter).toMatch(/^127\.0\.0\.1:\d+\/0$/);
    // The DNS packets of the same capture are still read: as many observations as the two captures give alone.
    const alone = [fixture('go-dnscollector_dnsdump_udp.pcap', pcapDir), fixture('suricata-verify_dns-eve-type-filtering.pcap', pcapDir)]
      .map((capture) => observationsOf(decode(pcapFormat, [capture])).length);
    expect(outcomes.filter((o) => o.kind === 'observe')).toHaveLength(alone[0]! + alone[1]!);
  });

  test('a flow describes the DNS exchange it came from, on the capture\'s clock (softflowd -a)', () => {
    const flows = flowsOf(decodeFlows(pcapFormat, [merged], 'merged.pcapng'));
    // Packet 1 of go-dnscollector_dnsdump_udp.pcap: 1677925989.646602 192.168.1.17.56618 > 192.168.1.222.53, its answer 14 ms later.
    const query = flows.filter((f) => f.src === '192.168.1.17' && f.srcPort === 56618 && f.dst === '192.168.1.222');
    // One per exporter that read that capture (v5 and v9).
    expect(query).toHaveLength(2);
    // v5's header carries nanoseconds: to the millisecond. v9's carries whole seconds only (RFC 3954 §5.1):
    // sysUptime-relative times are then placed within the second the header truncated (here 31 ms early).
    const errors = query.map((f) => Math.abs(f.start - 1677925989.6466)).sort((a, b) => a - b);
    expect(errors[0]).toBeLessThan(0.002);
    expect(errors[1]).toBeLessThan(1);
    for (const f of query) {
      expect(f).toMatchObject({ dstPort: 53, proto: 17, packets: 1, samplingRate: 1 });
      expect(f.position).toMatch(/^merged\.pcapng: packet \d+ (set \d+ )?record \d+$/);
    }
    // UDP length 65 + IP header 20 = 85 bytes at the IP layer, as NetFlow counts.
    expect(query[0]!.bytes).toBe(85);
  });

  test('the export capture and the raw datagrams the collector socket received give the same flows', () => {
    const fromCapture = flowsOf(decodeFlows(pcapFormat, [fixture('softflowd-exports.pcap')])).map(withoutSource);
    const files = ['softflowd_v5.dat', 'softflowd_v9_2datagrams.dat', 'softflowd_ipfix.dat', 'softflowd_v9_port42055.dat'];
    const fromFiles = files.flatMap((name) => flowsOf(decodeFlows(netflowFormat, [fixture(name)], name))).map(withoutSource);
    expect(fromCapture).toHaveLength(86);
    expect(fromCapture).toEqual(fromFiles);
  });

  test('the flow scanner (analyze reads a capture with it first) hands exactly the same flows, and no DNS', () => {
    const scanner = { ...pcapFormat, createDecoder: pcapFormat.createFlowScanner! };
    for (const capture of [merged, fixture('softflowd-exports.pcap')]) {
      const full = decodeFlows(pcapFormat, [capture], 'merged.pcapng');
      const scanned = decodeFlows(scanner, [capture], 'merged.pcapng');
      expect(full.some((o) => o.kind === 'observe') || capture !== merged).toBe(true);
      expect(scanned.filter((o) => o.kind !== 'skip')).toEqual(full.filter((o) => o.kind === 'flow'));
    }
    // A capture of DNS alone: nothing at all.
    expect(decodeFlows(scanner, [fixture('go-dnscollector_dnsdump_udp.pcap', pcapDir)])).toEqual([]);
  });

  test('the v9 export to port 42055 (no collector port) is found by its header alone', () => {
    const flows = flowsOf(decodeFlows(pcapFormat, [fixture('softflowd-exports.pcap')]));
    expect(flows.filter((f) => f.position.startsWith('sample: packet 5 '))).toHaveLength(14);
  });
});

const EXPORTER = { src: '192.0.2.1', dst: '198.51.100.9', srcPort: 50000, dstPort: 2055 };
const at = (ts: number, bytes: Uint8Array): Frame => ({ ts, bytes });
const udp = (e: typeof EXPORTER, payload: Uint8Array) => udpFrame(LINKTYPE_ETHERNET, e, payload);

describe('pcap: which UDP is flow export', () => {
  const tpl = fixture('netflow9_test_cisco_asa_1_tpl.dat');
  const data = fixture('netflow9_test_cisco_asa_1_data.dat');

  test('templates are kept per exporter: another exporter\'s data with the same template id is lost for want of its template', () => {
    const other = { ...EXPORTER, src: '192.0.2.2' };
    const capture = pcapFile([at(1444384069, udp(EXPORTER, tpl)), at(1444384071, udp(other, data)), at(1444384071, udp(EXPORTER, data))]);
    const outcomes = decodeFlows(pcapFormat, [capture], 'x.pcap');
    expect(skipsOf(outcomes)).toEqual([[2, 'NetFlow v9 from 192.0.2.2:50000 set 1: no template 265']]);
    const flows = flowsOf(outcomes);
    expect(flows).toHaveLength(14);
    expect(flows[1]).toMatchObject({ src: '192.168.23.22', dst: '164.164.37.11', bytes: 56, exporter: '192.0.2.1:50000/0', position: 'x.pcap: packet 3 set 1 record 2' });
  });

  test('template lifetimes run on capture time (flows.templates.lifetime)', () => {
    const capture = pcapFile([at(1444384069, udp(EXPORTER, tpl)), at(1444384069 + 120, udp(EXPORTER, data))]);
    const short = createPcapFormat({ flowTemplates: { lifetimeSeconds: 60 } });
    expect(skipsOf(decodeFlows(short, [capture]))).toEqual([[2, 'NetFlow v9 from 192.0.2.1:50000 set 1: no template 265']]);
    expect(flowsOf(decodeFlows(pcapFormat, [capture]))).toHaveLength(14);
  });

  test('an IPv6 exporter is written [address]:port', () => {
    const v6 = { src: '2001:db8::1', dst: '2001:db8::2', srcPort: 4739, dstPort: 4739 };
    const capture = pcapFile([at(1700000000, udp(v6, fixture('ipfix_test_ixia_tpldata256.dat')))]);
    expect(flowsOf(decodeFlows(pcapFormat, [capture])).map((f) => f.exporter)).toEqual(['[2001:db8::1]:4739/0']);
  });

  test('UDP to a collector port that is not NetFlow is skipped; sFlow and other UDP are passed over', () => {
    const capture = pcapFile([
      at(1700000000, udp(EXPORTER, Buffer.from('hello, collector'))),
      at(1700000001, udp({ ...EXPORTER, dstPort: 6343 }, fixture('netflow5_test_microtik.dat'))),
      at(1700000002, udp({ ...EXPORTER, dstPort: 443 }, Buffer.from('QUIC-looking bytes'))),
      // Off the collector ports a datagram must be exactly one datagram by its structure: one byte more and it is not.
      at(1700000003, udp({ ...EXPORTER, dstPort: 40000 }, Buffer.concat([fixture('netflow5_test_microtik.dat'), Buffer.from([1])]))),
      at(1700000004, udp({ ...EXPORTER, dstPort: 40000 }, fixture('netflow5_test_microtik.dat'))),
    ]);
    const outcomes = decodeFlows(pcapFormat, [capture]);
    expect(skipsOf(outcomes)).toEqual([[1, 'UDP to collector port 2055 is not NetFlow v5/v9 or IPFIX']]);
    expect(flowsOf(outcomes).every((f) => f.position.startsWith('sample: packet 5 '))).toBe(true);
    expect(flowsOf(outcomes)).toHaveLength(30);
  });

  test('an export datagram cut by the snap length, or fragmented, is one skip', () => {
    const frame = udp(EXPORTER, fixture('netflow5_test_microtik.dat'));
    const fragment = linkFrame(LINKTYPE_ETHERNET, ipPacket(EXPORTER.src, EXPORTER.dst, PROTO_UDP, udpDatagram(EXPORTER, fixture('netflow5_test_microtik.dat')), { moreFragments: true }));
    const capture = pcapFile([{ ts: 1700000000, bytes: frame.subarray(0, 200), originalLength: frame.length }, at(1700000001, fragment)]);
    expect(skipsOf(decodeFlows(pcapFormat, [capture]))).toEqual([
      [1, 'NetFlow/IPFIX export datagram cut short by the capture'],
      [2, 'NetFlow/IPFIX export datagram fragmented (fragments are not reassembled)'],
    ]);
  });

  test('damage inside an export datagram is reported at its packet with the exporter', () => {
    const broken = Buffer.from(fixture('ipfix_test_ixia_tpldata256.dat'));
    broken.writeUInt16BE(broken.length + 40, 2);
    const outcomes = decodeFlows(pcapFormat, [pcapFile([at(1700000000, udp({ ...EXPORTER, dstPort: 4739 }, broken))])]);
    expect(skipsOf(outcomes)[0]).toEqual([1, `NetFlow v10 from 192.0.2.1:50000: IPFIX message length ${broken.length + 40} past the datagram's ${broken.length} bytes`]);
  });
});

// The shared flow suite on captures of export traffic: a unit is one packet (a UDP frame to a collector port).
const unitFrame = (payload: Buffer, dstPort = 2055) => udp({ ...EXPORTER, dstPort }, payload);
const v9Unknown = Buffer.concat([fixture('netflow9_test_cisco_asa_1_data.dat').subarray(0, 20), Buffer.from([0x0f, 0xa1, 0, 8, 0, 0, 0, 0])]);
runFlowConformance(pcapFormat, {
  container(units) {
    const parts = [pcapHeader()];
    const ends: number[] = [];
    let at = parts[0]!.length;
    for (const unit of units) {
      const record = pcapRecord({ ts: 1700000000, bytes: unit });
      parts.push(record);
      ends.push((at += record.length));
    }
    return { bytes: Buffer.concat(parts), ends };
  },
  firstLine: 1,
  good: ['netflow5_test_microtik.dat', 'netflow9_test_valid01.dat', 'netflow9_test_streamcore_tpl_data256.dat', 'ipfix_test_ixia_tpldata256.dat'].map((name) => unitFrame(fixture(name))),
  bad: [unitFrame(Buffer.from('not an export datagram')), unitFrame(v9Unknown, 9995)],
  absurd: [unitFrame(Buffer.alloc(30, 0xff), 4739)],
  foreign: ['netflow5.dat', 'zeek-conn.log', 'nfdump-real.csv'].map((name) => fixture(name)),
});
