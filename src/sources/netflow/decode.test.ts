// Hand-built datagrams for what the real fixtures do not cover: IPFIX
// variable-length fields, template withdrawal, IPv6, v5 header sampling.
import { describe, expect, test } from 'vitest';
import { decodeDatagram, TemplateCache } from './index.js';

function ipfix(domain: number, ...sets: number[][]): Uint8Array {
  const body = sets.flatMap((s) => [s[0]! >> 8, s[0]! & 255, (s.length + 3) >> 8, (s.length + 3) & 255, ...s.slice(1)]);
  const len = 16 + body.length;
  return Uint8Array.from([0, 10, len >> 8, len & 255, 0x60, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, domain, ...body]);
}
const u16 = (n: number): number[] => [n >> 8, n & 255];

describe('IPFIX', () => {
  // Template 300: sourceIPv4Address, destinationIPv4Address, a variable-length string (IE 82 interfaceName), protocolIdentifier, octetDeltaCount(4).
  const template = [2, ...u16(300), ...u16(5), ...u16(8), ...u16(4), ...u16(12), ...u16(4), ...u16(82), ...u16(65535), ...u16(4), ...u16(1), ...u16(1), ...u16(4)];
  const record = (varBytes: number[]): number[] => [10, 0, 0, 1, 10, 0, 0, 2, ...varBytes, 6, 0, 0, 1, 0];

  test('variable-length fields, short and long form', () => {
    const cache = new TemplateCache();
    const long = new Array<number>(300).fill(65);
    const r = decodeDatagram(ipfix(7, template, [300, ...record([3, 101, 116, 104]), ...record([255, ...u16(300), ...long])]), { exporter: 'e:1', cache, position: 'd', now: 0 });
    expect(r.skipped).toEqual([]);
    expect(r.flows.map((f) => [f.src, f.dst, f.proto, f.bytes, f.exporter])).toEqual([
      ['10.0.0.1', '10.0.0.2', 6, 256, 'e:1/7'],
      ['10.0.0.1', '10.0.0.2', 6, 256, 'e:1/7'],
    ]);
    expect(r.counts.unusedElements).toBe(2);
  });

  test('a variable length past the end skips the record', () => {
    const cache = new TemplateCache();
    const r = decodeDatagram(ipfix(7, template, [300, ...record([200, 1, 2])]), { exporter: 'e:1', cache, position: 'd', now: 0 });
    expect(r.flows).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual(['record of template 300 runs past its set']);
  });

  test('a withdrawn template loses the data after it; other domains keep theirs', () => {
    const cache = new TemplateCache();
    decodeDatagram(ipfix(7, template), { exporter: 'e:1', cache, position: 'd', now: 0 });
    decodeDatagram(ipfix(8, template), { exporter: 'e:1', cache, position: 'd', now: 0 });
    const w = decodeDatagram(ipfix(7, [2, ...u16(300), 0, 0], [300, ...record([0])]), { exporter: 'e:1', cache, position: 'd', now: 0 });
    expect(w.counts.withdrawals).toBe(1);
    expect(w.counts.lostNoTemplate).toBe(1);
    expect(decodeDatagram(ipfix(8, [300, ...record([0])]), { exporter: 'e:1', cache, position: 'd', now: 0 }).flows).toHaveLength(1);
  });

  test('a data record with samplingPacketInterval (305) and samplingPacketSpace (306): rate (interval + space) / interval', () => {
    const cache = new TemplateCache();
    // Template 301: sourceIPv4Address, destinationIPv4Address, octetDeltaCount(4), samplingPacketInterval(4), samplingPacketSpace(4).
    const t = [2, ...u16(301), ...u16(5), ...u16(8), ...u16(4), ...u16(12), ...u16(4), ...u16(1), ...u16(4), ...u16(305), ...u16(4), ...u16(306), ...u16(4)];
    // 2 packets taken, then 98 passed over: 1 in 50. Then 1 taken, 99 passed over: 1 in 100.
    const r = decodeDatagram(
      ipfix(3, t, [301, 10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 98, 10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 99]),
      { exporter: 'e', cache, position: 'd', now: 0 },
    );
    expect(r.skipped).toEqual([]);
    expect(r.flows.map((f) => [f.bytes, f.samplingRate])).toEqual([[256, 50], [256, 100]]);
  });

  test('biflowDirection 1 (RFC 5103 initiator) marks the source as the initiator; 0 (arbitrary) and absent do not', () => {
    const cache = new TemplateCache();
    // Template 500: sourceIPv4Address, destinationIPv4Address, sourceTransportPort, destinationTransportPort, biflowDirection(1).
    const t = [2, ...u16(500), ...u16(5), ...u16(8), ...u16(4), ...u16(12), ...u16(4), ...u16(7), ...u16(2), ...u16(11), ...u16(2), ...u16(239), ...u16(1)];
    const rec = (dir: number): number[] => [10, 9, 0, 9, 156, 207, 11, 156, ...u16(3000), ...u16(8080), dir];
    const r = decodeDatagram(ipfix(1, t, [500, ...rec(1), ...rec(0)]), { exporter: 'e', cache, position: 'd', now: 0 });
    expect(r.skipped).toEqual([]);
    expect(r.flows.map((f) => f.initiator)).toEqual(['src', undefined]);
    expect(r.counts.unusedElements).toBe(0);
  });

  test('IPv6 addresses in RFC 5952 form', () => {
    const cache = new TemplateCache();
    const t = [2, ...u16(400), ...u16(2), ...u16(27), ...u16(16), ...u16(28), ...u16(16)];
    const a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const b = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a];
    const r = decodeDatagram(ipfix(1, t, [400, ...a, ...b]), { exporter: 'e', cache, position: 'd', now: 0 });
    expect(r.flows.map((f) => [f.src, f.dst])).toEqual([['2001:db8::1', 'fe80::2a']]);
  });
});

