/**
 * Hostile input: random bytes, valid requests with bytes flipped, cut short
 * or with absurd counts, compression loops. answer() never throws and never
 * sends a transfer to what did not verify; the server on real sockets stays
 * up and answers the next good request.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../../test/support/daemon.js';
import { answer } from './answer.js';
import type { AnswerContext } from './answer.js';
import { compileZone, ZoneJournal } from './journal.js';
import { RpzServer } from './server.js';
import { fluxNames, query, testKey, testZone } from './test-zone.case.js';
import { TYPE } from './wire.js';

const NOW = Math.floor(Date.now() / 1000);
const journal = new ZoneJournal(compileZone(testZone(1, fluxNames(0, 50))));
journal.update(compileZone(testZone(2, fluxNames(10, 60))));

function ctx(transport: 'udp' | 'tcp', keyed: boolean): AnswerContext {
  return { journal, key: keyed ? testKey : null, transport, remote: '127.0.0.1', allowed: () => true, now: () => NOW, maxMessageBytes: 1024 };
}

const seeds = [
  query('rpz.fluxhound.', TYPE.SOA),
  query('rpz.fluxhound.', TYPE.AXFR, { key: testKey, time: NOW }),
  query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 1, key: testKey, time: NOW }),
  query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: 1 }),
];

/** A valid request with some bytes overwritten, cut short, or a section count set to something absurd. */
const mutated = fc
  .record({
    seed: fc.constantFrom(...seeds),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat()),
    count: fc.option(fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 0xffff }))),
  })
  .map(({ seed, edits, cut, count }) => {
    const m = Uint8Array.from(seed);
    for (const [at, value] of edits) m[at % m.length] = value;
    if (count !== null) {
      m[count[0] * 2] = count[1] >>> 8;
      m[count[0] * 2 + 1] = count[1] & 0xff;
    }
    return cut === null ? m : m.subarray(0, cut % (m.length + 1));
  });

/** A header with one question whose name is a chain of compression pointers to random offsets. */
const pointerLoops = fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 30 }).map((targets) => {
  const bytes = [0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const t of targets) bytes.push(1, 0x61, 0xc0, t);
  bytes.push(0, 6, 0, 1);
  return Uint8Array.from(bytes);
});

const anyInput = fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated, pointerLoops);

describe('answer under hostile input', () => {
  it('never throws and never transfers to an unverified request', () => {
    fc.assert(
      fc.property(anyInput, fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'), fc.boolean(), (msg, transport, keyed) => {
        const a = answer(msg, ctx(transport, keyed));
        const out = [...a.messages];
        if (transport === 'udp' || !['axfr', 'ixfr', 'ixfr-full', 'ixfr-current'].includes(a.outcome.kind)) {
          expect(out.length).toBeLessThanOrEqual(1);
        }
        if (keyed && transport === 'tcp' && ['axfr', 'ixfr', 'ixfr-full'].includes(a.outcome.kind)) {
          expect(a.outcome.signed).toBe(true);
        }
        for (const m of out) expect(m.length).toBeLessThanOrEqual(65535);
      }),
      { numRuns: 3000, seed: 20250417 },
    );
  });
});

describe('the server under hostile input', () => {
  let server: RpzServer;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    server = new RpzServer({
      listen: { host: '127.0.0.1', port },
      allow: () => true,
      key: testKey,
      notify: [],
      log: pino({ level: 'silent' }),
      zone: testZone(9, fluxNames(0, 20)),
      limits: { idleTimeoutMs: 300, maxConnections: 8, maxQueued: 4 },
    });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function soaOverUdp(): Promise<number> {
    const socket = createSocket('udp4');
    try {
      return await new Promise<number>((resolve, reject) => {
        socket.once('message', (m) => resolve(m[3]! & 0xf));
        socket.once('error', reject);
        socket.send(query('rpz.fluxhound.', TYPE.SOA, { id: 77 }), port, '127.0.0.1');
      });
    } finally {
      socket.close();
    }
  }

  async function tcpExchange(chunks: Uint8Array[], expectReply: boolean): Promise<Buffer> {
    return new Promise<Buffer>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let got = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (expectReply && got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) socket.end();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(got));
      socket.on('connect', () => {
        for (const c of chunks) socket.write(c);
        if (!expectReply) setTimeout(() => socket.end(), 50);
      });
    });
  }

  function framed(msg: Uint8Array): Uint8Array {
    const f = Buffer.alloc(2 + msg.length);
    f.writeUInt16BE(msg.length, 0);
    f.set(msg, 2);
    return f;
  }

  it('survives random datagrams and answers the next good query', { timeout: 60_000 }, async () => {
    const sender = createSocket('udp4');
    const inputs = fc.sample(anyInput, { numRuns: 400, seed: 7 });
    for (const m of inputs) sender.send(m, port, '127.0.0.1');
    sender.send(Buffer.alloc(0), port, '127.0.0.1');
    sender.send(Buffer.alloc(9000, 0xff), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    sender.close();
    expect(await soaOverUdp()).toBe(0);
    expect(server.counters.get('formerr') + server.counters.get('dropped')).toBeGreaterThan(100);
    expect(server.counters.internalErrors).toBe(0);
  });

  it('survives garbage, floods and silence over TCP, and answers the next good query', { timeout: 60_000 }, async () => {
    const inputs = fc.sample(anyInput, { numRuns: 100, seed: 11 });
    // Everything framed on one connection: more queued requests than allowed closes it.
    await tcpExchange(inputs.map(framed), false);
    // A length prefix promising 65535 bytes and delivering 10, then silence: the idle timeout ends it.
    const timeoutsBefore = server.counters.idleTimeouts;
    await tcpExchange([Uint8Array.of(0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)], false);
    const silent = connect(port, '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise<void>((resolve) => silent.on('close', () => resolve()));
    expect(server.counters.idleTimeouts).toBeGreaterThan(timeoutsBefore);
    // Many connections at once beyond maxConnections are closed on arrival.
    const many = Array.from({ length: 20 }, () => connect(port, '127.0.0.1').on('error', () => undefined));
    await waitFor('connections to be refused or closed', () => server.counters.connectionsRejected > 0, 10_000, 20);
    for (const s of many) s.destroy();
    await waitFor('connections to drain', () => server.gate.size === 0, 10_000, 20);
    const reply = await tcpExchange([framed(query('rpz.fluxhound.', TYPE.AXFR, { key: testKey }))], true);
    expect(reply.length).toBeGreaterThan(2);
    expect(reply[5]! & 0xf).toBe(0);
    expect(server.counters.internalErrors).toBe(0);
  });
});
