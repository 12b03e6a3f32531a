/**
 * Zeek dns.log written as JSON lines (LogAscii::use_json): the same fields as
 * the TSV log, unset ones left out, `ts` as epoch seconds or ISO 8601.
 */
import type { ResourceRecord } from '../../model/observation.js';
import type { ObservationSink } from '../source.js';
import { JsonLineDecoder, isJsonObject, stringField } from '../line-decoder.js';
import type { JsonObject } from '../line-decoder.js';
import { plausibleName } from '../records.js';
import { epochSeconds, rcodeName, shown, ttlOrInvalid, typeNameOf } from '../values.js';
import { zeekAdditional, zeekAnswer, zeekAuthority, zeekQueryType, zeekRcode } from './answers.js';

export class ZeekJsonDecoder extends JsonLineDecoder {
  constructor(file: string, sink: ObservationSink) {
    super('zeek-json', file, sink);
  }

  protected record(object: JsonObject, lineNumber: number): void {
    const ts = epochSeconds(object['ts']);
    if (ts < 0) return this.skip(lineNumber, `bad timestamp ${shown(object['ts'])}`);

    const query = stringField(object, 'query');
    if (query === undefined) return this.skip(lineNumber, 'no query name');
    const qname = query === '' ? '.' : plausibleName(query);
    if (qname === null) return this.skip(lineNumber, `bad query name ${shown(query)}`);

    const qtypeName = stringField(object, 'qtype_name');
    const qtype = qtypeName ? zeekQueryType(qtypeName) : numericName(object['qtype'], typeNameOf);
    if (qtype === null) return this.skip(lineNumber, 'no query type');

    const answers: ResourceRecord[] = [];
    const reason = readAnswers(object['answers'], object['TTLs'], qname, qtype, answers);
    if (reason !== null) return this.skip(lineNumber, reason);

    const rcode = stringField(object, 'rcode_name');
    const client = stringField(object, 'id.orig_h') ?? nestedClient(object['id']);
    this.sink.observe({
      ts,
      qname,
      qtype,
      rcode: rcode ? zeekRcode(rcode) : numericName(object['rcode'], rcodeName),
      client: client ?? null,
      answers,
      authority: readSet(object['auth'], qname, zeekAuthority),
      additional: readSet(object['addl'], qname, zeekAdditional),
      count: 1,
      firstSeen: ts,
    });
  }
}

/** Some shippers nest the connection id: `"id": {"orig_h": ...}`. */
function nestedClient(id: unknown): string | undefined {
  return isJsonObject(id) ? stringField(id, 'orig_h') : undefined;
}

function numericName(value: unknown, name: (code: number) => string | null): string | null {
  return typeof value === 'number' ? name(value) : null;
}

function readAnswers(answers: unknown, ttls: unknown, qname: string, qtype: string, out: ResourceRecord[]): string | null {
  if (answers === undefined && ttls === undefined) return null;
  if (answers !== undefined && !isStringArray(answers)) return `bad answers ${shown(answers)}`;
  if (ttls !== undefined && !Array.isArray(ttls)) return `bad TTLs ${shown(ttls)}`;
  const answerList = answers ?? [];
  const ttlList: unknown[] = ttls ?? [];
  if (answerList.length !== ttlList.length) {
    return `answers and TTLs differ in length (${answerList.length} vs ${ttlList.length})`;
  }
  for (let i = 0; i < answerList.length; i++) {
    const rawTtl = ttlList[i];
    const ttl = typeof rawTtl === 'number' ? ttlOrInvalid(rawTtl) : -1;
    if (ttl < 0) return `bad TTL ${shown(rawTtl)}`;
    const record = zeekAnswer(qname, qtype, answerList[i]!, ttl);
    if (record !== null) out.push(record);
  }
  return null;
}

function readSet(value: unknown, qname: string, toRecord: (owner: string, data: string) => ResourceRecord | null): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  if (!Array.isArray(value)) return out;
  for (const element of value) {
    if (typeof element !== 'string') continue;
    const record = toRecord(qname, element);
    if (record !== null) out.push(record);
  }
  return out;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((element) => typeof element === 'string');
}

/** A Zeek JSON log line: a `uid` and Zeek's `id.orig_h` connection field, and no Suricata `event_type`. */
export function looksLikeZeekJson(object: JsonObject): boolean {
  return (
    typeof object['uid'] === 'string' &&
    ('id.orig_h' in object || isJsonObject(object['id'])) &&
    !('event_type' in object) &&
    ('query' in object || 'trans_id' in object || 'qtype_name' in object || 'rcode_name' in object)
  );
}
