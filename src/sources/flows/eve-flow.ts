/**
 * Suricata eve.json `flow` (bidirectional: toserver + toclient) and `netflow`
 * (one direction per event) records to FlowRecords; other event types are
 * ignored, not skipped. Fields as in Suricata's etc/schema.json.
 */
import type { FlowRecord } from '../../model/flow.js';
import { isJsonObject, parseJsonObject, sniffJsonLines } from '../line-decoder.js';
import type { JsonObject } from '../line-decoder.js';
import { epochSeconds } from '../values.js';
import { parseFlowLines } from './frame.js';
import type { FlowLineParser, FlowLineResult, FlowParse } from './frame.js';
import { bad, flowAddress, flowCount, flowPort, flowProto, isIcmp } from './values.js';

class EveFlow implements FlowLineParser {
  constructor(private readonly file: string) {}

  line(text: string, position: string): FlowLineResult {
    if (text.trim().length === 0) return null;
    const value = parseJsonObject(text);
    if (typeof value === 'string') return value;
    return eveFlowEvent(value, this.file, position);
  }
}

/** True for the event types that are flows (the DNS eve reader hands these to eveFlowEvent). */
export function isEveFlowEvent(event: JsonObject): boolean {
  const type = event['event_type'];
  return type === 'flow' || type === 'netflow';
}

/**
 * One parsed eve event as a flow: a record, the reason it is skipped, or
 * null when it is not a flow or netflow event. Shared by this format's line
 * parser and the DNS eve decoder, which reads both kinds from one eve.json.
 */
export function eveFlowEvent(value: JsonObject, file: string, position: string): FlowLineResult {
  const type = value['event_type'];
  if (type !== 'flow' && type !== 'netflow') return null;
  const section = value[type];
  if (!isJsonObject(section)) return `no '${type}' object`;
  const start = epochSeconds(section['start']);
  if (start < 0) return bad(`${type}.start`, section['start']);
  const end = epochSeconds(section['end']);
  if (end < 0) return bad(`${type}.end`, section['end']);
  if (end < start) return `${type}.end before ${type}.start`;
  const src = flowAddress(value['src_ip']);
  if (src === null) return bad('src_ip', value['src_ip']);
  const dst = flowAddress(value['dest_ip']);
  if (dst === null) return bad('dest_ip', value['dest_ip']);
  const proto = flowProto(value['proto']);
  if (proto < 0) return bad('proto', value['proto']);
  let srcPort = 0;
  let dstPort = 0;
  if (isIcmp(proto)) {
    const icmpType = value['icmp_type'];
    const icmpCode = value['icmp_code'];
    if (typeof icmpType === 'number' && typeof icmpCode === 'number') {
      if (!(icmpType >= 0 && icmpType <= 255 && icmpCode >= 0 && icmpCode <= 255 && Number.isInteger(icmpType) && Number.isInteger(icmpCode))) {
        return bad('icmp_type/icmp_code', `${icmpType}/${icmpCode}`);
      }
      srcPort = icmpType * 256 + icmpCode;
    }
  } else if (value['src_port'] !== undefined || value['dest_port'] !== undefined) {
    srcPort = flowPort(value['src_port']);
    if (srcPort < 0) return bad('src_port', value['src_port']);
    dstPort = flowPort(value['dest_port']);
    if (dstPort < 0) return bad('dest_port', value['dest_port']);
  }
  const counts = type === 'flow'
    ? { bytes: both(section, 'bytes_toserver', 'bytes_toclient'), packets: both(section, 'pkts_toserver', 'pkts_toclient') }
    : { bytes: one(section, 'bytes'), packets: one(section, 'pkts') };
  if (typeof counts.bytes === 'string') return counts.bytes;
  if (typeof counts.packets === 'string') return counts.packets;
  const record: FlowRecord = {
    start, end, src, srcPort, dst, dstPort, proto, bytes: counts.bytes, packets: counts.packets,
    samplingRate: 1, exporter: file, position,
  };
  // A `flow` event is one record per flow with src_ip its client (bytes_toserver from it); `netflow` logs each direction apart.
  if (type === 'flow') record.initiator = 'src';
  return record;
}

/** Suricata writes counts as JSON integers (schema.json): a string here is damage, not a format. */
function one(section: Record<string, unknown>, key: string): number | string {
  const value = section[key];
  const n = typeof value === 'number' ? flowCount(value) : -1;
  return n < 0 ? bad(key, value) : n;
}

function both(section: Record<string, unknown>, a: string, b: string): number | string {
  const na = one(section, a);
  if (typeof na === 'string') return na;
  const nb = one(section, b);
  return typeof nb === 'string' ? nb : na + nb;
}

export function parseEveFlows(input: string | Buffer, file: string): FlowParse {
  return parseFlowLines(input, file, eveFlowParser(file));
}

/** eve.json whose first events include a flow or netflow one (dns-only eve stays with the DNS reader). */
export function sniffEveFlows(head: Buffer): boolean {
  return sniffJsonLines(head, (object) => {
    const type = object['event_type'];
    if (typeof type !== 'string') return false;
    return type === 'flow' || type === 'netflow' ? true : null;
  });
}

/** A fresh line parser for one input (it keeps that input's header state), for FlowLineDecoder. */
export function eveFlowParser(file: string): FlowLineParser {
  return new EveFlow(file);
}
