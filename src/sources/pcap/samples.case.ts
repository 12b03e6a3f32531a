/** DNS packets for the pcap tests: responses, queries, hostile frames. */
import dnsPacket from 'dns-packet';
import { LINKTYPE_ETHERNET } from './packet.js';
import { lengthPrefixed, linkFrame, ipPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, tcpFrame, udpFrame, type Endpoints } from '../../../test/support/pcap-synth.js';
import { PROTO_UDP } from './packet.js';
import { udpDatagram } from '../../../test/support/pcap-synth.js';

export const CLIENT = '192.0.2.10';
export const SERVER = '198.51.100.53';
export const CLIENT6 = '2001:db8::10';
export const SERVER6 = '2001:db8:53::53';
export const TO_SERVER: Endpoints = { src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 53 };
export const TO_CLIENT: Endpoints = { src: SERVER, dst: CLIENT, srcPort: 53, dstPort: 40000 };
export const TO_CLIENT6: Endpoints = { src: SERVER6, dst: CLIENT6, srcPort: 53, dstPort: 40001 };

/** A flux-like response: many A records, NS with glue. */
export function fluxResponse(id = 7, qname = 'www.flux.example'): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: qname }],
    answers: [
      { type: 'A', name: qname, ttl: 60, data: '203.0.113.1' },
      { type: 'A', name: qname, ttl: 60, data: '203.0.113.2' },
    ],
    authorities: [{ type: 'NS', name: 'flux.example', ttl: 300, data: 'ns1.flux.example' }],
    additionals: [{ type: 'A', name: 'ns1.flux.example', ttl: 300, data: '203.0.113.53' }],
  });
}

export function aaaaResponse(id = 8): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'AAAA', name: 'v6.example' }],
    answers: [{ type: 'AAAA', name: 'v6.example', ttl: 30, data: '2001:db8:0:0:0:0:0:1' }],
  });
}

export function query(id = 7, qname = 'www.flux.example'): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: qname }] });
}

/** The observation fluxResponse gives. */
export function fluxObservation(ts: number, client = CLIENT, qname = 'www.flux.example') {
  return {
    ts,
    qname,
    qtype: 'A',
    rcode: 'NOERROR',
    client,
    answers: [
      { name: qname, type: 'A', data: '203.0.113.1', ttl: 60 },
      { name: qname, type: 'A', data: '203.0.113.2', ttl: 60 },
    ],
    authority: [{ name: 'flux.example', type: 'NS', data: 'ns1.flux.example', ttl: 300 }],
    additional: [{ name: 'ns1.flux.example', type: 'A', data: '203.0.113.53', ttl: 300 }],
    count: 1,
    firstSeen: ts,
  };
}

/** A whole DNS exchange in one TCP segment that opens and closes its own stream. */
export function tcpAlone(e: Endpoints, message: Uint8Array, seq = 1000): Buffer {
  return tcpFrame(LINKTYPE_ETHERNET, e, seq, TCP_SYN | TCP_FIN | TCP_PSH | TCP_ACK, lengthPrefixed(message));
}

/** Response bytes with a compression pointer in the question name pointing at itself. */
export function loopResponse(): Buffer {
  const bytes = Buffer.from(fluxResponse());
  bytes[12] = 0xc0;
  bytes[13] = 12;
  return bytes;
}

export function ethernetUdp(e: Endpoints, message: Uint8Array): Buffer {
  return udpFrame(LINKTYPE_ETHERNET, e, message);
}

/** A DNS response in the first fragment of a fragmented IPv4 packet. */
export function firstFragment(): Buffer {
  return linkFrame(LINKTYPE_ETHERNET, ipPacket(SERVER, CLIENT, PROTO_UDP, udpDatagram(TO_CLIENT, fluxResponse()), { moreFragments: true }));
}
