/**
 * A large, realistic DNS capture for the pcap benchmark, generated on the fly
 * (seeded, so the same options give the same bytes): resolver responses as a
 * recursive server sends them, with name compression — mostly A and AAAA
 * answers (some behind a CNAME, fast-flux-like sets among them), referrals
 * with NS in authority and glue in additional, NXDOMAIN with SOA, EDNS OPT in
 * most; some of the queries; 5% over TCP (length-prefixed, some split over
 * two segments). Ethernet, IPv4 and IPv6 clients.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Prng, WeightedIndex, zipfWeights } from '../src/corpus/prng.js';
import { LINKTYPE_ETHERNET } from '../src/sources/pcap/packet.js';
import { lengthPrefixed, pcapHeader, pcapRecord, TCP_ACK, TCP_FIN, TCP_PSH, tcpFrame, udpFrame, type Endpoints } from '../test/support/pcap-synth.js';

export interface CaptureSpec {
  responses: number;
  seed: number;
}

/** Bumped whenever the generator's output changes, so that an old file is not reused. */
export const CAPTURE_VERSION = 1;

export interface CaptureFile {
  version: number;
  path: string;
  packets: number;
  responses: number;
  bytes: number;
}

/** Writes DNS messages with RFC 1035 name compression. */
class MessageWriter {
  private readonly buffer = Buffer.alloc(65535);
  private p = 0;
  private readonly offsets = new Map<string, number>();

  start(id: number, flags: number, counts: readonly [number, number, number, number]): void {
    this.p = 0;
    this.offsets.clear();
    this.u16(id);
    this.u16(flags);
    for (const count of counts) this.u16(count);
  }

  name(name: string): void {
    let rest = name;
    for (;;) {
      const known = this.offsets.get(rest);
      if (known !== undefined) return this.u16(0xc000 | known);
      if (this.p < 0x3fff) this.offsets.set(rest, this.p);
      const dot = rest.indexOf('.');
      const label = dot < 0 ? rest : rest.slice(0, dot);
      this.buffer[this.p++] = label.length;
      this.p += this.buffer.write(label, this.p, 'latin1');
      if (dot < 0) break;
      rest = rest.slice(dot + 1);
    }
    this.buffer[this.p++] = 0;
  }

  question(name: string, type: number): void {
    this.name(name);
    this.u16(type);
    this.u16(1);
  }

  record(owner: string, type: number, ttl: number, data: (w: MessageWriter) => void): void {
    this.name(owner);
    this.u16(type);
    this.u16(1);
    this.buffer.writeUInt32BE(ttl, this.p);
    this.p += 4;
    const lengthAt = this.p;
    this.p += 2;
    data(this);
    this.buffer.writeUInt16BE(this.p - lengthAt - 2, lengthAt);
  }

  opt(): void {
    this.buffer.set([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0], this.p);
    this.p += 11;
  }

  bytes(values: readonly number[]): void {
    for (const v of values) this.buffer[this.p++] = v;
  }

  u16(v: number): void {
    this.buffer.writeUInt16BE(v, this.p);
    this.p += 2;
  }

  u32(v: number): void {
    this.buffer.writeUInt32BE(v >>> 0, this.p);
    this.p += 4;
  }

  done(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.p));
  }
}

const A = 1;
const NS = 2;
const CNAME = 5;
const SOA = 6;
const AAAA = 28;

const WORDS = ['shop', 'mail', 'cdn', 'api', 'login', 'static', 'img', 'news', 'pay', 'app', 'video', 'auth', 'data', 'dl', 'update', 'portal'];
const SUFFIXES = ['com', 'net', 'org', 'info', 'top', 'de', 'co.uk', 'xyz', 'io', 'ru'];

function v4(rng: Prng): number[] {
  return [rng.range(1, 223), rng.int(256), rng.int(256), rng.range(1, 254)];
}

function v6(rng: Prng): number[] {
  return [0x20, 0x01, 0x0d, 0xb8, ...Array.from({ length: 12 }, () => rng.int(256))];
}

interface Name {
  name: string;
  flux: boolean;
  /** Stable addresses of a non-flux name. */
  addresses: number[][];
}

function namePool(rng: Prng, size: number): Name[] {
  const pool: Name[] = [];
  for (let i = 0; i < size; i++) {
    const domain = `${rng.pick(WORDS)}${i.toString(36)}.${rng.pick(SUFFIXES)}`;
    const name = rng.chance(0.7) ? `${rng.pick(WORDS)}.${domain}` : domain;
    pool.push({ name, flux: rng.chance(0.02), addresses: Array.from({ length: rng.range(1, 3) }, () => v4(rng)) });
  }
  return pool;
}

