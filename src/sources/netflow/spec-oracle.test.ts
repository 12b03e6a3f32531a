// Every context of logstash-codec-netflow's own spec (netflow_spec.rb @ a4e9621,
// copied beside the datagrams) run against this decoder: the spec is read as
// data — its datagram files in order, its expected event count, and the JSON
// events it compares field by field — so no expected value is retyped here.
// One TemplateCache per context, as the codec's spec has one codec per context
// (a sweep of all files through one cache would mix vendors' template ids).
//
// What is compared, per expected event that is a flow (has a source and a
// destination address): some decoded flow with the same addresses and ports
// has the same protocol, one of the byte and packet counters the event holds
// (in_bytes, octetDeltaCount, in_permanent_bytes, ...; a flow keeps one) and
// the same first/last times. Events without addresses are options records
// (sampling, interface names, exporter statistics): counted, not flows.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { FlowRecord } from '../../model/flow.js';
import { decodeDatagram, TemplateCache } from './index.js';

const dir = new URL('../../../test/fixtures/flows/', import.meta.url);
const spec = readFileSync(new URL('logstash-codec-netflow_spec.rb', dir), 'utf8');

interface SpecContext {
  name: string;
  files: string[];
  /** decode.size the spec expects, when it says. */
  size: number | null;
  /** [index in the codec's events, expected event's netflow fields]. */
  expected: [number, Record<string, unknown>][];
}

