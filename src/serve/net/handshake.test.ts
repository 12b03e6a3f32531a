/**
 * The TLS handshake budget: the token bucket and the per-client rate on a
 * fake clock, then a TLS HTTP listener (governedHttpServer, as the console
 * and TAXII bind with --tls-cert) on loopback: per-client and per-listener
 * caps on pending handshakes, displacement of the heaviest client's oldest
 * pending handshake, the handshake deadline, the pending gauge, and an
 * established connection never cut to make room.
 */
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import { waitFor } from '../../../test/support/daemon.js';
import { makeTestCertificates } from '../../../test/support/test-certs.js';
import { ConnectionGovernor, governedHttpServer, HandshakeBudget, TokenBucket, type ListenerGate } from './index.js';

const NAME = 'console.fluxhound.test';
const log = pino({ level: 'silent' });

describe('token bucket and handshake rate', () => {
  it('gives a burst, then `rate` tokens a second', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('limits handshakes per client address per second, each address on its own; 0 is no limit', () => {
    let now = 0;
    const budget = new HandshakeBudget({ listenerHandshakes: 100, clientHandshakes: 100, clientHandshakesPerSecond: 2 }, () => now);
    expect([budget.refusal('192.0.2.1'), budget.refusal('192.0.2.1'), budget.refusal('192.0.2.1')]).toEqual([null, null, 'handshake_rate']);
    expect(budget.refusal('192.0.2.2')).toBeNull();
    now = 1000;
    expect(budget.refusal('192.0.2.1')).toBeNull();
    const unlimited = new HandshakeBudget({ listenerHandshakes: 100, clientHandshakes: 100, clientHandshakesPerSecond: 0 }, () => now);
    for (let i = 0; i < 50; i++) expect(unlimited.refusal('192.0.2.1')).toBeNull();
  });

  it('keeps limiting an address while many others come and go: the least recently seen is forgotten, not the whole table', () => {
    const now = 0;
    const budget = new HandshakeBudget({ listenerHandshakes: 100, clientHandshakes: 100, clientHandshakesPerSecond: 1 }, () => now);
    const limited = '2001:db8::1';
    expect([budget.refusal(limited), budget.refusal(limited)]).toEqual([null, 'handshake_rate']);
    // 30,000 fresh addresses (three times the table) on a clock that stands still; the limited address keeps trying.
    const refusedLimited: (string | null)[] = [];
    for (let i = 0; i < 30_000; i++) {
      expect(budget.refusal(`2001:db8:1::${i.toString(16)}`)).toBeNull();
      if (i % 1000 === 999) refusedLimited.push(budget.refusal(limited));
    }
    expect(refusedLimited).toEqual(Array(30).fill('handshake_rate'));
    const buckets = (budget as unknown as { buckets: Map<string, unknown> }).buckets;
    expect(buckets.size).toBe(10_000);
    expect(buckets.has(limited)).toBe(true);
    expect(buckets.has('2001:db8:1::0')).toBe(false);
  });
});

describe('handshake budget on a TLS HTTP listener', () => {
  let dir = '';
  let context: ReturnType<typeof createSecureContext>;
  let ca: Buffer;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fluxhound-handshake-'));
    const files = makeTestCertificates(dir, NAME);
    ca = readFileSync(files.ca);
    context = createSecureContext({ cert: readFileSync(files.cert), key: readFileSync(files.key) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function listener(net: Partial<ReturnType<typeof defaultConfig>['serve']['net']>): Promise<{ gate: ListenerGate; port: number; registry: Registry }> {
    const registry = new Registry();
    const governor = new ConnectionGovernor({ ...defaultConfig().serve.net, clientHandshakesPerSecond: 0, ...net }, log, registry, 20_000);
    const gate = governor.gate({ listener: 'http', http: true });
    const http = createHttpServer((_req, res) => res.end('ok'));
    const server = governedHttpServer(gate, http, () => context);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => {
      gate.closeAll();
      return new Promise((r) => server.close(() => r()));
    });
    return { gate, port: (server.address() as { port: number }).port, registry };
  }

  async function count(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
    const m = await registry.getSingleMetric(name)!.get();
    return m.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
  }

  /** A TCP connection that never sends a ClientHello. */
  function silent(port: number, localAddress: string): Socket {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    return s;
  }

  function established(port: number): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ port, host: '127.0.0.1', ca, servername: NAME }, () => resolve(s));
      s.on('data', () => undefined);
      s.once('error', reject);
    });
  }

  it('caps pending handshakes per client and per listener; a newcomer displaces the heaviest client, never an established connection', async () => {
    const { gate, port, registry } = await listener({ listenerHandshakes: 4, clientHandshakes: 3, firstByteMs: 60_000, frameMs: 60_000 });
    const tls = await established(port);
    const flood = [1, 2, 3, 4].map(() => silent(port, '127.0.0.2'));
    await waitFor('the per-client cap', async () => (await count(registry, 'fluxhound_net_refused_total', { reason: 'handshake_client_cap' })) === 1, 3000, 10);
    expect(gate.handshakes.size).toBe(3);
    const other = [silent(port, '127.0.0.3')];
    await waitFor('a fourth pending handshake', () => gate.handshakes.size === 4, 3000, 10);
    expect(await count(registry, 'fluxhound_net_handshakes_pending', { listener: 'http' })).toBe(4);
    // Full: 127.0.0.2 holds 3, the newcomer 0, so 127.0.0.2's oldest goes.
    other.push(silent(port, '127.0.0.4'));
    await waitFor('the displacement', async () => (await count(registry, 'fluxhound_net_refused_total', { reason: 'displaced' })) === 1, 3000, 10);
    await waitFor('the oldest flooder closed', () => flood[0]!.destroyed, 3000, 10);
    // 127.0.0.2 still holds two more than a newcomer: displaced once more; then everyone holds one, and the next is refused.
    other.push(silent(port, '127.0.0.5'));
    await waitFor('the second displacement', async () => (await count(registry, 'fluxhound_net_refused_total', { reason: 'displaced' })) === 2, 3000, 10);
    other.push(silent(port, '127.0.0.6'));
    await waitFor('the listener cap', async () => (await count(registry, 'fluxhound_net_refused_total', { reason: 'handshake_cap' })) === 1, 3000, 10);
    expect(gate.handshakes.size).toBe(4);
    expect(tls.destroyed).toBe(false);
    for (const s of [...flood, ...other]) s.destroy();
    tls.destroy();
    await waitFor('every handshake forgotten', async () => gate.handshakes.size === 0 && (await count(registry, 'fluxhound_net_handshakes_pending', { listener: 'http' })) === 0, 3000, 10);
  });

  it('cuts a handshake that does not end within the first-byte deadline; after it the header deadline runs', async () => {
    // 1.5 s for the handshake: the quiet client's real one must finish inside it even on a loaded machine; the header deadline may be short.
    const { port, registry } = await listener({ firstByteMs: 1500, frameMs: 150 });
    const stalled = connect({ port, host: '127.0.0.1' }, () => stalled.write(Buffer.from([0x16, 0x03, 0x01, 0x02])));
    stalled.on('error', () => undefined);
    stalled.on('data', () => undefined);
    const quiet = await established(port);
    await Promise.all([stalled, quiet].map((s) => new Promise((r) => (s.destroyed ? r(null) : s.once('close', r)))));
    expect(await count(registry, 'fluxhound_net_refused_total', { reason: 'handshake_deadline' })).toBe(1);
    expect(await count(registry, 'fluxhound_net_refused_total', { reason: 'frame_deadline' })).toBe(1);
  });
});
