import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from './names.js';
import { describeBlocks, MAX_BLOCKS, NON_ROUTABLE_BLOCKS, nonRoutableV4, nonRoutableV6, nonRoutableV6Text } from './special-purpose.js';

/** Each block's first and last address, and the neighbours just outside it: `null` = may be a public host. */
const V4: [string, string | null][] = [
  ['0.0.0.0', 'this network 0.0.0.0/8'],
  ['0.255.255.255', 'this network 0.0.0.0/8'],
  ['1.0.0.0', null],
  ['9.255.255.255', null],
  ['10.0.0.0', 'private-use 10.0.0.0/8'],
  ['10.255.255.255', 'private-use 10.0.0.0/8'],
  ['11.0.0.0', null],
  ['100.63.255.255', null],
  ['100.64.0.0', 'shared address space 100.64.0.0/10'],
  ['100.127.255.255', 'shared address space 100.64.0.0/10'],
  ['100.128.0.0', null],
  ['126.255.255.255', null],
  ['127.0.0.0', 'loopback 127.0.0.0/8'],
  ['127.255.255.255', 'loopback 127.0.0.0/8'],
  ['128.0.0.0', null],
  ['169.253.255.255', null],
  ['169.254.0.0', 'link-local 169.254.0.0/16'],
  ['169.254.255.255', 'link-local 169.254.0.0/16'],
  ['169.255.0.0', null],
  ['172.15.255.255', null],
  ['172.16.0.0', 'private-use 172.16.0.0/12'],
  ['172.31.255.255', 'private-use 172.16.0.0/12'],
  ['172.32.0.0', null],
  ['191.255.255.255', null],
  ['192.0.0.0', 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.0.8', 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.0.9', null], // PCP anycast: globally reachable
  ['192.0.0.10', null], // TURN anycast: globally reachable
  ['192.0.0.11', 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.0.170', 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.0.255', 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.1.0', null],
  ['192.0.1.255', null],
  ['192.0.2.0', 'documentation 192.0.2.0/24'],
  ['192.0.2.255', 'documentation 192.0.2.0/24'],
  ['192.0.3.0', null],
  ['192.31.196.1', null], // AS112-v4: globally reachable
  ['192.52.193.1', null], // AMT: globally reachable
  ['192.88.98.255', null],
  ['192.88.99.0', 'deprecated 6to4 relay anycast 192.88.99.0/24'],
  ['192.88.99.255', 'deprecated 6to4 relay anycast 192.88.99.0/24'],
  ['192.88.100.0', null],
  ['192.167.255.255', null],
  ['192.168.0.0', 'private-use 192.168.0.0/16'],
  ['192.168.255.255', 'private-use 192.168.0.0/16'],
  ['192.169.0.0', null],
  ['192.175.48.1', null], // AS112 direct delegation: globally reachable
  ['198.17.255.255', null],
  ['198.18.0.0', 'benchmarking 198.18.0.0/15'],
  ['198.19.255.255', 'benchmarking 198.18.0.0/15'],
  ['198.20.0.0', null],
  ['198.51.99.255', null],
  ['198.51.100.0', 'documentation 198.51.100.0/24'],
  ['198.51.100.255', 'documentation 198.51.100.0/24'],
  ['198.51.101.0', null],
  ['203.0.112.255', null],
  ['203.0.113.0', 'documentation 203.0.113.0/24'],
  ['203.0.113.255', 'documentation 203.0.113.0/24'],
  ['203.0.114.0', null],
  ['223.255.255.255', null],
  ['224.0.0.0', 'multicast 224.0.0.0/4'],
  ['239.255.255.255', 'multicast 224.0.0.0/4'],
  ['240.0.0.0', 'reserved 240.0.0.0/4'],
  ['255.255.255.254', 'reserved 240.0.0.0/4'],
  ['255.255.255.255', 'limited broadcast 255.255.255.255/32'],
  ['8.8.8.8', null],
];

const MAX = 'ffff:ffff:ffff:ffff:ffff';
const V6: [string, string | null][] = [
  ['::', 'unspecified ::/128'],
  ['::1', 'loopback ::1/128'],
  ['::2', 'unallocated (outside 2000::/3)'],
  ['::fffe:ffff:ffff', 'unallocated (outside 2000::/3)'],
  ['::ffff:0:0', 'IPv4-mapped ::ffff:0:0/96'],
  ['::ffff:255.255.255.255', 'IPv4-mapped ::ffff:0:0/96'],
  ['::1:0:0:0', 'unallocated (outside 2000::/3)'],
  ['64:ff9a:ffff:' + MAX, 'unallocated (outside 2000::/3)'],
  ['64:ff9b::', 'NAT64 translation 64:ff9b::/96'],
  ['64:ff9b::ffff:ffff', 'NAT64 translation 64:ff9b::/96'],
  ['64:ff9b::1:0:0', 'unallocated (outside 2000::/3)'],
  ['64:ff9b:1::', 'local-use NAT64 translation 64:ff9b:1::/48'],
  ['64:ff9b:1:' + MAX, 'local-use NAT64 translation 64:ff9b:1::/48'],
  ['64:ff9b:2::', 'unallocated (outside 2000::/3)'],
  ['ff:ffff:ffff:' + MAX, 'unallocated (outside 2000::/3)'],
  ['100::', 'discard-only 100::/64'],
  ['100::ffff:ffff:ffff:ffff', 'discard-only 100::/64'],
  ['100:0:0:1::', 'dummy prefix 100:0:0:1::/64'],
  ['100:0:0:1:ffff:ffff:ffff:ffff', 'dummy prefix 100:0:0:1::/64'],
  ['100:0:0:2::', 'unallocated (outside 2000::/3)'],
  ['1fff:ffff:ffff:' + MAX, 'unallocated (outside 2000::/3)'],
  ['2000::', null],
  ['2000:ffff:ffff:' + MAX, null],
  ['2001::', 'IETF protocol assignments 2001::/23'],
  ['2001:1::', 'IETF protocol assignments 2001::/23'],
  ['2001:1::1', null], // PCP anycast
  ['2001:1::2', null], // TURN anycast
  ['2001:1::3', null], // DNS-SD SRP anycast
  ['2001:1::4', 'IETF protocol assignments 2001::/23'],
  ['2001:2::', 'IETF protocol assignments 2001::/23'], // benchmarking
  ['2001:2:ffff:' + MAX, 'IETF protocol assignments 2001::/23'],
  ['2001:3::', null], // AMT
  ['2001:3:ffff:' + MAX, null],
  ['2001:4::', 'IETF protocol assignments 2001::/23'],
  ['2001:4:111:' + MAX, 'IETF protocol assignments 2001::/23'],
  ['2001:4:112::', null], // AS112-v6
  ['2001:4:112:' + MAX, null],
  ['2001:4:113::', 'IETF protocol assignments 2001::/23'],
  ['2001:1f:ffff:' + MAX, 'IETF protocol assignments 2001::/23'],
  ['2001:20::', null], // ORCHIDv2
  ['2001:2f:ffff:' + MAX, null],
  ['2001:30::', null], // drone remote ID
  ['2001:3f:ffff:' + MAX, null],
  ['2001:40::', 'IETF protocol assignments 2001::/23'],
  ['2001:1ff:ffff:' + MAX, 'IETF protocol assignments 2001::/23'],
  ['2001:200::', null],
  ['2001:4860:4860::8888', null],
  ['2001:db7:ffff:' + MAX, null],
  ['2001:db8::', 'documentation 2001:db8::/32'],
  ['2001:db8:ffff:' + MAX, 'documentation 2001:db8::/32'],
  ['2001:db9::', null],
  ['2002:c000:204::1', null], // 6to4: the registry says N/A; a real (if rare) host
  ['2620:4f:8000::1', null], // AS112 direct delegation
  ['3ffe:ffff:ffff:' + MAX, null],
  ['3fff::', 'documentation 3fff::/20'],
  ['3fff:fff:ffff:' + MAX, 'documentation 3fff::/20'],
  ['3fff:1000::', null],
  ['3fff:ffff:ffff:' + MAX, null],
  ['4000::', 'unallocated (outside 2000::/3)'],
  ['5f00::1', 'unallocated (outside 2000::/3)'],
  ['fbff:ffff:ffff:' + MAX, 'unallocated (outside 2000::/3)'],
  ['fc00::', 'unique-local fc00::/7'],
  ['fdff:ffff:ffff:' + MAX, 'unique-local fc00::/7'],
  ['fe00::', 'unallocated (outside 2000::/3)'],
  ['fe7f:ffff:ffff:' + MAX, 'unallocated (outside 2000::/3)'],
  ['fe80::', 'link-local fe80::/10'],
  ['febf:ffff:ffff:' + MAX, 'link-local fe80::/10'],
  ['fec0::', 'unallocated (outside 2000::/3)'],
  ['feff:ffff:ffff:' + MAX, 'unallocated (outside 2000::/3)'],
  ['ff00::', 'multicast ff00::/8'],
  ['ffff:ffff:ffff:' + MAX, 'multicast ff00::/8'],
  ['2a00:1450:4001:80b::200e', null],
];

const label = (block: number): string | null => (block < 0 ? null : NON_ROUTABLE_BLOCKS[block]!);

describe('special-purpose address space', () => {
  it.each(V4)('IPv4 %s → %s', (address, expected) => {
    expect(label(nonRoutableV4(parseIPv4(address) >>> 0))).toBe(expected);
  });

  it.each(V6)('IPv6 %s → %s', (address, expected) => {
    expect(label(nonRoutableV6(parseIPv6(address)!))).toBe(expected);
    expect(label(nonRoutableV6Text(address))).toBe(expected);
  });

  it('gives text that is no address no block, and its scratch buffer leaks nothing into the next lookup', () => {
    expect(nonRoutableV6Text('not:an:address:at:all')).toBe(-1);
    expect(label(nonRoutableV6Text('fe80::1'))).toBe('link-local fe80::/10');
    expect(nonRoutableV6Text('2a00::1')).toBe(-1);
  });

  it('names the blocks of a bit mask, and every block fits one', () => {
    const reserved = NON_ROUTABLE_BLOCKS.indexOf('reserved 240.0.0.0/4');
    const multicast = NON_ROUTABLE_BLOCKS.indexOf('multicast 224.0.0.0/4');
    expect(describeBlocks((1 << reserved) | (1 << multicast))).toEqual(['multicast 224.0.0.0/4', 'reserved 240.0.0.0/4']);
    expect(NON_ROUTABLE_BLOCKS.length).toBeLessThanOrEqual(MAX_BLOCKS);
  });
});
