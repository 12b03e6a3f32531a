/**
 * Where the collector listens: `udp:ADDRESS:PORT` or `udp:[IPv6]:PORT`
 * (--flows, serve.flows.listen). Port 0 asks the kernel for a free port (the
 * bound one is logged). The address must be an IP literal: a name would be
 * resolved once, silently, to one of its addresses.
 */
import { isIP } from 'node:net';
import { UsageError } from '../../model/errors.js';

export interface FlowListen {
  host: string;
  port: number;
  family: 4 | 6;
  /** 'udp:127.0.0.1:2055', 'udp:[::1]:2055'. */
  label: string;
}

export function parseFlowListen(text: string, what = '--flows'): FlowListen {
  const problem = `serve: ${what} ${text}: expected udp:ADDRESS:PORT or udp:[IPv6]:PORT`;
  if (!text.startsWith('udp:')) throw new UsageError(problem);
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.slice(4));
  if (match === null) throw new UsageError(problem);
  let host = match[1] ?? match[2] ?? '';
  if (host === 'localhost') host = '127.0.0.1';
  const family = isIP(host);
  if (family === 0) throw new UsageError(`serve: ${what} ${text}: '${host}' is not an IP address`);
  const port = Number(match[3]);
  if (port > 65535) throw new UsageError(`serve: ${what} ${text}: port ${port} out of range (0..65535)`);
  return { host, port, family: family as 4 | 6, label: udpLabel(host, port) };
}

export function udpLabel(host: string, port: number): string {
  return `udp:${host.includes(':') ? `[${host}]` : host}:${port}`;
}
