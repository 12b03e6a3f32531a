/**
 * `fluxhound analyze dns.log conn.log` end to end with the built CLI (issue
 * 16): DNS and flows in one run, in either order, from Zeek logs or one mixed
 * Suricata eve.json; exposures (with DNS bypass and inbound) after their
 * verdict, flow evidence in the verdict, the summary lines, customers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exposure } from '../src/model/flow.js';
import type { Verdict } from '../src/model/verdict.js';
import { fluxhound, requireBuilt, ROOT } from './support/cli.js';
import { connLog, eveDnsAnswer, eveFlows, type Connection } from './support/conn-log.js';
import { netflowV5File } from './support/netflow-v5.js';
import { botAddresses, zeekLog } from './support/zeek-log.js';
import { pcapFile, udpFrame } from './support/pcap-synth.js';
import { LINKTYPE_ETHERNET } from '../src/sources/pcap/packet.js';

const T0 = 1743638400;
const FLUX = 'www.flux-shop.com';
const LOOKER = '10.1.0.8';
const BYPASSER = '10.1.0.99';
const bots = botAddresses();
/** The first answer of lookup k (zeekLog: 5 bots per lookup, 300 s apart). */
const answerOf = (k: number): string => bots[(k * 5) % bots.length]!;

const connections: Connection[] = [
  // The client that looked the name up connects to what it was told, a second later.
  ...Array.from({ length: 12 }, (_, k) => ({ ts: T0 + k * 300 + 1, client: LOOKER, server: answerOf(k), port: 443 })),
  // Another client reaches a flux host without ever asking the resolver: DNS bypass.
  { ts: T0 + 1000, client: BYPASSER, server: answerOf(3), port: 80, received: 5000 },
  // A flux host calls in, while its name still answers with it (lookup 0 answered bots 0-4).
  { ts: T0 + 100, client: bots[3]!, server: LOOKER, port: 445 },
  // Ordinary traffic to an address no flagged name answered with.
  { ts: T0 + 1500, client: LOOKER, server: '93.184.215.14', port: 443 },
];

