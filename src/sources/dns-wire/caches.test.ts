/**
 * The decoder's reuse and caches must never change a result: a remembered
 * name or address is given only for exactly the bytes it was made from, and
 * the reusable reader's results stay as they were when the next message is
 * read. More distinct values than the tables have slots force collisions.
 */
import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { formatIPv6 } from '../../model/names.js';
import { byteText } from '../../dns/byte-text.js';
import { decodeMessage, ipv4Text, ipv6Text, observationOf, WireMessage } from './index.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789-';

/** A name of 1..4 labels of 1..20 characters; one label in ten upper-case. */
const randomName = fc
  .array(
    fc
      .tuple(fc.string({ unit: fc.constantFrom(...LETTERS), minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 9 }))
      .map(([label, die]) => (die === 0 ? label.toUpperCase() : label)),
    { minLength: 1, maxLength: 4 },
  )
  .map((labels) => labels.join('.'));

/** 16 bytes, about three in ten of them zero (runs of zeros make IPv6 '::'). */
const randomAddressBytes = fc
  .array(fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 7 }), {
    minLength: 16,
    maxLength: 16,
  })
  .map((values) => Uint8Array.from(values));

function query(name: string): Buffer {
  return dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name }] });
}

function questionName(bytes: Uint8Array): string {
  const message = decodeMessage(bytes);
  if (typeof message === 'string') throw new Error(message);
  return message.questions[0]!.name;
}

describe('dns-wire: caches give only what the bytes say', () => {
  it('names: many more than the table holds, near neighbours and repeats', () => {
    const names = fc.sample(randomName, { seed: 7, numRuns: 30_000 });
    // Names one byte apart, one byte longer or shorter, and the same name again.
    for (const base of ['abcd.example', 'abcde.example', 'abcdefgh.ex']) {
      names.push(base, `${base}x`, base.slice(0, -1), base.replace('a', 'b'), base, base.toUpperCase());
    }
    for (let round = 0; round < 2; round++) {
      for (const name of names) expect(questionName(query(name))).toBe(name.toLowerCase());
    }
  });

  it('names whose escapes make the same length of text', () => {
    // \\000 and \\001 are as long as each other; a dot in a label is \\046.
    const cases: [number[], string][] = [
      [[0x61, 0x00], 'a\\000'],
      [[0x61, 0x01], 'a\\001'],
      [[0x61, 0x2e], 'a\\046'],
      [[0x61, 0x00], 'a\\000'],
    ];
    for (const [label, text] of cases) {
      const bytes = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, label.length, ...label, 0, 0, 1, 0, 1]);
      expect(questionName(bytes)).toBe(text);
    }
  });

  it('IPv4 and IPv6 texts: many more than the tables hold', () => {
    for (const bytes of fc.sample(randomAddressBytes, { seed: 11, numRuns: 60_000 })) {
      expect(ipv4Text(bytes, 0)).toBe(`${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`);
      const groups = new Uint16Array(8);
      for (let g = 0; g < 8; g++) groups[g] = (bytes[2 * g]! << 8) | bytes[2 * g + 1]!;
      expect(ipv6Text(bytes, 0)).toBe(formatIPv6(groups));
    }
  });

  it('byteText agrees with latin1 at every length, for every byte value', () => {
    const bytes = Buffer.alloc(80);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 97) & 255;
    for (let length = 0; length <= bytes.length; length++) expect(byteText(bytes, length)).toBe(bytes.toString('latin1', 0, length));
  });
});

describe('dns-wire: WireMessage', () => {
  const response = (name: string, address: string) =>
    dnsPacket.encode({
      type: 'response',
      id: 7,
      flags: 3,
      questions: [{ type: 'A', name }],
      answers: [{ type: 'A', name, ttl: 60, data: address }],
      authorities: [{ type: 'NS', name, ttl: 60, data: `ns.${name}` }],
    });

  it('gives the observation observationOf gives, and what it gave stays when the next message is read', () => {
    const wire = new WireMessage();
    const first = response('a.example', '192.0.2.1');
    expect(wire.read(first, 0, first.length)).toBeNull();
    const kept = wire.observation(5, '10.0.0.1');
    const expected = observationOf(decodeMessage(first) as Exclude<ReturnType<typeof decodeMessage>, string>, 5, '10.0.0.1');
    expect(kept).toEqual(expected);
    const second = response('b.example', '192.0.2.2');
    expect(wire.read(second, 0, second.length)).toBeNull();
    expect(wire.observation(6, null)?.answers).toEqual([{ name: 'b.example', type: 'A', data: '192.0.2.2', ttl: 60 }]);
    expect(kept).toEqual(expected);
    expect(wire.read(second, 0, 25)).toBe('truncated question 1');
  });

  it('hands its section arrays to one observation; another from the same message gets copies', () => {
    const wire = new WireMessage();
    const bytes = response('a.example', '192.0.2.1');
    expect(wire.read(bytes, 0, bytes.length)).toBeNull();
    const first = wire.observation(1, null)!;
    const second = wire.observation(1, null)!;
    expect(second).toEqual(first);
    expect(second.answers).not.toBe(first.answers);
    expect(second.authority).not.toBe(first.authority);
    expect(second.additional).not.toBe(first.additional);
    expect(wire.answers()).toEqual(first.answers);
    expect(wire.answers()).not.toBe(first.answers);
  });

  it('gives no observation for a query or a message without a question', () => {
    const wire = new WireMessage();
    const asked = query('a.example');
    expect(wire.read(asked, 0, asked.length)).toBeNull();
    expect(wire.observation(1, null)).toBeNull();
    const empty = Uint8Array.from([0, 1, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(wire.read(empty, 0, empty.length)).toBeNull();
    expect(wire.observation(1, null)).toBeNull();
  });
});
