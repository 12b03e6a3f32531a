/**
 * A real HTTP(S) feed server on 127.0.0.1 (ephemeral port) for the loader's
 * tests: serves one body with an ETag and Last-Modified, answers 304 to a
 * matching conditional request, and counts every request. `mode` switches it
 * to hang, fail with 500 or demand credentials.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface FeedServer {
  url: string;
  body: string;
  mode: 'serve' | 'hang' | 'fail' | 'chunked';
  /** Authorization header the server demands; null = none. */
  authorization: string | null;
  requests: Array<{ path: string; ifNoneMatch: string | null; ifModifiedSince: string | null; authorization: string | null }>;
  /** Bodies by path beside the main one (MISP events). */
  files: Map<string, string>;
  close(): Promise<void>;
}

export async function feedServer(body: string, tls?: { cert: string; key: string }): Promise<FeedServer> {
  const sockets = new Set<Socket>();
  const state: FeedServer = {
    url: '',
    body,
    mode: 'serve',
    authorization: null,
    requests: [],
    files: new Map(),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const lastModified = 'Sat, 05 Dec 2026 10:00:00 GMT';
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const header = (name: string): string | null => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
    state.requests.push({ path: req.url ?? '', ifNoneMatch: header('if-none-match'), ifModifiedSince: header('if-modified-since'), authorization: header('authorization') });
    if (state.mode === 'hang') return;
    if (state.mode === 'fail') {
      res.writeHead(500).end('boom');
      return;
    }
    if (state.authorization !== null && header('authorization') !== state.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="feed"' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const text = state.files.get(path) ?? state.body;
    const etag = `"${createHash('sha256').update(text).digest('hex').slice(0, 16)}"`;
    if (header('if-none-match') === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    if (state.mode === 'chunked') {
      // No Content-Length: the cap must hold while streaming.
      res.writeHead(200, { etag, 'last-modified': lastModified });
      res.write(text);
      res.end();
      return;
    }
    res.writeHead(200, { etag, 'last-modified': lastModified, 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const server: Server = tls === undefined ? createHttp(handle) : createHttps({ cert: tls.cert, key: tls.key }, handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state.url = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  return state;
}
