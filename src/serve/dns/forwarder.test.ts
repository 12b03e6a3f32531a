/**
 * The forwarder against a scripted upstream on 127.0.0.1 (real sockets):
 * caching, policy answers, the client ACL, ID/question/source matching,
 * timeouts, truncation, detection feeding and fail-open, and a fuzz of the
 * query path. Unbound itself is in test/integration/serve-unbound.test.ts.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { findBinary } from '../../../test/support/binaries.js';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { defaultConfig, type Config } from '../../config/schema.js';
import { verdictFixture } from '../../store/store.case.js';
import { Daemon } from '../daemon.js';
import { decodeMessage, observationOf } from '../../sources/dns-wire/index.js';
import { DnsForwarder, type ForwarderOptions } from './forwarder.js';
import { testForwarderOptions } from '../../../test/support/forwarder-options.js';

type Script = (q: packet.DecodedPacket, raw: Buffer, reply: (b: Buffer) => void, spoof: (b: Buffer) => void) => void;

/** A scripted upstream on UDP and TCP of one port. */
class FakeUpstream {
  udp!: UdpSocket;
  tcp!: Server;
  other!: UdpSocket;
  port = 0;
  received = 0;
  script: Script = (q, _raw, reply) => reply(aAnswer(q, ['192.0.2.1'], 60));

  async start(): Promise<void> {
    this.udp = createSocket('udp4');
    this.other = createSocket('udp4');
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => this.other.bind(0, '127.0.0.1', () => r()));
    this.port = this.udp.address().port;
    this.udp.on('message', (raw, from) => {
      this.received++;
      this.script(packet.decode(raw), raw, (b) => this.udp.send(b, from.port, from.address), (b) => this.other.send(b, from.port, from.address));
    });
    this.tcp = createServer((socket) => {
      socket.on('data', (chunk) => {
        const raw = chunk.subarray(2);
        this.received++;
        const reply = (b: Buffer): void => {
          const frame = Buffer.alloc(b.length + 2);
          frame.writeUInt16BE(b.length);
          b.copy(frame, 2);
          socket.write(frame);
        };
        this.script(packet.decode(raw), raw, reply, reply);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.tcp.listen(this.port, '127.0.0.1', () => r()));
  }

  async stop(): Promise<void> {
    this.udp.close();
    this.other.close();
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

function aAnswer(q: packet.DecodedPacket, addresses: string[], ttl: number, flags = 0): Buffer {
  const question = q.questions![0]!;
  return packet.encode({
    type: 'response',
    id: q.id,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | flags,
    questions: [question],
    answers: addresses.map((data) => ({ type: 'A' as const, name: question.name, ttl, data })),
  });
}

function query(name: string, type: packet.RecordType = 'A', id = 777): Buffer {
  return packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

/** What the tests read from an answer (dns-packet's own types leave rcode and record data out). */
interface Decoded {
  id?: number;
  rcode?: string;
  flag_tc?: boolean;
  questions?: { name: string }[];
  answers?: { type: string; data?: unknown; ttl?: number }[];
}

function decode(bytes: Buffer): Decoded {
  return packet.decode(bytes) as unknown as Decoded;
}

/** Sends one UDP query; resolves with the decoded answer, or null after `ms` without one. */
async function ask(port: number, bytes: Buffer, ms = 3000): Promise<Decoded | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), ms);
      socket.on('message', (m) => {
        clearTimeout(timer);
        resolve(decode(m));
      });
      socket.send(bytes, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

async function askTcp(port: number, bytes: Buffer): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(packet.streamEncode(packet.decode(bytes))));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        socket.destroy();
        resolve(decode(buffered.subarray(2)));
      }
    });
    socket.on('error', reject);
  });
}

const upstream = new FakeUpstream();
const running: DnsForwarder[] = [];

async function forwarder(options: Partial<ForwarderOptions> = {}, config: Config = defaultConfig()): Promise<{ fwd: DnsForwarder; daemon: Daemon }> {
  const daemon = new Daemon({ config, enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
  const fwd = new DnsForwarder(
    testForwarderOptions(upstream.port, { maxPendingPerClient: 1000, ...options }),
    daemon.context,
  );
  await fwd.start();
  running.push(fwd);
  daemon.services.push(fwd);
  return { fwd, daemon };
}

beforeAll(() => upstream.start());
afterAll(() => upstream.stop());
afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
  upstream.script = (q, _raw, reply) => reply(aAnswer(q, ['192.0.2.1'], 60));
});

