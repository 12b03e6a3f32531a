/**
 * A capture read by analyze() keeps the DNS memory for DNS bypass only when
 * it holds flows: its NetFlow export datagrams are found by a scan of the
 * packet headers before the capture is read (sources/input.ts holdsFlows).
 * With export traffic in it, bypass is proven exactly as from separate logs;
 * without, nothing is remembered for flows that will never come.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeSummary } from '../src/analyze.js';
import { defaultConfig } from '../src/config/schema.js';
import type { Exposure } from '../src/model/flow.js';
import type { Verdict } from '../src/model/verdict.js';
import { LINKTYPE_ETHERNET } from '../src/sources/pcap/packet.js';
import { octetEnricher } from './helpers/octet-enricher.js';
import type { Connection } from './support/conn-log.js';
import { netflowV5File } from './support/netflow-v5.js';
import { pcapFile, udpFrame, type Frame } from './support/pcap-synth.js';
import { botAddresses } from './support/zeek-log.js';

const T0 = 1743638400;
const FLUX = 'www.flux-shop.com';
const LOOKER = '10.1.0.8';
const BYPASSER = '10.1.0.99';
const RESOLVER = '10.0.0.53';
const bots = botAddresses();
/** The answers of lookup k: 5 bots, rotating. */
const answersOf = (k: number): string[] => [0, 1, 2, 3, 4].map((j) => bots[(k * 5 + j) % bots.length]!);

const connections: Connection[] = [
  // The client that looked the name up connects to what it was told, a second later.
  ...Array.from({ length: 12 }, (_, k) => ({ ts: T0 + k * 300 + 1, client: LOOKER, server: answersOf(k)[0]!, port: 443 })),
  // Another client reaches a flux host without ever asking the resolver: DNS bypass.
  { ts: T0 + 1000, client: BYPASSER, server: answersOf(3)[0]!, port: 80, received: 5000 },
];

function lookups(): Frame[] {
  return Array.from({ length: 12 }, (_, k) => {
    const message = dnsPacket.encode({
      type: 'response', id: 100 + k, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'A', name: FLUX }],
      answers: answersOf(k).map((data) => ({ type: 'A' as const, name: FLUX, ttl: 60, data })),
    });
    return { ts: T0 + k * 300, bytes: udpFrame(LINKTYPE_ETHERNET, { src: RESOLVER, dst: LOOKER, srcPort: 53, dstPort: 40_000 + k }, message) };
  });
}

/** The connections as the router exported them (NetFlow v5 to a collector), captured on the same link after the DNS. */
function exports(): Frame[] {
  const datagram = netflowV5File(connections);
  const exporter = { src: '192.0.2.1', dst: '198.51.100.9', srcPort: 50000, dstPort: 2055 };
  return [{ ts: T0 + 12 * 300 + 60, bytes: udpFrame(LINKTYPE_ETHERNET, exporter, datagram) }];
}

interface Run {
  summary: AnalyzeSummary;
  verdicts: Verdict[];
  exposures: Exposure[];
}

async function run(capture: string): Promise<Run> {
  const verdicts: Verdict[] = [];
  const exposures: Exposure[] = [];
  const summary = await analyze({
    files: [capture], format: 'auto', config: defaultConfig(), enricher: octetEnricher, infra: null, baseline: null, all: false,
    sinks: [{ name: 'collect', verdict: (v) => verdicts.push(v), exposure: (e) => exposures.push(e), close: async () => {} }],
  });
  return { summary, verdicts, exposures };
}

let dir = '';
let withFlows: Run;
let dnsOnly: Run;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-flows-pcap-'));
  const both = join(dir, 'dns-and-netflow.pcap');
  const alone = join(dir, 'dns.pcap');
  writeFileSync(both, pcapFile([...lookups(), ...exports()]));
  writeFileSync(alone, pcapFile(lookups()));
  [withFlows, dnsOnly] = await Promise.all([run(both), run(alone)]);
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('analyze of a capture: the DNS memory for flows only when the capture holds flows', () => {
  it('proves DNS bypass from the NetFlow export traffic of the same capture', () => {
    expect(withFlows.summary.flows.records).toBe(connections.length);
    expect(withFlows.verdicts.find((v) => v.domain === FLUX)?.verdict).toBe('fast-flux');
    const bypasser = withFlows.exposures.find((e) => e.client === BYPASSER);
    expect(bypasser).toMatchObject({ domain: FLUX, address: answersOf(3)[0], bypass: true, direction: 'outbound', flows: 1 });
    expect(withFlows.exposures.find((e) => e.client === LOOKER && e.direction === 'outbound')).toMatchObject({ bypass: false, flows: 12 });
    expect(withFlows.summary.flows).toMatchObject({ bypass: 1, bypassUnknown: 0 });
    // What proved the looker's lookups: its name and the addresses it received.
    expect(withFlows.summary.bypassMemory).toEqual({ lookups: 1, receipts: 5 * 12 });
  });

  it('holds no lookup memory for a capture of DNS alone, and still flags the name (without flow evidence)', () => {
    expect(dnsOnly.summary.flows.records).toBe(0);
    expect(dnsOnly.summary.bypassMemory).toEqual({ lookups: 0, receipts: 0 });
    const flux = dnsOnly.verdicts.find((v) => v.domain === FLUX);
    expect(flux?.verdict).toBe('fast-flux');
    expect(flux?.flows).toBeUndefined();
    expect(withFlows.verdicts.find((v) => v.domain === FLUX)?.flows).toMatchObject({ clients: 2 });
  });
});
