/**
 * One HTTP(S) listener behind the connection governor, as the console/API
 * and the TAXII server both bind, report, fail and stop: Node's own header
 * deadlines do not apply (the governor's do), a client error destroys the
 * socket, a port in use rejects in one line, and stop closes every governed
 * connection before the server.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerOptions, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Endpoint } from '../endpoint.js';
import { governedHttpServer, listenOn, type ListenerGate } from '../net/index.js';
import type { TlsFiles } from './tls.js';

export class GovernedListener {
  private server: Server | null = null;
  private http: HttpServer | null = null;

  constructor(
    /** 'http', 'taxii': the start of its one-line errors. */
    private readonly name: string,
    private readonly gate: ListenerGate,
  ) {}

  /** The port bound (useful with port 0); 0 before start. */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** secureContext: read per connection (SIGHUP swaps it); absent = plain HTTP. */
  async listen(at: Endpoint, handle: (req: IncomingMessage, res: ServerResponse) => void, secureContext?: () => SecureContext, options: ServerOptions = {}): Promise<void> {
    const http = createServer(options, handle);
    http.keepAliveTimeout = 5000;
    http.on('clientError', (_err, socket) => socket.destroy());
    const server = governedHttpServer(this.gate, http, secureContext);
    await listenOn(server, at.host, at.port, `${this.name}: cannot listen on ${at.host}:${at.port}`);
    this.server = server;
    this.http = http;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    this.gate.closeAll();
    this.http?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The TLS files a reload moves to: the flags' when they were given (fixed),
 * else the next config's. Turning TLS on or off is refused: clients would
 * silently switch scheme under the same port.
 */
export function reloadTlsFiles(name: string, current: TlsFiles | null, fixed: boolean, next: { cert: string | null; key: string | null }): TlsFiles | null {
  const files = fixed ? current : next.cert === null || next.key === null ? null : { cert: next.cert, key: next.key };
  if ((files === null) !== (current === null)) throw new Error(`${name}: turning TLS on or off takes a restart`);
  return files;
}
