import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { decode, observationsOf, skipsOf, splitAt } from '../conformance.case.js';
import { runBinaryConformance } from '../binary-conformance.case.js';
import { pcapFormat } from './index.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
} from './packet.js';
import {
  ipPacket, lengthPrefixed, linkFrame, pcapFile, pcapHeader, pcapngFile, pcapngInterface, pcapngOtherBlock, pcapngPacket, pcapngSection,
  pcapngSimplePacket, pcapRecord, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, tcpFrame, udpDatagram, udpFrame, type Frame,
} from '../../../test/support/pcap-synth.js';
import {
  aaaaResponse, CLIENT, CLIENT6, ethernetUdp, firstFragment, fluxObservation, fluxResponse, loopResponse, query, SERVER, tcpAlone, TO_CLIENT,
  TO_CLIENT6, TO_SERVER,
} from './samples.case.js';

const T0 = 1700000000;
const frames = (records: readonly Uint8Array[], step = 0): Frame[] => records.map((bytes, i) => ({ ts: T0 + 0.25 + i * step, bytes }));

function pcapContainer(records: readonly Uint8Array[]) {
  const bytes = pcapFile(frames(records));
  const ends: number[] = [];
  let end = 24;
  for (const record of records) ends.push((end += 16 + record.length));
  return { bytes, ends };
}

const truncatedIPv4 = linkFrame(LINKTYPE_ETHERNET, Buffer.from([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17]));
const cutUdp = ethernetUdp(TO_CLIENT, fluxResponse()).subarray(0, 60);

runBinaryConformance(pcapFormat, {
  container: pcapContainer,
  good: [
    ethernetUdp(TO_CLIENT, fluxResponse()),
    udpFrame(LINKTYPE_ETHERNET, TO_CLIENT6, aaaaResponse()),
    tcpAlone(TO_CLIENT, fluxResponse(9)),
    linkFrame(LINKTYPE_ETHERNET, ipPacket(SERVER, CLIENT, 17, udpDatagram(TO_CLIENT, fluxResponse())), 2),
  ],
  bad: [
    truncatedIPv4,
    ethernetUdp(TO_CLIENT, loopResponse()),
    ethernetUdp(TO_CLIENT, fluxResponse().subarray(0, 40)),
    cutUdp,
    firstFragment(),
    tcpAlone(TO_CLIENT, Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0])),
    tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 5, TCP_SYN | TCP_FIN, Buffer.from([0, 5, 1, 2, 3, 4, 5])),
    tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 5, TCP_SYN | TCP_FIN, Buffer.from([0xff, 0xff, 1, 2, 3])),
  ],
  absurd: [
    ethernetUdp(TO_CLIENT, Buffer.from([...fluxResponse().subarray(0, 6), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...fluxResponse().subarray(12)])),
    linkFrame(LINKTYPE_ETHERNET, ipPacket(SERVER, CLIENT, 17, Buffer.alloc(8)), 5),
    ethernetUdp(TO_CLIENT, bigResponse(2000)),
    ethernetUdp(TO_CLIENT, Buffer.from([...fluxResponse().subarray(0, fluxResponse().length - 10), 0xff, 0xff, 0xff, 0xff, 0, 4, 1, 2, 3, 4])),
  ],
  foreign: [
    Buffer.from('#separator \\x09\n#fields\tts\tuid\n'),
    Buffer.from('{"timestamp":"2019-11-13T17:11:06.852509+0000","event_type":"dns"}\n'),
    Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...Array<number>(30).fill(0)]),
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x1c, 0, 0, 0, 1, 0, 0, 0, 0x16, ...Buffer.from('protobuf:dnstap.Dnstap')]),
  ],
});

function bigResponse(records: number): Buffer {
  const answers = Array.from({ length: records }, (_, i) => ({ type: 'A' as const, name: 'big.example', ttl: 1, data: `10.${(i >> 8) & 255}.${i & 255}.1` }));
  return dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'big.example' }], answers: answers.slice(0, 3600) });
}

