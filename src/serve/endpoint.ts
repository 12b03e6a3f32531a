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
  /** An upstream over DNS over HTTPS (`https://ADDRESS:PORT/PATH#NAME`): the path queries are POSTed to. */
  dohPath?: string;
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
 * An upstream resolver: 'ADDRESS[:PORT]' (plain UDP/TCP, port 53),
 * 'tls://ADDRESS[:PORT]#NAME' (DNS over TLS, port 853) or
 * 'https://ADDRESS[:PORT][/PATH]#NAME' (DNS over HTTPS, port 443, path
 * /dns-query); the certificate of an encrypted one is verified against NAME.
 */
export function parseUpstream(text: string, what: string): Endpoint {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase() ?? null;
  if (scheme === null) return parseEndpoint(text, 53, what);
  if (scheme !== 'tls' && scheme !== 'https') throw new Error(`${what}: '${text}': an upstream is ADDRESS:PORT, tls://ADDRESS:PORT#NAME or https://ADDRESS:PORT/PATH#NAME`);
  const rest = text.slice(scheme.length + 3);
  const hash = rest.indexOf('#');
  const name = hash < 0 ? '' : rest.slice(hash + 1);
  const usage = scheme === 'tls' ? 'tls://ADDRESS:PORT#NAME' : 'https://ADDRESS:PORT/PATH#NAME';
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(name)) {
    throw new Error(`${what}: '${text}' needs the name its certificate carries: ${usage}`);
  }
  let address = hash < 0 ? rest : rest.slice(0, hash);
  if (scheme === 'tls') return { ...parseEndpoint(address, 853, what), tls: name.toLowerCase() };
  const slash = address.indexOf('/');
  const path = slash < 0 ? '/dns-query' : address.slice(slash);
  if (slash >= 0) address = address.slice(0, slash);
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw new Error(`${what}: '${text}': the path must be printable ASCII without spaces`);
  return { ...parseEndpoint(address, 443, what), tls: name.toLowerCase(), dohPath: path };
}

/**
 * How an upstream is named in metrics labels, /health and logs: the plain
 * 'ADDRESS:PORT' as before for UDP/TCP, and the URL it was given as for an
 * encrypted one ('tls://127.0.0.1:853#dns.example'), so an operator can tell
 * the DoT and the plain upstream on one address apart. NAME and PATH passed
 * parseUpstream (letters, digits, '-', '.'; printable ASCII).
 */
export function upstreamLabel(e: Endpoint): string {
  const address = e.family === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  if (e.tls === undefined) return address;
  return e.dohPath === undefined ? `tls://${address}#${e.tls}` : `https://${address}${e.dohPath}#${e.tls}`;
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
