import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { conditionalGet } from './http-get.js';

let server: Server | null = null;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

/** A real server on 127.0.0.1 whose every answer is a redirect to the next hop, each sent after `delayMs`. */
async function slowRedirects(delayMs: number): Promise<{ url: string; hops: () => number }> {
  let hops = 0;
  server = createServer((_req, res) => {
    hops++;
    setTimeout(() => res.writeHead(302, { location: `/hop${hops}` }).end(), delayMs);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.txt`, hops: () => hops };
}

describe('conditionalGet deadline', () => {
  it('is one deadline over the whole exchange: redirect hops each under the timeout still fail it together', async () => {
    // Six hops of 200 ms (the first plus five redirects) take at least 1200 ms; each alone is under 500 ms.
    // A per-hop timer would end on "more than 5 redirects"; the one deadline ends first.
    const s = await slowRedirects(200);
    const error = await conditionalGet({ url: s.url, validators: null, auth: null, ca: null, timeoutMs: 500, maxBytes: 1024 }).catch((e: Error) => e.message);
    expect(error).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hop\d: no complete answer within 500 ms$/);
    expect(s.hops()).toBeLessThan(6);
  });
});
