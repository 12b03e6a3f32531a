/**
 * WireMessage.answerHash (answer-hash.ts) against the answers it stands for:
 * two messages hash alike exactly when their rcode and answer records (type
 * and data, TTLs and order aside) are the same, as the observation's strings
 * say; dns-packet writes the messages.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { WireMessage } from './message.js';

let seed = 4242;
function random(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

type Answer = dnsPacket.Answer;

/** One of a small pool of records, so that random sets often share some and sometimes all. */
function record(): Answer {
  const name = 'www.flux.example';
  const ttl = random(3) * 60;
  switch (random(6)) {
    case 0:
    case 1:
      return { type: 'A', name, ttl, data: `10.0.${random(3)}.${random(4)}` };
    case 2:
      return { type: 'AAAA', name, ttl, data: `2001:db8::${random(3).toString(16)}:${random(3)}` };
    case 3:
      return { type: 'CNAME', name, ttl, data: random(2) === 0 ? 'edge.cdn.example' : 'EDGE.cdn.example.' };
    case 4:
      return { type: 'MX', name, ttl, data: { preference: random(3), exchange: `mx${random(2)}.flux.example` } };
    default:
      return { type: 'TXT', name, ttl, data: [`v=${random(2)}`] };
  }
}


function message(answers: Answer[], rcode: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: [{ type: 'A', name: 'www.flux.example' }],
    answers,
  });
}

/** The hash, and what the answers are as the observation gives them (sorted, TTLs aside). */
function read(wire: WireMessage, bytes: Buffer): { hash: number; text: string } {
  expect(wire.read(bytes, 0, bytes.length)).toBeNull();
  const o = wire.observation(0, '192.0.2.1')!;
  const records = o.answers.map((r) => `${r.type} ${r.data}`).sort();
  return { hash: wire.answerHash(), text: `${o.rcode}|${records.join(',')}` };
}

describe('WireMessage.answerHash', () => {
  it('is the same for the same records in another order and with other TTLs, and differs otherwise', () => {
    const wire = new WireMessage();
    let same = 0;
    let different = 0;
    let wrong = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = Array.from({ length: random(4) }, record);
      const b = random(3) === 0 ? a.map((r) => ({ ...r, ttl: random(500) })).reverse() : Array.from({ length: random(4) }, record);
      const rcodeA = random(3) === 0 ? random(3) : 0;
      const rcodeB = random(2) === 0 ? rcodeA : random(3);
      const x = read(wire, message(a, rcodeA));
      const y = read(wire, message(b, rcodeB));
      if (x.text === y.text) same++;
      else different++;
      if ((x.hash === y.hash) !== (x.text === y.text)) wrong++;
    }
    expect(wrong).toBe(0);
    expect(same).toBeGreaterThan(3000);
    expect(different).toBeGreaterThan(3000);
  });

  it('counts only the answer section: authority and additional records leave it alone', () => {
    const wire = new WireMessage();
    const answers: Answer[] = [{ type: 'A', name: 'a.example', ttl: 60, data: '10.0.0.1' }];
    const plain = read(wire, message(answers, 0)).hash;
    const withMore = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ type: 'A', name: 'a.example' }],
      answers,
      authorities: [{ type: 'NS', name: 'example', ttl: 60, data: 'ns1.example' }],
      additionals: [{ type: 'A', name: 'ns1.example', ttl: 60, data: '10.9.9.9' }],
    });
    expect(read(wire, withMore).hash).toBe(plain);
    expect(read(wire, message([], 0)).hash).not.toBe(plain);
    expect(read(wire, message([], 3)).hash).not.toBe(read(wire, message([], 0)).hash);
  });
});
