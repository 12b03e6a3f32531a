/**
 * Issue 16: a real exporter against the live collector. softflowd (Debian
 * package softflowd) reads a capture of 500 UDP conversations and exports
 * them as NetFlow v5, v9 and IPFIX to a FlowCollector on 127.0.0.1: every
 * flow arrives with its fields, and the sequence numbers of a real exporter
 * in use show no loss and no reset (softflowd's IPFIX numbers a message by
 * the records up to and including it, not before it as RFC 7011 says: the
 * tracker must learn that, or it reports false loss).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../src/model/flow.js';
import { FlowCollector } from '../src/serve/flows/collector.js';
import { parseFlowListen } from '../src/serve/flows/listen.js';
import { findBinary } from './support/binaries.js';
import { waitFor } from './support/daemon.js';

const softflowd = findBinary('softflowd', 'softflowd');
const dir = mkdtempSync(join(tmpdir(), 'fluxhound-softflowd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONVERSATIONS = 500;

/** A classic pcap (Ethernet) of one 20-byte UDP query from 10.0.i/16 port 10000+i to 192.0.2.1:53 each, 100 per second. */
function conversationsPcap(): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  parts.push(header);
  for (let i = 0; i < CONVERSATIONS; i++) {
    const frame = Buffer.alloc(14 + 20 + 8 + 20, 0x78);
    frame.writeUInt16BE(0x0800, 12);
    const ip = 14;
    frame.writeUInt8(0x45, ip);
    frame.writeUInt8(0, ip + 1);
    frame.writeUInt16BE(48, ip + 2);
    frame.writeUInt16BE(i, ip + 4);
    frame.writeUInt16BE(0, ip + 6);
    frame.writeUInt8(64, ip + 8);
    frame.writeUInt8(17, ip + 9);
    frame.writeUInt16BE(0, ip + 10);
    Buffer.from([10, 0, i >> 8, i & 255, 192, 0, 2, 1]).copy(frame, ip + 12);
    let sum = 0;
    for (let at = ip; at < ip + 20; at += 2) sum += frame.readUInt16BE(at);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    frame.writeUInt16BE(~sum & 0xffff, ip + 10);
    frame.writeUInt16BE(10_000 + i, ip + 20);
    frame.writeUInt16BE(53, ip + 22);
    frame.writeUInt16BE(28, ip + 24);
    frame.writeUInt16BE(0, ip + 26);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1_700_000_000 + Math.floor(i / 100), 0);
    record.writeUInt32LE((i % 100) * 10_000, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    parts.push(record, frame);
  }
  return Buffer.concat(parts);
}

describe.skipIf(softflowd.missing !== null)('softflowd → the flow collector', () => {
  it.each([['5'], ['9'], ['10']])('NetFlow version %s: every conversation arrives, no false loss', async (version) => {
    const pcap = join(dir, 'conversations.pcap');
    writeFileSync(pcap, conversationsPcap());
    const flows: FlowRecord[] = [];
    const collector = new FlowCollector({
      listen: parseFlowListen('udp:127.0.0.1:0'),
      exporters: ['127.0.0.0/8'],
      maxExporters: 4,
      receiveBuffer: 4 << 20,
      templates: { lifetime: 1800, max: 1000 },
      sink: { observe() {}, skip() {}, flow: (f) => flows.push(f) },
      log: pino({ level: 'silent' }),
      registry: new Registry(),
    });
    await collector.start();
    try {
      // -r: read the capture and export everything at its end; -d -D: stay in the foreground, quit at EOF.
      const run = spawnSync(softflowd.path!, ['-r', pcap, '-n', `127.0.0.1:${collector.port}`, '-v', version, '-d', '-D'], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(0);
      await waitFor('every flow', () => flows.length >= CONVERSATIONS, 10_000, 20);
      expect(flows).toHaveLength(CONVERSATIONS);
      const bySource = new Map(flows.map((f) => [f.srcPort, f]));
      for (const i of [0, 1, 255, 256, CONVERSATIONS - 1]) {
        expect(bySource.get(10_000 + i)).toMatchObject({ src: `10.0.${i >> 8}.${i & 255}`, dst: '192.0.2.1', dstPort: 53, proto: 17, packets: 1, bytes: 48, samplingRate: 1 });
      }
      const exporters = [...collector.exporterTable.entries()];
      expect(exporters).toHaveLength(1);
      const stats = exporters[0]![1];
      expect(stats.datagrams).toBeGreaterThan(10);
      expect({ lostRecords: stats.lostRecords, lostDatagrams: stats.lostDatagrams, resets: stats.sequenceResets, malformed: stats.malformed }).toEqual({ lostRecords: 0, lostDatagrams: 0, resets: 0, malformed: 0 });
    } finally {
      await collector.stop();
    }
  }, 40_000);
});
