/**
 * The `server:` lines every Unbound that a test or a benchmark starts
 * needs: on 127.0.0.1:PORT, in the foreground, as the current user without
 * chroot, logging to stderr, its pidfile in its own folder. Callers add the
 * lines of their scenario after these.
 */
import { join } from 'node:path';

export function unboundServerLines(dir: string, port: number, pidfile = 'unbound.pid'): string[] {
  return [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  so-reuseport: no',
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, pidfile)}"`,
    '  use-syslog: no',
    '  logfile: ""',
  ];
}

/**
 * The lines after a test Unbound's own `server:` settings when it recurses
 * for `zone` (without the trailing dot) to an authority on 127.0.0.1@PORT
 * through a stub zone, with no remote control.
 */
export function unboundStubLines(zone: string, authorityPort: number): string[] {
  return [
    '  do-not-query-localhost: no',
    '  qname-minimisation: no',
    '  local-zone: "test." nodefault',
    'remote-control:',
    '  control-enable: no',
    'stub-zone:',
    `  name: "${zone}."`,
    `  stub-addr: 127.0.0.1@${authorityPort}`,
  ];
}

/**
 * The `server:` lines that add DNS over TLS and DNS over HTTPS (RFC 8484, at
 * /dns-query; Unbound 1.17 built with libnghttp2) on 127.0.0.1 to an Unbound:
 * each service on its own interface whose @port is `tls-port` or
 * `https-port`. Unbound's default of 10 TCP buffers per thread is raised:
 * below half of them free it cuts its idle timeout to a few milliseconds,
 * which a benchmark's handful of long-lived connections would trip.
 */
export function unboundEncryptedLines(o: { dotPort: number; dohPort: number; cert: string; key: string }): string[] {
  return [
    `  interface: 127.0.0.1@${o.dotPort}`,
    `  interface: 127.0.0.1@${o.dohPort}`,
    `  tls-port: ${o.dotPort}`,
    `  https-port: ${o.dohPort}`,
    `  tls-service-pem: "${o.cert}"`,
    `  tls-service-key: "${o.key}"`,
    '  http-endpoint: "/dns-query"',
    '  incoming-num-tcp: 64',
  ];
}
