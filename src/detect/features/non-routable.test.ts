import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { aResponse, bot, rr, T0 } from '../../../test/helpers/observations.js';
import { defaultConfig } from '../../config/schema.js';
import type { Verdict } from '../../model/verdict.js';
import { Detector } from '../detector.js';

function run(feed: (d: Detector) => void) {
  const finals: Verdict[] = [];
  const flags: Verdict[] = [];
  const detector = new Detector({ config: defaultConfig(), enricher: octetEnricher, onFlag: (v) => flags.push(v), onFinal: (v) => finals.push(v), reportBenign: true });
  feed(detector);
  detector.flush();
  return { detector, flags, find: (domain: string, scope = 'name') => finals.find((v) => v.domain === domain && v.scope === scope) };
}

/** Rotating answers in reserved 240.0.0.0/4 and multicast 224.0.0.0/4 (to the octet enricher: 32 ASNs in 12 countries). */
function special(i: number): string {
  return `${224 + (i % 32)}.${(i * 17) % 256}.${(i * 5) % 256}.${i % 256}`;
}

describe('non-routable answers', () => {
  it('are never diversity: a name rotating over reserved and multicast addresses with TTL 0 is not flagged, and the verdict says why', () => {
    const { find, flags } = run((d) => {
      for (let lookup = 0; lookup < 20; lookup++) {
        d.observe(aResponse(T0 + lookup * 60, 'beacon.odd-answers.com', [0, 1, 2].map((k) => special(lookup * 3 + k)), 0));
      }
    });
    const v = find('beacon.odd-answers.com')!;
    expect(flags).toEqual([]);
    expect(v.verdict).toBe('benign');
    expect(v.score).toBe(0);
    expect(v.features.non_routable).toBe(60);
    expect(v.features).toMatchObject({ ips: 0, prefixes: 0, asns: 0, countries: 0, ips_window: 0, asns_window: 0, countries_window: 0, churn: null, ttl_min: null });
    expect(v.evidence.addresses).toEqual([]);
    expect(v.reasons).toContain('60 non-routable answers (multicast 224.0.0.0/4, reserved 240.0.0.0/4) not counted as diversity');
  });

  it('leave routable evidence as it was: flux answering bots and private addresses counts only the bots, and the bots alone join its network', () => {
    const { find, detector } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        const answers = [...[0, 1, 2, 3].map((k) => bot(lookup * 4 + k)), '10.0.0.1', `192.168.${lookup}.1`, 'fd00::1'];
        d.observe(aResponse(T0 + lookup * 300, 'login.evil-bank.com', answers, 120));
      }
      // A benign name answering the same private addresses: no overlap with the network.
      d.observe(aResponse(T0 + 4000, 'intranet.example-corp.com', ['10.0.0.1', '192.168.3.1'], 300));
    });
    const v = find('login.evil-bank.com')!;
    expect(v.verdict).toBe('fast-flux');
    expect(v.features.ips).toBe(48);
    expect(v.features.churn).toBe(1);
    expect(v.features.non_routable).toBe(36);
    expect(v.reasons).toContain('36 non-routable answers (private-use 10.0.0.0/8, private-use 192.168.0.0/16, unique-local fc00::/7) not counted as diversity');
    expect(v.evidence.addresses.some((a) => a.address.startsWith('10.') || a.address.startsWith('192.168.'))).toBe(false);
    const intranet = find('intranet.example-corp.com')!;
    expect(intranet.verdict).toBe('benign');
    expect(intranet.features.network_addresses).toBe(0);
    expect(intranet.network).toBeNull();
    expect(detector.networks.addressCount).toBe(48);
  });

  it('are kept out of name-server addresses too', () => {
    const { find } = run((d) => {
      for (let lookup = 0; lookup < 8; lookup++) {
        const ns = [`ns${lookup}.lab-dns.net`];
        d.observe(
          aResponse(T0 + lookup * 600, 'www.lab-dns.net', ['93.184.216.34'], 300, {
            authority: ns.map((n) => rr('lab-dns.net', 'NS', n, 300)),
            additional: ns.map((n) => rr(n, 'A', `127.0.${lookup}.1`, 300)),
          }),
        );
      }
    });
    const v = find('www.lab-dns.net')!;
    expect(v.features.ns_names).toBe(8);
    expect(v.features.ns_addresses).toBe(0);
  });

  it('count in a registered domain as in its names, weighted like lookups', () => {
    const { find } = run((d) => {
      d.observe(aResponse(T0, 'a.sinkholed.org', ['0.0.0.0'], 60, { count: 5 }));
      d.observe(aResponse(T0 + 1, 'b.sinkholed.org', ['0.0.0.0', '::'], 60));
    });
    expect(find('a.sinkholed.org')!.features.non_routable).toBe(5);
    const zone = find('sinkholed.org', 'registered_domain')!;
    expect(zone.features.non_routable).toBe(7);
    expect(zone.reasons).toContain('7 non-routable answers (this network 0.0.0.0/8, unspecified ::/128) not counted as diversity');
  });
});
