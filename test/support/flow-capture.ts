/**
 * A small, fixed capture for the flow exporters: clients ask a resolver for a
 * few names, then talk to the answered addresses over TCP and UDP (IPv4 and
 * IPv6), and one pings. softflowd reads it (test/support/softflowd.ts) and
 * exports the conversations as NetFlow/IPFIX. Everything is a function of the
 * base time, so two builds are byte-identical.
 */
import { writeMessage } from '../../src/dns/message-writer.js';
import { FLAG_QR, FLAG_RA, FLAG_RD, TYPE } from '../../src/dns/constants.js';
import { formatIPv4, formatIPv6 } from '../../src/model/names.js';
import type { ResourceRecord } from '../../src/model/observation.js';
import { LINKTYPE_ETHERNET } from '../../src/sources/pcap/packet.js';
import { ipPacket, linkFrame, pcapFile, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, tcpFrame, udpFrame, type Endpoints, type Frame } from './pcap-synth.js';

/** 2026-11-29T10:00:00.125Z: a fraction, so millisecond times are checked too. */
export const CAPTURE_START = 1_795_946_400.125;

export const RESOLVER = '192.0.2.53';
export const RESOLVER6 = '2001:db8:53::53';

/** The names the capture answers, and their addresses. */
export const ANSWERS: Record<string, { a: string[]; aaaa: string[] }> = {
  'www.flux.example': { a: ['203.0.113.1', '203.0.113.2', '203.0.113.3'], aaaa: ['2001:db8:f1::1'] },
  'cdn.example.net': { a: ['198.51.100.80'], aaaa: ['2001:db8:cd::80'] },
  'mail.example.org': { a: ['198.51.100.25'], aaaa: [] },
};

/** Who talks to what: client, name, which answer, transport, destination port, payload sizes out and back. */
interface Conversation {
  client: string;
  name: string;
  address: string;
  proto: 'tcp' | 'udp';
  port: number;
  out: number[];
  back: number[];
}

const CONVERSATIONS: Conversation[] = [
  { client: '192.0.2.10', name: 'www.flux.example', address: '203.0.113.1', proto: 'tcp', port: 443, out: [517, 80], back: [1400, 1400, 312] },
  { client: '192.0.2.11', name: 'www.flux.example', address: '203.0.113.2', proto: 'tcp', port: 80, out: [230], back: [900] },
  { client: '192.0.2.12', name: 'www.flux.example', address: '203.0.113.3', proto: 'udp', port: 443, out: [1200, 60], back: [1200, 1200, 45] },
  { client: '192.0.2.12', name: 'mail.example.org', address: '198.51.100.25', proto: 'tcp', port: 587, out: [40, 300], back: [90] },
  { client: '192.0.2.13', name: 'cdn.example.net', address: '198.51.100.80', proto: 'udp', port: 123, out: [48], back: [48] },
  { client: '2001:db8:c::10', name: 'www.flux.example', address: '2001:db8:f1::1', proto: 'tcp', port: 443, out: [517], back: [1300, 200] },
  { client: '2001:db8:c::11', name: 'cdn.example.net', address: '2001:db8:cd::80', proto: 'udp', port: 443, out: [1200], back: [1200, 800] },
];

function answerRecords(name: string, qtype: number): ResourceRecord[] {
  const set = ANSWERS[name]!;
  return qtype === TYPE.A
    ? set.a.map((data) => ({ name, type: 'A', ttl: 60, data }))
    : set.aaaa.map((data) => ({ name, type: 'AAAA', ttl: 60, data }));
}

function reverse(e: Endpoints): Endpoints {
  return { src: e.dst, dst: e.src, srcPort: e.dstPort, dstPort: e.srcPort };
}

/** An ICMP (or ICMPv6) echo request or reply of `size` payload bytes. */
function echo(src: string, dst: string, reply: boolean, size: number): Buffer {
  const v6 = src.includes(':');
  const body = Buffer.alloc(8 + size);
  body[0] = v6 ? (reply ? 129 : 128) : reply ? 0 : 8;
  body.writeUInt16BE(0x4242, 4);
  body.writeUInt16BE(1, 6);
  return linkFrame(LINKTYPE_ETHERNET, ipPacket(src, dst, v6 ? 58 : 1, body));
}

