import { describe, expect, it } from 'vitest';
import { classify, isReply, isServicePort, KNOWN, NON_ROUTABLE, PUBLIC } from './endpoints.js';
import { loadInfra } from '../../enrich/infra/index.js';

describe('which end started the conversation', () => {
  it.each([
    ['a client to a web server', 51000, 443, 6, false],
    ['the web server answering (unidirectional export)', 443, 51000, 6, true],
    ['a client to a high service port', 33000, 8443, 6, false],
    ['that service answering', 8443, 33000, 6, true],
    ['a bot from its ephemeral port to our ssh', 40123, 22, 6, false],
    ['a resolver asking upstream', 53000, 53, 17, false],
    ['the upstream answering', 53, 53000, 17, true],
    ['port-less (GRE)', 0, 0, 47, false],
    ['ICMP echo request (type 8 in the destination port, NetFlow v5)', 0, 8 * 256, 1, false],
    ['ICMP echo reply (type 0)', 0, 0, 1, true],
    ['ICMP unreachable (type 3, code 1, in the source port)', 3 * 256 + 1, 0, 1, true],
    ['ICMPv6 echo request (128)', 128 * 256, 0, 58, false],
    ['ICMPv6 echo reply (129)', 0, 129 * 256, 58, true],
  ])('%s', (_what, srcPort, dstPort, proto, reply) => {
    expect(isReply({ srcPort, dstPort, proto })).toBe(reply);
  });

  it('DNS, DNS over TLS and NTP are service ports, HTTPS is not', () => {
    expect([53, 853, 123, 443].map(isServicePort)).toEqual([true, true, true, false]);
  });
});

describe('classify', () => {
  const infra = loadInfra();
  it.each([
    ['203.0.113.9', NON_ROUTABLE], // documentation
    ['10.1.2.3', NON_ROUTABLE],
    ['fe80::1', NON_ROUTABLE],
    ['not an address', NON_ROUTABLE],
    ['151.101.1.69', KNOWN], // Fastly (data/reference)
    ['2606:4700::1111', KNOWN], // Cloudflare
    ['51.178.15.143', PUBLIC],
    ['2a01:4f8::1', PUBLIC],
  ])('%s', (address, cls) => {
    expect(classify(address, infra)).toBe(cls);
  });

  it('without infra, a CDN address is only public', () => {
    expect(classify('151.101.1.69', null)).toBe(PUBLIC);
  });
});
