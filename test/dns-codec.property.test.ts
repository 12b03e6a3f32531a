/**
 * The one property suite of the DNS codec (src/dns), run against every path
 * that reads or writes a name: the pcap/dnstap decoder (sources/dns-wire),
 * the forwarder's query path (serve/dns/wire.ts), the RPZ server's request
 * reader and record writer (serve/rpz-server/wire.ts, journal.ts), the RPZ
 * zone writer (act/rpz), the message writer (dns/message-writer.ts) and escapeName. dns-packet is the oracle for the
 * message framing and for names it can spell (ASCII labels without a dot).
 *
 * Properties: a name read from wire bytes has one text on every path; that
 * text written back gives the same (lower-cased) bytes; compression
 * pointers, loops and truncation are refused with a reason, never thrown
 * out as anything but the path's own WireError.
 */
import * as packet from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from './helpers/verdicts.js';
import { validateConfig } from '../src/config/load.js';
import { ByteWriter } from '../src/dns/byte-writer.js';
import { WireError } from '../src/dns/constants.js';
import { newQueryInfo, readQuery } from '../src/dns/header.js';
import { writeMessage } from '../src/dns/message-writer.js';
import { escapeName } from '../src/dns/name-text.js';
import { readOneName } from '../src/dns/name-reader.js';
import { nameText, nameToWire } from '../src/dns/name-writer.js';
import { Allowlist } from '../src/act/rpz/allowlist.js';
import { parseZone } from './support/parse-zone.js';
import { presentName } from '../src/act/rpz/names.js';
import { buildRpzZone, formatZone, rpzOptionsOf } from '../src/act/rpz/zone.js';
import { queryName } from '../src/serve/dns/wire.js';
import { compileZone } from '../src/serve/rpz-server/journal.js';
import { nameToWire as rpzNameToWire, parseRequest, readName as rpzReadName } from '../src/serve/rpz-server/wire.js';
import { decodeMessage, WireMessage } from '../src/sources/dns-wire/index.js';

const SPECIAL = [0x00, 0x01, 0x09, 0x0a, 0x20, 0x22, 0x24, 0x28, 0x29, 0x2a, 0x2e, 0x3b, 0x40, 0x5c, 0x7f, 0x80, 0xc3, 0xff, 0x41, 0x5a];

/** A label of 1..63 octets, special bytes (space, quote, backslash, dot, controls, 0x80-0xff) often. */
const label = fc.array(fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x61, max: 0x7a })), { minLength: 1, maxLength: 63 });

