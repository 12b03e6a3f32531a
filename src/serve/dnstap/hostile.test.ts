/**
 * Silent producers, on loopback (issue 12, defect 8): 64 TCP connections
 * that send nothing, or a START and then nothing, once held the one
 * 64-connection cap shared by every endpoint, locking every resolver out
 * (the unix socket too) for as long as they stayed. Now each endpoint has
 * its own cap, an address its own share, and silence a deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/daemon.js';
import type { DnsObservation } from '../../model/observation.js';
import { defaultConfig } from '../../config/schema.js';
import { CONTROL_START, DNSTAP_CONTENT_TYPE, encodeControl } from '../../sources/dnstap/frames.js';
import { clientResponse, fluxAnswers, response } from '../../sources/dnstap/samples.case.js';
import { ConnectionGovernor } from '../net/index.js';
import { parseEndpoint } from './endpoint.js';
import { DnstapService } from './listener.js';
import { FrameStreamsProducer, targetOf } from '../../../test/support/dnstap-producer.js';

const dir = mkdtempSync(join(tmpdir(), 'fluxhound-dnstap-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function produce(target: Parameters<typeof FrameStreamsProducer.connect>[0], n: number): Promise<void> {
  const producer = await FrameStreamsProducer.connect(target);
  for (let i = 0; i < n; i++) producer.send(clientResponse(response(`n${i}.flux-example.net`, 'A', fluxAnswers(`n${i}.flux-example.net`, ['198.51.100.1']))));
  await producer.finish();
}

describe('dnstap against silent producers', () => {
  it('defect 8: 64 silent TCP connections neither lock out the unix socket nor hold the TCP endpoint past a deadline', async () => {
    const path = join(dir, 'tap.sock');
    const registry = new Registry();
    const observations: DnsObservation[] = [];
    const log = pino({ level: 'silent' });
    const service = new DnstapService({
      endpoints: [parseEndpoint('tcp:127.0.0.1:0', false), parseEndpoint(`unix:${path}`, false)],
      sink: { observe: (o) => observations.push(o), skip: () => undefined },
      log,
      handshakeMs: 5000,
      idleMs: 1500,
      governor: new ConnectionGovernor({ ...defaultConfig().serve.net, firstByteMs: 1500 }, log, registry),
    });
    await service.start();
    const tcp = targetOf(service.addresses()[0]!) as { host: string; port: number };
    const silent: Socket[] = [];
    try {
      // 32 from 127.0.0.3 that never send a byte, 32 from 127.0.0.4 that send START and go quiet: the TCP endpoint is full.
      for (let i = 0; i < 64; i++) {
        const socket = connect({ host: tcp.host, port: tcp.port, localAddress: i < 32 ? '127.0.0.3' : '127.0.0.4' });
        socket.on('error', () => undefined);
        if (i >= 32) socket.on('connect', () => socket.write(encodeControl(CONTROL_START, [DNSTAP_CONTENT_TYPE])));
        silent.push(socket);
      }
      await waitFor('the TCP endpoint to fill', () => service.gates()[0]!.size === 64, 5000, 10);
      // The unix socket has its own cap: a resolver there is served at once.
      await produce({ path }, 10);
      await waitFor('unix observations', () => observations.length === 10, 5000, 10);
      // The silent ones are cut at the first-byte and idle deadlines (they would never have closed themselves).
      await waitFor('the silent connections to be cut', () => service.gates()[0]!.size === 0, 5000, 20);
      await produce(tcp, 10);
      await waitFor('tcp observations', () => observations.length === 20, 5000, 10);
      // A 65th silent connection from one address is refused on accept: an address gets clientConnections (32) at most.
      const more = Array.from({ length: 40 }, () => connect({ host: tcp.host, port: tcp.port, localAddress: '127.0.0.5' }).on('error', () => undefined));
      const label = service.gates()[0]!.listener.replace(/[.:]/g, '\\$&');
      const capped = new RegExp(`fluxhound_net_refused_total\\{listener="${label}",reason="client_cap"\\} 8`);
      await waitFor('8 of the 40 to be refused at the per-address cap', async () => capped.test((await registry.getSingleMetricAsString('fluxhound_net_refused_total')) ?? ''), 5000, 10);
      for (const s of more) s.destroy();
    } finally {
      for (const s of silent) s.destroy();
      await service.stop();
    }
    const refused = await registry.getSingleMetricAsString('fluxhound_net_refused_total');
    const label = service.gates()[0]?.listener ?? 'tcp:127.0.0.1:0';
    expect(refused).toContain(`fluxhound_net_refused_total{listener="${label}",reason="first_byte_deadline"} 32`);
    expect(refused).toContain(`fluxhound_net_refused_total{listener="${label}",reason="idle"} 32`);
    expect(refused).toMatch(new RegExp(`fluxhound_net_refused_total\\{listener="${label.replace(/[.:]/g, '\\$&')}",reason="client_cap"\\} 8`));
  }, 20_000);
});
