import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { decode, observationsOf, skipsOf, splitAt } from '../conformance.case.js';
import { fixture } from '../fixtures.case.js';
import { readInputs } from '../input.js';
import { sourceFormats } from '../registry.js';
import { runBinaryConformance } from '../binary-conformance.case.js';
import { addressBytes, encodeDnstap, encodeDnstapFile } from '../../../test/support/dnstap-encode.js';
import { CONTROL_START, CONTROL_STOP, DNSTAP_CONTENT_TYPE, encodeControl, encodeData } from './frames.js';
import { dnstapFormat, DnstapDecoder } from './index.js';
import { MessageType } from './protobuf.js';
import { T0, clientResponse, fluxAnswers, query, response } from './samples.case.js';

const flux = response('login.flux-example.net', 'A', fluxAnswers('login.flux-example.net', ['198.51.100.23', '203.0.113.77', '192.0.2.5']));

const good = [
  clientResponse(flux),
  clientResponse(response('www.example.org', 'AAAA', [{ type: 'AAAA', name: 'www.example.org', ttl: 300, data: '2001:db8::1' }]), '2001:db8:0:0:0:0:0:99'),
  // A resolver's answer from an authoritative server, with the NS authority a double-flux check needs.
  encodeDnstap({
    type: MessageType.RESOLVER_RESPONSE,
    queryAddress: addressBytes('10.0.0.1'),
    responseAddress: addressBytes('192.0.2.53'),
    responseTimeSec: T0 + 1,
    responseMessage: response('a.example.com', 'A', [{ type: 'A', name: 'a.example.com', ttl: 30, data: '198.51.100.1' }], {
      authorities: [{ type: 'NS', name: 'example.com', ttl: 300, data: 'ns1.example.com' }],
    }),
  }),
  // Only a query time (some producers): it stamps the observation.
  encodeDnstap({ type: MessageType.FORWARDER_RESPONSE, queryTimeSec: T0 + 2, responseMessage: flux }),
  // NXDOMAIN, no answers.
  clientResponse(dnsPacket.encode({ type: 'response', id: 1, flags: 3, questions: [{ type: 'A', name: 'nx.example', class: 'IN' }] })),
];

