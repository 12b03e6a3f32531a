/**
 * The codec's own table cases: the writer's spellings and refusals, the
 * escaping rule, the compressing byte writer, the query reader. The property
 * suite over every path is test/dns-codec.property.test.ts.
 */
import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from './byte-writer.js';
import { WireError } from './constants.js';
import { newQueryInfo, readQuery } from './header.js';
import { escapeName } from './name-text.js';
import { readOneName } from './name-reader.js';
import { nameText, nameToWire, wireLength } from './name-writer.js';

const wire = (...labels: string[]): Uint8Array => Uint8Array.from([...labels.flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0]);

describe('name writer', () => {
  it.each([
    ['www.example.com', wire('www', 'example', 'com')],
    ['www.example.com.', wire('www', 'example', 'com')],
    ['Fx\\032Space.test', wire('Fx Space', 'test')],
    ['fx\\ space.test', wire('fx space', 'test')],
    ['a\\.b.test', wire('a.b', 'test')],
    ['a\\046b.test', wire('a.b', 'test')],
    ['back\\\\slash.test', wire('back\\slash', 'test')],
    ['q"uote.test', wire('q"uote', 'test')],
    ['café.test', wire('caf\u00c3\u00a9', 'test')],
    ['.', Uint8Array.of(0)],
  ])('%s', (text, bytes) => {
    expect(nameToWire(text)).toEqual(bytes);
    expect(wireLength(text)).toBe(bytes.length);
  });

  it('appends the origin to a relative name; @ is the origin', () => {
    expect(nameToWire('x', 'rpz.fluxhound.')).toEqual(wire('x', 'rpz', 'fluxhound'));
    expect(nameToWire('x.', 'rpz.fluxhound.')).toEqual(wire('x'));
    expect(nameToWire('@', 'rpz.fluxhound.')).toEqual(wire('rpz', 'fluxhound'));
  });

  it.each([
    ['a..b', /empty label/],
    ['.a', /empty label/],
    ['x'.repeat(64), /longer than 63/],
    [`${'x'.repeat(63)}.${'x'.repeat(63)}.${'x'.repeat(63)}.${'x'.repeat(63)}`, /longer than 255/],
    ['a\\25', /bad \\DDD/],
    ['a\\256', /above \\255/],
    ['a\\', /dangling/],
  ])('refuses %s', (text, reason) => {
    expect(() => nameToWire(text)).toThrow(WireError);
    expect(() => nameToWire(text)).toThrow(reason);
    expect(nameText(text)).toBeNull();
  });

  it('a name of exactly 255 octets is a name; the origin may not take it past that', () => {
    const text = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(nameToWire(text)).toHaveLength(255);
    expect(nameText(text)?.wire).toBe(255);
    expect(() => nameToWire(text.slice(2), 'xy.')).toThrow(/longer than 255/);
  });

  it('nameText gives the one text of any spelling', () => {
    expect(nameText('Fx\\ Space.TEST.')).toEqual({ text: 'fx\\032space.test', wire: 15, labels: 2 });
    expect(nameText('semi;colon.test')?.text).toBe('semi\\059colon.test');
    expect(nameText('.')).toBeNull();
  });
});

describe('escaping rule', () => {
  it('writes only \\DDD, for the specials, spaces, controls and bytes past ASCII', () => {
    const all = Uint8Array.from([255, ...Array.from({ length: 255 }, (_, i) => i + 1)]);
    const name = Uint8Array.from([63, ...all.subarray(0, 63), 63, ...all.subarray(63, 126), 63, ...all.subarray(126, 189), 61, ...all.subarray(189, 250), 0]);
    const text = readOneName(name, 0, 0, name.length)!;
    expect(text).toMatch(/^(?:[!#%&'*+,\-/0-9:<=>?[\]^_`a-z{|}~.]|\\\d{3})+$/);
    for (const special of ['\\046', '\\092', '\\034', '\\040', '\\041', '\\059', '\\064', '\\036', '\\032', '\\127', '\\255']) expect(text).toContain(special);
    expect(nameToWire(text)).toEqual(name.map((c) => (c >= 65 && c <= 90 ? c + 32 : c)));
  });

  it('escapeName leaves a name text alone and escapes anything else', () => {
    expect(escapeName('fx\\032space.test')).toBe('fx\\032space.test');
    expect(escapeName('fx space.test')).toBe('fx\\032space.test');
    expect(escapeName('a\u001b[31m"b')).toBe('a\\027[31m\\034b');
    expect(escapeName('back\\')).toBe('back\\092');
    expect(escapeName('é')).toBe('\\195\\169');
    expect(escapeName('Mixed.Case')).toBe('Mixed.Case');
  });
});

describe('ByteWriter', () => {
  it('lends what it wrote without a copy, and copies it out on done()', () => {
    const w = new ByteWriter().u16(0x0102).u8(3);
    const lent = w.view();
    const copied = w.done();
    expect([...lent]).toEqual([1, 2, 3]);
    w.patch16(0, 0x0909);
    expect([...lent]).toEqual([9, 9, 3]);
    expect([...copied]).toEqual([1, 2, 3]);
  });

  it('compresses a name against a suffix already written, case-insensitively; dns-packet reads it back', () => {
    const w = new ByteWriter({ compress: true });
    w.u16(1).u16(0x8180).u16(1).u16(1).u16(0).u16(0);
    w.name(nameToWire('www.Example.com')).u16(1).u16(1);
    const before = w.length;
    w.name(nameToWire('mail.example.COM')).u16(1).u16(1).u32(60).u16(4).u32(0xc0000201);
    expect(w.length - before).toBe(1 + 4 + 2 + 10 + 4);
    const decoded = packet.decode(Buffer.from(w.done()));
    expect(decoded.questions![0]!.name).toBe('www.Example.com');
    expect(decoded.answers![0]!.name).toBe('mail.Example.com');
  });

  it('writes names whole without compression', () => {
    const w = new ByteWriter();
    w.name(nameToWire('a.test')).name(nameToWire('a.test'));
    expect(w.done()).toEqual(Uint8Array.from([...wire('a', 'test'), ...wire('a', 'test')]));
  });
});

describe('readQuery', () => {
  it('reads the header, the question and EDNS, and refuses what cannot be answered', () => {
    const q = packet.encode({ type: 'query', id: 9, flags: packet.RECURSION_DESIRED, questions: [{ type: 'AAAA', name: 'a.test', class: 'IN' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: packet.DNSSEC_OK } as packet.Answer] });
    const info = newQueryInfo();
    expect(readQuery(q, q.length, info)).toBeNull();
    expect(info).toMatchObject({ id: 9, qtype: 28, qclass: 1, udpSize: 1232, edns: 3, questionEnd: 12 + 8 + 4 });
    expect(readQuery(q, 11, info)).toBe('header');
    expect(readQuery(q, 20, info)).toBe('question');
    const compressed = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(readQuery(compressed, compressed.length, info)).toBe('question');
  });
});
