/** NetFlow v5 export datagrams built by hand (Cisco's layout: 24-byte header, 48-byte records), for collector tests. */

export interface V5Flow {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** Epoch seconds. */
  start: number;
  end: number;
  bytes: number;
  packets: number;
}

/** One TCP record per flow, exported at `exportTime` (epoch s) by a router up 1000 s, with flow_sequence `sequence`. */
export function v5Datagram(exportTime: number, flows: V5Flow[], sequence = 0): Buffer {
  const uptime = 1_000_000;
  const b = Buffer.alloc(24 + 48 * flows.length);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(flows.length, 2);
  b.writeUInt32BE(uptime, 4);
  b.writeUInt32BE(exportTime, 8);
  b.writeUInt32BE(sequence, 16);
  flows.forEach((f, i) => {
    const at = 24 + 48 * i;
    Buffer.from(f.src.split('.').map(Number)).copy(b, at);
    Buffer.from(f.dst.split('.').map(Number)).copy(b, at + 4);
    b.writeUInt32BE(f.packets, at + 16);
    b.writeUInt32BE(f.bytes, at + 20);
    b.writeUInt32BE(uptime - (exportTime - f.start) * 1000, at + 24);
    b.writeUInt32BE(uptime - (exportTime - f.end) * 1000, at + 28);
    b.writeUInt16BE(f.srcPort, at + 32);
    b.writeUInt16BE(f.dstPort, at + 34);
    b.writeUInt8(6, at + 38);
  });
  return b;
}
