import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { hopOptionsWanted, keepaliveUnits, OPTION_TCP_KEEPALIVE, WANTS_KEEPALIVE, WANTS_PADDING, withKeepalive, withoutHopOptions } from './hop-options.js';

const question = { type: 'A' as const, name: 'www.example.test', class: 'IN' as const };
const opt = (options: { code: number; data?: Buffer }[]) => ({ type: 'OPT' as const, name: '.', udpPayloadSize: 1232, flags: 0, options }) as unknown as packet.Answer;
const q = (options: { code: number; data?: Buffer }[] | null): Buffer =>
  packet.encode({ type: 'query', id: 1, questions: [question], additionals: options === null ? [] : [opt(options)] });

function answer(additionals: packet.Answer[] = []): Buffer {
  return packet.encode({ type: 'response', id: 9, flags: packet.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }], additionals });
}

/** The options of the one OPT record (dns-packet as the oracle). */
function options(message: Buffer): { code: number; data: Buffer }[] {
  const d = packet.decode(message) as unknown as { answers: { data: string }[]; additionals: { type: string; options?: { code: number; data: Buffer }[] }[] };
  expect(d.answers[0]?.data).toBe('192.0.2.1');
  const opts = d.additionals.filter((a) => a.type === 'OPT');
  expect(opts).toHaveLength(1);
  return opts[0]!.options ?? [];
}

describe('hop-by-hop EDNS options (RFC 7828 keepalive, RFC 7830 padding)', () => {
  it.each([
    ['no OPT', q(null), 0],
    ['an OPT without options', q([]), 0],
    ['keepalive', q([{ code: 11 }]), WANTS_KEEPALIVE],
    ['padding and keepalive', q([{ code: 12, data: Buffer.alloc(8) }, { code: 11 }]), WANTS_KEEPALIVE | WANTS_PADDING],
    ['a keepalive carrying a TIMEOUT (not a client query)', q([{ code: 11, data: Buffer.from([0, 50]) }]), 0],
    ['bytes that are no message', Buffer.alloc(7), 0],
  ])('sees what a query asks for: %s', (_what, query, wanted) => {
    expect(hopOptionsWanted(query)).toBe(wanted);
  });

  it('converts the idle timeout to 100 ms units, rounded down, within 16 bits', () => {
    expect([keepaliveUnits(30_000), keepaliveUnits(10_050), keepaliveUnits(99), keepaliveUnits(10_000_000)]).toEqual([300, 100, 0, 65_535]);
  });

  it('adds an OPT with the keepalive when the answer has none, and replaces the upstream keepalive when it has one', () => {
    const added = options(withKeepalive(answer(), 300));
    expect(added.map((o) => [o.code, o.data.readUInt16BE(0)])).toEqual([[OPTION_TCP_KEEPALIVE, 300]]);
    const upstream = answer([opt([{ code: 10, data: Buffer.alloc(24, 7) }, { code: 11, data: Buffer.from([0x1e, 0x61]) }])]);
    const replaced = options(withKeepalive(upstream, 5));
    expect(replaced.map((o) => o.code)).toEqual([10, 11]);
    expect(replaced[1]!.data.readUInt16BE(0)).toBe(5);
    expect(replaced[0]!.data).toEqual(Buffer.alloc(24, 7));
  });

  it('takes the upstream keepalive and padding out of an answer, keeps the rest, and copies nothing when there are none', () => {
    const clean = answer([opt([{ code: 10, data: Buffer.alloc(8, 1) }])]);
    expect(withoutHopOptions(clean)).toBe(clean);
    const bare = answer();
    expect(withoutHopOptions(bare)).toBe(bare);
    const dirty = answer([opt([{ code: 11, data: Buffer.from([0, 9]) }, { code: 10, data: Buffer.alloc(8, 1) }, { code: 12, data: Buffer.alloc(30) }])]);
    expect(options(withoutHopOptions(dirty)).map((o) => o.code)).toEqual([10]);
    const broken = dirty.subarray(0, 25);
    expect(withoutHopOptions(broken)).toBe(broken);
  });
});
