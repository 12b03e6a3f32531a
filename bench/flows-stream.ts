/**
 * The softflowd stream the flow bench replays: a generated capture of many
 * short conversations (every client a distinct host, servers from a pool),
 * read once by the real softflowd, its export datagrams kept in memory in
 * order, each with the number of flow records it carries (decoded once with
 * fluxhound's decoder: the count nfcapd and fluxhound must each reach). Then
 * `replay` sends them over UDP on 127.0.0.1 at a set rate.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_ETHERNET } from '../src/sources/pcap/packet.js';
import { decodeDatagram, TemplateCache } from '../src/sources/netflow/index.js';
import { pcapHeader, pcapRecord, tcpFrame, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, udpFrame } from '../test/support/pcap-synth.js';
import { runSoftflowd, type ExportVersion } from '../test/support/softflowd.js';
import { recordUdp } from '../test/support/udp-recorder.js';

export interface FlowStream {
  version: ExportVersion;
  datagrams: Buffer[];
  /** Flow records in each datagram, in order (templates come before their data: softflowd resends them every 16 datagrams). */
  records: number[];
  totalRecords: number;
  conversations: number;
}

const EMPTY = new Uint8Array(0);

/** `conversations` conversations, a tenth TCP (7 packets), the rest UDP (2 packets), 1 ms apart; client i is 10.x.y.z from i. */
export function conversationCapture(conversations: number): Buffer {
  const parts: Buffer[] = [pcapHeader({ linkType: LINKTYPE_ETHERNET })];
  const t0 = 1_795_946_400;
  for (let i = 0; i < conversations; i++) {
    const client = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    const server = `198.51.100.${1 + (i % 200)}`;
    const ts = t0 + i / 1000;
    const to = { src: client, dst: server, srcPort: 1024 + (i % 60_000), dstPort: i % 10 === 0 ? 443 : 53 };
    const from = { src: server, dst: client, srcPort: to.dstPort, dstPort: to.srcPort };
    if (i % 10 === 0) {
      const frames = [
        tcpFrame(LINKTYPE_ETHERNET, to, 1, TCP_SYN, EMPTY),
        tcpFrame(LINKTYPE_ETHERNET, from, 1, TCP_SYN | TCP_ACK, EMPTY),
        tcpFrame(LINKTYPE_ETHERNET, to, 2, TCP_ACK | TCP_PSH, new Uint8Array(300)),
        tcpFrame(LINKTYPE_ETHERNET, from, 2, TCP_ACK | TCP_PSH, new Uint8Array(1200)),
        tcpFrame(LINKTYPE_ETHERNET, to, 302, TCP_FIN | TCP_ACK, EMPTY),
        tcpFrame(LINKTYPE_ETHERNET, from, 1202, TCP_FIN | TCP_ACK, EMPTY),
        tcpFrame(LINKTYPE_ETHERNET, to, 303, TCP_ACK, EMPTY),
      ];
      frames.forEach((bytes, k) => parts.push(pcapRecord({ ts: ts + k * 1e-5, bytes })));
    } else {
      parts.push(pcapRecord({ ts, bytes: udpFrame(LINKTYPE_ETHERNET, to, new Uint8Array(40)) }));
      parts.push(pcapRecord({ ts: ts + 5e-4, bytes: udpFrame(LINKTYPE_ETHERNET, from, new Uint8Array(120)) }));
    }
  }
  return Buffer.concat(parts);
}

/**
 * softflowd reads the capture once and exports it to our socket; the
 * datagrams are checked complete (softflowd's own count) or the capture is
 * tried again (a burst can overrun the socket buffer).
 */
export async function captureStream(conversations: number, version: ExportVersion): Promise<FlowStream> {
  const dir = mkdtempSync(join(tmpdir(), 'fluxhound-bench-flows-'));
  try {
    const pcap = join(dir, 'conversations.pcap');
    writeFileSync(pcap, conversationCapture(conversations));
    for (let attempt = 1; ; attempt++) {
      const recorder = await recordUdp(64 << 20);
      try {
        const run = await runSoftflowd(pcap, version, [`127.0.0.1:${recorder.port}`]);
        try {
          await recorder.waitFor(run.datagrams, 5_000);
        } catch (error) {
          if (attempt < 3) continue;
          throw new Error(`bench: flows: softflowd sent ${run.datagrams} datagrams, ${recorder.datagrams.length} arrived in 3 tries: ${(error as Error).message}`);
        }
        const cache = new TemplateCache();
        const datagrams = recorder.datagrams.map((d) => d.bytes);
        const records = datagrams.map((d, i) => decodeDatagram(d, { exporter: 'softflowd', cache, position: `datagram ${i + 1}`, now: 0 }).flows.length);
        const totalRecords = records.reduce((a, b) => a + b, 0);
        if (totalRecords !== run.records) throw new Error(`bench: flows: softflowd exported ${run.records} records, the stream decodes to ${totalRecords}`);
        return { version, datagrams, records, totalRecords, conversations };
      } finally {
        await recorder.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Replay {
  datagrams: number;
  records: number;
  seconds: number;
  /** Datagrams per second actually achieved (the sender may fall short of the target). */
  rate: number;
}

/**
 * Sends `count` datagrams of the stream (from the start, wrapping around) to
 * 127.0.0.1:port at `rate` datagrams/s, from `socket` (one exporter address
 * for the whole run). Paced every millisecond: what is due by now is sent.
 */
export async function replay(socket: Socket, stream: FlowStream, port: number, rate: number, count: number): Promise<Replay> {
  let sent = 0;
  let records = 0;
  let pending = 0;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const done = () => pending--;
  while (sent < count) {
    const due = Math.min(count, Math.floor(elapsed() * rate) + 1);
    while (sent < due) {
      const i = sent % stream.datagrams.length;
      pending++;
      socket.send(stream.datagrams[i]!, port, '127.0.0.1', done);
      records += stream.records[i]!;
      sent++;
    }
    // Let the sends complete; never queue more than a few thousand in node.
    await new Promise<void>((resolve) => (pending > 4096 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
  while (pending > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  const seconds = elapsed();
  return { datagrams: sent, records, seconds, rate: sent / seconds };
}

export function senderSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}
