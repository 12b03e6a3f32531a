/**
 * Where the daemon's services listen and send: 'HOST:PORT', '[V6]:PORT', or
 * a bare address (default port); and which of those are loopback. One
 * parser for --dns, --upstream, --http and --block-page.
 */
import { isIP } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
  family: 4 | 6;
  /** An upstream over DNS over TLS: the name its certificate must carry (`tls://ADDRESS:PORT#NAME`). */
  tls?: string;
}

/** Parses an endpoint; throws `what: reason` in one line. */
export function parseEndpoint(text: string, defaultPort: number | null, what: string): Endpoint {
  let host = text;
  let port: string | null = null;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket !== null) {
    host = bracket[1]!;
    port = bracket[2] ?? null;
  } else if (isIP(text) === 0) {
    const colon = text.lastIndexOf(':');
    if (colon > 0) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
  }
  if (host === 'localhost') host = '127.0.0.1';
  const family = isIP(host);
  if (family === 0) throw new Error(`${what}: '${text}' is not ADDRESS:PORT with an IP address`);
  let n = defaultPort;
  if (port !== null) n = /^\d{1,5}$/.test(port) ? Number(port) : -1;
  if (n === null) throw new Error(`${what}: '${text}' needs a port (ADDRESS:PORT)`);
  if (n < 1 || n > 65535) throw new Error(`${what}: '${text}': port must be 1..65535`);
  return { host, port: n, family: family as 4 | 6 };
}

/**
 * An upstream resolver: 'ADDRESS[:PORT]' (plain UDP/TCP, port 53), or
 * 'tls://ADDRESS[:PORT]#NAME' (DNS over TLS, port 853, the certificate
 * verified against NAME).
 */
export function parseUpstream(text: string, what: string): Endpoint {
  if (!text.startsWith('tls://')) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new Error(`${what}: '${text}': only plain ADDRESS:PORT and tls://ADDRESS:PORT#NAME upstreams are supported`);
    return parseEndpoint(text, 53, what);
  }
  const rest = text.slice('tls://'.length);
  const hash = rest.indexOf('#');
  const name = hash < 0 ? '' : rest.slice(hash + 1);
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(name)) {
    throw new Error(`${what}: '${text}' needs the name its certificate carries: tls://ADDRESS:PORT#NAME`);
  }
  return { ...parseEndpoint(rest.slice(0, hash), 853, what), tls: name.toLowerCase() };
}

/**
 * The `lookup` of our UDP sockets: every address they send to or bind is
 * already an IP literal (a client's source address, a parsed endpoint), and
 * the default dns.lookup would still validate it and defer each send by a
 * process.nextTick with its own closures: the largest share of the garbage
 * a cache hit made.
 */
export function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, family === 6 ? 6 : 4);
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x: listeners on these are reachable from this host only. */
export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  const lower = host.toLowerCase();
  return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
}
