/**
 * A UDP socket on 127.0.0.1 that keeps every datagram it receives, with its
 * sender: the test's own copy of an exporter's stream (decoded with
 * src/sources/netflow, or replayed by the bench).
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RecordedDatagram {
  bytes: Buffer;
  /** 'ip:port' of the sender (the exporter, as a collector names it). */
  from: string;
}

export interface UdpRecorder {
  port: number;
  datagrams: RecordedDatagram[];
  /** Waits until `count` datagrams arrived, or throws after `ms`. */
  waitFor(count: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export function recordUdp(receiveBuffer = 8 << 20): Promise<UdpRecorder> {
  const socket: Socket = createSocket({ type: 'udp4', recvBufferSize: receiveBuffer });
  const datagrams: RecordedDatagram[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  socket.on('message', (bytes, rinfo) => {
    datagrams.push({ bytes, from: `${rinfo.address}:${rinfo.port}` });
    for (const w of waiters) w();
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      resolve({
        port: socket.address().port,
        datagrams,
        waitFor: (count, ms = 10_000) =>
          new Promise<void>((ok, fail) => {
            const timer = setTimeout(() => {
              waiters.delete(seen);
              fail(new Error(`received ${datagrams.length} of ${count} datagrams in ${ms} ms`));
            }, ms);
            const seen = () => {
              if (datagrams.length < count) return;
              clearTimeout(timer);
              waiters.delete(seen);
              ok();
            };
            waiters.add(seen);
            seen();
          }),
        close: () =>
          new Promise<void>((done) => {
            if (closed) return done();
            closed = true;
            socket.close(() => done());
          }),
      });
    });
  });
}