/** The wire form (uncompressed) of labels, cut so that the name fits 255 octets. */
function wireOf(labels: number[][]): Uint8Array {
  const out: number[] = [];
  for (const l of labels) {
    if (out.length + l.length + 2 > 255) break;
    out.push(l.length, ...l);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** Names of 1..8 labels, and names of exactly 255 octets (four labels of 63, 63, 63, 61). */
const wireName = fc.oneof(
  { weight: 4, arbitrary: fc.array(label, { minLength: 1, maxLength: 8 }).map(wireOf) },
  { weight: 1, arbitrary: fc.tuple(label, label, label, label).map(([a, b, c, d]) => wireOf([pad(a, 63), pad(b, 63), pad(c, 63), pad(d, 61)])) },
);

function pad(l: number[], n: number): number[] {
  const out = l.slice(0, n);
  while (out.length < n) out.push(0x61 + (out.length % 26));
  return out;
}

function lower(wire: Uint8Array): Uint8Array {
  return wire.map((c) => (c >= 65 && c <= 90 ? c + 32 : c));
}

/** A query holding `name` as its question (QTYPE A, class IN). */
function queryOf(name: Uint8Array, id = 0x1234): Buffer {
  return Buffer.concat([Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), name, Buffer.from([0, 1, 0, 1])]);
}

/** A response: the question, then an A record whose owner is a pointer to it and a CNAME record whose data is compressed. */
function responseOf(name: Uint8Array): Buffer {
  const q = queryOf(name);
  q[2] = 0x81;
  q[3] = 0x80;
  q[7] = 2;
  const a = [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  // CNAME data: one label 'x' then a pointer to the question name.
  const cname = [0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 0x78, 0xc0, 0x0c];
  return Buffer.concat([q, Buffer.from(a), Buffer.from(cname)]);
}

/** Every reader's text for the question name of a message, root as '.', without a trailing dot. */
function textsOf(name: Uint8Array): Record<string, string> {
  const query = queryOf(name);
  const response = responseOf(name);
  const texts: Record<string, string> = {};
  texts.reader = readOneName(name, 0, 0, name.length)!;
  const decoded = decodeMessage(response);
  if (typeof decoded === 'string') throw new Error(decoded);
  texts.decoderQuestion = decoded.questions[0]!.name;
  texts.decoderOwner = decoded.answers[0]!.name;
  // CNAME data 'x.' + the name: a record whose data is a label and a pointer (dropped when it would pass 255 octets).
  if (name.length <= 253) {
    const cname = decoded.answers[1]!.data;
    texts.decoderCnameData = cname === 'x' ? '.' : cname.slice(2);
  } else {
    expect(decoded.answers).toHaveLength(1);
  }
  const reader = new WireMessage();
  expect(reader.read(response, 0, response.length)).toBeNull();
  texts.wireMessage = reader.qname;
  const info = newQueryInfo();
  expect(readQuery(query, query.length, info)).toBeNull();
  texts.forwarder = queryName(query, info) || '.';
  const rpz = rpzReadName(query, 12).name.text;
  texts.rpzServer = rpz === '.' ? '.' : rpz.slice(0, -1);
  const request = parseRequest(query).question.name.text;
  texts.rpzRequest = request === '.' ? '.' : request.slice(0, -1);
  return texts;
}

describe('one name text on every path, one wire form back (property)', () => {
  it('every reader gives a name the same text, and every writer turns it back into the same lower-cased bytes', () => {
    fc.assert(
      fc.property(wireName, (wire) => {
        const texts = textsOf(wire);
        const one = texts.reader!;
        for (const [path, text] of Object.entries(texts)) expect(text, path).toBe(one);
        // The text is printable ASCII with no master-file special left bare.
        expect(one).toMatch(/^(?:[!#%&'*+,\-/0-9:<=>?A-Z[\]^_`a-z{|}~]|\\\d{3}|\.)+$/);
        expect(one).not.toMatch(/[A-Z]/);
        // Writers: the dns writer, the RPZ server's export of it, the RPZ zone writer's text.
        expect(nameToWire(one)).toEqual(lower(wire));
        expect(rpzNameToWire(one)).toEqual(lower(wire));
        expect(nameToWire(`${one}.`)).toEqual(lower(wire));
        if (one !== '.') {
          expect(nameText(one)?.text).toBe(one);
          expect(nameText(one)?.wire).toBe(wire.length);
          expect(presentName(one)?.text).toBe(one);
          // An RPZ owner is the text under the origin; the AXFR record is those bytes.
          if (wire.length - 1 + 15 <= 255) expect(nameToWire(one, 'rpz.fluxhound.')).toEqual(Uint8Array.from([...lower(wire).subarray(0, -1), ...nameToWire('rpz.fluxhound.')]));
        }
        // escapeName shows the text as it is (it is already safe), and the reader's text is its own escape.
        expect(escapeName(one)).toBe(one);
        // The message writer (the corpus's pcap and dnstap): the name as question, owner and
        // (compressed) data, read back by the decoder as the same text everywhere.
        if (one !== '.') {
          const message = writeMessage({ id: 7, flags: 0x8180, rcode: 0, qname: one, qtype: 5, answers: [{ name: one, type: 'CNAME', data: one, ttl: 1 }] });
          const decoded = decodeMessage(message, 0, message.length);
          if (typeof decoded === 'string') throw new Error(decoded);
          expect([decoded.questions[0]!.name, decoded.answers[0]!.name, decoded.answers[0]!.data]).toEqual([one, one, one]);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('agrees with dns-packet on names it can spell (ASCII labels without a dot)', () => {
    // Not '.', nor line breaks: dns-packet trims dots next to them (its /^\.|\.$/gm).
    const asciiLabel = fc.array(fc.integer({ min: 0, max: 127 }).filter((c) => c !== 0x2e && c !== 0x0a && c !== 0x0d), { minLength: 1, maxLength: 63 });
    fc.assert(
      fc.property(fc.array(asciiLabel, { minLength: 1, maxLength: 3 }), (labels) => {
        const raw = labels.map((l) => String.fromCharCode(...l)).join('.');
        const encoded = packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: raw, class: 'IN' }] });
        const expectedWire = lower(Uint8Array.from(encoded.subarray(12, encoded.length - 4)));
        const decoded = decodeMessage(encoded);
        if (typeof decoded === 'string') throw new Error(decoded);
        const text = decoded.questions[0]!.name;
        // Writing the text gives dns-packet's bytes; unescaping it gives dns-packet's name.
        expect(nameToWire(text)).toEqual(expectedWire);
        const oracle = packet.decode(Buffer.concat([encoded.subarray(0, 12), Buffer.from(nameToWire(text)), encoded.subarray(encoded.length - 4)]));
        expect(oracle.questions![0]!.name).toBe(raw.toLowerCase().replace(/[A-Z]/g, (c) => c.toLowerCase()));
        // A compressing byte writer: dns-packet reads both names back.
        const w = new ByteWriter({ compress: true });
        w.u16(7).u16(0x8180).u16(1).u16(1).u16(0).u16(0).name(nameToWire(text)).u16(1).u16(1);
        w.name(nameToWire(text)).u16(1).u16(1).u32(60).u16(4).u32(0xc0000201);
        const message = Buffer.from(w.done());
        expect(message.length).toBe(12 + expectedWire.length + 4 + 2 + 14);
        const back = packet.decode(message);
        expect(back.answers![0]!.name).toBe(back.questions![0]!.name);
        expect(decodeMessage(message)).toMatchObject({ answers: [{ name: text }] });
      }),
      { numRuns: 800 },
    );
  });

  it('the RPZ zone file and its AXFR records hold the name\'s own bytes (no second escaping)', () => {
    const o = rpzOptionsOf(validateConfig({}, 'test'));
    o.allowlist = new Allowlist([]);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 2 }), (labels) => {
        const wire = wireOf([...labels, [...'example'].map((c) => c.charCodeAt(0))]);
        const text = readOneName(wire, 0, 0, wire.length)!;
        if (text.startsWith('rpz-') || text.includes('.rpz-') || wire.length - 1 > 255 - 17) return;
        const zone = buildRpzZone([flaggedVerdict(text)], o, 5);
        const parsed = parseZone(formatZone(zone));
        const owners = parsed.records.map((r) => Buffer.concat(r.owner.map((l) => Buffer.concat([Buffer.of(l.length), l]))));
        const expected = Buffer.concat([Buffer.from(lower(wire).subarray(0, -1)), Buffer.from(nameToWire('rpz.fluxhound'))]).subarray(0, -1);
        expect(owners.some((b) => b.equals(expected)), text).toBe(true);
        const axfr = [...compileZone(zone).records.values()].map((r) => Buffer.from(r));
        expect(axfr.some((r) => r.subarray(0, expected.length + 1).equals(Buffer.concat([expected, Buffer.of(0)]))), text).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostile bytes: refused with a reason on every path, never thrown out', () => {
  /** The outcome of each reader: its text, or 'refused'. */
  function outcomes(message: Uint8Array): { decoder: string; rpz: string; forwarder: string } {
    const decoded = decodeMessage(message);
    const decoder = typeof decoded === 'string' ? 'refused' : (decoded.questions[0]?.name ?? 'none');
    let rpz: string;
    try {
      const t = rpzReadName(message, 12).name.text;
      rpz = t === '.' ? '.' : t.slice(0, -1);
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
      rpz = 'refused';
    }
    const info = newQueryInfo();
    const forwarder = readQuery(Buffer.from(message), message.length, info) === null ? queryName(Buffer.from(message), info) || '.' : 'refused';
    return { decoder, rpz, forwarder };
  }

  it('pointer loops, forward pointers, bad label types, truncation and names over 255 octets', () => {
    const header = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    const cases: [string, number[]][] = [
      ['pointer to itself', [...header, 0xc0, 12, 0, 1, 0, 1]],
      ['forward pointer', [...header, 0xc0, 14, 0, 1, 0, 1, 0]],
      ['two pointers in a loop', [...header, 1, 0x61, 0xc0, 16, 0xc0, 12, 0, 1, 0, 1]],
      ['label type 0x40', [...header, 0x41, 0x61, 0, 0, 1, 0, 1]],
      ['label type 0x80', [...header, 0x81, 0x61, 0, 0, 1, 0, 1]],
      ['truncated label', [...header, 5, 0x61, 0x62]],
      ['truncated pointer', [...header, 1, 0x61, 0xc0]],
      ['no root label', [...header, 1, 0x61]],
      ['256 octets', [...header, ...[63, 63, 63, 62].flatMap((n) => [n, ...new Array<number>(n).fill(0x61)]), 0, 0, 1, 0, 1]],
    ];
    for (const [what, bytes] of cases) {
      const got = outcomes(Uint8Array.from(bytes));
      expect(got, what).toEqual({ decoder: 'refused', rpz: 'refused', forwarder: 'refused' });
    }
    // A backward pointer is read by the decoder and the RPZ server alike; the forwarder takes no compressed question.
    const backward = Uint8Array.from([...header.slice(0, 5), 2, ...header.slice(6), 1, 0x61, 0, 0, 1, 0, 1, 1, 0x42, 0xc0, 12, 0, 1, 0, 1]);
    expect(decodeMessage(backward)).toMatchObject({ questions: [{ name: 'a' }, { name: 'b.a' }] });
    expect(rpzReadName(backward, 19).name.text).toBe('b.a.');
  });

  it('random bytes: each reader answers or refuses, and the ones that answer agree (property)', () => {
    const header = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(0, 1, 2, 63, 64, 0xc0, 12, 0x2e, 0x5c, 0x22), fc.integer({ min: 0, max: 255 })), { maxLength: 300 }), (body) => {
        const message = Buffer.concat([header, Buffer.from(body)]);
        const got = outcomes(message);
        if (got.rpz !== 'refused' && got.decoder !== 'refused') expect(got.decoder).toBe(got.rpz);
        if (got.forwarder !== 'refused') {
          expect(got.rpz).toBe(got.forwarder);
          expect(got.decoder).toBe(got.forwarder);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
