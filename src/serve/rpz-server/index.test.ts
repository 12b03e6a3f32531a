/**
 * The service as `fluxhound serve` builds it: flags → factory → the live
 * zone follows the flagged set (a new flag shows up in an AXFR with a higher
 * serial; an IXFR from the old serial carries just it), and a second daemon
 * started later serves a higher serial than the first (restart-safe).
 */
import { connect } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { flaggedVerdict } from '../../../test/helpers/verdicts.js';
import { freePort, waitFor } from '../../../test/support/daemon.js';
import { CustomerMap } from '../../act/customers.js';
import { FlaggedDomains } from '../../act/flagged.js';
import { QueryStats } from '../query-stats.js';
import { defaultConfig } from '../../config/schema.js';
import { Registry } from 'prom-client';
import type { ServeContext } from '../service.js';
import { rpzServerService } from './index.js';
import { query, TEST_KEY_NAME, TEST_SECRET, testKey } from './test-zone.case.js';
import { parseRequest, readName, TYPE } from './wire.js';

function contextWith(flagged: FlaggedDomains): ServeContext {
  return {
    config: defaultConfig(),
    registry: new Registry(),
    flagged,
    log: pino({ level: 'silent' }),
    observations: { observe() {}, skip() {} },
    detector: null as never,
    customers: new CustomerMap([]),
    queryStats: new QueryStats(),
    logQuery() {},
    onQuery: () => () => undefined,
    store: null,
    lists: null,
  };
}

/** Every message of a TCP answer to `msg`, until the closing SOA (transfers) or the first message. */
async function exchange(port: number, msg: Uint8Array): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const messages: Uint8Array[] = [];
    let buffered = Buffer.alloc(0);
    let soas = 0;
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const m = Uint8Array.from(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + m.length);
        messages.push(m);
        soas += ownersAndTypes(m).filter(([, t]) => t === TYPE.SOA).length;
        const single = ownersAndTypes(messages[0]!).length === 1;
        if (soas >= 2 || single || (m[3]! & 0xf) !== 0) {
          socket.end();
          resolve(messages);
        }
      }
    });
    socket.on('connect', () => {
      const f = Buffer.alloc(2 + msg.length);
      f.writeUInt16BE(msg.length, 0);
      f.set(msg, 2);
      socket.write(f);
    });
  });
}

function ownersAndTypes(msg: Uint8Array): [string, number][] {
  const count = (msg[6]! << 8) | msg[7]!;
  let pos = readName(msg, 12).end + 4;
  const out: [string, number][] = [];
  for (let i = 0; i < count; i++) {
    const { name, end } = readName(msg, pos);
    out.push([name.text, (msg[end]! << 8) | msg[end + 1]!]);
    pos = end + 8;
    pos += ((msg[pos]! << 8) | msg[pos + 1]!) + 2;
  }
  return out;
}

function serialOf(messages: Uint8Array[]): number {
  const m = messages[0]!;
  const rdEnd = parseRequest(m).tsig?.start ?? m.length;
  // The first answer record is the SOA; its serial is 20 bytes before the end of its rdata.
  let pos = readName(m, 12).end + 4;
  pos = readName(m, pos).end + 8;
  const rdlength = (m[pos]! << 8) | m[pos + 1]!;
  expect(pos + 2 + rdlength).toBeLessThanOrEqual(rdEnd);
  return new DataView(m.buffer, m.byteOffset).getUint32(pos + 2 + rdlength - 20);
}

describe('rpz-server service', () => {
  it('is off without --rpz-server', () => {
    expect(rpzServerService.create({}, contextWith(new FlaggedDomains()))).toBeNull();
  });

  it('serves what is flagged, follows changes with a higher serial, and IXFR carries the change', { timeout: 30_000 }, async () => {
    const flagged = new FlaggedDomains();
    flagged.upsert(flaggedVerdict('www.first-flux.top', { registered: 'first-flux.top' }));
    const port = await freePort();
    const context = contextWith(flagged);
    const service = rpzServerService.create({ rpzServer: `127.0.0.1:${port}`, tsigKey: `${TEST_KEY_NAME}:${TEST_SECRET}` }, context)!;
    await service.start();
    try {
      const first = await exchange(port, query('rpz.fluxhound.', TYPE.AXFR, { key: testKey }));
      const owners = first.flatMap(ownersAndTypes).map(([o]) => o);
      expect(owners).toContain('www.first-flux.top.rpz.fluxhound.');
      expect(owners).toContain('*.first-flux.top.rpz.fluxhound.');
      const before = serialOf(first);
      expect(before).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);

      flagged.upsert(flaggedVerdict('cdn.second-flux.top', { registered: 'second-flux.top' }));
      await waitFor('the new serial', async () => serialOf(await exchange(port, query('rpz.fluxhound.', TYPE.SOA))) > before, 10_000, 50);
      const ixfr = await exchange(port, query('rpz.fluxhound.', TYPE.IXFR, { ixfrSerial: before, key: testKey }));
      const changed = ixfr.flatMap(ownersAndTypes).filter(([, t]) => t !== TYPE.SOA).map(([o]) => o);
      expect(changed.sort()).toEqual(['*.cdn.second-flux.top.rpz.fluxhound.', '*.second-flux.top.rpz.fluxhound.', 'cdn.second-flux.top.rpz.fluxhound.', 'second-flux.top.rpz.fluxhound.']);
      expect(await context.registry.getSingleMetricAsString('fluxhound_rpz_server_transfers_total')).toMatch(/fluxhound_rpz_server_transfers_total\{type="ixfr"\} 1/);
    } finally {
      await service.stop();
    }

    // A restarted daemon (a fresh flagged set, its counter back at 1) still serves a higher serial.
    const again = new FlaggedDomains();
    again.upsert(flaggedVerdict('www.first-flux.top', { registered: 'first-flux.top' }));
    const port2 = await freePort();
    const restarted = rpzServerService.create({ rpzServer: `127.0.0.1:${port2}` }, contextWith(again))!;
    await restarted.start();
    try {
      const soa = await exchange(port2, query('rpz.fluxhound.', TYPE.SOA));
      expect(serialOf(soa)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    } finally {
      await restarted.stop();
    }
  });
});
