/**
 * Binding a governed server: a bind error (EADDRINUSE, EACCES) rejects with
 * one line, `LABEL: cannot listen on HOST:PORT[/WHAT]: CODE`, which the CLI
 * prints as is (exit 2). Errors after the bind belong to connections, which
 * the governor counts, so the server itself ignores them rather than crash.
 */
import type { Server } from 'node:net';

export async function listenOn(server: Server, host: string, port: number, where: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`${where}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => undefined);
}
