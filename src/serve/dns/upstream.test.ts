/**
 * The forwarder's upstream side against a scripted upstream on 127.0.0.1
 * (real sockets): every upstream query from a port and ID of its own (issue
 * 12 defect 18), a pending budget per client so that clients waiting on a
 * black-holed zone cannot starve the others (defect 13), and health() when
 * every upstream is down (defect 19).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import * as packet from 'dns-packet';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { waitFor } from '../../../test/support/daemon.js';
import { defaultConfig } from '../../config/schema.js';
import { Daemon } from '../daemon.js';
import { DnsForwarder, type ForwarderOptions } from './forwarder.js';
import { DOWN_AFTER_TIMEOUTS } from './upstream-health.js';
import { testForwarderOptions } from '../../../test/support/forwarder-options.js';

/** An upstream that answers every name except those under `hole.test` (never answered), and notes each query's source port and ID. */
class ScriptedUpstream {
  socket!: UdpSocket;
  port = 0;
  silent = false;
  readonly ports: number[] = [];
  readonly ids: number[] = [];

  async start(): Promise<void> {
    this.socket = createSocket('udp4');
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.port = this.socket.address().port;
    this.socket.on('message', (raw, from) => {
      const q = packet.decode(raw);
      this.ports.push(from.port);
      this.ids.push(q.id!);
      const question = q.questions![0]!;
      if (this.silent || question.name.endsWith('hole.test')) return;
      const answer = packet.encode({ type: 'response', id: q.id, flags: 0x8180, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }] });
      this.socket.send(answer, from.port, from.address);
    });
  }

  stop(): void {
    this.socket.close();
  }
}

function query(name: string, id: number): Buffer {
  return packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
}

/** A client on its own loopback address (127.0.0.0/8 is all loopback on Linux). */
class Client {
  readonly socket = createSocket('udp4');
  readonly answers = new Map<number, string>();

  constructor(readonly address: string) {}

  async open(): Promise<this> {
    await new Promise<void>((r) => this.socket.bind(0, this.address, () => r()));
    this.socket.on('message', (m) => {
      const a = packet.decode(m) as unknown as { id: number; rcode: string };
      this.answers.set(a.id, a.rcode);
    });
    return this;
  }

  send(port: number, name: string, id: number): void {
    this.socket.send(query(name, id), port, '127.0.0.1');
  }

  close(): void {
    this.socket.close();
  }
}

const upstream = new ScriptedUpstream();
const running: DnsForwarder[] = [];
const clients: Client[] = [];

async function forwarder(options: Partial<ForwarderOptions> = {}): Promise<{ fwd: DnsForwarder; daemon: Daemon }> {
  const daemon = new Daemon({ config: defaultConfig(), enricher: octetEnricher, infra: null, log: pino({ level: 'silent' }), out: null, factories: [], flags: {} });
  const fwd = new DnsForwarder(
    testForwarderOptions(upstream.port, { cacheBytes: 0, ...options }),
    daemon.context,
  );
  await fwd.start();
  running.push(fwd);
  return { fwd, daemon };
}

