/**
 * Where the dnstap listener listens: `unix:/path.sock` or
 * `tcp:ADDRESS:PORT` (`tcp:[::1]:PORT` for IPv6). dnstap carries every
 * client's address and every answer in clear text, with no authentication,
 * so a TCP endpoint must be a loopback address unless --dnstap-allow-remote
 * says otherwise.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { UsageError } from '../../model/errors.js';
import { isLoopback } from '../endpoint.js';

export type Endpoint =
  | { kind: 'unix'; path: string; label: string }
  | { kind: 'tcp'; host: string; port: number; label: string };

/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const MAX_UNIX_PATH = 107;

export function parseEndpoint(text: string, allowRemote: boolean): Endpoint {
  if (text.startsWith('unix:')) {
    const given = text.slice(5);
    if (given === '') throw new UsageError(`serve: --dnstap ${text}: no socket path`);
    const path = resolve(given);
    if (Buffer.byteLength(path) > MAX_UNIX_PATH) throw new UsageError(`serve: --dnstap ${text}: socket path longer than ${MAX_UNIX_PATH} bytes`);
    return { kind: 'unix', path, label: `unix:${path}` };
  }
  if (text.startsWith('tcp:')) {
    const rest = text.slice(4);
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(rest);
    if (match === null) throw new UsageError(`serve: --dnstap ${text}: expected tcp:ADDRESS:PORT or tcp:[IPv6]:PORT`);
    let host = match[1] ?? match[2] ?? '';
    if (host === 'localhost') host = '127.0.0.1';
    if (isIP(host) === 0) throw new UsageError(`serve: --dnstap ${text}: '${host}' is not an IP address`);
    const port = Number(match[3]);
    if (port > 65535) throw new UsageError(`serve: --dnstap ${text}: port ${port} out of range`);
    if (!allowRemote && !isLoopback(host)) {
      throw new UsageError(`serve: --dnstap ${text}: ${host} is not a loopback address; dnstap is unauthenticated clear text, add --dnstap-allow-remote to listen there anyway`);
    }
    return { kind: 'tcp', host, port, label: `tcp:${host.includes(':') ? `[${host}]` : host}:${port}` };
  }
  throw new UsageError(`serve: --dnstap ${text}: expected unix:/path.sock or tcp:127.0.0.1:PORT`);
}
