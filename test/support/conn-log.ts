/**
 * Zeek conn.log (TSV, Zeek 6's columns) and Suricata eve flow events written
 * by tests: one finished TCP connection per row, from a client to a server.
 */
import { HEADER as DNS_HEADER } from './zeek-log.js';

export interface Connection {
  /** Epoch seconds of the first packet. */
  ts: number;
  client: string;
  server: string;
  port: number;
  /** Bytes each way (payload); packets follow from them. */
  sent?: number;
  received?: number;
}

const CONN_HEADER = [
  ...DNS_HEADER.slice(0, 4),
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
];

export function connLog(connections: readonly Connection[]): string {
  const rows = connections.map((c, i) => {
    const sent = c.sent ?? 700;
    const received = c.received ?? 20_000;
    const origPkts = 3 + Math.ceil(sent / 1400);
    const respPkts = 2 + Math.ceil(received / 1400);
    return [c.ts.toFixed(6), `CT${i}`, c.client, String(40_000 + i), c.server, String(c.port), 'tcp', '-', '2.000000', String(sent), String(received), 'SF', '-', '-', '0', 'ShADadFf', String(origPkts), String(sent + origPkts * 52), String(respPkts), String(received + respPkts * 52), '(empty)'].join('\t');
  });
  return [...CONN_HEADER, ...rows].join('\n') + '\n';
}

function iso(ts: number): string {
  return new Date(ts * 1000).toISOString().replace('Z', '000+0000');
}

/** The same connections as Suricata eve `flow` events (both directions in one event). */
export function eveFlows(connections: readonly Connection[]): string[] {
  return connections.map((c, i) =>
    JSON.stringify({
      timestamp: iso(c.ts + 2),
      flow_id: 9000 + i,
      event_type: 'flow',
      src_ip: c.client,
      src_port: 40_000 + i,
      dest_ip: c.server,
      dest_port: c.port,
      proto: 'TCP',
      flow: {
        pkts_toserver: 3 + Math.ceil((c.sent ?? 700) / 1400),
        pkts_toclient: 2 + Math.ceil((c.received ?? 20_000) / 1400),
        bytes_toserver: c.sent ?? 700,
        bytes_toclient: c.received ?? 20_000,
        start: iso(c.ts),
        end: iso(c.ts + 2),
        age: 2,
        state: 'closed',
        reason: 'timeout',
        alerted: false,
      },
    }),
  );
}

/** A Suricata eve v2 DNS answer event: `client` asked `name` and got `addresses` (TTL 60). */
export function eveDnsAnswer(ts: number, client: string, name: string, addresses: readonly string[], id: number): string {
  return JSON.stringify({
    timestamp: iso(ts),
    flow_id: id,
    event_type: 'dns',
    src_ip: client,
    src_port: 50_000 + (id % 10_000),
    dest_ip: '10.0.0.53',
    dest_port: 53,
    proto: 'UDP',
    dns: {
      version: 2,
      type: 'answer',
      id,
      flags: '8180',
      qr: true,
      rd: true,
      ra: true,
      rrname: name,
      rrtype: 'A',
      rcode: 'NOERROR',
      answers: addresses.map((a) => ({ rrname: name, rrtype: 'A', ttl: 60, rdata: a })),
    },
  });
}
