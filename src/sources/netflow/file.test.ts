// Raw datagram files as an input of `fluxhound analyze`: framing (one datagram,
// several back to back, padding, damage), sniffing against every other
// fixture, and the shared flow conformance suite.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runFlowConformance, decodeFlows, type FlowOutcome } from '../flow-conformance.case.js';
import { sourceFormats } from '../registry.js';
import { createNetflowFormat, datagramLength, netflowFormat } from './index.js';

const flowsDir = new URL('../../../test/fixtures/flows/', import.meta.url);
const fixturesDir = new URL('../../../test/fixtures/', import.meta.url).pathname;
const dat = (name: string): Buffer => readFileSync(new URL(name, flowsDir));

const flowsOf = (outcomes: FlowOutcome[]) => outcomes.flatMap((o) => (o.kind === 'flow' ? [o.flow] : []));
const skipsOf = (outcomes: FlowOutcome[]) => outcomes.flatMap((o) => (o.kind === 'skip' ? [[o.line, o.skipped.reason] as const] : []));

/** A v9 datagram: header (count, export time, source id 7) and the given flowsets. */
function v9(sets: Buffer[], exportTime = 1_700_000_000): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(9, 0);
  header.writeUInt16BE(sets.length, 2);
  header.writeUInt32BE(1000, 4);
  header.writeUInt32BE(exportTime, 8);
  header.writeUInt32BE(7, 16);
  return Buffer.concat([header, ...sets]);
}

function set(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([head, body]);
}

/** An IPFIX message with the given sets. */
function ipfix(sets: Buffer[], exportTime = 1_700_000_000): Buffer {
  const body = Buffer.concat(sets);
  const header = Buffer.alloc(16);
  header.writeUInt16BE(10, 0);
  header.writeUInt16BE(16 + body.length, 2);
  header.writeUInt32BE(exportTime, 4);
  header.writeUInt32BE(3, 12);
  return Buffer.concat([header, body]);
}

/** A v5 datagram of one record whose first/last switched are `first`/`last` ms of an uptime of `uptime` ms. */
function v5(uptime: number, exportTime: number, first: number, last: number): Buffer {
  const b = Buffer.alloc(24 + 48);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(uptime, 4);
  b.writeUInt32BE(exportTime, 8);
  b.writeUInt32BE(0xc0000201, 24);
  b.writeUInt32BE(0xc6336401, 28);
  b.writeUInt32BE(3, 40);
  b.writeUInt32BE(180, 44);
  b.writeUInt32BE(first, 48);
  b.writeUInt32BE(last, 52);
  b.writeUInt16BE(40000, 56);
  b.writeUInt16BE(443, 58);
  b[62] = 6;
  return b;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};
const u16s = (...n: number[]): Buffer => Buffer.from(n.flatMap((x) => [x >> 8, x & 255]));

// Real datagrams that carry their own templates (no options data: sampling stays per unit).
const good = [
  'netflow5_test_microtik.dat',
  'netflow5_test_juniper_mx80.dat',
  'netflow9_test_valid01.dat',
  'netflow9_test_cisco_1941K9.dat',
  'netflow9_cisco_asr1001x_tpl259.dat',
  'netflow9_test_streamcore_tpl_data256.dat',
  'netflow9_test_0length_fields_tpl_data.dat',
  'ipfix_test_ixia_tpldata256.dat',
  'ipfix_test_ixia_tpldata271.dat',
].map(dat);

// Each one skip, template ids no good unit defines.
const bad = [
  v9([set(4001, Buffer.alloc(8))]),
  ipfix([set(60001, Buffer.alloc(8))]),
  // A template whose records would be zero bytes long.
  v9([set(0, Buffer.concat([u16s(4002, 1), u16s(8, 0)]))]),
];

const absurd = [
  // Flow started 10^6 s before 1987: an implausible time, skipped.
  v5(1e9, 536_457_600, 0, 1e9),
  // Counters of 8 bytes all ones, a protocol field 2 bytes wide holding 65535.
  ipfix([
    set(2, Buffer.concat([u16s(4003, 5), u16s(8, 4, 12, 4, 1, 8, 2, 8, 4, 2)])),
    set(4003, Buffer.concat([u32(0xc0000201), u32(0xc6336401), Buffer.alloc(16, 0xff), u16s(0xffff)])),
  ]),
];