const pcapOf = (records: readonly Uint8Array[], step = 1) => pcapFile(frames(records, step));

describe('pcap: link types and IP versions', () => {
  const cases: [string, number, boolean][] = [
    ['Ethernet', LINKTYPE_ETHERNET, true],
    ['Linux cooked (SLL)', LINKTYPE_LINUX_SLL, true],
    ['Linux cooked v2 (SLL2)', LINKTYPE_LINUX_SLL2, true],
    ['BSD loopback (NULL)', LINKTYPE_NULL, true],
    ['OpenBSD loopback (LOOP)', LINKTYPE_LOOP, true],
    ['raw IP (101)', LINKTYPE_RAW, true],
    ['raw IP (DLT 12)', 12, true],
    ['raw IP (DLT 14)', 14, true],
    ['IPv4 only', LINKTYPE_IPV4, false],
  ];
  it.each(cases)('%s (link type %i), IPv4 and IPv6: %s', (_name, linkType, alsoV6) => {
    const file = pcapFile(
      [
        { ts: T0, bytes: udpFrame(linkType, TO_SERVER, query()) },
        { ts: T0 + 0.5, bytes: udpFrame(linkType, TO_CLIENT, fluxResponse()) },
      ],
      { linkType },
    );
    const outcomes = decode(pcapFormat, [file]);
    expect(outcomes).toEqual([{ kind: 'observe', line: 2, observation: fluxObservation(T0 + 0.5) }]);
    if (!alsoV6) return;
    const v6 = decode(pcapFormat, [pcapFile([{ ts: T0, bytes: udpFrame(linkType, TO_CLIENT6, aaaaResponse()) }], { linkType })]);
    expect(observationsOf(v6)).toEqual([
      {
        ts: T0, qname: 'v6.example', qtype: 'AAAA', rcode: 'NOERROR', client: CLIENT6, count: 1, firstSeen: T0,
        answers: [{ name: 'v6.example', type: 'AAAA', data: '2001:db8::1', ttl: 30 }], authority: [], additional: [],
      },
    ]);
  });

  it('reads IPv6-only link type and IPv6 extension headers', () => {
    const udp = udpDatagram(TO_CLIENT6, aaaaResponse());
    const plain = ipPacket(TO_CLIENT6.src, TO_CLIENT6.dst, 17, udp);
    // Hop-by-hop (8 bytes) then destination options (16 bytes) before UDP.
    const withExtensions = Buffer.concat([plain.subarray(0, 40), Buffer.from([60, 0, 1, 4, 0, 0, 0, 0]), Buffer.from([17, 1, 1, 12, ...Array<number>(12).fill(0)]), udp]);
    withExtensions[6] = 0;
    withExtensions.writeUInt16BE(withExtensions.length - 40, 4);
    const outcomes = decode(pcapFormat, [pcapFile(frames([plain, withExtensions]), { linkType: LINKTYPE_IPV6 })]);
    expect(observationsOf(outcomes).map((o) => [o.qname, o.client, o.answers[0]?.data])).toEqual([
      ['v6.example', CLIENT6, '2001:db8::1'],
      ['v6.example', CLIENT6, '2001:db8::1'],
    ]);
  });

  it('reads 802.1Q and QinQ tags, passes over other protocols and ports silently', () => {
    const other = udpFrame(LINKTYPE_ETHERNET, { src: CLIENT, dst: SERVER, srcPort: 5353, dstPort: 5353 }, fluxResponse());
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const outcomes = decode(pcapFormat, [pcapOf([other, arp, linkFrame(LINKTYPE_ETHERNET, ipPacket(SERVER, CLIENT, 17, udpDatagram(TO_CLIENT, fluxResponse())), 1), linkFrame(LINKTYPE_ETHERNET, ipPacket(SERVER, CLIENT, 17, udpDatagram(TO_CLIENT, fluxResponse())), 3)], 0)]);
    expect(outcomes.map((o) => [o.kind, o.line])).toEqual([['observe', 3], ['observe', 4]]);
  });

  it('reports an unsupported link type per packet', () => {
    const outcomes = decode(pcapFormat, [pcapFile(frames([Buffer.alloc(40)]), { linkType: 147 })]);
    expect(skipsOf(outcomes)).toEqual([[1, 'unsupported link type 147']]);
  });

  it('skips a non-first IPv4 fragment silently and reports a first fragment holding DNS', () => {
    const later = linkFrame(LINKTYPE_ETHERNET, ipPacket(SERVER, CLIENT, 17, Buffer.alloc(100), { fragmentOffset: 185 }));
    expect(skipsOf(decode(pcapFormat, [pcapOf([firstFragment(), later])]))).toEqual([[1, 'IPv4 fragment']]);
  });
});

