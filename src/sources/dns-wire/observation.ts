/** The DnsObservation a decoded response gives. */
import type { DnsObservation } from '../../model/observation.js';
import type { DnsMessage } from './message.js';
import { rcodeName, typeName } from '../../dns/mnemonics.js';

/** The observation a response gives: its first question, rcode and sections; null for queries and messages without a question. */
export function observationOf(message: DnsMessage, ts: number, client: string | null): DnsObservation | null {
  if (!message.qr) return null;
  const question = message.questions[0];
  if (question === undefined) return null;
  return {
    ts,
    qname: question.name,
    qtype: typeName(question.type),
    rcode: rcodeName(message.rcode),
    client,
    answers: message.answers,
    authority: message.authority,
    additional: message.additional,
    count: 1,
    firstSeen: ts,
  };
}
