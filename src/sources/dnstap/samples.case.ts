/** Real-looking dnstap frames for the tests and the benchmark: DNS responses built with dns-packet, wrapped as dnstap. */
import dnsPacket from 'dns-packet';
import { addressBytes, encodeDnstap, type DnstapFields } from '../../../test/support/dnstap-encode.js';
import { MessageType } from './protobuf.js';

export const T0 = 1717613389; // 2024-06-05T18:49:49Z

export function response(qname: string, qtype: 'A' | 'AAAA' | 'NS', answers: dnsPacket.Answer[], extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: qtype, name: qname, class: 'IN' }],
    answers,
    ...extra,
  });
}

export function query(qname: string): Buffer {
  return dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: qname, class: 'IN' }] });
}

/** A CLIENT_RESPONSE as Unbound sends it: the client's address and port, both times, query and response. */
export function clientResponse(message: Uint8Array, client = '192.0.2.10', overrides: Partial<DnstapFields> = {}): Buffer {
  return encodeDnstap({
    identity: 'resolver1',
    version: 'unbound 1.17.1',
    type: MessageType.CLIENT_RESPONSE,
    socketFamily: client.includes(':') ? 2 : 1,
    socketProtocol: 1,
    queryAddress: addressBytes(client),
    responseAddress: addressBytes(client.includes(':') ? '::1' : '127.0.0.1'),
    queryPort: 40000,
    responsePort: 53,
    queryTimeSec: T0,
    queryTimeNsec: 1000,
    responseTimeSec: T0,
    responseTimeNsec: 500_000_000,
    responseMessage: message,
    ...overrides,
  });
}

/** Answers of a flux-like name: `n` A records, TTL 60. */
export function fluxAnswers(name: string, addresses: readonly string[], ttl = 60): dnsPacket.Answer[] {
  return addresses.map((data) => ({ type: 'A' as const, name, ttl, data }));
}
