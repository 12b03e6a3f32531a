/**
 * EVE DNS v1 (Suricata before 4.1 by default): one event per answer record
 * (`type: answer`, flat rrname/rrtype/ttl/rdata) and per authority record
 * (`type: authority`). The events of one response share flow, DNS id and
 * timestamp and are written one after another, so they are gathered back
 * into one observation. v1 answers do not repeat the question: it comes from
 * the matching query event when it was seen, else the first owner name and
 * the last record's type (the end of a CNAME chain) stand for it.
 */
import type { DnsObservation } from '../../model/observation.js';
import { emptyObservation } from '../../model/observation.js';
import type { JsonObject } from '../line-decoder.js';
import { stringField } from '../line-decoder.js';
import { plausibleName } from '../records.js';
import { rcodeName, rrType } from '../values.js';
import { eveRecord } from './sections.js';

/** Questions of recent query events, so that v1 answers can name theirs. Bounded: answers follow queries closely. */
const MAX_REMEMBERED_QUERIES = 4096;

interface Question {
  qname: string;
  qtype: string;
}

export class V1Responses {
  private readonly questions = new Map<string, Question>();
  private key: string | null = null;
  private pending: DnsObservation | null = null;
  /** Whether the pending observation's qtype came from a query event (else it follows its records). */
  private questionKnown = false;

  /** A query event: remember its question (v1 and v2 query events look alike; both are kept). */
  rememberQuery(event: JsonObject, dns: JsonObject): void {
    const qname = plausibleName(stringField(dns, 'rrname') ?? '');
    const qtype = rrType(dns['rrtype']);
    if (qname === null || qtype === null) return;
    const key = queryKey(event, dns);
    this.questions.delete(key);
    this.questions.set(key, { qname, qtype });
    if (this.questions.size > MAX_REMEMBERED_QUERIES) {
      const oldest = this.questions.keys().next();
      if (oldest.done !== true) this.questions.delete(oldest.value);
    }
  }

  /** The key that ties the events of one response together. */
  keyOf(event: JsonObject, dns: JsonObject): string {
    return `${queryKey(event, dns)}|${String(event['timestamp'])}`;
  }

  /** Whether an event with `key` belongs to the response being gathered. */
  continues(key: string): boolean {
    return this.pending !== null && key === this.key;
  }

  /** Add one v1 answer/authority event; a string is the reason to skip it. */
  add(event: JsonObject, dns: JsonObject, key: string, ts: number, client: string | null, section: 'answer' | 'authority'): string | null {
    const record = eveRecord(dns);
    if (typeof record === 'string') return record;
    if (!this.continues(key)) {
      const reason = this.start(event, dns, ts, client);
      if (reason !== null) return reason;
      this.key = key;
    }
    const pending = this.pending!;
    if (record === null) return null;
    if (section === 'authority') {
      pending.authority.push(record);
    } else {
      pending.answers.push(record);
      if (!this.questionKnown) pending.qtype = record.type;
    }
    return null;
  }

  /** The response being gathered, if any; the gatherer is empty afterwards. */
  take(): DnsObservation | null {
    const done = this.pending;
    this.pending = null;
    this.key = null;
    return done;
  }

  private start(event: JsonObject, dns: JsonObject, ts: number, client: string | null): string | null {
    const question = this.questions.get(queryKey(event, dns));
    const qname = question?.qname ?? plausibleName(stringField(dns, 'rrname') ?? '');
    if (qname === null) return 'no query name';
    const qtype = question?.qtype ?? rrType(dns['rrtype']);
    if (qtype === null) return 'no query type (v1 answer without its query event)';
    const observation = emptyObservation(ts, qname, qtype);
    observation.rcode = rcodeName(dns['rcode']);
    observation.client = client;
    this.pending = observation;
    this.questionKnown = question !== undefined;
    return null;
  }
}

function queryKey(event: JsonObject, dns: JsonObject): string {
  return `${String(event['flow_id'])}|${String(dns['id'])}`;
}

