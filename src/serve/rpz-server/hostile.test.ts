/**
 * Clients outside --rpz-allow, on 127.0.0.1 (issue 12): 64 trickling TCP
 * connections from a refused address once held every slot and blocked zone
 * transfers (defect 7: the ACL was checked per request, not on accept), and
 * a UDP flood of refused queries wrote one log line each (defect 12). The
 * allowed secondary here connects from 127.0.0.2; the attacker from 127.0.0.1.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/daemon.js';
import { defaultConfig } from '../../config/schema.js';
import { ConnectionGovernor } from '../net/index.js';
import { RpzServer } from './server.js';
import { fluxNames, query, testKey, testZone } from './test-zone.case.js';
import { TYPE } from './wire.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const running: RpzServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

/** Log lines the server wrote, kept as text. */
function logSink(): { lines: string[]; log: Logger } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const log: Logger = pino({ level: 'info' }, stream);
  return { lines, log };
}

async function server(net: Partial<ReturnType<typeof defaultConfig>['serve']['net']> = {}): Promise<{ server: RpzServer; registry: Registry; lines: string[] }> {
  const registry = new Registry();
  const { lines, log } = logSink();
  const s = new RpzServer({
    listen: { host: '127.0.0.1', port: 0 },
    allow: (a) => a === '127.0.0.2',
    key: testKey,
    notify: [],
    log,
    zone: testZone(5, fluxNames(0, 20)),
    governor: new ConnectionGovernor({ ...defaultConfig().serve.net, ...net }, log, registry),
  });
  await s.start();
  running.push(s);
  return { server: s, registry, lines };
}

function framed(msg: Uint8Array): Buffer {
  const f = Buffer.alloc(2 + msg.length);
  f.writeUInt16BE(msg.length, 0);
  f.set(msg, 2);
  return f;
}

/** An AXFR from `localAddress`: the rcode of the first message, or null when the connection closed without one. */
function axfr(port: number, localAddress: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => socket.write(framed(query('rpz.fluxhound.', TYPE.AXFR, { key: testKey }))));
    let got = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        socket.destroy();
        resolve(got[5]! & 0xf);
      }
    });
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
  });
}

describe('rpz-server against clients outside --rpz-allow', () => {
  it('defect 7: 64 trickling connections from a refused address are closed on accept and cannot block a transfer', async () => {
    const { server: s, registry } = await server();
    const port = s.address().port;
    const attackers: Socket[] = [];
    for (let i = 0; i < 64; i++) attackers.push(connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' }).on('error', () => undefined));
    const bytes = framed(query('rpz.fluxhound.', TYPE.SOA));
    let sent = 0;
    const trickle = setInterval(() => {
      for (const a of attackers) if (!a.destroyed) a.write(bytes.subarray(sent, sent + 1));
      sent++;
    }, 50);
    try {
      const acl = async (): Promise<string> => (await registry.getSingleMetricAsString('fluxhound_net_refused_total')) ?? '';
      await waitFor('every attacker to be refused', async () => (await acl()).includes('fluxhound_net_refused_total{listener="rpz-server",reason="acl"} 64'), 5000, 10);
      // Before: each held one of the 64 slots while it trickled, and the secondary was turned away.
      expect(s.gate.size).toBe(0);
      expect(await axfr(port, '127.0.0.2')).toBe(0);
    } finally {
      clearInterval(trickle);
      for (const a of attackers) a.destroy();
    }
    const refused = await registry.getSingleMetricAsString('fluxhound_net_refused_total');
    expect(refused).toContain('fluxhound_net_refused_total{listener="rpz-server",reason="acl"} 64');
  });

  it('defect 12: a UDP flood of refused requests writes a bounded number of log lines, and says how many it held back', async () => {
    const { server: s, registry, lines } = await server({ logBurst: 5, logIntervalMs: 300 });
    const port = s.address().port;
    const sender = createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
    const request = query('rpz.fluxhound.', TYPE.SOA);
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 200; i++) sender.send(request, port, '127.0.0.1');
      await sleep(5);
    }
    await sleep(100);
    const refusedCount = s.counters.get('refused');
    // (UDP on a loaded machine may drop some; what matters is lines against requests.)
    expect(refusedCount).toBeGreaterThan(50);
    const logged = lines.filter((l) => l.includes('"outcome":"refused"'));
    // Before: one line per refused datagram.
    expect(logged.length).toBeLessThanOrEqual(10);
    const suppressed = await registry.getSingleMetricAsString('fluxhound_log_suppressed_total');
    expect(suppressed).toMatch(/fluxhound_log_suppressed_total\{service="rpz-server"\} \d{2,}/);
    // The next line after the window says how many were held back.
    await sleep(350);
    sender.send(request, port, '127.0.0.1');
    await sleep(100);
    sender.close();
    const last = JSON.parse(lines.filter((l) => l.includes('"outcome":"refused"')).at(-1)!) as { suppressed: number };
    expect(last.suppressed).toBeGreaterThan(0);
    expect(logged.length + last.suppressed).toBeLessThanOrEqual(refusedCount + 1);
  });
});
