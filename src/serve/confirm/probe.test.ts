import packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { probeAnswer, probeQuery } from './probe.js';

describe('probeQuery', () => {
  it.each(['A', 'AAAA', 'NS'] as const)('writes a recursive %s query with EDNS that dns-packet reads back', (qtype) => {
    const q = probeQuery('www.flux.example', qtype)!;
    const decoded = packet.decode(q.bytes);
    expect(decoded.type).toBe('query');
    expect(decoded.flags! & packet.RECURSION_DESIRED).toBe(packet.RECURSION_DESIRED);
    expect(decoded.questions).toEqual([{ name: 'www.flux.example', type: qtype, class: 'IN' }]);
    expect(decoded.additionals?.[0]?.type).toBe('OPT');
    expect(q.questionEnd).toBe(12 + 'www.flux.example'.length + 2 + 4);
  });

  it('writes a name with an escaped byte as the one name text means it', () => {
    const q = probeQuery('a\\032b.flux.example', 'A')!;
    expect(q.bytes.subarray(12, 16)).toEqual(Buffer.from([3, 0x61, 0x20, 0x62]));
  });

  it('refuses a text that is no DNS name', () => {
    expect(probeQuery(`${'a'.repeat(64)}.example`, 'A')).toBeNull();
  });
});

describe('probeAnswer', () => {
  const answer = (answers: packet.Answer[]): Buffer =>
    packet.encode({ type: 'response', id: 7, flags: packet.RECURSION_AVAILABLE, questions: [{ name: 'www.flux.example', type: 'A' }], answers });

  it('is an observation marked as a probe, with no client, and the smallest TTL of its records', () => {
    const a = probeAnswer(
      answer([
        { type: 'A', name: 'www.flux.example', ttl: 2, data: '198.51.100.1' },
        { type: 'A', name: 'www.flux.example', ttl: 1, data: '203.0.113.1' },
      ]),
      1_800_000_000,
    );
    expect(a.ttl).toBe(1);
    expect(a.observation).toMatchObject({ origin: 'probe', client: null, qname: 'www.flux.example', qtype: 'A', ts: 1_800_000_000 });
    expect(a.observation!.answers.map((r) => r.data)).toEqual(['198.51.100.1', '203.0.113.1']);
  });

  it('an empty answer has no TTL', () => {
    expect(probeAnswer(answer([]), 1_800_000_000).ttl).toBe(-1);
  });

  it('bytes that do not decode give no observation', () => {
    expect(probeAnswer(Buffer.from([1, 2, 3]), 1_800_000_000)).toEqual({ observation: null, ttl: -1 });
  });
});