const bad = [
  encodeData(Buffer.from('not a protobuf at all')),
  encodeData(encodeDnstap({ type: MessageType.CLIENT_RESPONSE, responseTimeSec: T0 })), // no response_message
  encodeData(clientResponse(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]))), // garbage DNS
  encodeData(clientResponse(flux.subarray(0, 30))), // truncated DNS
  encodeData(Buffer.from([0x72, 0x05, 0x08])), // Message length past the end
  encodeData(Buffer.from([0x78, 0x01])), // Dnstap without a message
  encodeData(Buffer.from([0x72, 0x02, 0x08, 0x06, 0x78, 0x02])), // Dnstap.type 2
  encodeData(Buffer.from([0x72, 0x02, 0x0a, 0x00])), // Message.type with wire type 2
  encodeData(clientResponse(flux, '192.0.2.10', { responseTimeSec: undefined, queryTimeSec: undefined })),
  encodeData(clientResponse(query('asked.example'))), // a query in response_message
  encodeData(Buffer.from([0x72, 0x0b, 0x08, 0x06, 0x60, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), // 11-byte varint
];

const absurd = [
  encodeData(clientResponse(flux, '192.0.2.10', { responseTimeSec: 2 ** 52 })),
  encodeData(clientResponse(flux, '192.0.2.10', { responseTimeNsec: 0xffffffff, queryPort: 2 ** 40 })),
  encodeData(clientResponse(flux, '192.0.2.10', { queryAddress: new Uint8Array(7) })),
  encodeData(clientResponse(response('big.example', 'A', fluxAnswers('big.example', Array.from({ length: 2000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`))))),
  encodeData(Buffer.concat([clientResponse(flux), Buffer.from([0xf8, 0x07, 0x01])])), // unknown field 127
];

const START = encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]);
const STOP = encodeControl(CONTROL_STOP);

/** The shared binary suite (records are whole data frames, between START and STOP). */
runBinaryConformance(dnstapFormat, {
  container(records) {
    const ends: number[] = [];
    let end = START.length;
    for (const record of records) ends.push((end += record.length));
    return { bytes: Buffer.concat([START, ...records, STOP]), ends };
  },
  good: good.map(encodeData),
  bad,
  absurd,
  foreign: [
    Buffer.from('#separator \\x09\n#fields\tts\tuid\n'),
    Buffer.from('{"timestamp":"2024-01-01T00:00:00Z","event_type":"dns"}\n'),
    encodeControl(CONTROL_START, ['protobuf:other.Thing']),
    fixture('dnstap/go-dnscollector.fstrm').subarray(0, 20),
  ],
});

describe('dnstap: frames over the cap', () => {
  it('skips an oversized data frame without holding it, and reads the next one', () => {
    const bytes = Buffer.concat([START, encodeData(Buffer.alloc(300 * 1024, 0x41)), encodeData(clientResponse(flux)), STOP]);
    for (const chunks of [[bytes], splitAt(bytes, Array.from({ length: 40 }, (_, i) => i * 65536))]) {
      const outcomes = decode(dnstapFormat, chunks);
      expect(outcomes.map((o) => [o.kind, o.line])).toEqual([
        ['skip', 1],
        ['observe', 2],
      ]);
      expect(skipsOf(outcomes)[0]![1]).toBe('data frame of 307200 bytes over the 262144-byte cap: skipped');
    }
  });
});

describe('dnstap: the go-dnscollector fixture (a dnsdist capture)', () => {
  const bytes = fixture('dnstap/go-dnscollector.fstrm');

  it('is sniffed and gives the one response, as kdig -G shows it', () => {
    expect(dnstapFormat.sniff(bytes)).toBe(true);
    const outcomes = decode(dnstapFormat, [bytes], 'go-dnscollector.fstrm');
    expect(skipsOf(outcomes)).toEqual([]);
    // START, data frame 1 CLIENT_QUERY (passed over), data frame 2 CLIENT_RESPONSE, STOP.
    expect(outcomes.map((o) => o.line)).toEqual([2]);
    const [observation] = observationsOf(outcomes);
    // kdig -G: id 37578, NOERROR, www.google.com. 273 IN A 216.58.213.68, "Time 2024-06-05 18:49:49 UTC", "To 172.19.0.1@46390(UDP)".
    expect(observation).toMatchObject({
      qname: 'www.google.com',
      qtype: 'A',
      rcode: 'NOERROR',
      client: '172.19.0.1',
      answers: [{ name: 'www.google.com', type: 'A', data: '216.58.213.68', ttl: 273 }],
      authority: [],
      count: 1,
    });
    expect(new Date(observation!.ts * 1000).toISOString().slice(0, 19)).toBe('2024-06-05T18:49:49');
    expect(observation!.firstSeen).toBe(observation!.ts);
  });

  it('agrees with dns-packet on the embedded response', () => {
    // The response_message starts after its key 0x72 and length 0x3b inside data frame 2.
    const start = bytes.indexOf(Buffer.from([0x92, 0xca, 0x81, 0x80]));
    const packet = dnsPacket.decode(bytes.subarray(start, start + 59));
    expect(packet.id).toBe(37578);
    expect(packet.answers?.[0]).toMatchObject({ name: 'www.google.com', type: 'A', ttl: 273, data: '216.58.213.68' });
  });
});

describe('dnstap: files', () => {
  it('passes queries over without an outcome', () => {
    const file = encodeDnstapFile([encodeDnstap({ type: MessageType.CLIENT_QUERY, queryTimeSec: T0, queryMessage: query('q.example') }), clientResponse(flux)]);
    expect(decode(dnstapFormat, [file]).map((o) => [o.kind, o.line])).toEqual([['observe', 2]]);
  });

  it('reads captures concatenated one after another', () => {
    const one = encodeDnstapFile([clientResponse(flux)]);
    const outcomes = decode(dnstapFormat, [Buffer.concat([one, one])]);
    expect(outcomes.map((o) => [o.kind, o.line])).toEqual([
      ['observe', 1],
      ['observe', 2],
    ]);
  });

  it('skips the data frames under a START of another content type, and reads dnstap again after the next START', () => {
    const other = Buffer.concat([encodeControl(CONTROL_START, ['protobuf:other.Thing']), encodeData(clientResponse(flux)), encodeControl(CONTROL_STOP)]);
    const outcomes = decode(dnstapFormat, [Buffer.concat([other, encodeDnstapFile([clientResponse(flux)])])]);
    expect(outcomes.map((o) => [o.kind, o.line])).toEqual([
      ['skip', 1],
      ['skip', 1],
      ['observe', 2],
    ]);
  });

  it('reports a file cut inside a frame and keeps what came before', () => {
    const file = encodeDnstapFile([clientResponse(flux), clientResponse(flux)]);
    const outcomes = decode(dnstapFormat, [file.subarray(0, file.length - 30)]);
    expect(outcomes.map((o) => [o.kind, o.line])).toEqual([
      ['observe', 1],
      ['skip', 2],
    ]);
    expect(skipsOf(outcomes)[0]![1]).toMatch(/^truncated frame: \d+ of \d+ bytes$/);
  });

  it('reports garbage after a valid START once and stops at a malformed control frame', () => {
    const file = Buffer.concat([encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE]), Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), encodeData(clientResponse(flux))]);
    expect(skipsOf(decode(dnstapFormat, [file]))).toEqual([[1, 'control frame of 4294967295 bytes (4..512)']]);
  });
});

describe('dnstap: through readInputs and the registry', () => {
  it('is recognised among all formats, gzipped or not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dnstap-read-'));
    try {
      const plain = join(dir, 'a.fstrm');
      const zipped = join(dir, 'b.dnstap.gz');
      writeFileSync(plain, fixture('dnstap/go-dnscollector.fstrm'));
      writeFileSync(zipped, gzipSync(encodeDnstapFile([clientResponse(flux), Buffer.from('junk')])));
      const seen: string[] = [];
      const summaries = await readInputs([plain, zipped], {
        format: 'auto',
        formats: sourceFormats,
        sink: { observe: (o) => seen.push(o.qname), skip: (s) => seen.push(`skip ${s.position.line}: ${s.reason}`) },
      });
      expect(summaries.map((s) => [s.format, s.compressed, s.observations, s.skipped])).toEqual([
        ['dnstap', false, 1, 0],
        ['dnstap', true, 1, 1],
      ]);
      expect(seen).toEqual(['www.google.com', 'login.flux-example.net', expect.stringMatching(/^skip 2: protobuf: /)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dnstap: two different responses to one client query', () => {
  const answer = (address: string, id = 5) =>
    dnsPacket.encode({
      type: 'response',
      id,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'A', name: 'www.news.example' }],
      answers: [{ type: 'A', name: 'www.news.example', ttl: 300, data: address }],
    });

  it('marks the later one (on-path injection) and counts it; the same answer again is no conflict', () => {
    const observations: Array<{ data: string; conflict: boolean }> = [];
    const decoder = new DnstapDecoder('tap.fstrm', {
      observe: (o) => observations.push({ data: o.answers[0]?.data ?? '', conflict: o.conflict === true }),
      skip: () => {},
    });
    decoder.push(
      encodeDnstapFile([
        clientResponse(answer('31.13.72.36'), '192.0.2.10', { responseTimeSec: T0 }),
        clientResponse(answer('31.13.72.36'), '192.0.2.10', { responseTimeSec: T0 }),
        clientResponse(answer('93.184.216.34'), '192.0.2.10', { responseTimeSec: T0 + 1 }),
        clientResponse(answer('10.0.0.1', 6), '192.0.2.10', { responseTimeSec: T0 + 1 }),
      ]),
    );
    decoder.end();
    expect(observations).toEqual([
      { data: '31.13.72.36', conflict: false },
      { data: '31.13.72.36', conflict: false },
      { data: '93.184.216.34', conflict: true },
      { data: '10.0.0.1', conflict: false },
    ]);
    expect(decoder.responses.conflicts).toBe(1);
  });
});

describe("dnstap: two different responses to the resolver's own upstream query", () => {
  const answer = (address: string, id = 5) =>
    dnsPacket.encode({
      type: 'response',
      id,
      flags: 0,
      questions: [{ type: 'A', name: 'www.news.example' }],
      answers: [{ type: 'A', name: 'www.news.example', ttl: 300, data: address }],
    });
  // The resolver (192.0.2.53:33333) asked an authority (198.51.100.1:53); the query address is the resolver's own.
  const upstream = (type: number, message: Uint8Array, port = 33333, dt = 0) =>
    clientResponse(message, '192.0.2.53', { type, queryPort: port, responseAddress: addressBytes('198.51.100.1'), responsePort: 53, responseTimeSec: T0 + dt });

  it('marks the later RESOLVER_RESPONSE or FORWARDER_RESPONSE to one query (an injector racing the authority), not other queries', () => {
    const observations: Array<{ data: string; conflict: boolean; client: string | null }> = [];
    const decoder = new DnstapDecoder('tap.fstrm', {
      observe: (o) => observations.push({ data: o.answers[0]?.data ?? '', conflict: o.conflict === true, client: o.client }),
      skip: () => {},
    });
    decoder.push(
      encodeDnstapFile([
        upstream(MessageType.RESOLVER_RESPONSE, answer('31.13.72.36')),
        upstream(MessageType.RESOLVER_RESPONSE, answer('93.184.216.34'), 33333, 0.05),
        upstream(MessageType.RESOLVER_RESPONSE, answer('10.0.0.1'), 33334),
        upstream(MessageType.RESOLVER_RESPONSE, answer('10.0.0.2', 6)),
        upstream(MessageType.FORWARDER_RESPONSE, answer('10.1.0.1', 7), 40404),
        upstream(MessageType.FORWARDER_RESPONSE, answer('10.1.0.2', 7), 40404, 1),
      ]),
    );
    decoder.end();
    expect(observations).toEqual([
      { data: '31.13.72.36', conflict: false, client: null },
      { data: '93.184.216.34', conflict: true, client: null },
      { data: '10.0.0.1', conflict: false, client: null },
      { data: '10.0.0.2', conflict: false, client: null },
      { data: '10.1.0.1', conflict: false, client: null },
      { data: '10.1.0.2', conflict: true, client: null },
    ]);
    expect(decoder.responses.conflicts).toBe(2);
  });
});
