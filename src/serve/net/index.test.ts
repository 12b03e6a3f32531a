/**
 * The governor's pieces on their own: the fd budget, the log rate limit, and
 * a gate on a real loopback listener (ACL on accept, caps, the fd budget,
 * deadlines that a trickle cannot move, the outbound budget).
 */
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/schema.js';
import { waitFor } from '../../../test/support/daemon.js';
import { connectionBudget, ConnectionGovernor, LogRateLimit, parseSoftFdLimit, type GovernedConnection, type ListenerGate } from './index.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listening(gate: ListenerGate, onConnection: (c: GovernedConnection) => void = () => undefined): Promise<number> {
  const server = gate.server(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => {
    gate.closeAll();
    return new Promise((r) => server.close(() => r()));
  });
  return (server.address() as { port: number }).port;
}

function dial(port: number, localAddress = '127.0.0.1'): Socket {
  return connect({ port, host: '127.0.0.1', localAddress }).on('error', () => undefined);
}

async function refused(registry: Registry, listener: string, reason: string): Promise<number> {
  const m = await registry.getSingleMetric('fluxhound_net_refused_total')!.get();
  return m.values.find((v) => v.labels.listener === listener && v.labels.reason === reason)?.value ?? 0;
}

function governor(net: Partial<ReturnType<typeof defaultConfig>['serve']['net']> = {}, fdLimit = 20_000): { g: ConnectionGovernor; registry: Registry } {
  const registry = new Registry();
  return { g: new ConnectionGovernor({ ...defaultConfig().serve.net, ...net }, log, registry, fdLimit), registry };
}

describe('fd budget', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(parseSoftFdLimit(text)).toBe(1024);
    expect(parseSoftFdLimit('Max open files            unlimited            unlimited            files\n')).toBe(1_048_576);
    expect(parseSoftFdLimit('nothing here')).toBe(1024);
  });
  it('keeps the reserve free, honours a smaller configured budget, never goes below 16', () => {
    expect(connectionBudget(1024, 256, 0)).toBe(768);
    expect(connectionBudget(1024, 256, 100)).toBe(100);
    expect(connectionBudget(1024, 256, 5000)).toBe(768);
    expect(connectionBudget(100, 256, 0)).toBe(16);
  });
});