async function client(address: string): Promise<Client> {
  const c = await new Client(address).open();
  clients.push(c);
  return c;
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

beforeAll(() => upstream.start());
afterAll(() => upstream.stop());
afterEach(async () => {
  for (const f of running.splice(0)) await f.stop();
  for (const c of clients.splice(0)) c.close();
  upstream.silent = false;
});

describe('upstream queries', () => {
  it('leave from a fresh random source port with a fresh ID each, and close their socket after the answer', async () => {
    const { fwd } = await forwarder();
    const asker = await client('127.0.0.1');
    upstream.ports.length = 0;
    upstream.ids.length = 0;
    const descriptors = openDescriptors();
    for (let batch = 0; batch < 12; batch++) {
      for (let i = 0; i < 20; i++) asker.send(fwd.port, `p${batch * 20 + i}.ports.test`, batch * 20 + i);
      await waitFor('the batch answered', () => asker.answers.size === (batch + 1) * 20, 10_000, 5);
    }
    expect(upstream.ports).toHaveLength(240);
    expect([...asker.answers.values()].every((rcode) => rcode === 'NOERROR')).toBe(true);
    // A pool of 16 sockets gave 16 ports here; a socket per query gives about 240 (the kernel may reuse a closed one's port).
    expect(new Set(upstream.ports).size).toBeGreaterThanOrEqual(230);
    expect(new Set(upstream.ids).size).toBeGreaterThanOrEqual(230);
    expect(fwd.upstreams.inFlight).toBe(0);
    await waitFor('the sockets closed', () => openDescriptors() <= descriptors + 2, 5000, 20);
  }, 30_000);

  it('charge each client a budget of pending queries: 30 clients waiting on a black-holed zone leave 15 others their answers', async () => {
    const { fwd, daemon } = await forwarder({ rateLimit: 50, timeout: 5000, maxPending: 300, maxPendingPerClient: 16 });
    const attackers = await Promise.all(Array.from({ length: 30 }, (_, i) => client(`127.0.0.${i + 2}`)));
    // 40 queries each: under the rate limit (50 a second), and 1,200 in all, four times the table.
    for (const [n, a] of attackers.entries()) for (let i = 0; i < 40; i++) a.send(fwd.port, `x${n}-${i}.hole.test`, i);
    await waitFor('the attack to reach the forwarder', () => fwd.stats.udpQueries >= 1200, 10_000, 10);
    expect(fwd.stats.rateLimited).toBe(0);
    expect(fwd.upstreams.inFlight).toBe(300);
    for (const a of attackers) expect(fwd.upstreams.budget.of(a.address)).toBeLessThanOrEqual(16);
    const good = await Promise.all(Array.from({ length: 15 }, (_, i) => client(`127.0.0.${i + 40}`)));
    for (const [n, g] of good.entries()) g.send(fwd.port, `good${n}.test`, 1);
    await waitFor('every good client answered', () => good.every((g) => g.answers.size === 1), 4000, 10);
    expect(good.map((g) => g.answers.get(1))).toEqual(Array(15).fill('NOERROR'));
    // Every attack query is waiting, was made to give way, or was refused at once, counted: none was answered.
    const u = fwd.upstreams.stats;
    expect(u.clientOverflow).toBeGreaterThan(0);
    expect(u.jostled).toBeGreaterThanOrEqual(15);
    expect(fwd.upstreams.inFlight).toBe(300 - 15);
    expect(fwd.upstreams.inFlight + u.jostled + u.clientOverflow + u.overflow).toBe(1200);
    const text = await daemon.context.registry.metrics();
    expect(Number(/^fluxhound_dns_upstream_client_overflow_total (\d+)$/m.exec(text)?.[1])).toBe(u.clientOverflow);
    expect(Number(/^fluxhound_dns_upstream_jostled_total (\d+)$/m.exec(text)?.[1])).toBe(u.jostled);
    expect(text).toMatch(/^fluxhound_dns_upstream_pending 285$/m);
  }, 30_000);
});

describe('upstream socket errors', () => {
  it('cost one query a SERVFAIL, counted, and leave nothing pending', async () => {
    // An IPv4 address on an IPv6 socket: the send fails.
    const { fwd } = await forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port, family: 6 }] });
    const asker = await client('127.0.0.1');
    asker.send(fwd.port, 'fails.test', 1);
    await waitFor('an answer', () => asker.answers.get(1) === 'SERVFAIL', 3000, 5);
    expect(fwd.upstreams.stats.socketErrors).toBe(1);
    expect(fwd.upstreams.inFlight).toBe(0);
    expect(fwd.upstreams.budget.clients).toBe(0);
  });
});

describe('health', () => {
  it('names every upstream once all of them stop answering, and clears with the first answer', async () => {
    const { fwd, daemon } = await forwarder({ timeout: 50 });
    const asker = await client('127.0.0.1');
    asker.send(fwd.port, 'up.test', 1);
    await waitFor('an answer', () => asker.answers.get(1) === 'NOERROR', 3000, 5);
    expect(fwd.health()).toBeNull();
    upstream.silent = true;
    for (let i = 0; i < DOWN_AFTER_TIMEOUTS; i++) asker.send(fwd.port, `down${i}.test`, 10 + i);
    await waitFor('SERVFAIL for each', () => asker.answers.size === 1 + DOWN_AFTER_TIMEOUTS, 5000, 10);
    // Answered within the last 10 s: not down yet.
    expect(fwd.health()).toBeNull();
    const downSince = Date.now() + 10_000;
    expect(fwd.upstreams.health.problem(downSince)).toMatch(new RegExp(`^dns: every upstream is down: 127\\.0\\.0\\.1:${upstream.port} \\(${DOWN_AFTER_TIMEOUTS} queries in a row unanswered, no answer for 1\\d s\\)$`));

    // A forwarder whose upstream never answered is down after DOWN_AFTER_TIMEOUTS timeouts.
    const fresh = await forwarder({ timeout: 50 });
    for (let i = 0; i < DOWN_AFTER_TIMEOUTS; i++) asker.send(fresh.fwd.port, `never${i}.test`, 100 + i);
    await waitFor('SERVFAIL for each', () => [0, 1, 2, 3, 4].every((i) => asker.answers.get(100 + i) === 'SERVFAIL'), 5000, 10);
    expect(fresh.fwd.health()).toMatch(/^dns: every upstream is down: .*never answered\)$/);
    expect(await fresh.daemon.context.registry.getSingleMetricAsString('fluxhound_dns_upstream_up')).toMatch(/fluxhound_dns_upstream_up\{upstream="127\.0\.0\.1:\d+"\} 0$/m);
    upstream.silent = false;
    asker.send(fresh.fwd.port, 'back.test', 200);
    await waitFor('an answer again', () => asker.answers.get(200) === 'NOERROR', 3000, 5);
    expect(fresh.fwd.health()).toBeNull();
    expect(await daemon.context.registry.getSingleMetricAsString('fluxhound_dns_upstream_up')).toMatch(/\} 1$/m);
  }, 30_000);
});