/** The capture's frames, in time order; `start` shifts every time stamp (default CAPTURE_START). */
export function flowCaptureFrames(start = CAPTURE_START): Frame[] {
  const frames: Frame[] = [];
  let ts = start;
  // Millisecond steps that are not round, so a decoder that drops or rounds the fraction shows.
  const at = (step: number) => (ts = Math.round((ts + step) * 1000) / 1000);
  let clientPort = 40_000;
  CONVERSATIONS.forEach((c, i) => {
    const v6 = c.client.includes(':');
    const lookup: Endpoints = { src: c.client, dst: v6 ? RESOLVER6 : RESOLVER, srcPort: 50_000 + i, dstPort: 53 };
    const qtype = v6 ? TYPE.AAAA : TYPE.A;
    const question = writeMessage({ id: 100 + i, flags: FLAG_RD, rcode: 0, qname: c.name, qtype });
    const answer = writeMessage({ id: 100 + i, flags: FLAG_QR | FLAG_RD | FLAG_RA, rcode: 0, qname: c.name, qtype, answers: answerRecords(c.name, qtype) });
    frames.push({ ts: at(0.013), bytes: udpFrame(LINKTYPE_ETHERNET, lookup, question) });
    frames.push({ ts: at(0.007), bytes: udpFrame(LINKTYPE_ETHERNET, reverse(lookup), answer) });
    const to: Endpoints = { src: c.client, dst: c.address, srcPort: ++clientPort, dstPort: c.port };
    const from = reverse(to);
    if (c.proto === 'tcp') {
      let seq = 1000;
      let ack = 9000;
      frames.push({ ts: at(0.021), bytes: tcpFrame(LINKTYPE_ETHERNET, to, seq, TCP_SYN, new Uint8Array()) });
      frames.push({ ts: at(0.019), bytes: tcpFrame(LINKTYPE_ETHERNET, from, ack, TCP_SYN | TCP_ACK, new Uint8Array()) });
      for (const size of c.out) {
        frames.push({ ts: at(0.003), bytes: tcpFrame(LINKTYPE_ETHERNET, to, ++seq, TCP_ACK | TCP_PSH, new Uint8Array(size)) });
        seq += size;
      }
      for (const size of c.back) {
        frames.push({ ts: at(0.011), bytes: tcpFrame(LINKTYPE_ETHERNET, from, ++ack, TCP_ACK | TCP_PSH, new Uint8Array(size)) });
        ack += size;
      }
      frames.push({ ts: at(0.057), bytes: tcpFrame(LINKTYPE_ETHERNET, to, seq, TCP_FIN | TCP_ACK, new Uint8Array()) });
      frames.push({ ts: at(0.017), bytes: tcpFrame(LINKTYPE_ETHERNET, from, ack, TCP_FIN | TCP_ACK, new Uint8Array()) });
    } else {
      for (const size of c.out) frames.push({ ts: at(0.023), bytes: udpFrame(LINKTYPE_ETHERNET, to, new Uint8Array(size)) });
      for (const size of c.back) frames.push({ ts: at(0.029), bytes: udpFrame(LINKTYPE_ETHERNET, from, new Uint8Array(size)) });
    }
    ts += 0.25;
  });
  // One client pings a flux address (ICMP has no ports: each exporter and collector has its own rule).
  frames.push({ ts: at(0.031), bytes: echo('192.0.2.10', '203.0.113.2', false, 56) });
  frames.push({ ts: at(0.037), bytes: echo('203.0.113.2', '192.0.2.10', true, 56) });
  return frames;
}

export function flowCapture(start = CAPTURE_START): Buffer {
  return pcapFile(flowCaptureFrames(start), { linkType: LINKTYPE_ETHERNET });
}

/** Conversations in the capture (each is two flows, one per direction, plus the lookup's two). */
export const CONVERSATION_COUNT = CONVERSATIONS.length;

/** One direction of a conversation as the capture has it: what an exact exporter (softflowd) would report. */
export interface TruthFlow {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  proto: number;
  start: number;
  end: number;
  /** IP bytes (header included), as NetFlow counts them. */
  bytes: number;
  packets: number;
}

/** The flows in the capture, read back from its frames (Ethernet, IPv4/IPv6, TCP/UDP/ICMP); ICMP as type*256+code in srcPort. */
export function captureTruth(start = CAPTURE_START): TruthFlow[] {
  const flows = new Map<string, TruthFlow>();
  for (const frame of flowCaptureFrames(start)) {
    const ip = Buffer.from(frame.bytes.subarray(14));
    const v6 = ip[0]! >>> 4 === 6;
    const header = v6 ? 40 : 20;
    const proto = v6 ? ip[6]! : ip[9]!;
    const length = v6 ? 40 + ip.readUInt16BE(4) : ip.readUInt16BE(2);
    const src = v6 ? formatIPv6(groups(ip, 8)) : formatIPv4(ip.readUInt32BE(12));
    const dst = v6 ? formatIPv6(groups(ip, 24)) : formatIPv4(ip.readUInt32BE(16));
    const icmp = proto === 1 || proto === 58;
    // ICMP type and code are the first two bytes, i.e. type*256+code read as one 16-bit number.
    const srcPort = ip.readUInt16BE(header);
    const dstPort = icmp ? 0 : ip.readUInt16BE(header + 2);
    const key = `${proto} ${src}:${srcPort} > ${dst}:${dstPort}`;
    const flow = flows.get(key);
    if (flow === undefined) flows.set(key, { src, srcPort, dst, dstPort, proto, start: frame.ts, end: frame.ts, bytes: length, packets: 1 });
    else {
      flow.end = frame.ts;
      flow.bytes += length;
      flow.packets++;
    }
  }
  // softflowd tracks a conversation as one flow and exports each direction with
  // the conversation's first and last packet times (ICMP echo and reply differ
  // in type, so they are two conversations).
  for (const flow of flows.values()) {
    const back = flows.get(`${flow.proto} ${flow.dst}:${flow.dstPort} > ${flow.src}:${flow.srcPort}`);
    if (back === undefined) continue;
    flow.start = Math.min(flow.start, back.start);
    back.start = flow.start;
    flow.end = Math.max(flow.end, back.end);
    back.end = flow.end;
  }
  return [...flows.values()];
}

function groups(b: Buffer, at: number): Uint16Array {
  const g = new Uint16Array(8);
  for (let i = 0; i < 8; i++) g[i] = b.readUInt16BE(at + 2 * i);
  return g;
}
