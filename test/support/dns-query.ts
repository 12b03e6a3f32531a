/**
 * One DNS query over UDP to 127.0.0.1, as a client asks a resolver or a
 * forwarder (recursion desired): the decoded response, or a rejection when
 * none comes within `timeoutMs`.
 */
import { createSocket } from 'node:dgram';
import packet from 'dns-packet';

export function queryUdp(port: number, name: string, options: { type?: packet.RecordType; id?: number; timeoutMs?: number } = {}): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer for ${name}`));
    }, options.timeoutMs ?? 5_000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(packet.decode(message));
    });
    socket.send(packet.encode({ type: 'query', id: options.id ?? 4242, flags: packet.RECURSION_DESIRED, questions: [{ type: options.type ?? 'A', name }] }), port, '127.0.0.1');
  });
}

/** The response code of `queryUdp` (0 NOERROR, 3 NXDOMAIN). */
export async function queryRcode(port: number, name: string, options: { id?: number; timeoutMs?: number } = {}): Promise<number> {
  return ((await queryUdp(port, name, options)).flags ?? -1) & 15;
}