function contexts(): SpecContext[] {
  return spec.split(/\n\s*context "/).slice(1).map((body) => {
    // Ruby interpolations ("…:52.194#{micros}Z") are the spec's sub-millisecond digits: dropped, milliseconds kept.
    const events = [...body.matchAll(/<<-END\n([\s\S]*?)\n\s*END/g)].map((m) => (JSON.parse(m[1]!.replace(/#\{\w+\}/g, '')) as { netflow: Record<string, unknown> }).netflow);
    const pairs = [...body.matchAll(/decode\[(\d+)\]\.to_json\)\)\.to eq\(JSON\.parse\(json_events\[(\d+)\]\)\)/g)];
    const size = /decode\.size\)\.to eq\((\d+)\)/.exec(body)?.[1];
    return {
      name: body.slice(0, body.indexOf('"')).trim(),
      files: [...body.matchAll(/IO\.read\(File\.join\(File\.dirname\(__FILE__\), "([^"]+)"\)/g)].map((m) => m[1]!),
      size: size === undefined ? null : Number(size),
      expected: pairs.map((m): [number, Record<string, unknown>] => [Number(m[1]), events[Number(m[2])]!]),
    };
  });
}

const first = (n: Record<string, unknown>, keys: readonly string[]): unknown => keys.map((k) => n[k]).find((v) => v !== undefined);
const all = (n: Record<string, unknown>, keys: readonly string[]): unknown[] => keys.map((k) => n[k]).filter((v) => v !== undefined);

const SRC = ['ipv4_src_addr', 'ipv6_src_addr', 'sourceIPv4Address', 'sourceIPv6Address'];
const DST = ['ipv4_dst_addr', 'ipv6_dst_addr', 'destinationIPv4Address', 'destinationIPv6Address'];
const BYTES = ['in_bytes', 'octetDeltaCount', 'in_permanent_bytes', 'octetTotalCount', 'fwd_flow_delta_bytes', 'initiatorOctets', 'out_bytes', 'postOctetDeltaCount'];
const PACKETS = ['in_pkts', 'packetDeltaCount', 'in_permanent_pkts', 'packetTotalCount', 'initiatorPackets', 'out_pkts', 'postPacketDeltaCount'];
const START = ['first_switched', 'flowStartMilliseconds', 'flowStartSeconds', 'flowStartMicroseconds', 'flow_start_msec'];
const END = ['last_switched', 'flowEndMilliseconds', 'flowEndSeconds', 'flowEndMicroseconds', 'flow_end_msec'];

function seconds(value: unknown): number | null {
  if (typeof value === 'string') return Date.parse(value) / 1000;
  return null;
}

/**
 * The codec places a sysUptime-relative time (v5/v9 first/last_switched) as
 * export seconds minus the uptime difference, then takes its microseconds as
 * `unix_nsecs/1000 - diff%1000*1000` (v5) or `1,000,000 - diff%1000*1000`
 * (v9) without taking the borrowed second off: whenever the difference is not
 * whole seconds its time is one second late. Ours is then exactly 1 s earlier.
 * Absolute times (IPFIX, v9 IE 150-153) have no such step and must agree.
 */
function sameTime(ours: number, oracle: number, uptimeRelative: boolean): boolean {
  if (Math.abs(ours - oracle) < 0.0015) return true;
  if (!uptimeRelative) return false;
  if (Math.abs(ours - (oracle - 1)) < 0.0015) return true;
  // softflowd reports a flow that began 1 ms before its header's uptime as first_switched 0xffffffff; the codec
  // reads the difference unsigned and puts it 2^32 ms (49.7 days) later. We read it signed: 1 ms earlier.
  return Math.abs(ours - (oracle - 2 ** 32 / 1000)) < 1.0015;
}

function matches(f: FlowRecord, n: Record<string, unknown>): string | null {
  const proto = first(n, ['protocol', 'protocolIdentifier']);
  if (proto !== undefined && f.proto !== proto) return `protocol ${f.proto} ≠ ${String(proto)}`;
  const bytes = all(n, BYTES);
  if (bytes.length > 0 && !bytes.includes(f.bytes)) return `bytes ${f.bytes} ∉ ${bytes.join('/')}`;
  const packets = all(n, PACKETS);
  if (packets.length > 0 && !packets.includes(f.packets)) return `packets ${f.packets} ∉ ${packets.join('/')}`;
  const uptimeRelative = n.first_switched !== undefined || n.last_switched !== undefined;
  const start = seconds(first(n, START));
  if (start !== null && !sameTime(f.start, start, uptimeRelative)) return `start ${f.start} ≠ ${start}`;
  const end = seconds(first(n, END));
  if (end !== null && !sameTime(f.end, end, uptimeRelative)) return `end ${f.end} ≠ ${end}`;
  return null;
}

/** Where the decoder and the codec count differently, and why. */
const COUNT_DIFFERS: Record<string, { flows: number; why: string }> = {
  // Wireless client statistics: staIPv4Address and MACs, no source/destination pair. The codec emits each
  // record as an event; a flow needs two ends, so each is one skip ('no source or destination address').
  'Netflow 9 Cisco WLC': { flows: 0, why: 'records without a source/destination pair' },
};

describe('oracle: every context of logstash-codec-netflow netflow_spec.rb', () => {
  const all = contexts();

  test('the spec is read whole: its contexts, datagram files and compared events', () => {
    expect(all.length).toBeGreaterThanOrEqual(50);
    // 88 of the 92 datagrams: ixia_tpldata271, asr9k opttpl257/opttpl334 and tpl266 are in no context.
    expect(new Set(all.flatMap((c) => c.files)).size).toBe(88);
    expect(all.reduce((n, c) => n + c.expected.length, 0)).toBe(57);
  });

  for (const context of all) {
    test(`${context.name} (${context.files.length} datagram${context.files.length === 1 ? '' : 's'})`, () => {
      const cache = new TemplateCache();
      const flows: FlowRecord[] = [];
      let options = 0;
      for (const file of context.files) {
        const r = decodeDatagram(readFileSync(new URL(file, dir)), { exporter: '192.0.2.1:2055', cache, position: file, now: 0 });
        flows.push(...r.flows);
        options += r.counts.optionsRecords;
      }
      // The codec emits one event per flow and per options record.
      const differs = COUNT_DIFFERS[context.name];
      if (differs !== undefined) expect(flows.length).toBe(differs.flows);
      else if (context.size !== null) expect(flows.length + options, 'flows + options records = decode.size').toBe(context.size);
      for (const [index, event] of context.expected) {
        const src = first(event, SRC);
        const dst = first(event, DST);
        if (src === undefined || dst === undefined) {
          if (differs === undefined) expect(options, `event ${index} is options data`).toBeGreaterThan(0);
          continue;
        }
        const srcPort = first(event, ['l4_src_port', 'sourceTransportPort']);
        const dstPort = first(event, ['l4_dst_port', 'destinationTransportPort']);
        const candidates = flows.filter((f) => f.src === src && f.dst === dst && (srcPort === undefined || f.srcPort === srcPort) && (dstPort === undefined || f.dstPort === dstPort));
        expect(candidates.length, `event ${index}: a flow ${String(src)} → ${String(dst)}`).toBeGreaterThan(0);
        const problems = candidates.map((f) => matches(f, event));
        expect(problems.includes(null), `event ${index}: ${problems.join('; ')}`).toBe(true);
      }
    });
  }
});
