/**
 * Suricata eve.json `dns` events, in the three layouts Suricata has written:
 * v1 (one event per record, see v1.ts), v2 (`type: answer` with `answers`
 * and/or `grouped`) and v3 (`type: response` with `queries`, `answers`,
 * `authorities`, `additionals`). `flow` and `netflow` events of the same
 * file go to `sink.flow` when the sink takes flows (one eve.json feeds both
 * DNS and flow analysis: ../flows/eve-flow.ts reads them), and are passed
 * over otherwise; other event types (alert, http, ...) are passed over silently. Query/request events produce no
 * observation: the response event of the same transaction carries the
 * question too, and counting both would count every lookup twice.
 */
import type { ResourceRecord } from '../../model/observation.js';
import type { ObservationSink } from '../source.js';
import { JsonLineDecoder, isJsonObject, stringField } from '../line-decoder.js';
import type { JsonObject } from '../line-decoder.js';
import { plausibleName } from '../records.js';
import { epochSeconds, rcodeName, rrType, shown } from '../values.js';
import { readGrouped, readSection } from './sections.js';
import { V1Responses } from './v1.js';
import { eveFlowEvent, isEveFlowEvent } from '../flows/eve-flow.js';
import { flowTimeProblem } from '../flows/decoder.js';

export class EveDecoder extends JsonLineDecoder {
  private readonly v1 = new V1Responses();

  constructor(file: string, sink: ObservationSink) {
    super('eve', file, sink);
  }

  protected record(event: JsonObject, lineNumber: number): void {
    if (event['event_type'] !== 'dns') {
      if (this.sink.flow !== undefined && isEveFlowEvent(event)) this.flow(event, lineNumber);
      return;
    }
    const dns = event['dns'];
    if (!isJsonObject(dns)) return this.skip(lineNumber, 'dns event without a dns object');
    const type = dns['type'];
    if (type === 'query' || type === 'request') {
      if (dns['version'] === undefined) this.v1.rememberQuery(event, dns);
      return;
    }
    const ts = epochSeconds(event['timestamp']);
    if (ts < 0) return this.skip(lineNumber, `bad timestamp ${shown(event['timestamp'])}`);
    if (type === 'response' || (type === 'answer' && !isV1(dns))) return this.response(event, dns, ts, lineNumber);
    if (type === 'answer' || type === 'authority') return this.v1Record(event, dns, ts, lineNumber, type);
    this.skip(lineNumber, `unknown dns event type ${shown(type)}`);
  }

  private flow(event: JsonObject, lineNumber: number): void {
    const result = eveFlowEvent(event, this.file, `${this.file}:${lineNumber}`);
    if (result === null) return;
    if (typeof result === 'string') return this.skip(lineNumber, result, true);
    const problem = flowTimeProblem(result);
    if (problem !== null) return this.skip(lineNumber, problem, true);
    this.sink.flow?.(result);
  }

  protected override finish(): void {
    this.flushV1();
  }

  /** A v2 answer or v3 response event: one transaction, one observation. */
  private response(event: JsonObject, dns: JsonObject, ts: number, lineNumber: number): void {
    this.flushV1();
    const question = firstQuestion(dns);
    const rrname = stringField(question, 'rrname');
    if (rrname === undefined) return this.skip(lineNumber, 'no query name');
    const qname = plausibleName(rrname);
    if (qname === null) return this.skip(lineNumber, `bad query name ${shown(rrname)}`);
    const qtype = rrType(question['rrtype']);
    if (qtype === null) return this.skip(lineNumber, `bad query type ${shown(question['rrtype'])}`);

    const answers: ResourceRecord[] = [];
    const authority: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    const reason =
      readSection(dns['answers'], answers) ?? readSection(dns['authorities'], authority) ?? readSection(dns['additionals'], additional);
    if (reason !== null) return this.skip(lineNumber, reason);
    // Suricata logs `grouped` instead of, or next to, the detailed answers; the detailed ones carry TTLs.
    const grouped = dns['grouped'];
    if (dns['answers'] === undefined && isJsonObject(grouped)) readGrouped(grouped, qname, answers);

    this.sink.observe({
      ts,
      qname,
      qtype,
      rcode: rcodeName(dns['rcode']),
      client: clientOf(event, dns['type'] === 'response'),
      answers,
      authority,
      additional,
      count: 1,
      firstSeen: ts,
    });
  }

  private v1Record(event: JsonObject, dns: JsonObject, ts: number, lineNumber: number, section: 'answer' | 'authority'): void {
    const key = this.v1.keyOf(event, dns);
    if (!this.v1.continues(key)) this.flushV1();
    const reason = this.v1.add(event, dns, key, ts, clientOf(event, false), section);
    if (reason !== null) this.skip(lineNumber, reason);
  }

  private flushV1(): void {
    const observation = this.v1.take();
    if (observation !== null) this.sink.observe(observation);
  }
}

/** v1 events have no version and carry their record flat, not in `answers`/`grouped`. */
function isV1(dns: JsonObject): boolean {
  return (dns['version'] === undefined || dns['version'] === 1) && dns['answers'] === undefined && dns['grouped'] === undefined;
}

/** v3 puts the question in `queries[0]` (v2 queries had `query[0]`); v2 answers carry it flat. */
function firstQuestion(dns: JsonObject): JsonObject {
  for (const key of ['queries', 'query']) {
    const list = dns[key];
    if (Array.isArray(list) && isJsonObject(list[0])) return list[0];
  }
  return dns;
}

/**
 * The asking side. The port-53 side is the server; when ports don't tell,
 * v3 responses are logged in the response's direction (client = dest) and
 * older answers in the flow's (client = src).
 */
function clientOf(event: JsonObject, responseDirection: boolean): string | null {
  const src = stringField(event, 'src_ip') ?? null;
  const dest = stringField(event, 'dest_ip') ?? null;
  const srcPort = event['src_port'];
  const destPort = event['dest_port'];
  if (srcPort === 53 && destPort !== 53) return dest;
  if (destPort === 53 && srcPort !== 53) return src;
  return responseDirection ? dest : src;
}

/** An EVE log: `event_type` and `timestamp` on every event. */
export function looksLikeEve(object: JsonObject): boolean {
  return typeof object['event_type'] === 'string' && typeof object['timestamp'] === 'string';
}