describe('DnsForwarder', () => {
  it('forwards, caches by TTL and feeds the detector', async () => {
    const { fwd, daemon } = await forwarder();
    const before = upstream.received;
    const first = await ask(fwd.port, query('www.Example.test'));
    expect(first?.id).toBe(777);
    expect(first?.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1', ttl: 60 });
    const second = await ask(fwd.port, query('WWW.example.test', 'A', 778));
    expect(second?.id).toBe(778);
    // The client's own letter case comes back in the question.
    expect(second?.questions?.[0]?.name).toBe('WWW.example.test');
    expect(upstream.received - before).toBe(1);
    expect(fwd.stats.cacheHits).toBe(1);
    expect(daemon.context.detector.stats.observations).toBe(1);
    expect(await daemon.context.registry.getSingleMetricAsString('fluxhound_dns_cache_hits_total')).toMatch(/fluxhound_dns_cache_hits_total 1$/m);
  });

  it('counts answers by rcode and qtype, times them by transport, and gives promtool nothing to complain about', async () => {
    const { fwd, daemon } = await forwarder();
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    await ask(fwd.port, query('m.test'));
    await ask(fwd.port, query('m.test'));
    await ask(fwd.port, query('m.test', 'AAAA'));
    await askTcp(fwd.port, query('m.test', 'TXT'));
    await ask(fwd.port, query('www.flux.test'));
    await ask(fwd.port, query('m.test', 'NIMLOC' as packet.RecordType));
    const registry = daemon.context.registry;
    const responses = await registry.getSingleMetricAsString('fluxhound_dns_responses_total');
    expect(responses).toMatch(/^# HELP fluxhound_dns_responses_total \S/m);
    expect(responses).toMatch(/^fluxhound_dns_responses_total\{rcode="NOERROR",qtype="A"\} 2$/m);
    expect(responses).toMatch(/^fluxhound_dns_responses_total\{rcode="NOERROR",qtype="AAAA"\} 1$/m);
    expect(responses).toMatch(/^fluxhound_dns_responses_total\{rcode="NOERROR",qtype="TXT"\} 1$/m);
    expect(responses).toMatch(/^fluxhound_dns_responses_total\{rcode="NXDOMAIN",qtype="A"\} 1$/m);
    // A type without a label of its own: "other", so the label set stays bounded.
    expect(responses).toMatch(/^fluxhound_dns_responses_total\{rcode="NOERROR",qtype="other"\} 1$/m);
    const durations = await registry.getSingleMetricAsString('fluxhound_dns_request_duration_seconds');
    expect(durations).toMatch(/^# TYPE fluxhound_dns_request_duration_seconds histogram$/m);
    expect(durations).toMatch(/^fluxhound_dns_request_duration_seconds_count\{proto="udp"\} 5$/m);
    expect(durations).toMatch(/^fluxhound_dns_request_duration_seconds_count\{proto="tcp"\} 1$/m);
    expect(durations).toMatch(/^fluxhound_dns_request_duration_seconds_bucket\{le="\+Inf",proto="udp"\} 5$/m);
    expect(durations).toMatch(/^fluxhound_dns_request_duration_seconds_bucket\{le="0.0001",proto="udp"\} \d$/m);
    // Counters publish what grew since the last scrape: a second scrape after more queries adds only those.
    await ask(fwd.port, query('m.test'));
    expect(await registry.getSingleMetricAsString('fluxhound_dns_responses_total')).toMatch(/^fluxhound_dns_responses_total\{rcode="NOERROR",qtype="A"\} 3$/m);
    expect(await registry.getSingleMetricAsString('fluxhound_dns_queries_total')).toMatch(/^fluxhound_dns_queries_total\{proto="udp"\} 6$/m);
    const text = await registry.metrics();
    for (const family of text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!)) {
      expect(text, family).toContain(`# HELP ${family} `);
    }
    const promtool = findBinary('promtool', 'prometheus');
    if (promtool.path !== null) {
      // promtool prints its complaints and exits 3 on any; execFileSync throws then.
      expect(execFileSync(promtool.path, ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
    }
  });

  it('holds its cache to cacheBytes and leaves answers over cacheAnswerBytes uncached, counting both', async () => {
    const { fwd, daemon } = await forwarder({ cacheBytes: 8192, cacheAnswerBytes: 1024 });
    for (let i = 0; i < 30; i++) expect((await ask(fwd.port, query(`c${i}.test`)))?.rcode).toBe('NOERROR');
    expect(fwd.cache.bytes).toBeLessThanOrEqual(8192);
    expect(fwd.cache.size).toBeGreaterThan(0);
    expect(fwd.cache.size).toBeLessThan(30);
    expect(fwd.cache.stats.evictions).toBe(30 - fwd.cache.size);
    // 100 addresses: about 1.6 KB, over TCP; forwarded whole, never cached.
    upstream.script = (q, _raw, reply) => reply(aAnswer(q, Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`), 60));
    expect((await askTcp(fwd.port, query('big.test'))).answers).toHaveLength(100);
    expect((await askTcp(fwd.port, query('big.test'))).answers).toHaveLength(100);
    expect(fwd.stats.cacheHits).toBe(0);
    const text = await daemon.context.registry.metrics();
    expect(text).toMatch(/^fluxhound_dns_cache_too_large_total 2$/m);
    expect(text).toMatch(new RegExp(`^fluxhound_dns_cache_bytes ${fwd.cache.bytes}$`, 'm'));
    expect(text).toMatch(/^fluxhound_dns_cache_max_bytes 8192$/m);
    expect(text).toMatch(new RegExp(`^fluxhound_dns_cache_evictions_total ${fwd.cache.stats.evictions}$`, 'm'));
  });

  it('refuses clients outside the ACL', async () => {
    const { fwd } = await forwarder({ allow: ['10.0.0.0/8'] });
    const answer = await ask(fwd.port, query('a.test'));
    expect(answer?.rcode).toBe('REFUSED');
    expect(fwd.stats.refused).toBe(1);
  });

  it('drops queries over the per-client rate limit', async () => {
    const { fwd } = await forwarder({ rateLimit: 2 });
    const answers = await Promise.all([1, 2, 3, 4].map((i) => ask(fwd.port, query(`r${i}.test`), 1000)));
    expect(answers.filter((a) => a !== null)).toHaveLength(2);
    expect(fwd.stats.rateLimited).toBe(2);
  });

  it('accepts only the answer that matches ID, question and source', async () => {
    upstream.script = (q, _raw, reply, spoof) => {
      const good = aAnswer(q, ['192.0.2.7'], 60);
      const wrongId = Buffer.from(good);
      wrongId.writeUInt16BE((q.id! + 1) & 0xffff, 0);
      reply(wrongId);
      reply(aAnswer({ ...q, questions: [{ type: 'A', name: 'other.test', class: 'IN' }] }, ['6.6.6.6'], 60));
      spoof(aAnswer(q, ['6.6.6.7'], 60)); // right ID and question, wrong source port
      reply(Buffer.from('garbage'));
      setTimeout(() => reply(good), 20);
    };
    const { fwd } = await forwarder();
    const answer = await ask(fwd.port, query('spoof.test'));
    expect(answer?.answers?.map((a) => a.data)).toEqual(['192.0.2.7']);
    expect(fwd.upstreams.stats.mismatched).toBeGreaterThanOrEqual(4);
  });

  it('answers SERVFAIL when every upstream times out, and tries the next one first', async () => {
    upstream.script = () => undefined;
    const { fwd } = await forwarder({ timeout: 100 });
    const answer = await ask(fwd.port, query('slow.test'));
    expect(answer?.rcode).toBe('SERVFAIL');
    expect(fwd.stats.servfail).toBe(1);

    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    upstream.script = (q, _raw, reply) => reply(aAnswer(q, ['192.0.2.9'], 60));
    const two = await forwarder({
      timeout: 100,
      upstreams: [
        { host: '127.0.0.1', port: silent.address().port, family: 4 },
        { host: '127.0.0.1', port: upstream.port, family: 4 },
      ],
    });
    const answered = await ask(two.fwd.port, query('second.test'));
    expect(answered?.answers?.[0]?.data).toBe('192.0.2.9');
    silent.close();
  });

  it('passes a truncated answer on (the client retries over TCP, which goes upstream over TCP)', async () => {
    upstream.script = (q, _raw, reply) => reply(aAnswer(q, ['192.0.2.1'], 60, 0x200));
    const { fwd } = await forwarder();
    const udp = await ask(fwd.port, query('big.test'));
    expect(udp?.flag_tc).toBe(true);
    upstream.script = (q, _raw, reply) => reply(aAnswer(q, Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 1}`), 60));
    const tcp = await askTcp(fwd.port, query('big.test'));
    expect(tcp.answers).toHaveLength(40);
    // 40 records exceed 512 bytes: the now cached answer goes to a UDP client without EDNS as TC.
    const again = await ask(fwd.port, query('big.test', 'A', 9));
    expect(again?.flag_tc).toBe(true);
  });

  it('blocks a flagged name holding a quote: the query name has the text the detector gave it (defect 6)', async () => {
    // The name fx"quote.test as wire labels, and an upstream answer for it as the detector's decoder reads it.
    const name = Buffer.from([8, ...Buffer.from('fx"quote', 'latin1'), 4, ...Buffer.from('test'), 0]);
    const header = (flags: number, answers: number): Buffer => Buffer.from([0x12, 0x34, flags >> 8, flags & 255, 0, 1, 0, answers, 0, 0, 0, 0]);
    const answer = Buffer.concat([header(0x8180, 1), name, Buffer.from([0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])]);
    const decoded = decodeMessage(answer);
    if (typeof decoded === 'string') throw new Error(decoded);
    const detectorName = observationOf(decoded, 0, null)!.qname;
    expect(detectorName).toBe('fx\\034quote.test');
    const { fwd, daemon } = await forwarder();
    daemon.context.flagged.upsert(verdictFixture(detectorName));
    // The raw query bytes, as a client sends them (not re-encoded by a library).
    const raw = Buffer.concat([header(0x0100, 0), name, Buffer.from([0, 1, 0, 1])]);
    expect((await ask(fwd.port, raw))?.rcode).toBe('NXDOMAIN');
    // The same name in other case is the same name; a name without the quote is not flagged.
    raw[14] = 0x58; // 'X'
    expect((await ask(fwd.port, raw))?.rcode).toBe('NXDOMAIN');
    expect((await ask(fwd.port, query('fxquote.test')))?.rcode).toBe('NOERROR');
  });

  it('answers flagged names by policy: nxdomain, sinkhole, nodata, drop, log', async () => {
    const config = defaultConfig();
    const { fwd, daemon } = await forwarder({}, config);
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    daemon.context.flagged.upsert(verdictFixture('sus.other.test', 'suspicious', 40));
    const nx = await ask(fwd.port, query('deep.www.flux.test'));
    expect(nx?.rcode).toBe('NXDOMAIN');
    // The registered domain is blocked too.
    expect((await ask(fwd.port, query('flux.test')))?.rcode).toBe('NXDOMAIN');
    // Suspicious: log (answered normally).
    expect((await ask(fwd.port, query('sus.other.test')))?.answers?.[0]?.data).toBe('192.0.2.1');
    expect(fwd.stats.logged).toBe(1);
    expect(await daemon.context.registry.getSingleMetricAsString('fluxhound_dns_blocked_total')).toMatch(/fluxhound_dns_blocked_total\{action="nxdomain",verdict="fast-flux"\} 2$/m);

    const sink = defaultConfig();
    sink.policy.fastFlux = 'sinkhole';
    sink.policy.suspicious = 'nodata';
    const s = await forwarder({}, sink);
    s.daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    s.daemon.context.flagged.upsert(verdictFixture('sus.other.test', 'suspicious', 40));
    expect((await ask(s.fwd.port, query('www.flux.test')))?.answers?.[0]).toMatchObject({ type: 'A', data: '127.0.0.1' });
    expect((await ask(s.fwd.port, query('www.flux.test', 'AAAA')))?.answers?.[0]).toMatchObject({ type: 'AAAA', data: '::1' });
    const nodata = await ask(s.fwd.port, query('sus.other.test'));
    expect(nodata?.rcode).toBe('NOERROR');
    expect(nodata?.answers).toEqual([]);

    const drop = defaultConfig();
    drop.policy.fastFlux = 'drop';
    drop.policy.allowlist = ['good.flux.test'];
    const d = await forwarder({}, drop);
    d.daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    expect(await ask(d.fwd.port, query('www.flux.test'), 300)).toBeNull();
    expect((await ask(d.fwd.port, query('good.flux.test')))?.rcode).toBe('NOERROR');
    expect(d.fwd.stats.allowlisted).toBe(1);
  });

  it('re-reads the allowlist files on reload (SIGHUP)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxhound-allow-'));
    const file = join(dir, 'allow.txt');
    writeFileSync(file, '# nothing yet\n');
    const config = defaultConfig();
    config.policy.allowlistFiles = [file];
    const { fwd, daemon } = await forwarder({}, config);
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    expect((await ask(fwd.port, query('www.flux.test')))?.rcode).toBe('NXDOMAIN');
    writeFileSync(file, 'flux.test  # our own\n');
    await daemon.reload();
    expect((await ask(fwd.port, query('www.flux.test')))?.rcode).toBe('NOERROR');
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes new policy actions on reload (SIGHUP re-reads the config in place)', async () => {
    const config = defaultConfig();
    const { fwd, daemon } = await forwarder({}, config);
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    expect((await ask(fwd.port, query('www.flux.test')))?.rcode).toBe('NXDOMAIN');
    config.policy.fastFlux = 'sinkhole';
    config.policy.sinkhole.ipv4 = '127.0.0.9';
    await daemon.reload();
    expect((await ask(fwd.port, query('www.flux.test')))?.answers?.[0]).toMatchObject({ type: 'A', data: '127.0.0.9' });
  });

  it('fails open when the detector queue is full, and says so', async () => {
    upstream.script = (q, _raw, reply) => reply(aAnswer(q, ['192.0.2.1'], 0));
    const { fwd, daemon } = await forwarder({ detectorQueue: 1 });
    // Stop the drain from keeping up: fill the queue synchronously.
    const answer = await ask(fwd.port, query('a.test'));
    expect(answer?.rcode).toBe('NOERROR');
    for (let i = 0; i < 5; i++) fwd.detection.push(Buffer.alloc(12), 0, '127.0.0.1');
    expect(fwd.detection.stats.failOpen).toBe(4);
    expect(await daemon.context.registry.getSingleMetricAsString('fluxhound_dns_detector_fail_open_total')).toMatch(/fluxhound_dns_detector_fail_open_total 4$/m);
    const later = await ask(fwd.port, query('b.test'));
    expect(later?.rcode).toBe('NOERROR');
  });

  it('keeps serving after garbage on its UDP and TCP listeners', async () => {
    const { fwd } = await forwarder();
    const udp = createSocket('udp4');
    const junk = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 1500 }), { numRuns: 300, seed: 7 });
    for (const bytes of junk) udp.send(Buffer.from(bytes), fwd.port, '127.0.0.1');
    udp.send(Buffer.alloc(9000, 0xff), fwd.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
    udp.close();
    const frames = [
      Buffer.from([0xff, 0xff, 1, 2, 3]), // announces 65535 bytes: over the cap, connection closed
      Buffer.from([0, 40, 1, 2, 3]), // a frame that never completes
      Buffer.concat([Buffer.from([0, 5]), Buffer.from('hello'), Buffer.from([0, 2, 0])]), // short frames
    ];
    await Promise.all(
      frames.map(
        (frame) =>
          new Promise<void>((resolve) => {
            const socket = connect(fwd.port, '127.0.0.1', () => {
              socket.write(frame);
              setTimeout(() => socket.destroy(), 50);
            });
            socket.on('error', () => undefined);
            socket.on('close', () => resolve());
          }),
      ),
    );
    expect((await ask(fwd.port, query('after-junk.test')))?.rcode).toBe('NOERROR');
    expect((await askTcp(fwd.port, query('after-junk.test'))).rcode).toBe('NOERROR');
    expect(fwd.stats.malformed + fwd.stats.oversized).toBeGreaterThan(100);
  });

  it('survives hostile bytes on the query path (fuzz): never throws, answers at most once with a valid header', async () => {
    upstream.script = () => undefined;
    const { fwd, daemon } = await forwarder({ timeout: 50, maxPending: 64 });
    daemon.context.flagged.upsert(verdictFixture('www.flux.test'));
    const valid = [query('www.flux.test'), query('a.test', 'AAAA'), query('x.y.z.test', 'TXT')];
    const mutated = fc
      .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat())
      .map(([base, edits, cut]) => {
        const b = Buffer.from(base);
        for (const [at, value] of edits) b[at % b.length] = value;
        return b.subarray(0, b.length - (cut % 4 === 0 ? cut % b.length : 0));
      });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)), mutated);
    fc.assert(
      fc.property(bytes, fc.constantFrom('udp', 'tcp', 'tls', 'https' as const), (input, transport) => {
        const replies: Buffer[] = [];
        fwd.handle(input, '127.0.0.1', (b) => replies.push(b), transport);
        expect(replies.length).toBeLessThanOrEqual(1);
        for (const r of replies) {
          expect(r.length).toBeGreaterThanOrEqual(12);
          expect(r[2]! & 0x80).toBe(0x80);
        }
      }),
      { numRuns: 3000 },
    );
    fwd.handle(Buffer.alloc(70_000), '127.0.0.1', () => undefined, 'udp');
    expect(fwd.stats.oversized).toBe(1);
    expect(fwd.upstreams.inFlight).toBeLessThanOrEqual(64);
  });
});
