import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOn } from './listen.js';

describe('listenOn', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it('binds, and a taken port is one line naming where and the code', async () => {
    const first = createServer();
    servers.push(first);
    await listenOn(first, '127.0.0.1', 0, 'test: cannot listen on first');
    const port = (first.address() as { port: number }).port;
    const second = createServer();
    await expect(listenOn(second, '127.0.0.1', port, `test: cannot listen on 127.0.0.1:${port}/tls`)).rejects.toThrow(`test: cannot listen on 127.0.0.1:${port}/tls: EADDRINUSE`);
  });

  it('leaves later server errors to the connections: an error after the bind does not throw', async () => {
    const server = createServer();
    servers.push(server);
    await listenOn(server, '127.0.0.1', 0, 'test');
    expect(() => server.emit('error', new Error('late'))).not.toThrow();
    expect(server.listening).toBe(true);
  });
});