describe('pcap: containers', () => {
  const response = ethernetUdp(TO_CLIENT, fluxResponse());
  const expected = (ts: number) => [{ kind: 'observe', line: 1, observation: fluxObservation(ts) }];

  it('reads big-endian and nanosecond pcap', () => {
    for (const options of [{ bigEndian: true }, { nano: true }, { nano: true, bigEndian: true }]) {
      expect(decode(pcapFormat, [pcapFile([{ ts: T0 + 0.123456, bytes: response }], options)])[0]).toMatchObject({ observation: { ts: expect.closeTo(T0 + 0.123456, 6) } });
    }
    const nano = decode(pcapFormat, [pcapFile([{ ts: 1.000000001, bytes: response }], { nano: true })]);
    expect(observationsOf(nano)[0]!.ts).toBe(1.000000001);
  });

  it('reads a header with snap length 0', () => {
    expect(decode(pcapFormat, [pcapFile([{ ts: T0, bytes: response }], { snapLength: 0 })])).toEqual(expected(T0));
  });

  it('skips, with the packet number, every packet of an interface whose if_tsoffset is out of range (issue 12, defect 14)', () => {
    const file = Buffer.concat([
      pcapngSection(),
      pcapngInterface({ linkType: LINKTYPE_ETHERNET, tsoffset: 2 ** 62 }),
      pcapngInterface({ linkType: LINKTYPE_ETHERNET }),
      pcapngPacket({ ts: T0, bytes: response }, 0),
      pcapngPacket({ ts: T0 + 1, bytes: response }, 1),
      pcapngPacket({ ts: T0 + 2, bytes: response }, 0),
    ]);
    const outcomes = decode(pcapFormat, [file]);
    expect(skipsOf(outcomes)).toEqual([
      [1, 'interface 0: if_tsoffset 4611686018427387904 s is out of range'],
      [3, 'interface 0: if_tsoffset 4611686018427387904 s is out of range'],
    ]);
    expect(observationsOf(outcomes).map((o) => o.ts)).toEqual([T0 + 1]);
  });

  it('reads pcapng of either byte order, timestamp resolutions and offsets', () => {
    expect(decode(pcapFormat, [pcapngFile([{ ts: T0 + 0.5, bytes: response }])])).toEqual(expected(T0 + 0.5));
    expect(decode(pcapFormat, [pcapngFile([{ ts: T0 + 0.5, bytes: response }], { linkType: 1 }, true)])).toEqual(expected(T0 + 0.5));
    expect(decode(pcapFormat, [pcapngFile([{ ts: T0 + 0.5, bytes: response }], { linkType: 1, tsresol: 9 })])).toEqual(expected(T0 + 0.5));
    expect(decode(pcapFormat, [pcapngFile([{ ts: T0 + 0.5, bytes: response }], { linkType: 1, tsresol: 0x80 | 20 })])).toEqual(expected(T0 + 0.5));
    expect(decode(pcapFormat, [pcapngFile([{ ts: T0 + 0.5, bytes: response }], { linkType: 1, tsresol: 3, tsoffset: 1_000_000 }, true)])).toEqual(expected(T0 + 0.5));
  });

  it('reads pcapng interfaces per section, simple packet blocks, and passes over other blocks', () => {
    const v4 = udpFrame(LINKTYPE_RAW, TO_CLIENT, fluxResponse());
    const file = Buffer.concat([
      pcapngSection(),
      pcapngInterface({ linkType: LINKTYPE_ETHERNET }),
      pcapngInterface({ linkType: LINKTYPE_RAW, tsresol: 9 }),
      pcapngOtherBlock(4, Buffer.from('name resolution block')),
      pcapngPacket({ ts: T0, bytes: response }, 0),
      pcapngPacket({ ts: T0 + 1, bytes: v4 }, 1, 1e9),
      pcapngOtherBlock(5, Buffer.alloc(32)),
      pcapngSimplePacket({ ts: 0, bytes: response }),
      // A new section forgets the interfaces of the last one; this one is big-endian.
      pcapngSection(true),
      pcapngInterface({ linkType: LINKTYPE_LINUX_SLL2 }, true),
      pcapngPacket({ ts: T0 + 2, bytes: udpFrame(LINKTYPE_LINUX_SLL2, TO_CLIENT, fluxResponse()) }, 0, 1e6, true),
      pcapngPacket({ ts: T0 + 3, bytes: v4 }, 1, 1e6, true),
    ]);
    const outcomes = decode(pcapFormat, [file]);
    expect(outcomes.map((o) => [o.kind, o.line, o.kind === 'observe' ? o.observation.ts : o.skipped.reason])).toEqual([
      ['observe', 1, T0],
      ['observe', 2, T0 + 1],
      ['observe', 3, T0 + 1],
      ['observe', 4, T0 + 2],
      ['skip', 5, 'packet on undeclared interface 1'],
    ]);
  });

  it('reports a pcap record with an absurd length once and finds the next record after it', () => {
    const bad = Buffer.from(pcapRecord({ ts: T0, bytes: response }));
    bad.writeUInt32LE(300 * 1024, 8);
    const good = pcapRecord({ ts: T0 + 1, bytes: response });
    const file = Buffer.concat([pcapHeader(), pcapRecord({ ts: T0, bytes: response }), bad, good, good]);
    const expected = [
      ['observe', 1, ''],
      ['skip', 2, 'packet record of 307200 bytes: damaged, skipped to the next plausible record'],
      ['observe', 3, ''],
      ['observe', 4, ''],
    ];
    const show = (outcomes: ReturnType<typeof decode>) => outcomes.map((o) => [o.kind, o.line, o.kind === 'skip' ? o.skipped.reason : '']);
    expect(show(decode(pcapFormat, [file]))).toEqual(expected);
    // The last record of a file is believed without a successor only when it ends the input exactly.
    expect(show(decode(pcapFormat, [Buffer.concat([pcapHeader(), bad, good])]))).toEqual([expected[1]!.map((v) => (v === 2 ? 1 : v)), ['observe', 2, '']]);
    const chunks = Array.from({ length: Math.ceil(file.length / 7) }, (_, i) => file.subarray(i * 7, (i + 1) * 7));
    expect(decode(pcapFormat, chunks)).toEqual(decode(pcapFormat, [file]));
  });

  it('passes over garbage and zeros inside a capture, with one report each, and reads on', () => {
    const records = Array.from({ length: 6 }, (_, i) => pcapRecord({ ts: T0 + i, bytes: ethernetUdp(TO_CLIENT, fluxResponse(i)) }));
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 255));
    const file = Buffer.concat([pcapHeader(), records[0]!, records[1]!, garbage, records[2]!, records[3]!, Buffer.alloc(5000), records[4]!, records[5]!]);
    const outcomes = decode(pcapFormat, [file]);
    expect(observationsOf(outcomes).map((o) => o.ts)).toEqual([0, 1, 2, 3, 4, 5].map((i) => T0 + i));
    expect(skipsOf(outcomes).length).toBeLessThanOrEqual(2);
    expect(decode(pcapFormat, splitAt(file, [100, 1000, 3001, 3002, 7000]))).toEqual(outcomes);
  });

  it('passes over an oversized pcapng packet block as it streams, and reads on', () => {
    const huge = pcapngPacket({ ts: T0, bytes: Buffer.alloc(300 * 1024) });
    const file = Buffer.concat([pcapngSection(), pcapngInterface({ linkType: 1 }), huge, pcapngPacket({ ts: T0, bytes: response })]);
    const whole = decode(pcapFormat, [file]);
    expect(whole.map((o) => [o.kind, o.line])).toEqual([['skip', 1], ['observe', 2]]);
    const chunks = Array.from({ length: Math.ceil(file.length / 4096) }, (_, i) => file.subarray(i * 4096, (i + 1) * 4096));
    expect(decode(pcapFormat, chunks)).toEqual(whole);
  });

  it('reports a pcapng block with a bad length or differing lengths, and reads on from the next whole block', () => {
    const bad = pcapngOtherBlock(5, Buffer.alloc(8));
    bad.writeUInt32LE(13, 4);
    const differ = pcapngOtherBlock(5, Buffer.alloc(8));
    differ.writeUInt32LE(99, differ.length - 4);
    const packet = pcapngPacket({ ts: T0, bytes: response });
    const file = Buffer.concat([pcapngSection(), pcapngInterface({ linkType: 1 }), packet, bad, packet, differ, Buffer.from('junk'), packet]);
    const outcomes = decode(pcapFormat, [file]);
    expect(skipsOf(outcomes)).toEqual([[2, 'bad block length 13'], [4, 'block lengths differ']]);
    expect(outcomes.filter((o) => o.kind === 'observe').map((o) => o.line)).toEqual([1, 3, 5]);
  });

  it('reports a truncated file, and a forced read of something else', () => {
    expect(skipsOf(decode(pcapFormat, [pcapHeader().subarray(0, 20)]))).toEqual([[1, 'truncated file header']]);
    expect(skipsOf(decode(pcapFormat, [pcapOf([response, response]).subarray(0, -3)]))).toEqual([[2, 'truncated packet record']]);
    expect(skipsOf(decode(pcapFormat, [Buffer.from('#fields\tts\tuid\tquery\n')]))).toEqual([[1, 'not a pcap or pcapng file']]);
  });

  it('reports a packet cut short by the snap length', () => {
    const cut = ethernetUdp(TO_CLIENT, fluxResponse());
    const outcomes = decode(pcapFormat, [pcapFile([{ ts: T0, bytes: cut.subarray(0, 80), originalLength: cut.length }])]);
    expect(skipsOf(outcomes)).toEqual([[1, 'packet cut short by the capture']]);
  });
});

