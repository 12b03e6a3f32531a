/**
 * The smallest authority a resolver test needs, on 127.0.0.1 over UDP: it
 * answers every A query with the address `addressFor` gives the
 * (lower-cased) name, so a flagged name resolves too unless a policy zone
 * stops it. Other types get an empty answer; bytes that are not DNS, none.
 */
import { createSocket } from 'node:dgram';
import packet from 'dns-packet';

export interface AnsweringAuthority {
  port: number;
  close(): Promise<void>;
}

export async function startAnsweringAuthority(addressFor: (name: string) => string, port = 0): Promise<AnsweringAuthority> {
  const socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    let request: packet.Packet;
    try {
      request = packet.decode(message);
    } catch {
      return;
    }
    const question = request.questions?.[0];
    if (question === undefined) return;
    // Resolvers randomise the case of names (0x20): the address is chosen by the lower-cased name.
    const answers: packet.Answer[] = question.type === 'A' ? [{ name: question.name, type: 'A', class: 'IN', ttl: 1, data: addressFor(question.name.toLowerCase()) }] : [];
    socket.send(packet.encode({ id: request.id, type: 'response', flags: packet.AUTHORITATIVE_ANSWER, questions: request.questions, answers }), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
