/**
 * A small authoritative server for tests, on 127.0.0.1 (UDP and TCP): one
 * zone in which the flux names answer every query with a fresh set of A
 * records drawn from real residential networks (announced ranges of eyeball
 * ASNs, src/corpus) with TTLs of 0–60 s, while the benign names answer
 * fixed records with long TTLs. Unbound reaches it through a stub-zone.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';
import { AddressSpace } from '../../src/corpus/address-space.js';
import { EYEBALL_ASNS } from '../../src/corpus/asns.js';
import { Prng } from '../../src/corpus/prng.js';

export interface FluxZone {
  /** Zone apex without trailing dot, e.g. 'fluxlab.test'. */
  origin: string;
  /** Names whose A records rotate. */
  flux: string[];
  /** Names with fixed A records. */
  benign: Record<string, string[]>;
  /** A records per flux answer. Default 6. */
  perAnswer?: number;
  /** TTL range of the flux answers, seconds, both ends included. Default [0, 60]. */
  fluxTtl?: [number, number];
  /** TTL of the benign answers, seconds. Default 3600. */
  benignTtl?: number;
  seed?: number;
}

export class FluxAuthority {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly rng: Prng;
  private readonly space: AddressSpace;
  private readonly asns: number[];
  port = 0;
  queries = 0;
  /** Queries per (lower-cased) name, every type: what a test reads to know who asked how often. */
  readonly asked = new Map<string, number>();

  constructor(private readonly zone: FluxZone) {
    this.rng = new Prng(zone.seed ?? 20261126);
    this.space = AddressSpace.load(EYEBALL_ASNS);
    this.asns = this.space.knownV4(EYEBALL_ASNS);
  }

  async start(port = 0): Promise<void> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '127.0.0.1', () => resolve());
    });
    this.port = udp.address().port;
    udp.on('message', (raw, from) => {
      const answer = this.answer(raw);
      if (answer !== null) udp.send(answer, from.port, from.address);
    });
    this.udp = udp;
    const tcp = createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          const answer = this.answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          if (answer !== null) {
            const frame = Buffer.alloc(answer.length + 2);
            frame.writeUInt16BE(answer.length);
            answer.copy(frame, 2);
            socket.write(frame);
          }
        }
      });
    });
    await new Promise<void>((resolve) => tcp.listen(this.port, '127.0.0.1', () => resolve()));
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((resolve) => (this.tcp === null ? resolve() : this.tcp.close(() => resolve())));
  }

  private answer(raw: Buffer): Buffer | null {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(raw);
    } catch {
      return null;
    }
    const question = query.questions?.[0];
    if (query.type !== 'query' || question === undefined) return null;
    this.queries++;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    this.asked.set(name, (this.asked.get(name) ?? 0) + 1);
    const origin = this.zone.origin;
    const soa: packet.Answer = {
      type: 'SOA',
      name: origin,
      ttl: 30,
      data: { mname: `ns.${origin}`, rname: `hostmaster.${origin}`, serial: 1, refresh: 300, retry: 60, expire: 86400, minimum: 30 },
    };
    const response = (rcode: number, answers: packet.Answer[], authorities: packet.Answer[] = []): Buffer =>
      packet.encode({ type: 'response', id: query.id, flags: packet.AUTHORITATIVE_ANSWER | rcode, questions: [question], answers, authorities });
    if (name !== origin && !name.endsWith(`.${origin}`)) return response(5, []);
    if (name === origin && question.type === 'SOA') return response(0, [soa]);
    if (name === origin && question.type === 'NS') return response(0, [{ type: 'NS', name: origin, ttl: 3600, data: `ns.${origin}` }]);
    if (name === `ns.${origin}`) return question.type === 'A' ? response(0, [{ type: 'A', name, ttl: 3600, data: '127.0.0.1' }]) : response(0, [], [soa]);
    if (this.zone.flux.includes(name)) {
      if (question.type !== 'A') return response(0, [], [soa]);
      const [low, high] = this.zone.fluxTtl ?? [0, 60];
      const ttl = low + this.rng.int(high - low + 1);
      const count = this.zone.perAnswer ?? 6;
      const answers: packet.Answer[] = [];
      for (let i = 0; i < count; i++) {
        const asn = this.asns[this.rng.int(this.asns.length)]!;
        answers.push({ type: 'A', name: question.name, ttl, data: this.space.pickV4Text(asn, this.rng) });
      }
      return response(0, answers);
    }
    const fixed = this.zone.benign[name];
    if (fixed !== undefined) {
      if (question.type !== 'A') return response(0, [], [soa]);
      return response(0, fixed.map((data) => ({ type: 'A' as const, name: question.name, ttl: this.zone.benignTtl ?? 3600, data })));
    }
    return response(3, [], [soa]);
  }
}
