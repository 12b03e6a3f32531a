/**
 * The fixed upstream of the encrypted-listener tests, on 127.0.0.1: UDP and
 * TCP on one port, every A question answered 192.0.2.1 with a TTL of 60 s.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';

function upstreamAnswer(raw: Buffer): Buffer {
  const q = packet.decode(raw);
  const question = q.questions![0]!;
  return packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }] });
}

/** An upstream on UDP and TCP of one port (the forwarder asks over TCP what came over TCP, TLS or HTTPS): every A question gets 192.0.2.1 with a TTL of 60 s. */
export class FixedUpstream {
  udp!: UdpSocket;
  tcp!: Server;
  port = 0;
  async start(): Promise<void> {
    this.udp = createSocket('udp4');
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    this.port = this.udp.address().port;
    this.udp.on('message', (raw, from) => this.udp.send(upstreamAnswer(raw), from.port, from.address));
    this.tcp = createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          const answer = upstreamAnswer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          const frame = Buffer.alloc(answer.length + 2);
          frame.writeUInt16BE(answer.length);
          answer.copy(frame, 2);
          socket.write(frame);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.tcp.listen(this.port, '127.0.0.1', () => r()));
  }
  async stop(): Promise<void> {
    this.udp.close();
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}