describe('log rate limit', () => {
  it('lets `burst` lines per key through per window and reports what it held back in the next line', () => {
    let now = 0;
    const registry = new Registry();
    const limit = new LogRateLimit('rpz-server', { burst: 2, intervalMs: 1000, now: () => now }, new ConnectionGovernor(defaultConfig().serve.net, log, registry).metrics.logSuppressed);
    expect([limit.take('a'), limit.take('a'), limit.take('a'), limit.take('a'), limit.take('b')]).toEqual([0, 0, null, null, 0]);
    now = 1000;
    expect(limit.take('a')).toBe(2);
    expect(limit.take('a')).toBe(0);
  });
  it('keeps a bounded key table', () => {
    const limit = new LogRateLimit('x', { burst: 1, intervalMs: 1000, maxKeys: 10 });
    for (let i = 0; i < 1000; i++) expect(limit.take(`k${i}`)).toBe(0);
    expect((limit as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(10);
  });
});

describe('ListenerGate', () => {
  it('refuses by ACL on accept, before reading a byte, and counts it', async () => {
    const { g, registry } = governor();
    let admitted = 0;
    const port = await listening(g.gate({ listener: 't', allows: (a) => a === '127.0.0.2' }), () => admitted++);
    const bad = dial(port, '127.0.0.1');
    bad.write('x'.repeat(1000));
    await new Promise((r) => bad.on('close', r));
    const good = dial(port, '127.0.0.2');
    await waitFor('admission', () => admitted === 1, 2000, 10);
    good.destroy();
    expect(await refused(registry, 't', 'acl')).toBe(1);
  });

  it('caps per client, per listener and over the daemon-wide budget', async () => {
    const { g, registry } = governor({ maxConnections: 40, clientConnections: 3 });
    expect(g.budget).toBe(40);
    const a = g.gate({ listener: 'a', maxConnections: 5 });
    const b = g.gate({ listener: 'b' });
    expect(b.maxConnections).toBe(20); // half the budget at most
    const pa = await listening(a);
    const pb = await listening(b);
    const sockets = [...Array.from({ length: 4 }, () => dial(pa, '127.0.0.2')), ...Array.from({ length: 4 }, () => dial(pa, '127.0.0.3'))];
    await waitFor('8 decisions', async () => a.size + (await refused(registry, 'a', 'client_cap')) + (await refused(registry, 'a', 'listener_cap')) === 8, 5000, 10);
    expect(a.size).toBe(5);
    // 127.0.0.2: three in, the fourth over its share; 127.0.0.3: two in, then the listener is full.
    expect(await refused(registry, 'a', 'client_cap')).toBe(1);
    expect(await refused(registry, 'a', 'listener_cap')).toBe(2);
    for (let i = 0; i < 20; i++) sockets.push(dial(pb, `127.0.1.${i}`));
    await waitFor('b to fill', () => b.size === 20, 5000, 10);
    expect(b.size).toBe(20);
    // 25 open of 40: a third gate holding 20 would pass the budget.
    const c = g.gate({ listener: 'c', perClient: 100 });
    const pc = await listening(c);
    for (let i = 0; i < 18; i++) sockets.push(dial(pc));
    await waitFor('18 decisions', async () => c.size + (await refused(registry, 'c', 'fd_budget')) === 18, 5000, 10);
    expect(g.open).toBe(40);
    expect(await refused(registry, 'c', 'fd_budget')).toBe(3);
    for (const s of sockets) s.destroy();
    await waitFor('every connection to close', () => g.open === 0, 2000, 10);
  });

  it('a full listener cuts the oldest connection of the client holding most, so a newcomer with fewer gets in', async () => {
    const { g, registry } = governor({ clientConnections: 100 });
    const gate = g.gate({ listener: 'd', maxConnections: 6 });
    const port = await listening(gate);
    // Two attacker addresses fill the listener: four and two connections.
    const attack = [...Array.from({ length: 4 }, () => dial(port, '127.0.0.2')), ...Array.from({ length: 2 }, () => dial(port, '127.0.0.3'))];
    await waitFor('the listener full', () => gate.size === 6, 5000, 10);
    const oldest = attack[0]!;
    const closed = new Promise<void>((r) => oldest.once('close', () => r()));
    const good = dial(port, '127.0.0.1');
    await waitFor('the newcomer admitted', async () => (await refused(registry, 'd', 'displaced')) === 1, 5000, 10);
    await closed; // the heaviest client's oldest connection was the one cut
    expect(gate.size).toBe(6);
    expect(await refused(registry, 'd', 'listener_cap')).toBe(0);
    // 127.0.0.3 (two) against 127.0.0.2 (three now): too close to displace; refused.
    attack.push(dial(port, '127.0.0.3'));
    await waitFor('the refusal', async () => (await refused(registry, 'd', 'listener_cap')) === 1, 5000, 10);
    expect(await refused(registry, 'd', 'displaced')).toBe(1);
    good.destroy();
    for (const s of attack) s.destroy();
    await waitFor('every connection to close', () => g.open === 0, 2000, 10);
  });

  it('a frame deadline that more bytes of the same frame do not move; idle between frames', async () => {
    const { g, registry } = governor({ frameMs: 400, idleMs: 600, firstByteMs: 400 });
    const port = await listening(g.gate({ listener: 'f' }), (c) => {
      // A frame is 4 bytes here.
      let held = 0;
      c.socket.on('data', (chunk: Buffer) => {
        held += chunk.length;
        const completed = Math.floor(held / 4);
        held %= 4;
        c.received(completed, held);
      });
    });
    const trickler = dial(port);
    // One byte of a 4-byte frame every 150 ms: an idle timer reset by each byte would never fire.
    const timer = setInterval(() => trickler.write(Buffer.from([1])), 150);
    const steady = dial(port);
    const each = setInterval(() => steady.write(Buffer.from([1, 2, 3, 4])), 100); // whole frames keep it alive
    await new Promise((r) => trickler.on('close', r));
    clearInterval(timer);
    expect(await refused(registry, 'f', 'frame_deadline')).toBe(1);
    expect(steady.destroyed).toBe(false);
    clearInterval(each);
    await new Promise((r) => steady.on('close', r));
    expect(await refused(registry, 'f', 'idle')).toBe(1);
    const silent = dial(port);
    await new Promise((r) => silent.on('close', r));
    expect(await refused(registry, 'f', 'first_byte_deadline')).toBe(1);
    trickler.destroy();
  });

  it('stops reading a connection that does not drain its replies, and cuts it past the outbound budget', async () => {
    const { g, registry } = governor({ outboundPauseBytes: 1024, outboundMaxBytes: 16 << 20, idleMs: 10_000 });
    let conn: GovernedConnection | null = null;
    const port = await listening(g.gate({ listener: 'o' }), (c) => {
      conn = c;
      // 8 MiB of replies per request: more than the kernel's loopback buffers take.
      c.socket.on('data', () => {
        for (let i = 0; i < 8; i++) c.write(Buffer.alloc(1 << 20));
      });
    });
    const client = dial(port);
    client.pause(); // never reads
    client.write('x');
    await waitFor('the pause', () => conn !== null && conn.isPaused, 2000, 10);
    // Paused: more requests are not read, so no more replies are queued.
    client.write('y'.repeat(100));
    await sleep(100);
    const queued = conn!.socket.writableLength;
    expect(queued).toBeLessThanOrEqual(8 << 20);
    // A reply that passes the hard budget cuts it.
    conn!.write(Buffer.alloc(16 << 20));
    expect(conn!.cutBecause).toBe('outbound_budget');
    expect(await refused(registry, 'o', 'outbound_budget')).toBe(1);
    client.destroy();
  });
});
