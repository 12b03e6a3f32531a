import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { padAnswer, RESPONSE_BLOCK, wantsPadding } from './padding.js';

const question = { type: 'A' as const, name: 'www.example.test', class: 'IN' as const };
const opt = (options: { code: number; data?: Buffer }[]) => ({ type: 'OPT' as const, name: '.', udpPayloadSize: 1232, flags: 0, options }) as unknown as packet.Answer;

function answer(additionals: packet.Answer[] = []): Buffer {
  return packet.encode({ type: 'response', id: 9, flags: packet.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }], additionals });
}

interface Decoded {
  answers: { data: string }[];
  additionals: { type: string; options?: { code: number; length?: number }[] }[];
}

describe('EDNS padding (RFC 7830, 8467)', () => {
  it('sees a padding option in a query, and only there', () => {
    const plain = packet.encode({ type: 'query', id: 1, questions: [question] });
    const edns = packet.encode({ type: 'query', id: 1, questions: [question], additionals: [opt([])] });
    const padded = packet.encode({ type: 'query', id: 1, questions: [question], additionals: [opt([{ code: 12, data: Buffer.alloc(40) }])] });
    expect([wantsPadding(plain), wantsPadding(edns), wantsPadding(padded), wantsPadding(Buffer.alloc(5))]).toEqual([false, false, true, false]);
  });

  it.each([
    ['an answer without OPT (one is added)', answer()],
    ['an answer with an OPT record', answer([opt([])])],
    ['an answer with a cookie option', answer([opt([{ code: 10, data: Buffer.alloc(24, 1) }])])],
  ])('pads %s to a multiple of 468 and stays a valid message with the same records', (_what, plain) => {
    const out = padAnswer(plain);
    expect(out.length % RESPONSE_BLOCK).toBe(0);
    const d = packet.decode(out) as unknown as Decoded;
    expect(d.answers[0]?.data).toBe('192.0.2.1');
    const record = d.additionals.find((a) => a.type === 'OPT');
    expect(record?.options?.some((o) => o.code === 12)).toBe(true);
    expect(d.additionals.filter((a) => a.type === 'OPT')).toHaveLength(1);
  });

  it('leaves an answer it cannot walk alone', () => {
    const broken = answer().subarray(0, 20);
    expect(padAnswer(broken)).toBe(broken);
  });
});