describe('pcap: queries and responses', () => {
  it('matches a response to its query: one observation, at the response, with the querying client', () => {
    const outcomes = decode(pcapFormat, [pcapOf([ethernetUdp(TO_SERVER, query()), ethernetUdp(TO_SERVER, query()), ethernetUdp(TO_CLIENT, fluxResponse())])]);
    expect(outcomes).toEqual([{ kind: 'observe', line: 3, observation: fluxObservation(T0 + 0.25 + 2) }]);
  });

  it('gives a response whose query was not captured, with the client it went to', () => {
    expect(observationsOf(decode(pcapFormat, [pcapOf([ethernetUdp(TO_CLIENT, fluxResponse())])]))).toEqual([fluxObservation(T0 + 0.25)]);
  });

  it('gives an unanswered query as a lookup without rcode, at the query packet', () => {
    const other = { ...TO_SERVER, srcPort: 40002 };
    const file = pcapOf([ethernetUdp(other, query(1, 'lost.example')), ethernetUdp(TO_SERVER, query()), ethernetUdp(TO_CLIENT, fluxResponse())]);
    const outcomes = decode(pcapFormat, [file]);
    expect(outcomes.map((o) => [o.kind, o.line, o.kind === 'observe' ? o.observation.qname : ''])).toEqual([
      ['observe', 3, 'www.flux.example'],
      ['observe', 1, 'lost.example'],
    ]);
    expect(observationsOf(outcomes)[1]).toEqual({
      ts: T0 + 0.25, qname: 'lost.example', qtype: 'A', rcode: null, client: CLIENT, answers: [], authority: [], additional: [], count: 1, firstSeen: T0 + 0.25,
    });
  });

  it('gives up on a query after 30 s of capture time', () => {
    const file = pcapOf([ethernetUdp(TO_SERVER, query(1, 'lost.example')), ethernetUdp(TO_SERVER, query()), ethernetUdp(TO_CLIENT, fluxResponse())], 20);
    expect(decode(pcapFormat, [file]).map((o) => [o.line, o.kind === 'observe' ? o.observation.qname : ''])).toEqual([
      [1, 'lost.example'],
      [3, 'www.flux.example'],
    ]);
  });

  it('matches over TCP, the response split over three segments out of order and retransmitted', () => {
    const message = lengthPrefixed(fluxResponse());
    const parts = [message.subarray(0, 10), message.subarray(10, 40), message.subarray(40)];
    const ack = TCP_ACK | TCP_PSH;
    const seq = 0xfffffff0; // wraps around 2^32 inside the message
    const file = pcapOf([
      tcpFrame(LINKTYPE_ETHERNET, TO_SERVER, 100, TCP_SYN, Buffer.alloc(0)),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, seq - 1, TCP_SYN | TCP_ACK, Buffer.alloc(0)),
      tcpFrame(LINKTYPE_ETHERNET, TO_SERVER, 101, ack, lengthPrefixed(query())),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, seq + 40, ack, parts[2]!),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, seq, ack, parts[0]!),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, seq, ack, parts[0]!),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, seq + 5, ack, message.subarray(5, 40)),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, seq + message.length, TCP_FIN | TCP_ACK, Buffer.alloc(0)),
    ], 0);
    expect(decode(pcapFormat, [file])).toEqual([{ kind: 'observe', line: 7, observation: fluxObservation(T0 + 0.25) }]);
  });

  it('reads two messages in one segment and a message across segments', () => {
    const two = Buffer.concat([lengthPrefixed(fluxResponse(1, 'a.flux.example')), lengthPrefixed(fluxResponse(2, 'b.flux.example'))]);
    const file = pcapOf([
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 10, TCP_ACK, two.subarray(0, 70)),
      tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 80, TCP_ACK, two.subarray(70)),
    ], 0);
    expect(decode(pcapFormat, [file]).map((o) => [o.line, o.kind === 'observe' ? o.observation.qname : ''])).toEqual([
      [2, 'a.flux.example'],
      [2, 'b.flux.example'],
    ]);
  });

  it('reports a stream that ends inside a message, and a gap it cannot wait for', () => {
    const message = lengthPrefixed(fluxResponse());
    const cut = pcapOf([tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 10, TCP_ACK, message.subarray(0, 30))]);
    expect(skipsOf(decode(pcapFormat, [cut]))).toEqual([[1, 'TCP stream ended inside a DNS message']]);
    const early = Array.from({ length: 17 }, (_, i) => tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 100_000 + i * 100, TCP_ACK, Buffer.alloc(10)));
    const gap = pcapOf([tcpFrame(LINKTYPE_ETHERNET, TO_CLIENT, 10, TCP_ACK, message.subarray(0, 30)), ...early]);
    expect(skipsOf(decode(pcapFormat, [gap]))[0]).toEqual([18, 'TCP segments missing']);
  });

  it('bounds the streams it follows', () => {
    const records = Array.from({ length: 4200 }, (_, i) => tcpFrame(LINKTYPE_ETHERNET, { ...TO_CLIENT, dstPort: 1024 + i }, 10, TCP_ACK, Buffer.from([0xff, 0xff, 1])));
    const outcomes = decode(pcapFormat, [pcapOf(records, 0)]);
    // Every stream is left inside a message: each is reported once, when evicted or at the end.
    expect(skipsOf(outcomes)).toHaveLength(4200);
    expect(skipsOf(outcomes)[0]).toEqual([4097, 'TCP stream ended inside a DNS message']);
  });
});
