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
