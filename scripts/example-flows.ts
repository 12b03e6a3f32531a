/**
 * The bundled example's flow data: a Zeek conn.log (TSV) of the same four
 * hours and the same clients as examples/example.dns.log, derived from that
 * log so its addresses are the ones the names really answered with. Written
 * by `npm run example` after the DNS log; byte-identical for the same DNS log
 * (test/example-flows.test.ts checks the bundled file against a fresh one).
 *
 * What is in it (examples/README.md tells the same story):
 * - browsing: after a lookup that answered an IPv4 address, the asking client
 *   connects to the first one within 0.2-3 s (every flux lookup, one benign
 *   lookup in three), TCP 443 (flux names: 80);
 * - DNS bypass: BYPASS_HOST never asks the monitored resolver, yet connects to
 *   the answers of three flux lookups made by others (hard-coded resolver,
 *   DoH, or an address handed over by the malware);
 * - inbound: two flux hosts connect into INBOUND_HOST on 445 (bots calling in);
 * - fan-out: P2P_HOST contacts P2P_PEERS distinct flux hosts within a few
 *   minutes without any lookup (a peer-to-peer bot walking its peer list,
 *   freshest peers first).
 */
import { Prng } from '../src/corpus/prng.js';
import { zeekHeaderTime, zeekSeconds } from '../src/corpus/writers/zeek-time.js';
import type { DnsObservation } from '../src/model/observation.js';
import { ZeekTsvDecoder } from '../src/sources/zeek/tsv.js';

export const EXAMPLE_CONN_LOG = 'example.conn.log';
export const EXAMPLE_FLOWS_SEED = 20250403;
export const BYPASS_HOST = '10.1.0.200';
export const INBOUND_HOST = '10.1.0.5';
export const P2P_HOST = '10.1.0.77';
export const P2P_PEERS = 250;

interface Connection {
  ts: number;
  client: string;
  clientPort: number;
  server: string;
  port: number;
  duration: number;
  sent: number;
  received: number;
  service: string;
}

interface Lookup {
  ts: number;
  client: string;
  name: string;
  address: string;
}

/** The conn.log text for a Zeek dns.log and its labels csv (name,registered_domain,class,flux,network). */
export function exampleConnLog(dnsLog: Buffer, labelsCsv: string): string {
  const flux = fluxNames(labelsCsv);
  const lookups = lookupsOf(dnsLog);
  const rng = new Prng(EXAMPLE_FLOWS_SEED);
  const connections: Connection[] = [];
  const web = (ts: number, client: string, server: string, port: number): Connection => ({
    ts,
    client,
    clientPort: rng.range(32768, 60999),
    server,
    port,
    duration: 0.05 + rng.int(30_000) / 1000,
    sent: rng.range(300, 4000),
    received: rng.range(2000, 900_000),
    service: port === 443 ? 'ssl' : 'http',
  });

  const fluxLookups = lookups.filter((l) => flux.has(l.name));
  for (const l of lookups) {
    const isFlux = flux.has(l.name);
    if (!isFlux && !rng.chance(1 / 3)) continue;
    connections.push(web(l.ts + 0.2 + rng.int(2800) / 1000, l.client, l.address, isFlux ? 80 : 443));
  }
  // DNS bypass: the answers of three flux lookups spread over the log, used by a host that asked nothing.
  for (const k of [1, 2, 3]) {
    const l = fluxLookups[Math.floor((fluxLookups.length * k) / 4)]!;
    connections.push(web(l.ts + 30 + rng.int(30_000) / 1000, BYPASS_HOST, l.address, 80));
  }
  // Inbound: flux hosts calling into one of ours.
  for (const k of [0, 1]) {
    const l = fluxLookups[Math.floor((fluxLookups.length * (k + 1)) / 3)]!;
    connections.push({ ...web(l.ts + 60, l.address, INBOUND_HOST, 445), service: '' });
  }
  // Fan-out: a P2P bot contacting many distinct flux hosts in a few minutes, those answered nearest the sweep first
  // (its peer list is fresh: the ones still in rotation are flux hosts at that moment).
  const sweep = lookups[Math.floor(lookups.length * 0.75)]!.ts;
  const nearest = [...fluxLookups].sort((a, b) => Math.abs(a.ts - sweep) - Math.abs(b.ts - sweep) || a.ts - b.ts);
  const peers = [...new Set(nearest.map((l) => l.address))].slice(0, P2P_PEERS);
  peers.forEach((peer, i) => {
    connections.push({ ...web(sweep + i * 0.9, P2P_HOST, peer, 16_471), sent: rng.range(60, 400), received: rng.range(0, 900), service: '' });
  });

  connections.sort((a, b) => a.ts - b.ts || (a.client < b.client ? -1 : a.client > b.client ? 1 : 0));
  const first = lookups[0]?.ts ?? 0;
  const last = connections.at(-1)?.ts ?? first;
  return [...header(first), ...connections.map((c, i) => line(c, i)), `#close\t${zeekHeaderTime(last + 60)}`].join('\n') + '\n';
}

/** Names the labels mark as flux (single or double). */
function fluxNames(labelsCsv: string): Set<string> {
  const names = new Set<string>();
  for (const row of labelsCsv.split('\n').slice(1)) {
    const [name, , klass] = row.split(',');
    if (name !== undefined && klass !== undefined && klass.startsWith('flux-')) names.add(name);
  }
  return names;
}

/** Every lookup that answered an IPv4 address, with the first such address (the one a client connects to). */
function lookupsOf(dnsLog: Buffer): Lookup[] {
  const lookups: Lookup[] = [];
  const decoder = new ZeekTsvDecoder('example.dns.log', {
    observe(o: DnsObservation) {
      const a = o.answers.find((r) => r.type === 'A');
      if (a !== undefined && o.client !== null) lookups.push({ ts: o.ts, client: o.client, name: o.qname, address: a.data });
    },
    skip(s) {
      throw new Error(`example-flows: ${s.position.file}:${s.position.line}: ${s.reason}`);
    },
  });
  decoder.push(dnsLog);
  decoder.end();
  return lookups;
}

function header(start: number): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekHeaderTime(start)}`,
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
  ];
}

/** One conn.log row: a finished TCP connection; packets and IP bytes as Zeek counts them (about 1,400 payload bytes a packet, 52 bytes of headers). */
function line(c: Connection, i: number): string {
  const origPkts = 3 + Math.ceil(c.sent / 1400);
  const respPkts = 2 + Math.ceil(c.received / 1400);
  const local = (a: string): string => (a.startsWith('10.') ? 'T' : 'F');
  return [
    zeekSeconds(c.ts),
    `CX${i.toString(36).padStart(5, '0')}`,
    c.client,
    String(c.clientPort),
    c.server,
    String(c.port),
    'tcp',
    c.service === '' ? '-' : c.service,
    zeekSeconds(c.duration),
    String(c.sent),
    String(c.received),
    'SF',
    local(c.client),
    local(c.server),
    '0',
    'ShADadFf',
    String(origPkts),
    String(c.sent + origPkts * 52),
    String(respPkts),
    String(c.received + respPkts * 52),
    '(empty)',
  ].join('\t');
}
