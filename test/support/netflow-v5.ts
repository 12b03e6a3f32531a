/**
 * NetFlow v5 export datagrams (Cisco's fixed layout: a 24-byte header and
 * up to 30 records of 48 bytes), written by tests that feed `fluxhound
 * analyze` a raw datagram file. Times go through sysUptime as an exporter
 * sends them: First/Last are milliseconds of uptime, the header says which
 * uptime was which wall-clock second.
 */
import type { Connection } from './conn-log.js';

const HEADER = 24;
const RECORD = 48;
const PER_DATAGRAM = 30;
/** The exporter had been up 10 hours when it sent the first datagram. */
const UPTIME_MS = 36_000_000;

function ipv4(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Back-to-back v5 datagrams of these connections (IPv4 only), each flow exported 60 s after it started. */
export function netflowV5File(connections: readonly Connection[], samplingInterval = 0): Buffer {
  const sorted = [...connections].sort((a, b) => a.ts - b.ts);
  const bootSecs = Math.floor(sorted[0]!.ts) - UPTIME_MS / 1000;
  const datagrams: Buffer[] = [];
  for (let i = 0, sequence = 0; i < sorted.length; i += PER_DATAGRAM) {
    const batch = sorted.slice(i, i + PER_DATAGRAM);
    const exportSecs = Math.ceil(batch.at(-1)!.ts) + 60;
    const b = Buffer.alloc(HEADER + RECORD * batch.length);
    b.writeUInt16BE(5, 0);
    b.writeUInt16BE(batch.length, 2);
    b.writeUInt32BE((exportSecs - bootSecs) * 1000, 4);
    b.writeUInt32BE(exportSecs, 8);
    b.writeUInt32BE(0, 12);
    b.writeUInt32BE(sequence, 16);
    b.writeUInt16BE(samplingInterval, 22);
    batch.forEach((c, k) => {
      const at = HEADER + k * RECORD;
      const sent = c.sent ?? 700;
      const received = c.received ?? 20_000;
      const first = Math.round((c.ts - bootSecs) * 1000);
      b.writeUInt32BE(ipv4(c.client), at);
      b.writeUInt32BE(ipv4(c.server), at + 4);
      b.writeUInt32BE(3 + Math.ceil(sent / 1400) + 2 + Math.ceil(received / 1400), at + 16);
      b.writeUInt32BE(sent + received, at + 20);
      b.writeUInt32BE(first, at + 24);
      b.writeUInt32BE(first + 2000, at + 28);
      b.writeUInt16BE(40_000 + ((i + k) % 20_000), at + 32);
      b.writeUInt16BE(c.port, at + 34);
      b.writeUInt8(0x1b, at + 37);
      b.writeUInt8(6, at + 38);
    });
    sequence += batch.length;
    datagrams.push(b);
  }
  return Buffer.concat(datagrams);
}
