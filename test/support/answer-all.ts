/**
 * The one test authority/upstream of the resolver and encrypted-listener
 * tests, on 127.0.0.1 over UDP and (with `tcp`) over TCP on the same port
 * (fluxhound asks over TCP what came to it over TCP, TLS or HTTPS): it
 * answers every A query with the address `addressFor` gives the
 * (lower-cased) name, so a flagged name resolves too unless a policy zone
 * stops it. Other types get an empty answer; bytes that are not DNS, none.
 * `hold` lets a test keep one answer back until it says so, so an order of
 * answers is made by the test, never by a timer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as NetSocket } from 'node:net';
import packet from 'dns-packet';

export interface AnsweringAuthority {
  port: number;
  /** Queries received so far, over UDP and over TCP. */
  readonly asked: { udp: number; tcp: number };
  close(): Promise<void>;
}

export interface AuthorityOptions {
  /** Also answer over TCP (RFC 7766 framing) on the UDP port. */
  tcp?: boolean;
  /** TTL of every answer (default 1 s). */
  ttl?: number;
  /** Answer as a recursive resolver (RD and RA set) rather than as an authority (AA set). */
  recursive?: boolean;
  /** A promise for a (lower-cased) name holds its answer until the promise settles; undefined answers at once. */
  hold?: (name: string) => Promise<void> | undefined;
}

type Send = (reply: Buffer) => void;

/** Answers one query through `send` (now, or when its hold settles); bytes that are not a DNS question are dropped. */
function respond(message: Buffer, addressFor: (name: string) => string, options: AuthorityOptions, send: Send): void {
  let request: packet.Packet;
  try {
    request = packet.decode(message);
  } catch {
    return;
  }
  const question = request.questions?.[0];
  if (question === undefined) return;
  // Resolvers randomise the case of names (0x20): the address is chosen by the lower-cased name.
  const name = question.name.toLowerCase();
  const answers: packet.Answer[] = question.type === 'A' ? [{ name: question.name, type: 'A', class: 'IN', ttl: options.ttl ?? 1, data: addressFor(name) }] : [];
  const reply = packet.encode({ id: request.id, type: 'response', flags: options.recursive === true ? packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE : packet.AUTHORITATIVE_ANSWER, questions: request.questions, answers });
  const held = options.hold?.(name);
  if (held === undefined) send(reply);
  else void held.then(() => send(reply));
}

/** DNS over TCP (RFC 7766 framing: a 2-byte length before each message), pipelined queries answered as they are ready. */
function tcpAuthority(onQuery: (message: Buffer, send: Send) => void): { server: Server; close(): Promise<void> } {
  const open = new Set<NetSocket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        onQuery(message, (reply) => {
          if (socket.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([length, reply]));
        });
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

/** Binds (or listens) and says whether it worked: EADDRINUSE must not throw out of an error event nor hang a beforeAll. */
function bound(target: Socket | Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const failed = (): void => resolve(false);
    target.once('error', failed);
    const ok = (): void => {
      target.off('error', failed);
      resolve(true);
    };
    if ('bind' in target) target.bind(port, '127.0.0.1', ok);
    else target.listen(port, '127.0.0.1', ok);
  });
}

/**
 * Starts the authority on `port` (0: an ephemeral one). With TCP, UDP takes
 * the port TCP was given; when another process holds that number for UDP
 * (a busy CI box), both are closed and a fresh port 0 is tried, up to 20
 * times. A fixed port that is taken is an error at once.
 */
export async function startAnsweringAuthority(addressFor: (name: string) => string, port = 0, options: AuthorityOptions = {}): Promise<AnsweringAuthority> {
  const asked = { udp: 0, tcp: 0 };
  for (let attempt = 0; ; attempt++) {
    const tcp = options.tcp === true
      ? tcpAuthority((message, send) => {
          asked.tcp++;
          respond(message, addressFor, options, send);
        })
      : null;
    const listening = tcp === null || (await bound(tcp.server, port));
    const wanted = tcp === null || !listening ? port : (tcp.server.address() as { port: number }).port;
    const socket = createSocket('udp4');
    if (!listening || !(await bound(socket, wanted))) {
      socket.close();
      if (listening) await tcp?.close();
      if (attempt < 20 && port === 0) continue;
      throw new Error(`answering authority: cannot bind 127.0.0.1:${wanted} for ${tcp === null ? 'UDP' : 'UDP and TCP'}`);
    }
    socket.on('message', (message, peer) => {
      asked.udp++;
      respond(message, addressFor, options, (reply) => socket.send(reply, peer.port, peer.address));
    });
    return {
      port: socket.address().port,
      asked,
      close: async () => {
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        await tcp?.close();
      },
    };
  }
}

/** The fixed upstream of the encrypted-listener tests: every A question answered 192.0.2.1 with a TTL of 60 s, over UDP and TCP. */
export function startFixedUpstream(options: Pick<AuthorityOptions, 'hold'> = {}): Promise<AnsweringAuthority> {
  return startAnsweringAuthority(() => '192.0.2.1', 0, { ...options, tcp: true, ttl: 60, recursive: true });
}
