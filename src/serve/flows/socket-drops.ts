/**
 * Datagrams the kernel dropped for our UDP socket because its receive buffer
 * was full: the `drops` column of /proc/net/udp and /proc/net/udp6 (Linux),
 * for the socket of this process bound to the port. Read at scrape time, so
 * a flood that outruns the collector shows where it was lost. Null where
 * there is no /proc (another OS) or the socket is not found.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The socket inodes this process holds open (from /proc/self/fd links 'socket:[N]'). */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // closed between the listing and the readlink
    }
  }
  return inodes;
}

/**
 * One /proc/net/udp line's local port, inode and drops, or null for the
 * header or a malformed line. Columns: sl local_address rem_address st
 * tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops.
 */
export function parseUdpLine(line: string): { port: number; inode: string; drops: number } | null {
  const cols = line.trim().split(/\s+/);
  if (cols.length < 13 || !/^\d+:$/.test(cols[0]!)) return null;
  const local = cols[1]!;
  const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
  const drops = Number(cols[12]);
  if (!Number.isFinite(port) || !Number.isFinite(drops)) return null;
  return { port, inode: cols[9]!, drops };
}

export function kernelDrops(port: number, family: 4 | 6): number | null {
  try {
    const inodes = ownSocketInodes();
    const table = readFileSync(family === 4 ? '/proc/net/udp' : '/proc/net/udp6', 'utf8');
    for (const line of table.split('\n')) {
      const row = parseUdpLine(line);
      if (row !== null && row.port === port && inodes.has(row.inode)) return row.drops;
    }
  } catch {
    // no /proc here
  }
  return null;
}
