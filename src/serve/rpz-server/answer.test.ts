import { describe, expect, it } from 'vitest';
import { answer } from './answer.js';
import type { AnswerContext } from './answer.js';
import { compileZone, ZoneJournal } from './journal.js';
import { makeKey, verify } from './tsig.js';
import { fluxNames, query, testKey, testZone } from './test-zone.case.js';
import { parseRequest, RCODE, readName, TYPE } from './wire.js';

const NOW = 1_780_000_000;

function context(overrides: Partial<AnswerContext> = {}): AnswerContext {
  const journal = new ZoneJournal(compileZone(testZone(10, fluxNames(0, 3))));
  journal.update(compileZone(testZone(11, fluxNames(0, 5))));
  journal.update(compileZone(testZone(12, fluxNames(1, 5))));
  return { journal, key: testKey, transport: 'tcp', remote: '127.0.0.1', allowed: () => true, now: () => NOW, ...overrides };
}

function replies(msg: Uint8Array, ctx: AnswerContext): Uint8Array[] {
  return [...answer(msg, ctx).messages];
}

function rcodeOf(msg: Uint8Array): number {
  return msg[3]! & 0xf;
}

/** Types of the answer records of a response, in order. */
function answerTypes(msg: Uint8Array): number[] {
  const count = (msg[6]! << 8) | msg[7]!;
  let pos = readName(msg, 12).end + 4;
  const types: number[] = [];
  for (let i = 0; i < count; i++) {
    pos = readName(msg, pos).end;
    types.push((msg[pos]! << 8) | msg[pos + 1]!);
    pos += 8;
    pos += ((msg[pos]! << 8) | msg[pos + 1]!) + 2;
  }
  return types;
}

