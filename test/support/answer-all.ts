/**
 * The smallest authority a resolver test needs, on 127.0.0.1 over UDP (and,
 * with `tcp`, over TCP on the same port: fluxhound asks over TCP what came
 * to it over TCP, TLS or HTTPS): it answers every A query with the address
 * `addressFor` gives the (lower-cased) name, so a flagged name resolves too
 * unless a policy zone stops it. Other types get an empty answer; bytes that
 * are not DNS, none.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as NetSocket } from 'node:net';
import packet from 'dns-packet';

export interface AnsweringAuthority {
  port: number;
  close(): Promise<void>;
}

/** The answer to one query, or null for bytes that are not a DNS question. */
function answer(message: Buffer, addressFor: (name: string) => string): Buffer | null {
  let request: packet.Packet;
  try {
    request = packet.decode(message);
  } catch {
    return null;
  }
  const question = request.questions?.[0];
  if (question === undefined) return null;
  // Resolvers randomise the case of names (0x20): the address is chosen by the lower-cased name.
  const answers: packet.Answer[] = question.type === 'A' ? [{ name: question.name, type: 'A', class: 'IN', ttl: 1, data: addressFor(question.name.toLowerCase()) }] : [];
  return packet.encode({ id: request.id, type: 'response', flags: packet.AUTHORITATIVE_ANSWER, questions: request.questions, answers });
}

/** DNS over TCP (RFC 7766 framing: a 2-byte length before each message), pipelined queries answered in turn. */
function tcpAuthority(addressFor: (name: string) => string): { server: Server; close(): Promise<void> } {
  const open = new Set<NetSocket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const reply = answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)), addressFor);
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        if (reply === null) continue;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([length, reply]));
      }
    });
    socket.on('error', () => undefined);
  });
  return {
    server,
    // server.close() waits for every connection, and a forwarder keeps its upstream connections open.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

function bindUdp(socket: Socket, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => resolve(true));
  });
}

export async function startAnsweringAuthority(addressFor: (name: string) => string, port = 0, options: { tcp?: boolean } = {}): Promise<AnsweringAuthority> {
  for (let attempt = 0; ; attempt++) {
    const tcp = options.tcp === true ? tcpAuthority(addressFor) : null;
    if (tcp !== null) await new Promise<void>((resolve) => tcp.server.listen(port, '127.0.0.1', resolve));
    // With TCP, UDP takes the port TCP was given; another process may hold it for UDP: try again.
    const wanted = tcp === null ? port : (tcp.server.address() as { port: number }).port;
    const socket = createSocket('udp4');
    if (!(await bindUdp(socket, wanted))) {
      socket.close();
      await tcp?.close();
      if (attempt < 10 && port === 0) continue;
      throw new Error(`answering authority: cannot bind 127.0.0.1:${wanted}/udp`);
    }
    socket.on('message', (message, peer) => {
      const reply = answer(message, addressFor);
      if (reply !== null) socket.send(reply, peer.port, peer.address);
    });
    return {
      port: socket.address().port,
      close: async () => {
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        await tcp?.close();
      },
    };
  }
}
