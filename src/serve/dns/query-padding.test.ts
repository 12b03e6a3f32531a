import packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { padQuery, QUERY_BLOCK, stripPadding } from './query-padding.js';

const PADDING = 12;

type Opt = { type: string; options?: { code: number; length?: number; data?: Buffer }[] };

function optOf(message: Buffer): Opt | undefined {
  return (packet.decode(message).additionals as Opt[] | undefined)?.find((r) => r.type === 'OPT');
}

function paddingOptions(message: Buffer): number {
  return (optOf(message)?.options ?? []).filter((o) => o.code === PADDING).length;
}

const plain = packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'www.example.test' }] });
const withEdns = packet.encode({
  type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'AAAA', name: 'a-rather-longer-name.example.test' }],
  additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: packet.DNSSEC_OK, options: [{ code: 10, data: Buffer.alloc(8, 1) }] } as unknown as packet.Answer],
});
const alreadyPadded = packet.encode({
  type: 'query', id: 7, questions: [{ type: 'A', name: 'x.test' }],
  additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: PADDING, data: Buffer.alloc(40) }] } as unknown as packet.Answer],
});

describe('padQuery (RFC 8467 block-length padding of upstream queries)', () => {
  it.each([
    ['no EDNS: an OPT record is added', plain, true],
    ['EDNS with a cookie and DO: kept, padding appended', withEdns, false],
    ['already padded by its client: one padding option, to our block', alreadyPadded, false],
  ])('%s', (_name, query, addedOpt) => {
    const padded = padQuery(query);
    expect(padded.bytes.length % QUERY_BLOCK).toBe(0);
    expect(padded.addedOpt).toBe(addedOpt);
    expect(paddingOptions(padded.bytes)).toBe(1);
    const decoded = packet.decode(padded.bytes);
    const original = packet.decode(query);
    expect(decoded.questions).toEqual(original.questions);
    // Everything the client asked for is still there (the DO bit, its other options).
    if (!addedOpt) {
      expect((decoded.additionals?.[0] as { flags?: number }).flags).toBe((original.additionals?.[0] as { flags?: number }).flags);
      expect(optOf(padded.bytes)?.options?.filter((o) => o.code !== PADDING)).toEqual(optOf(query)?.options?.filter((o) => o.code !== PADDING));
    }
  });

  it('leaves a message it cannot walk alone', () => {
    const broken = plain.subarray(0, 20);
    expect(padQuery(broken).bytes).toBe(broken);
  });
});

describe('stripPadding (padding is hop-by-hop)', () => {
  const answer = packet.encode({
    type: 'response', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'www.example.test' }],
    answers: [{ type: 'A', name: 'www.example.test', ttl: 60, data: '192.0.2.1' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: 10, data: Buffer.alloc(8, 2) }, { code: PADDING, data: Buffer.alloc(300) }] } as unknown as packet.Answer],
  });
  const onlyPadding = packet.encode({
    type: 'response', id: 7, questions: [{ type: 'A', name: 'www.example.test' }], answers: [{ type: 'A', name: 'www.example.test', ttl: 60, data: '192.0.2.1' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: PADDING, data: Buffer.alloc(77) }] } as unknown as packet.Answer],
  });

  it('takes the padding option out and keeps the others', () => {
    const stripped = stripPadding(answer);
    expect(paddingOptions(stripped)).toBe(0);
    expect(optOf(stripped)?.options?.map((o) => o.code)).toEqual([10]);
    expect(packet.decode(stripped).answers).toEqual(packet.decode(answer).answers);
  });

  it('takes the whole OPT out when we added it and nothing else is in it, so a client without EDNS gets none', () => {
    const stripped = stripPadding(onlyPadding, true);
    expect(stripped.readUInt16BE(10)).toBe(0);
    expect(optOf(stripped)).toBeUndefined();
    expect(packet.decode(stripped).answers).toEqual(packet.decode(onlyPadding).answers);
    // Without removeOpt the empty OPT stays (the client sent EDNS itself).
    expect(optOf(stripPadding(onlyPadding))?.options).toEqual([]);
  });

  it('returns the same buffer when there is no padding', () => {
    expect(stripPadding(plain)).toBe(plain);
    expect(stripPadding(withEdns)).toBe(withEdns);
  });
});