describe('answer', () => {
  it('answers SOA unsigned, and signed when asked signed', () => {
    const plain = replies(query('rpz.fluxhound.', TYPE.SOA), context());
    expect(rcodeOf(plain[0]!)).toBe(RCODE.NOERROR);
    expect(answerTypes(plain[0]!)).toEqual([TYPE.SOA]);
    const signedReq = query('rpz.fluxhound.', TYPE.SOA, { key: testKey, time: NOW });
    const signed = replies(signedReq, context());
    const parsed = parseRequest(signed[0]!);
    expect(parsed.tsig).not.toBeNull();
    const reqMac = parseRequest(signedReq).tsig!.mac;
    expect(verify(signed[0]!, parsed.tsig!, testKey, NOW, reqMac).ok).toBe(true);
  });

  it('refuses unsigned transfers when a key is set, and allows them without a key', () => {
    const a = answer(query('rpz.fluxhound.', TYPE.AXFR), context());
    expect(a.outcome.kind).toBe('refused');
    expect(rcodeOf([...a.messages][0]!)).toBe(RCODE.REFUSED);
    expect(answer(query('rpz.fluxhound.', TYPE.AXFR), context({ key: null })).outcome.kind).toBe('axfr');
  });

  it('answers a wrong secret with BADSIG, an unknown key with BADKEY, an old signature with BADTIME', () => {
    const wrong = makeKey('fluxhound-rpz', Buffer.alloc(32, 7));
    const badsig = answer(query('rpz.fluxhound.', TYPE.AXFR, { key: wrong, time: NOW }), context());
    expect(badsig.outcome).toMatchObject({ kind: 'notauth', tsigError: 'badsig' });
    const reply = [...badsig.messages][0]!;
    expect(rcodeOf(reply)).toBe(RCODE.NOTAUTH);
    expect(parseRequest(reply).tsig).toMatchObject({ error: 16 });
    expect(parseRequest(reply).tsig!.mac.length).toBe(0);
    const other = makeKey('other-key', Buffer.alloc(32, 7));
    expect(answer(query('rpz.fluxhound.', TYPE.AXFR, { key: other, time: NOW }), context()).outcome.tsigError).toBe('badkey');
    const late = answer(query('rpz.fluxhound.', TYPE.AXFR, { key: testKey, time: NOW - 3600 }), context());
    expect(late.outcome.tsigError).toBe('badtime');
    const lateReply = parseRequest([...late.messages][0]!).tsig!;
    expect(lateReply.error).toBe(18);
    expect(lateReply.other.length).toBe(6);
    expect(answer(query('rpz.fluxhound.', TYPE.AXFR, { key: testKey, time: NOW }), context({ key: null })).outcome.tsigError).toBe('badkey');
  });

  it('refuses names outside the zone, other types and addresses outside the ACL', () => {
    expect(answer(query('example.com.', TYPE.SOA), context()).outcome.kind).toBe('refused');
    expect(answer(query('rpz.fluxhound.', TYPE.A), context()).outcome.kind).toBe('refused');
    expect(answer(query('flux-1.example.rpz.fluxhound.', TYPE.CNAME), context()).outcome.kind).toBe('refused');
    const outside = answer(query('rpz.fluxhound.', TYPE.SOA), context({ allowed: () => false, remote: '192.0.2.1' }));
    expect(outside.outcome).toMatchObject({ kind: 'refused', reason: '192.0.2.1 is not in the transfer ACL' });
  });

  it('sends an AXFR as several signed messages, SOA first and last, each MAC chained to the one before', () => {
    const ctx = context({ maxMessageBytes: 512 });
    const req = query('rpz.fluxhound.', TYPE.AXFR, { key: testKey, time: NOW });
    const messages = replies(req, ctx);
    expect(messages.length).toBeGreaterThan(1);
    const types = messages.flatMap(answerTypes);
    expect(types[0]).toBe(TYPE.SOA);
    expect(types.at(-1)).toBe(TYPE.SOA);
    expect(types.length).toBe(ctx.journal.current.records.size + 2);
    let prior = parseRequest(req).tsig!.mac;
    for (const [i, m] of messages.entries()) {
      expect(m.length).toBeLessThanOrEqual(512 + 120);
      const tsig = parseRequest(m).tsig!;
      expect(tsig.error).toBe(0);
      if (i === 0) expect(verify(m, tsig, testKey, NOW, prior).ok).toBe(true);
      prior = tsig.mac;
    }
  });

  it('answers IXFR with the differences, the whole zone for an unknown serial, the SOA alone when current', () => {
    const ctx = context();
    const ixfr = answer(query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 10, key: testKey, time: NOW }), ctx);
    expect(ixfr.outcome.kind).toBe('ixfr');
    // 10 → 11 adds flux-3 and flux-4 (2 records each); 11 → 12 deletes flux-0.
    expect([...ixfr.messages].flatMap(answerTypes)).toEqual([6, 6, 6, 5, 5, 5, 5, 6, 5, 5, 6, 6]);
    const fromMiddle = answer(query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 11, key: testKey, time: NOW }), ctx);
    expect([...fromMiddle.messages].flatMap(answerTypes)).toEqual([6, 6, 5, 5, 6, 6]);
    const unknown = answer(query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 3, key: testKey, time: NOW }), ctx);
    expect(unknown.outcome.kind).toBe('ixfr-full');
    expect([...unknown.messages].flatMap(answerTypes)).toEqual([6, 2, 5, 5, 5, 5, 5, 5, 5, 5, 6]);
    const current = answer(query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 12, key: testKey, time: NOW }), ctx);
    expect(current.outcome.kind).toBe('ixfr-current');
    expect([...current.messages].flatMap(answerTypes)).toEqual([6]);
    const udp = answer(query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 10 }), context({ transport: 'udp' }));
    expect(udp.outcome.kind).toBe('ixfr-udp');
    expect([...udp.messages].flatMap(answerTypes)).toEqual([6]);
  });

  it('answers FORMERR to what does not parse and drops what has no header or is a response', () => {
    expect(answer(Uint8Array.of(1, 2, 3), context()).outcome.kind).toBe('dropped');
    const response = query('rpz.fluxhound.', TYPE.SOA);
    response[2]! |= 0x80;
    expect(answer(response, context()).outcome.kind).toBe('dropped');
    const truncated = query('rpz.fluxhound.', TYPE.SOA).subarray(0, 20);
    const formerr = answer(truncated, context());
    expect(formerr.outcome.kind).toBe('formerr');
    expect(rcodeOf([...formerr.messages][0]!)).toBe(RCODE.FORMERR);
    // A name made of a pointer to itself.
    const loop = Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 6, 0, 1);
    expect(answer(loop, context()).outcome).toMatchObject({ kind: 'formerr', reason: 'name: pointer not backwards at offset 12' });
  });
});