function concat(units: readonly Uint8Array[]): { bytes: Buffer; ends: number[] } {
  const ends: number[] = [];
  let at = 0;
  for (const unit of units) ends.push((at += unit.length));
  return { bytes: Buffer.concat(units), ends };
}

/** Every file under test/fixtures, recursively. */
function allFixtures(dir = fixturesDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFixtures(path) : [path];
  });
}

runFlowConformance(netflowFormat, {
  container: concat,
  firstLine: 1,
  good,
  bad,
  absurd,
  foreign: allFixtures().filter((p) => !p.endsWith('.dat')).map((p) => readFileSync(p).subarray(0, 64 * 1024)),
});

describe('netflow files: framing', () => {
  test('netflow5.dat is 12 softflowd v5 datagrams back to back (nc -u -l > file): 30 flows, none lost', () => {
    const outcomes = decodeFlows(netflowFormat, [dat('netflow5.dat')], 'netflow5.dat');
    expect(skipsOf(outcomes)).toEqual([]);
    const flows = flowsOf(outcomes);
    // 2,4,4,4,2,2,2,2,2,2,2,2 records per datagram, by their header counts.
    expect(flows).toHaveLength(30);
    expect(outcomes.filter((o) => o.kind === 'flow').map((o) => o.line)).toEqual([1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12]);
    expect(flows[0]).toMatchObject({ src: '10.0.2.2', dst: '10.0.2.15', srcPort: 54435, dstPort: 22, exporter: 'netflow5.dat/0', position: 'netflow5.dat: datagram 1 record 1' });
    expect(flows[29]!.position).toBe('netflow5.dat: datagram 12 record 2');
  });

  test('a template file and its data file concatenated give the data (one template cache per file)', () => {
    const alone = flowsOf(decodeFlows(netflowFormat, [dat('netflow9_test_cisco_asa_1_data.dat')]));
    expect(alone).toEqual([]);
    const both = Buffer.concat([dat('netflow9_test_cisco_asa_1_tpl.dat'), dat('netflow9_test_cisco_asa_1_data.dat')]);
    const outcomes = decodeFlows(netflowFormat, [both], 'asa.dat');
    expect(skipsOf(outcomes)).toEqual([]);
    const flows = flowsOf(outcomes);
    expect(flows).toHaveLength(14);
    // The same record the oracle test asserts, now through the file format.
    expect(flows[1]).toMatchObject({ src: '192.168.23.22', srcPort: 17549, dst: '164.164.37.11', proto: 1, bytes: 56, exporter: 'asa.dat/0', position: 'asa.dat: datagram 2 set 1 record 2' });
    // IPFIX: the message length frames it; three messages in ipfix.dat.
    const pflow = Buffer.concat([dat('ipfix_test_openbsd_pflow_tpl.dat'), dat('ipfix_test_openbsd_pflow_data.dat')]);
    expect(flowsOf(decodeFlows(netflowFormat, [pflow]))).toHaveLength(26);
  });

  test('a v9 datagram zero-padded to 1400 bytes (Palo Alto) is one datagram, and the next one follows its padding', () => {
    const file = Buffer.concat([
      dat('netflow9_test_paloalto_81_tpl256-263.dat'),
      dat('netflow9_test_paloalto_81_data257_1flowset_in_large_zerofilled_packet.dat'),
      dat('netflow5_test_microtik.dat'),
    ]);
    const outcomes = decodeFlows(netflowFormat, [file]);
    expect(skipsOf(outcomes)).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'flow').map((o) => o.line)).toEqual([2, ...Array<number>(30).fill(3)]);
  });

  test('damage between datagrams is one skip with its byte count, and reading goes on', () => {
    const file = Buffer.concat([dat('netflow5_test_microtik.dat'), Buffer.from('garbage here!'), dat('netflow9_test_valid01.dat')]);
    for (const chunks of [[file], [...file].map((b) => Buffer.from([b]))]) {
      const outcomes = decodeFlows(netflowFormat, chunks, 'x.dat');
      expect(skipsOf(outcomes)).toEqual([[2, '13 bytes that start no NetFlow v5/v9 or IPFIX datagram passed over']]);
      expect(flowsOf(outcomes)).toHaveLength(37);
    }
  });

  test('a file cut inside its last datagram keeps what the cut datagram holds and reports the cut', () => {
    const file = Buffer.concat([dat('netflow5_test_microtik.dat'), dat('netflow5_test_juniper_mx80.dat').subarray(0, 24 + 48 * 10 + 7)]);
    const outcomes = decodeFlows(netflowFormat, [file]);
    expect(flowsOf(outcomes)).toHaveLength(40);
    expect(skipsOf(outcomes)).toEqual([[2, 'v5 header counts 29 records, 10 fit']]);
  });

  test('the invalid v5 datagrams of the oracle (header counts 55,582 and 163 records) are damage, not flows', () => {
    for (const name of ['netflow5_test_invalid01.dat', 'netflow5_test_invalid02.dat']) {
      const outcomes = decodeFlows(netflowFormat, [dat(name)]);
      expect(flowsOf(outcomes)).toEqual([]);
      expect(skipsOf(outcomes)).toHaveLength(1);
    }
  });

  test('the v9 walk: a flowset id below 256 other than 0 and 1 ends the datagram', () => {
    const a = v9([set(4001, Buffer.alloc(8))]);
    expect(datagramLength(Buffer.concat([a, a]), 0, 2 * a.length, false)).toBe(a.length);
    // Not decidable until the next two bytes are there, or the input ends.
    expect(datagramLength(a, 0, a.length, false)).toBe(-1);
    expect(datagramLength(a, 0, a.length, true)).toBe(a.length);
  });

  test('templates live `flows.templates.lifetime` seconds on the export clock of the file', () => {
    const tpl = dat('netflow9_test_cisco_asa_1_tpl.dat');
    const data = Buffer.from(dat('netflow9_test_cisco_asa_1_data.dat'));
    // The data datagram exported 2 s after the templates: a lifetime of 1 s has let them go.
    const short = createNetflowFormat({ templates: { lifetimeSeconds: 1 } });
    const outcomes = decodeFlows(short, [Buffer.concat([tpl, data])]);
    expect(flowsOf(outcomes)).toEqual([]);
    expect(skipsOf(outcomes)).toEqual([[2, 'set 1: no template 265']]);
    expect(flowsOf(decodeFlows(createNetflowFormat({ templates: { lifetimeSeconds: 2 } }), [Buffer.concat([tpl, data])]))).toHaveLength(14);
  });
});

describe('netflow files: sniffing', () => {
  const datagramFiles = readdirSync(flowsDir).filter((f) => f.endsWith('.dat'));

  test('every real datagram file but the two invalid v5 ones is sniffed as netflow, and by no other format', () => {
    for (const name of datagramFiles) {
      const head = dat(name).subarray(0, 64 * 1024);
      const claimed = sourceFormats.filter((f) => f.sniff(head)).map((f) => f.name);
      expect(claimed, name).toEqual(name.startsWith('netflow5_test_invalid') ? [] : ['netflow']);
    }
  });

  test('no other fixture (DNS logs, pcaps, dnstap, eve, flow logs, CTI) is sniffed as netflow', () => {
    const others = allFixtures().filter((p) => !p.endsWith('.dat'));
    expect(others.length).toBeGreaterThan(50);
    for (const path of others) expect(netflowFormat.sniff(readFileSync(path).subarray(0, 64 * 1024)), path).toBe(false);
  });

  test('--format netflow on a DNS log is refused by its magic, not read as nothing', () => {
    expect(netflowFormat.magic).toMatch(/NetFlow/);
    expect(netflowFormat.sniff(Buffer.from('#separator \\x09\n#path\tdns\n'))).toBe(false);
  });
});
