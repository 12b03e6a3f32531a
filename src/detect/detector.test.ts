import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, bot, rr, T0 } from '../../test/helpers/observations.js';
import { defaultConfig, type Config } from '../config/schema.js';
import type { Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';

function run(feed: (d: Detector) => void, config: Config = defaultConfig()) {
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({
    config,
    enricher: octetEnricher,
    baseline: 'holz',
    onFlag: (v) => flags.push(v),
    onFinal: (v) => finals.push(v),
    reportBenign: true,
  });
  feed(detector);
  detector.flush();
  const find = (domain: string, scope = 'name') => finals.find((v) => v.domain === domain && v.scope === scope);
  return { detector, flags, finals, find };
}

describe('Detector', () => {
  it('calls beforeShared on a rescore only when another partition may have touched what it reads (foreignAddress), and always on flagging', () => {
    const feed = (d: Detector) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        d.observe(aResponse(T0 + lookup * 300, 'login.evil-bank.com', [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k)), 120));
        // A benign name rescored on each new address, never flagged.
        d.observe(aResponse(T0 + lookup * 300 + 1, 'www.example.com', ['93.184.216.34', `93.184.${lookup}.35`], 3600));
      }
    };
    const calls = (foreignAddress?: (key: number | string) => boolean) => {
      let n = 0;
      const flags: string[] = [];
      const d = new Detector({ config: defaultConfig(), enricher: octetEnricher, beforeShared: () => n++, foreignAddress, onFlag: (v) => flags.push(`${v.domain} ${v.verdict}`) });
      feed(d);
      return { n, flags };
    };
    const always = calls();
    const foreign = calls(() => true);
    const own = calls(() => false);
    expect(foreign).toEqual(always);
    expect(own.flags).toEqual(always.flags);
    expect(own.flags).toContain('login.evil-bank.com fast-flux');
    // Flagging (and the flux name's rescores once flagged) still catch up; the benign name's rescores do not.
    expect(own.n).toBeGreaterThan(0);
    expect(own.n).toBeLessThan(always.n);
  });

  it('keeps no state for the root or a public suffix, ICANN or private, however flux-like its answers', () => {
    const suffixes = ['org', 'co.uk', 'github.io', '.', 'test', 'localhost'];
    const { detector, flags, finals } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        for (const name of [...suffixes, 'flux.evil.github.io']) d.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k)), 120));
      }
    });
    expect(new Set(flags.map((v) => v.domain))).toEqual(new Set(['flux.evil.github.io']));
    expect(finals.map((v) => v.domain)).toEqual(['flux.evil.github.io']);
    expect(finals[0]!.registered_domain).toBe('evil.github.io');
    expect(detector.stats.publicSuffixes).toBe(12 * suffixes.length);
  });

  it('leaves a stable name benign however often it is asked', () => {
    const { find, flags } = run((d) => {
      for (let i = 0; i < 500; i++) d.observe(aResponse(T0 + i * 30, 'www.example.com', ['93.184.216.34'], 3600));
    });
    const v = find('www.example.com')!;
    expect(v.verdict).toBe('benign');
    expect(v.score).toBe(0);
    expect(v.features.lookups).toBe(500);
    expect(v.features.ips).toBe(1);
    expect(flags).toHaveLength(0);
  });

  it('raises no flag event again for a flag restored from the store; a rise or another domain still raises one', () => {
    const feed = (d: Detector, name: string, salt: number) => {
      for (let lookup = 0; lookup < 12; lookup++) d.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(salt + lookup * 5 + k)), 120));
    };
    const first = run((d) => feed(d, 'login.evil-bank.com', 0));
    const restored = first.finals.find((v) => v.domain === 'login.evil-bank.com')!;
    expect(restored.verdict).toBe('fast-flux');
    const { detector, flags, find } = run((d) => {
      d.rememberFlag(restored);
      d.rememberFlag({ ...restored, domain: 'www.was-suspicious.com', registered_domain: 'was-suspicious.com', verdict: 'suspicious' });
      feed(d, 'login.evil-bank.com', 0);
      feed(d, 'www.was-suspicious.com', 100);
      feed(d, 'cdn.never-seen.com', 200);
    });
    expect(flags.filter((v) => v.domain === 'login.evil-bank.com')).toEqual([]);
    expect(flags.filter((v) => v.domain === 'www.was-suspicious.com').map((v) => v.verdict)).toEqual(['fast-flux']);
    expect(flags.filter((v) => v.domain === 'cdn.never-seen.com').map((v) => v.verdict)).toContain('fast-flux');
    expect(detector.stats.restoredFlags).toBeGreaterThanOrEqual(2);
    // The first flag of the restored verdict carries over.
    expect(find('login.evil-bank.com')!.first_flagged).toBe(restored.first_flagged);
  });

  it('flags single flux with the numbers behind it, early', () => {
    const { find, flags } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        const addrs = [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k));
        d.observe(aResponse(T0 + lookup * 300, 'login.evil-bank.com', addrs, 120));
      }
    });
    const v = find('login.evil-bank.com')!;
    expect(v.verdict).toBe('fast-flux');
    expect(v.flux).toBe('single');
    expect(v.registered_domain).toBe('evil-bank.com');
    expect(v.features.ips).toBe(60);
    expect(v.features.asns).toBeGreaterThanOrEqual(40);
    expect(v.features.ttl_min).toBe(120);
    expect(v.features.churn).toBe(1);
    expect(v.reasons[0]).toMatch(/^60 IPs in \d+ ASNs across 12 countries/);
    expect(v.reasons.join(' ')).toContain('min TTL 120 s');
    expect(v.holz?.flagged).toBe(true);
    expect(v.lookups_to_flag).toBeLessThanOrEqual(2);
    expect(flags.some((f) => f.domain === 'login.evil-bank.com' && f.verdict === 'fast-flux')).toBe(true);
    expect(v.enrichment).toEqual(['asn: first-octet test data']);
  });

  it('labels double flux when the name servers rotate too', () => {
    const { find } = run((d) => {
      for (let lookup = 0; lookup < 8; lookup++) {
        const addrs = [0, 1, 2].map((k) => bot(lookup * 3 + k));
        const ns = [`ns${lookup}.flux-dns.net`, `ns${lookup + 1}.flux-dns.net`];
        d.observe(
          aResponse(T0 + lookup * 600, 'cdn.double-trouble.ru', addrs, 180, {
            authority: ns.map((n) => rr('double-trouble.ru', 'NS', n, 180)),
            additional: ns.map((n, k) => rr(n, 'A', bot(100 + lookup * 2 + k), 180)),
          }),
        );
      }
    });
    const v = find('cdn.double-trouble.ru')!;
    expect(v.verdict).toBe('fast-flux');
    expect(v.flux).toBe('double');
    expect(v.features.ns_names).toBe(9);
    expect(v.features.ns_addresses).toBe(16);
    expect(v.reasons.some((r) => r.startsWith('9 NS names on 16 name-server addresses'))).toBe(true);
  });

  it('counts the name servers of a CNAME target zone (on the resolution path), not of a public suffix', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 4; i++) {
        const obs = aResponse(T0 + i * 60, 'www.victim-alias.com', [bot(i)], 60, {
          authority: [
            rr('flux-target.net', 'NS', `ns${i}.flux-target.net`, 60),
            rr('net', 'NS', `${String.fromCharCode(97 + i)}.gtld-servers.net`, 60),
          ],
        });
        obs.answers.unshift(rr('www.victim-alias.com', 'CNAME', 'cdn.flux-target.net', 60));
        d.observe(obs);
      }
    });
    expect(find('www.victim-alias.com')!.features.ns_names).toBe(4);
  });

  it('learns name-server addresses from lookups of the name servers themselves (no glue)', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 3; i++) {
        d.observe(
          aResponse(T0 + i * 60, 'www.no-glue.biz', [bot(i)], 60, {
            authority: [rr('no-glue.biz', 'NS', `ns${i}.dns-hop.biz`, 60), rr('no-glue.biz', 'NS', `ns${i + 1}.dns-hop.biz`, 60)],
          }),
        );
      }
      // The resolver then looks up the name servers: each on a different bot.
      for (let i = 0; i < 4; i++) d.observe(aResponse(T0 + 300 + i, `ns${i}.dns-hop.biz`, [bot(40 + i)], 60));
    });
    const v = find('www.no-glue.biz')!;
    expect(v.features.ns_names).toBe(4);
    expect(v.features.ns_addresses).toBe(4);
    expect(v.features.ns_asns).toBeGreaterThanOrEqual(3);
  });

  it('counts a name server’s own addresses for a registered domain whose union appeared after its glue rotated', () => {
    const lookup = (d: Detector, at: number, i: number) =>
      d.observe(
        aResponse(at, 'www.glue-spin.biz', [bot(i)], 60, {
          authority: [rr('glue-spin.biz', 'NS', 'ns1.dns-spin.net', 60)],
          additional: [rr('ns1.dns-spin.net', 'A', bot(20 + i), 60)],
        }),
      );
    const { finals } = run((d) => {
      // The same name server, new glue at every lookup: the name-server records are noted once.
      for (let i = 0; i < 3; i++) lookup(d, T0 + i * 60, i);
      // A second name makes the registered domain's union; then the glue rotates again.
      d.observe(aResponse(T0 + 200, 'mail.glue-spin.biz', [bot(9)], 60));
      lookup(d, T0 + 260, 3);
      // The resolver looks the name server up: its address is every zone's it serves, the union's too.
      d.observe(aResponse(T0 + 300, 'ns1.dns-spin.net', [bot(40)], 60));
    });
    const union = finals.find((v) => v.domain === 'glue-spin.biz' && v.scope === 'registered_domain');
    expect(union?.features.ns_addresses).toBe(5);
    expect(finals.find((v) => v.domain === 'www.glue-spin.biz')?.features.ns_addresses).toBe(5);
  });

  it('ignores referral NS from a parent zone', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 10; i++) {
        d.observe(
          aResponse(T0 + i, 'www.plain.com', ['198.51.100.7'], 300, {
            authority: [rr('com', 'NS', `${String.fromCharCode(97 + i)}.gtld-servers.net`)],
          }),
        );
      }
    });
    expect(find('www.plain.com')!.features.ns_names).toBe(0);
  });

  it('aggregates many names under one registered domain', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 30; i++) d.observe(aResponse(T0 + i * 60, `x${i}q.spread-flux.top`, [bot(i)], 60));
    });
    const agg = find('spread-flux.top', 'registered_domain')!;
    expect(agg.features.names).toBe(30);
    expect(agg.verdict).toBe('fast-flux');
    // Each name alone saw one address: not flux by itself.
    expect(find('x0q.spread-flux.top')!.verdict).toBe('benign');
  });

  it('holds a union of a few busy names at suspicious: each is judged on its own', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 20; i++) {
        // Two mirror-like names, each rotating over its own four servers in four networks.
        d.observe(aResponse(T0 + i * 120, 'repo.busy-mirrors.org', [bot(i % 4), bot((i + 1) % 4)], 60));
        d.observe(aResponse(T0 + i * 120 + 60, 'dl.busy-mirrors.org', [bot(100 + (i % 4)), bot(100 + ((i + 1) % 4))], 60));
      }
    });
    const union = find('busy-mirrors.org', 'registered_domain')!;
    expect(union.features.names).toBe(2);
    expect(union.score).toBeGreaterThanOrEqual(60);
    expect(union.verdict).toBe('suspicious');
    expect(union.reasons.join(' ')).toMatch(/held at suspicious: its 2 names were looked up 20\.0 times each/);
    for (const name of ['repo.busy-mirrors.org', 'dl.busy-mirrors.org']) expect(find(name)!.verdict).not.toBe('fast-flux');
  });

  it('lets a busy union be fast-flux again once a name under it is', () => {
    const { find } = run((d) => {
      for (let i = 0; i < 20; i++) {
        d.observe(aResponse(T0 + i * 120, 'repo.busy-flux.org', [bot(i % 4), bot((i + 1) % 4)], 60));
        d.observe(aResponse(T0 + i * 120 + 60, 'dl.busy-flux.org', [bot(100 + (i % 4)), bot(100 + ((i + 1) % 4))], 60));
      }
      for (let lookup = 0; lookup < 12; lookup++) {
        d.observe(aResponse(T0 + 3000 + lookup * 300, 'pay.busy-flux.org', [0, 1, 2, 3, 4].map((k) => bot(200 + lookup * 5 + k)), 60));
      }
    });
    expect(find('pay.busy-flux.org')!.verdict).toBe('fast-flux');
    const union = find('busy-flux.org', 'registered_domain')!;
    expect(union.verdict).toBe('fast-flux');
    expect(union.reasons.join(' ')).not.toMatch(/held at suspicious/);
  });

  it('gives a name with no address of its own the verdict of a fast-flux name under the same registered domain', () => {
    const ns = (zone: string) => ({ authority: [rr(zone, 'NS', `ns1.${zone}`), rr(zone, 'NS', `ns2.${zone}`)] });
    const { find, flags } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        d.observe(aResponse(T0 + lookup * 300, 'dl.flux-zone.ru', [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k)), 60));
      }
      // AAAA lookups of an IPv4-only botnet: no data, only the zone's name servers.
      d.observe({ ...aResponse(T0 + 4000, 'www.flux-zone.ru', [], null, ns('flux-zone.ru')), qtype: 'AAAA' });
      d.observe({ ...aResponse(T0 + 4000, 'www.quiet-zone.com', [], null, ns('quiet-zone.com')), qtype: 'AAAA' });
      d.observe(aResponse(T0 + 4100, 'www.quiet-zone.com', ['93.184.216.34'], 3600));
    });
    const www = find('www.flux-zone.ru')!;
    expect(www.verdict).toBe('fast-flux');
    expect(www.reasons[0]).toBe('no address of its own, and dl.flux-zone.ru under the same registered domain is fast-flux (the domain is blocked as a whole)');
    expect(www.features.ips).toBe(0);
    // It never crossed a threshold on its own evidence: no flag event, no latency.
    expect(www.lookups_to_flag).toBeNull();
    expect(flags.map((v) => v.domain)).not.toContain('www.flux-zone.ru');
    // A name with addresses is judged on them; a zone without flux names lends nothing.
    expect(find('www.quiet-zone.com')!.verdict).toBe('benign');
  });

  it('recognises a new domain resolving into a known flux network on first sight', () => {
    const { find, flags, detector } = run((d) => {
      for (let lookup = 0; lookup < 6; lookup++) {
        d.observe(aResponse(T0 + lookup * 300, 'pay.first-flux.com', [0, 1, 2, 3].map((k) => bot(lookup * 4 + k)), 120));
      }
      // A fresh domain, one lookup, three addresses out of the same botnet.
      d.observe(aResponse(T0 + 4000, 'www.second-flux.net', [bot(1), bot(6), bot(13)], 120));
    });
    const first = find('pay.first-flux.com')!;
    const second = find('www.second-flux.net')!;
    expect(first.network).toBe('fn-1');
    expect(second.verdict).toBe('fast-flux');
    expect(second.lookups_to_flag).toBe(1);
    expect(second.network).toBe('fn-1');
    expect(second.features.network_addresses).toBe(3);
    expect(second.features.network_share).toBe(1);
    const [net] = detector.networks.summaries();
    expect(second.reasons).toContain(`3 addresses shared with flux network fn-1 (24 addresses in ${net!.asns} ASNs, ${net!.countries} countries, all of its own)`);
    // The first domain defined the network: its own addresses are not evidence against it.
    expect(first.features.network_addresses).toBe(0);
    expect(flags.find((f) => f.domain === 'www.second-flux.net')?.network).toBe('fn-1');
    // The second is fast-flux through the network, not on its own evidence: it does not grow the network.
    expect(net).toMatchObject({ id: 'fn-1', domains: 1, addresses: 24, sample_domains: ['pay.first-flux.com'] });
  });

  it('takes a name whose one answer is a known bot as evidence (suspicious), not a verdict, and one shared address among many of its own as less', () => {
    const { find } = run((d) => {
      for (let lookup = 0; lookup < 6; lookup++) {
        d.observe(aResponse(T0 + lookup * 300, 'pay.first-flux.com', [0, 1, 2, 3].map((k) => bot(lookup * 4 + k)), 120));
      }
      d.observe(aResponse(T0 + 4000, 'login.lone-bot.org', [bot(5)], 3600));
      d.observe(aResponse(T0 + 4000, 'www.shared-host.org', [bot(7), '93.184.216.10', '93.184.216.11', '93.184.216.12'], 3600));
    });
    const lone = find('login.lone-bot.org')!;
    expect(lone.features).toMatchObject({ network_addresses: 1, network_share: 1, network_trust: 0.5 });
    expect(lone.verdict).toBe('suspicious');
    expect(lone.lookups_to_flag).toBe(1);
    const shared = find('www.shared-host.org');
    expect(shared?.verdict ?? 'benign').not.toBe('fast-flux');
    if (shared !== undefined) expect(shared.features.network_share).toBe(0.25);
  });

  it('does not track PTR lookups or empty answers', () => {
    const { detector, finals } = run((d) => {
      const ptr = aResponse(T0, '4.3.2.1.in-addr.arpa', []);
      ptr.qtype = 'PTR';
      ptr.answers = [rr('4.3.2.1.in-addr.arpa', 'PTR', 'host.example.net')];
      d.observe(ptr);
      d.observe(aResponse(T0, 'nx.example.org', []));
      expect(d.tracked).toBe(0);
    });
    expect(detector.stats.ignored).toBe(2);
    expect(finals).toHaveLength(0);
  });

  it('keeps memory bounded: never more than limits.maxDomains, and evicted domains are still reported', () => {
    const config = defaultConfig();
    config.limits.maxDomains = 100;
    let peak = 0;
    const { detector, finals } = run((d) => {
      for (let i = 0; i < 20_000; i++) {
        d.observe(aResponse(T0 + i, `host${i}.example${i % 997}.com`, [`10.0.${(i >> 8) & 255}.${i & 255}`]));
        peak = Math.max(peak, d.tracked);
      }
    }, config);
    // A new domain beyond the cap triggers eviction straight away (the name and its registered domain: +2).
    expect(peak).toBeLessThanOrEqual(102);
    expect(detector.stats.evicted).toBeGreaterThan(19_000);
    expect(finals.filter((v) => v.scope === 'name')).toHaveLength(20_000);
  });
});

describe('Detector re-scoring', () => {
  it("never carries one domain's features into the next one scored", () => {
    const { find, flags } = run((d) => {
      // A name whose only evidence is its name servers, spread over many networks...
      const ns = Array.from({ length: 10 }, (_, i) => `ns${i}.spread-dns.ru`);
      d.observe(
        aResponse(T0, 'www.ns-heavy.ru', ['203.0.113.9'], 3600, {
          authority: ns.map((n) => rr('ns-heavy.ru', 'NS', n, 3600)),
          additional: ns.map((n, i) => rr(n, 'A', bot(300 + i), 3600)),
        }),
      );
      // ...then an ordinary two-address name with no name-server data at all.
      d.observe(aResponse(T0 + 10, 'www.plain-two.org', ['198.51.100.7', '198.51.100.8'], 3600));
    });
    expect(find('www.ns-heavy.ru')!.features.ns_names).toBe(10);
    const plain = find('www.plain-two.org')!;
    expect(plain.verdict).toBe('benign');
    expect(plain.features.ns_names).toBe(0);
    expect(flags.map((f) => f.domain)).not.toContain('www.plain-two.org');
  });
});