function response(w: MessageWriter, rng: Prng, id: number, entry: Name, kind: number): Buffer {
  const edns = rng.chance(0.8);
  const name = entry.name;
  if (kind < 65) {
    const cname = !entry.flux && rng.chance(0.3) ? `e${rng.int(5000)}.a.cdn-edge.net` : null;
    const addresses = entry.flux ? Array.from({ length: rng.range(4, 10) }, () => v4(rng)) : entry.addresses;
    w.start(id, 0x8180, [1, addresses.length + (cname === null ? 0 : 1), 0, edns ? 1 : 0]);
    w.question(name, A);
    if (cname !== null) w.record(name, CNAME, 3600, (x) => x.name(cname));
    for (const a of addresses) w.record(cname ?? name, A, entry.flux ? rng.range(1, 120) : 300, (x) => x.bytes(a));
  } else if (kind < 80) {
    const count = rng.range(1, 2);
    w.start(id, 0x8180, [1, count, 0, edns ? 1 : 0]);
    w.question(name, AAAA);
    for (let i = 0; i < count; i++) w.record(name, AAAA, 300, (x) => x.bytes(v6(rng)));
  } else if (kind < 93) {
    const zone = name.slice(name.indexOf('.') + 1);
    const servers = rng.range(2, 4);
    w.start(id, 0x8180, [1, 1, servers, servers + (edns ? 1 : 0)]);
    w.question(name, A);
    w.record(name, A, 300, (x) => x.bytes(entry.addresses[0]!));
    for (let i = 0; i < servers; i++) w.record(zone.includes('.') ? zone : name, NS, 86400, (x) => x.name(`ns${i + 1}.${zone}`));
    for (let i = 0; i < servers; i++) w.record(`ns${i + 1}.${zone}`, A, 86400, (x) => x.bytes(v4(rng)));
  } else {
    const zone = name.slice(name.indexOf('.') + 1);
    w.start(id, 0x8183, [1, 0, 1, edns ? 1 : 0]);
    w.question(`x${rng.int(1e6)}.${name}`, A);
    w.record(zone, SOA, 900, (x) => {
      x.name(`ns1.${zone}`);
      x.name(`hostmaster.${zone}`);
      for (const v of [2026112601, 7200, 3600, 1209600, 900]) x.u32(v);
    });
  }
  if (edns) w.opt();
  return w.done();
}

function queryFor(w: MessageWriter, id: number, message: Buffer): Buffer {
  // The response's question, as the query: header with QR clear and one question.
  const end = message.indexOf(0, 12) + 5;
  w.start(id, 0x0100, [1, 0, 0, 0]);
  w.bytes([...message.subarray(12, end)]);
  return w.done();
}

/** Writes the capture; `packets` counts every record in it (queries and TCP segments included). */
export function writeCapture(path: string, spec: CaptureSpec): CaptureFile {
  const rng = new Prng(spec.seed);
  const pool = namePool(rng.fork('names'), 200_000);
  const popularity = new WeightedIndex(zipfWeights(pool.length, 1.0));
  const writer = new MessageWriter();
  const fd = openSync(path, 'w');
  const batch: Buffer[] = [];
  let batchBytes = 0;
  let bytes = 0;
  let packets = 0;
  const emit = (ts: number, frame: Buffer): void => {
    const record = pcapRecord({ ts, bytes: frame });
    batch.push(record);
    batchBytes += record.length;
    packets++;
    if (batchBytes > 4 << 20) flush();
  };
  const flush = (): void => {
    const chunk = Buffer.concat(batch, batchBytes);
    writeSync(fd, chunk);
    bytes += chunk.length;
    batch.length = 0;
    batchBytes = 0;
  };
  try {
    const header = pcapHeader();
    writeSync(fd, header);
    bytes += header.length;
    let ts = 1_764_115_200;
    for (let i = 0; i < spec.responses; i++) {
      ts += rng.exponential(2000);
      const id = rng.int(65536);
      const entry = pool[popularity.draw(rng)]!;
      const message = response(writer, rng, id, entry, rng.int(100));
      const v6client = rng.chance(0.1);
      const toClient: Endpoints = v6client
        ? { src: '2001:db8:53::1', dst: `2001:db8:c::${(i % 5000).toString(16)}`, srcPort: 53, dstPort: 1024 + rng.int(64000) }
        : { src: '10.0.0.53', dst: `10.1.${(i >> 8) & 255}.${i & 255}`, srcPort: 53, dstPort: 1024 + rng.int(64000) };
      const toServer: Endpoints = { src: toClient.dst, dst: toClient.src, srcPort: toClient.dstPort, dstPort: 53 };
      if (rng.chance(0.05)) {
        const query = lengthPrefixed(queryFor(writer, id, message));
        emit(ts, tcpFrame(LINKTYPE_ETHERNET, toServer, 1000, TCP_PSH | TCP_ACK, query));
        const stream = lengthPrefixed(message);
        const seq = 5000;
        if (rng.chance(0.3) && stream.length > 40) {
          emit(ts + 1e-4, tcpFrame(LINKTYPE_ETHERNET, toClient, seq, TCP_ACK, stream.subarray(0, 30)));
          emit(ts + 2e-4, tcpFrame(LINKTYPE_ETHERNET, toClient, seq + 30, TCP_PSH | TCP_ACK | TCP_FIN, stream.subarray(30)));
        } else {
          emit(ts + 1e-4, tcpFrame(LINKTYPE_ETHERNET, toClient, seq, TCP_PSH | TCP_ACK | TCP_FIN, stream));
        }
        emit(ts + 3e-4, tcpFrame(LINKTYPE_ETHERNET, toServer, 1000 + query.length, TCP_FIN | TCP_ACK, Buffer.alloc(0)));
        continue;
      }
      if (rng.chance(0.2)) emit(ts - 5e-4, udpFrame(LINKTYPE_ETHERNET, toServer, queryFor(writer, id, message)));
      emit(ts, udpFrame(LINKTYPE_ETHERNET, toClient, message));
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { version: CAPTURE_VERSION, path, packets, responses: spec.responses, bytes };
}