type Line = Verdict | Exposure | { record: string };
const parse = (stdout: string): Line[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
const exposures = (lines: Line[]): Exposure[] => lines.filter((l): l is Exposure => 'record' in l && l.record === 'exposure');
const verdictOf = (lines: Line[], domain: string): Verdict | undefined => lines.find((l): l is Verdict => 'domain' in l && l.domain === domain && !('record' in l));

let dir = '';
let dnsLog = '';
let conn = '';
let eve = '';
let v5 = '';

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-flows-'));
  dnsLog = join(dir, 'dns.log');
  conn = join(dir, 'conn.log');
  eve = join(dir, 'eve.json');
  v5 = join(dir, 'export.nf5');
  writeFileSync(v5, netflowV5File(connections));
  writeFileSync(dnsLog, zeekLog([FLUX], bots, T0));
  writeFileSync(conn, connLog(connections));
  // One eve.json as Suricata writes it: dns and flow events interleaved in time.
  const events = [
    ...Array.from({ length: 12 }, (_, k) => ({ ts: T0 + k * 300, line: eveDnsAnswer(T0 + k * 300, LOOKER, FLUX, [0, 1, 2, 3, 4].map((j) => bots[(k * 5 + j) % bots.length]!), 100 + k) })),
    ...eveFlows(connections).map((line, i) => ({ ts: connections[i]!.ts + 2, line })),
  ].sort((a, b) => a.ts - b.ts);
  writeFileSync(eve, events.map((e) => e.line).join('\n') + '\n');
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('analyze with flows', () => {
  it('reports exposures after their verdict, with DNS bypass and inbound, and flow evidence in the verdict', async () => {
    const run = await fluxhound(['analyze', '--json', '--quiet', dnsLog, conn]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = parse(run.stdout);
    const verdict = verdictOf(lines, FLUX);
    expect(verdict?.verdict).toBe('fast-flux');
    expect(verdict?.flows).toMatchObject({ clients: 2, inbound: 1 });
    expect(verdict?.flows?.addresses).toBeGreaterThanOrEqual(12);
    expect(verdict?.features.flow_evidence).toBe(verdict?.flows?.addresses);
    expect(verdict?.reasons.some((r) => /addresses took connections from 2 clients/.test(r))).toBe(true);

    const found = exposures(lines);
    const looked = found.find((e) => e.client === LOOKER && e.direction === 'outbound');
    expect(looked).toMatchObject({ domain: FLUX, bypass: false, customer: null, sampled: false });
    expect(looked?.flows).toBe(12);
    expect(found.find((e) => e.client === BYPASSER)).toMatchObject({ domain: FLUX, address: answerOf(3), bypass: true, flows: 1, direction: 'outbound' });
    expect(found.find((e) => e.direction === 'inbound')).toMatchObject({ client: LOOKER, address: bots[3], bypass: false, domain: FLUX });
    expect(found.some((e) => e.address === '93.184.215.14')).toBe(false);
    // The exposure lines follow their verdict's line.
    const at = lines.indexOf(verdict!);
    for (const e of found) expect(lines.indexOf(e)).toBeGreaterThan(at);
  });

  it('finds the same whichever input comes first', async () => {
    const [dnsFirst, connFirst] = await Promise.all([
      fluxhound(['analyze', '--json', '--quiet', dnsLog, conn]),
      fluxhound(['analyze', '--json', '--quiet', conn, dnsLog]),
    ]);
    expect(connFirst.code).toBe(0);
    const sorted = (stdout: string): string[] => stdout.split('\n').filter(Boolean).sort();
    expect(sorted(connFirst.stdout)).toEqual(sorted(dnsFirst.stdout));
  });

  it('reads DNS and flows from one Suricata eve.json', async () => {
    const run = await fluxhound(['analyze', '--json', '--quiet', eve]);
    expect(run.stderr).toBe('');
    const lines = parse(run.stdout);
    expect(verdictOf(lines, FLUX)?.flows).toMatchObject({ clients: 2, inbound: 1 });
    const found = exposures(lines);
    expect(found.find((e) => e.client === BYPASSER)).toMatchObject({ bypass: true, domain: FLUX });
    expect(found.find((e) => e.client === LOOKER && e.direction === 'outbound')).toMatchObject({ bypass: false, flows: 12 });
  });

  it('reads NetFlow v5 datagram files beside the DNS, in either order', async () => {
    const [dnsFirst, flowsFirst] = await Promise.all([
      fluxhound(['analyze', '--json', '--quiet', dnsLog, v5]),
      fluxhound(['analyze', '--json', '--quiet', v5, dnsLog]),
    ]);
    expect(dnsFirst.stderr).toBe('');
    const lines = parse(dnsFirst.stdout);
    expect(verdictOf(lines, FLUX)?.flows).toMatchObject({ clients: 2, inbound: 1 });
    const found = exposures(lines);
    expect(found.find((e) => e.client === BYPASSER)).toMatchObject({ bypass: true, domain: FLUX, address: answerOf(3), flows: 1 });
    expect(found.find((e) => e.client === LOOKER && e.direction === 'outbound')).toMatchObject({ bypass: false, flows: 12 });
    const sorted = (stdout: string): string[] => stdout.split('\n').filter(Boolean).sort();
    expect(sorted(flowsFirst.stdout)).toEqual(sorted(dnsFirst.stdout));
  });

  it('attributes exposures to the configured customers', async () => {
    const config = join(dir, 'customers.yaml');
    writeFileSync(config, 'customers:\n  - { id: lab, name: The lab, networks: [10.1.0.0/28] }\n  - { id: guests, name: Guests, networks: [10.1.0.96/27] }\n');
    const run = await fluxhound(['analyze', '--json', '--quiet', '-c', config, dnsLog, conn]);
    expect(run.code).toBe(0);
    const found = exposures(parse(run.stdout));
    expect(found.find((e) => e.client === LOOKER)?.customer).toBe('lab');
    expect(found.find((e) => e.client === BYPASSER)?.customer).toBe('guests');
  });

  it('says what the flows showed in the summary, and shows the exposures under the table', async () => {
    const run = await fluxhound(['analyze', dnsLog, conn]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^flows: read 15 flow records, skipped 0; 3 exposures to flux hosts \(1 DNS bypass, 1 inbound\); 0 fan-out hosts$/m);
    expect(run.stdout).toContain('EXPOSURES: clients that exchanged traffic with flux hosts');
    expect(run.stdout).toMatch(new RegExp(`^${BYPASSER.replace(/\./g, '\\.')} +- +outbound .*DNS bypass$`, 'm'));
  });

  it('reads NetFlow v9 files with the configured template lifetime (flows.templates), a lost template a counted flow skip', async () => {
    // A real Cisco ASA export: its template datagram, then data announced later (test/fixtures/flows/PROVENANCE.md).
    const fixtures = join(ROOT, 'test', 'fixtures', 'flows');
    const asa = join(dir, 'asa.dat');
    writeFileSync(asa, Buffer.concat([readFileSync(join(fixtures, 'netflow9_test_cisco_asa_1_tpl.dat')), readFileSync(join(fixtures, 'netflow9_test_cisco_asa_1_data.dat'))]));
    const short = join(dir, 'short-templates.yaml');
    writeFileSync(short, 'flows:\n  templates: { lifetime: 1 }\n');
    const [kept, expired] = await Promise.all([fluxhound(['analyze', asa]), fluxhound(['analyze', '-c', short, asa])]);
    expect(kept.stderr).toMatch(/^flows: read 14 flow records, skipped 0;/m);
    expect(expired.stderr).toMatch(/^flows: read 0 flow records, skipped 1;/m);
    expect(expired.stderr).toContain('asa.dat:2: netflow: set 1: no template 265');
  });

  it('counts bad eve flow events and damaged export datagrams in a pcap as flow skips, bad dns events as other skips', async () => {
    const hostile = join(dir, 'hostile-eve.json');
    writeFileSync(
      hostile,
      [
        readFileSync(eve, 'utf8').trimEnd(),
        // Three bad flow events (no addresses, an impossible start, non-numeric counts) and one bad dns event.
        JSON.stringify({ event_type: 'flow', timestamp: '2025-04-03T01:26:40.000000+0000', proto: 'TCP', flow: { start: '2025-04-03T01:26:40.000000+0000' } }),
        JSON.stringify({ event_type: 'flow', src_ip: '10.9.0.1', dest_ip: '1.2.3.4', proto: 'TCP', flow: { start: '9999-99-99T00:00:00+0000', end: '2025-04-03T01:26:40.000000+0000' } }),
        JSON.stringify({ event_type: 'netflow', src_ip: '10.9.0.1', dest_ip: '1.2.3.4', proto: 'UDP', netflow: { pkts: 'a', bytes: [], start: null, end: {} } }),
        JSON.stringify({ event_type: 'dns', timestamp: '2025-04-03T01:26:40.000000+0000', dns: 'x' }),
      ].join('\n') + '\n',
    );
    // One NetFlow v5 export datagram cut short by the snap length: one flow skip.
    const exporter = { src: '192.0.2.1', dst: '198.51.100.9', srcPort: 50000, dstPort: 2055 };
    const frame = udpFrame(LINKTYPE_ETHERNET, exporter, readFileSync(join(ROOT, 'test', 'fixtures', 'flows', 'netflow5_test_microtik.dat')));
    const capture = join(dir, 'cut-export.pcap');
    writeFileSync(capture, pcapFile([{ ts: T0, bytes: frame.subarray(0, 200), originalLength: frame.length }]));
    const run = await fluxhound(['analyze', hostile, capture]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^flows: read 15 flow records, skipped 4;/m);
  });

  it('says when flows were dropped as late (flow files out of time order)', async () => {
    const later = join(dir, 'later.nf5');
    writeFileSync(later, netflowV5File([{ ts: T0 + 20_000, client: LOOKER, server: '93.184.215.14', port: 443 }]));
    const run = await fluxhound(['analyze', dnsLog, later, v5]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^flows: read 16 flow records, skipped 0; 0 exposures to flux hosts/m);
    expect(run.stderr).toMatch(/^ {2}flows dropped: 15 late \(far behind the newest flow: give flow files in time order\)$/m);
    expect(run.stderr).not.toMatch(/flows in no exposure/);
  });

  it('says when flows joined a flux host but no exposure (past flows.limits.maxClientsPerAddress), in the summary and --stats-json', async () => {
    // One client remembered per remote address: the bypasser's flow to answerOf(3) (after the looker's) has no tally before the verdict.
    const one = join(dir, 'one-client.yaml');
    writeFileSync(one, 'flows:\n  limits: { maxClientsPerAddress: 1 }\n');
    const stats = join(dir, 'stats.json');
    const run = await fluxhound(['analyze', '-c', one, '--stats-json', stats, dnsLog, conn]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^ {2}flows in no exposure: 1 to or from flux hosts before the verdict, from clients past flows\.limits\.maxClientsPerAddress \(counted in the flow evidence\)$/m);
    expect(run.stderr).not.toMatch(/flows dropped/);
    expect(JSON.parse(readFileSync(stats, 'utf8'))).toMatchObject({ flowsLate: 0, flowsInvalid: 0, flowsUnattributed: 1 });
  });

  it('prints no flow lines for a DNS-only run', async () => {
    const run = await fluxhound(['analyze', dnsLog]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/^flows:/m);
    expect(run.stdout).not.toContain('EXPOSURES');
  });
});