test('v5 header sampling interval (low 14 bits) becomes the sampling rate', () => {
  const b = new Uint8Array(24 + 48);
  b.set([0, 5, 0, 1]);
  b.set([0x40, 100], 22); // mode 1, 1-in-100
  b.set([192, 0, 2, 1, 192, 0, 2, 2], 24);
  const r = decodeDatagram(b, { exporter: 'e', cache: new TemplateCache(), position: 'd' });
  expect(r.flows[0]!.samplingRate).toBe(100);
});

test('v5 ICMP: type*256+code moves from the destination port to srcPort (the contract); a TCP port stays', () => {
  const b = new Uint8Array(24 + 3 * 48);
  b.set([0, 5, 0, 3]);
  const record = (r: number, proto: number, srcPort: number, dstPort: number) => {
    const at = 24 + r * 48;
    b.set([192, 0, 2, 1, 203, 0, 113, 2], at);
    b.set([srcPort >> 8, srcPort & 255, dstPort >> 8, dstPort & 255], at + 32);
    b[at + 38] = proto;
  };
  record(0, 1, 0, 8 * 256); // echo request, as softflowd and Cisco export it
  record(1, 1, 4321, 3 * 256 + 1); // a source port exported (ASA's ICMP id): kept as exported
  record(2, 6, 0, 443);
  const r = decodeDatagram(b, { exporter: 'e', cache: new TemplateCache(), position: 'd' });
  expect(r.flows.map((f) => [f.proto, f.srcPort, f.dstPort])).toEqual([[1, 2048, 0], [1, 4321, 3 * 256 + 1], [6, 0, 443]]);
});

test('an unknown version is one skip', () => {
  const r = decodeDatagram(Uint8Array.from([0, 7, 0, 0]), { exporter: 'e', cache: new TemplateCache(), position: 'd' });
  expect(r.skipped.map((s) => s.reason)).toEqual(['unknown NetFlow version 7']);
  expect(r.counts.version).toBe(0);
});

test('1 to 3 bytes after the last set: zeros are padding, anything else a set header cut short', () => {
  const base = Uint8Array.from([0, 9, 0, 1, 0, 0, 0, 1, 0x60, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  const withTail = (tail: number[]) => Uint8Array.from([...base, 0x0f, 0xa1, 0, 8, 0, 0, 0, 0, ...tail]);
  const reasons = (b: Uint8Array) => decodeDatagram(b, { exporter: 'e', cache: new TemplateCache(), position: 'd', now: 0 }).skipped.map((s) => `${s.position}: ${s.reason}`);
  expect(reasons(withTail([0, 0]))).toEqual(['d set 1: no template 4001']);
  expect(reasons(withTail([1, 2]))).toEqual(['d set 1: no template 4001', 'd set 2: 2 bytes after the last set']);
});
