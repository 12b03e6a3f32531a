/**
 * A second, different response to one query in a capture (on-path injection):
 * the later response is marked `conflict` and counted; duplicates, other
 * queries, late responses and TTL-0 pairs are not.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { PcapDecoder } from './decoder.js';
import { pcapFile, type Endpoints, type Frame } from '../../../test/support/pcap-synth.js';
import { ethernetUdp, query, TO_CLIENT, TO_SERVER } from './samples.case.js';
import type { DnsObservation, SkippedRecord } from '../../model/observation.js';
import { MAX_QUERIES, WINDOW } from '../dns-wire/conflicts.js';

const T0 = 1700000000;

function answer(address: string, options: { id?: number; qname?: string; ttl?: number } = {}): Buffer {
  const qname = options.qname ?? 'www.news.example';
  return dnsPacket.encode({
    type: 'response',
    id: options.id ?? 7,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: qname }],
    answers: [{ type: 'A', name: qname, ttl: options.ttl ?? 300, data: address }],
  });
}

function read(records: Array<[number, Uint8Array]>) {
  const observations: DnsObservation[] = [];
  const skipped: SkippedRecord[] = [];
  const decoder = new PcapDecoder('capture.pcap', { observe: (o) => observations.push({ ...o }), skip: (s) => skipped.push(s) });
  const frames: Frame[] = records.map(([dt, bytes]) => ({ ts: T0 + dt, bytes }));
  decoder.push(pcapFile(frames));
  decoder.end();
  return { observations: observations.filter((o) => o.rcode !== null), skipped, conflicts: decoder.responses.conflicts };
}

const otherPort: Endpoints = { ...TO_CLIENT, dstPort: 40002 };

describe('pcap: two different responses to one query', () => {
  it('marks the second response (an injector racing the real server) and counts it', () => {
    const { observations, conflicts, skipped } = read([
      [0, ethernetUdp(TO_SERVER, query(7, 'www.news.example'))],
      [0.01, ethernetUdp(TO_CLIENT, answer('31.13.72.36'))],
      [0.09, ethernetUdp(TO_CLIENT, answer('93.184.216.34'))],
    ]);
    expect(skipped).toEqual([]);
    expect(observations.map((o) => [o.answers[0]!.data, o.conflict])).toEqual([
      ['31.13.72.36', undefined],
      ['93.184.216.34', true],
    ]);
    expect(conflicts).toBe(1);
  });

  it('does not mark a duplicate, another id or port, a response after the window, or two TTL-0 answers', () => {
    const { observations, conflicts } = read([
      [0, ethernetUdp(TO_CLIENT, answer('93.184.216.34'))],
      [0.5, ethernetUdp(TO_CLIENT, answer('93.184.216.34', { ttl: 299 }))],
      [1, ethernetUdp(TO_CLIENT, answer('10.1.1.1', { id: 8 }))],
      [1, ethernetUdp(otherPort, answer('10.1.1.2'))],
      [1, ethernetUdp(TO_CLIENT, answer('10.1.1.3', { qname: 'other.example' }))],
      [WINDOW + 1, ethernetUdp(TO_CLIENT, answer('10.1.1.4'))],
      [20, ethernetUdp(TO_CLIENT, answer('10.2.0.1', { id: 9, ttl: 0 }))],
      [20.2, ethernetUdp(TO_CLIENT, answer('10.2.0.2', { id: 9, ttl: 0 }))],
    ]);
    expect(observations).toHaveLength(8);
    expect(observations.filter((o) => o.conflict === true)).toEqual([]);
    expect(conflicts).toBe(0);
  });

  it('stays bounded: past MAX_QUERIES the oldest queries are forgotten', () => {
    const records: Array<[number, Uint8Array]> = [[0, ethernetUdp(TO_CLIENT, answer('93.184.216.34', { id: 1 }))]];
    for (let i = 0; i < MAX_QUERIES; i++) records.push([0.001, ethernetUdp({ ...TO_CLIENT, dstPort: 1024 + (i % 60000) }, answer('10.0.0.1', { id: 2 + Math.floor(i / 60000) }))]);
    records.push([1, ethernetUdp(TO_CLIENT, answer('10.9.9.9', { id: 1 }))]);
    const { conflicts } = read(records);
    expect(conflicts).toBe(0);
  });
});
