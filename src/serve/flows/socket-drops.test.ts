import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelDrops, parseUdpLine } from './socket-drops.js';

describe('kernel drops of our UDP socket', () => {
  it('parses a /proc/net/udp line (Linux 6 layout)', () => {
    const line = ' 1234: 0100007F:0807 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 987654 2 0000000000000000 17';
    expect(parseUdpLine(line)).toEqual({ port: 0x807, inode: '987654', drops: 17 });
    expect(parseUdpLine('   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops')).toBeNull();
  });

  it.runIf(existsSync('/proc/net/udp'))('finds the socket this process bound, and nothing for a port it did not', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      expect(kernelDrops(socket.address().port, 4)).toBe(0);
      expect(kernelDrops(1, 4)).toBeNull();
    } finally {
      socket.close();
    }
  });
});
