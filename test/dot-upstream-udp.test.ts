/**
 * DoT clients' cache misses go to a plain upstream over UDP, not a TCP
 * connection each (REVIEW17 #2): a small answer comes from an upstream that
 * listens on UDP only, asked with fluxhound's own EDNS size (1232, not the
 * client's 4096); an answer the upstream truncates over UDP (TC) is fetched
 * again over TCP and reaches the DoT client whole. Real TLS on 127.0.0.1.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/schema.js';
import { Daemon } from '../src/serve/daemon.js';
import { DnsForwarder } from '../src/serve/dns/forwarder.js';
import { testForwarderOptions } from './support/forwarder-options.js';
import { makeTestCertificates } from './support/test-certs.js';
import { octetEnricher } from './helpers/octet-enricher.js';

const HOSTNAME = 'dot.fluxhound.test';
/** Answers for big.* hold this many A records: about 40 × 16 bytes, more than 512 bytes. */
const BIG = 40;

function answerTo(raw: Buffer, over: 'udp' | 'tcp'): Buffer {
  const q = packet.decode(raw);
  const question = q.questions![0]!;
  const big = question.name.startsWith('big.');
  const flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (big && over === 'udp' ? packet.TRUNCATED_RESPONSE : 0);
  const count = big ? (over === 'udp' ? 0 : BIG) : 1;
  const answers = Array.from({ length: count }, (_, i) => ({ type: 'A' as const, name: question.name, ttl: 60, data: `192.0.2.${i + 1}` }));
  return packet.encode({ type: 'response', id: q.id, flags, questions: [question], answers });
}

/** The scripted upstream: UDP from the start; TCP on the same port only once listenTcp() is called. Records what it was asked over each. */
class ScriptedUpstream {
  udp!: UdpSocket;
  tcp: Server | null = null;
  port = 0;
  readonly udpAsked: { name: string; udpSize: number | null }[] = [];
  readonly tcpAsked: string[] = [];
  async start(): Promise<void> {
    this.udp = createSocket('udp4');
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    this.port = this.udp.address().port;
    this.udp.on('message', (raw, from) => {
      const q = packet.decode(raw);
      const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
      this.udpAsked.push({ name: q.questions![0]!.name, udpSize: opt?.udpPayloadSize ?? null });
      this.udp.send(answerTo(raw, 'udp'), from.port, from.address);
    });
  }
  async listenTcp(): Promise<void> {
    this.tcp = createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          const raw = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
          buffered = buffered.subarray(2 + raw.length);
          this.tcpAsked.push(packet.decode(raw).questions![0]!.name);
          const answer = answerTo(raw, 'tcp');
          const length = Buffer.alloc(2);
          length.writeUInt16BE(answer.length);
          socket.write(Buffer.concat([length, answer]));
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(this.port, '127.0.0.1', () => resolve());
    });
  }
  async stop(): Promise<void> {
    this.udp.close();
    if (this.tcp !== null) await new Promise<void>((r) => this.tcp!.close(() => r()));
  }
}

const upstream = new ScriptedUpstream();
let dir = '';
let files: { ca: string; cert: string; key: string };
let fwd: DnsForwarder;
let daemon: Daemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluxhound-dot-udp-'));
  files = makeTestCertificates(dir, HOSTNAME);
  await upstream.start();
  daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
  fwd = new DnsForwarder(testForwarderOptions(upstream.port, { dot: { listen: { host: '127.0.0.1', port: 0, family: 4 }, tls: { cert: files.cert, key: files.key } } }), daemon.context);
  await fwd.start();
});

afterAll(async () => {
  await fwd?.stop();
  await upstream.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One DoT query for NAME A with EDNS size 4096; the decoded answer. */
function askDot(name: string): Promise<packet.Packet> {
  const query = packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flag_do: false, flags: 0, options: [] }] });
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: fwd.dotPort, ca: readFileSync(files.ca), servername: HOSTNAME, ALPNProtocols: ['dot'] });
    let got = Buffer.alloc(0);
    socket.on('secureConnect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 2 && got.length >= got.readUInt16BE(0) + 2) {
        socket.end();
        resolve(packet.decode(got.subarray(2, 2 + got.readUInt16BE(0))));
      }
    });
    socket.on('error', reject);
  });
}

async function metric(name: string): Promise<number> {
  const text = await daemon.context.registry.metrics();
  const line = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return Number(line?.[1] ?? NaN);
}

describe('DoT to a plain upstream', () => {
  it('asks a small name over UDP (the upstream has no TCP listener) with fluxhound\'s EDNS size', async () => {
    const answer = await askDot('small.example.test');
    expect(answer.flags! & 15).toBe(0); // NOERROR
    expect(answer.answers).toEqual([expect.objectContaining({ name: 'small.example.test', data: '192.0.2.1' })]);
    expect(upstream.udpAsked).toEqual([{ name: 'small.example.test', udpSize: 1232 }]);
    expect(fwd.upstreams.stats.udpQueries).toBe(1);
    expect(fwd.upstreams.stats.tcpQueries).toBe(0);
    expect(await metric('fluxhound_dns_upstream_udp_queries_total')).toBe(1);
    expect(await metric('fluxhound_dns_upstream_tcp_queries_total')).toBe(0);
  });

  it('fetches an answer truncated over UDP again over TCP and delivers it whole', async () => {
    await upstream.listenTcp();
    const answer = await askDot('big.example.test');
    expect(answer.flags! & packet.TRUNCATED_RESPONSE).toBe(0);
    expect(answer.answers).toHaveLength(BIG);
    expect(upstream.udpAsked.map((a) => a.name)).toEqual(['small.example.test', 'big.example.test']);
    expect(upstream.tcpAsked).toEqual(['big.example.test']);
    expect(await metric('fluxhound_dns_upstream_udp_queries_total')).toBe(2);
    expect(await metric('fluxhound_dns_upstream_tcp_queries_total')).toBe(1);
    expect(await metric('fluxhound_dns_upstream_truncated_retries_total')).toBe(1);
  });
});
