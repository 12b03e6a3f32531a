import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, bot, T0 } from '../../test/helpers/observations.js';
import { defaultConfig, type Config } from '../config/schema.js';
import type { Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';

// octetEnricher: the first octet of an address is its ASN (×100) and picks its country.

function run(feed: (d: Detector) => void, config: Config = defaultConfig()) {
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({ config, enricher: octetEnricher, onFlag: (v) => flags.push(v), onFinal: (v) => finals.push(v), reportBenign: true });
  feed(detector);
  detector.flush();
  const find = (domain: string) => finals.find((v) => v.domain === domain && v.scope === 'name');
  return { detector, flags, finals, find };
}

/** A bot of a small pool: 24 addresses in 8 eyeball ASNs (first octets) across 7 countries. */
const POOL_OCTETS = [24, 31, 45, 62, 77, 88, 93, 105];
function poolBot(i: number): string {
  const k = i % 24;
  return `${POOL_OCTETS[k % 8]}.${10 + k}.${(k * 37) % 250}.${1 + k}`;
}

const HOUR = 3600;

describe('flux networks grow only from strong evidence', () => {
  /** Three flux names, fast-flux on their own answers, sharing a few bots: a coherent network of 80. */
  function realFlux(d: Detector): void {
    ['pay.first-flux.com', 'cdn.second-flux.net', 'dl.third-flux.ru'].forEach((name, n) => {
      for (let lookup = 0; lookup < 6; lookup++) {
        d.observe(aResponse(T0 + lookup * 300, name, [0, 1, 2, 3, 4].map((k) => bot(n * 25 + lookup * 5 + k)), 120));
      }
    });
  }

  it("does not flag 200 unrelated names that each answer one of a network's addresses, nor let them grow it; several shared addresses still flag on first sight", () => {
    let networkAddressesBefore = 0;
    const { find, flags, detector } = run((d) => {
      realFlux(d);
      networkAddressesBefore = d.networks.addressCount;
      // An injector's shape: every censored name answered with one address out of the network.
      for (let i = 0; i < 200; i++) d.observe(aResponse(T0 + 2000 + i, `www.site${i}.com`, [bot(i % 80)], 300));
      // A fresh name, one lookup, three of the network's addresses.
      d.observe(aResponse(T0 + 4000, 'www.fourth-flux.biz', [bot(1), bot(36), bot(71)], 120));
    });
    expect(networkAddressesBefore).toBe(80);
    // Only names fast-flux on their own evidence join: neither the 200 nor the fourth (flagged through the network) did.
    const [net] = detector.networks.summaries();
    expect(net).toMatchObject({ id: 'fn-1', domains: 3, addresses: 80 });
    const injected = Array.from({ length: 200 }, (_, i) => find(`www.site${i}.com`)!);
    expect(injected.filter((v) => v.verdict === 'fast-flux')).toEqual([]);
    expect(flags.filter((v) => v.domain.startsWith('www.site') && v.verdict === 'fast-flux')).toEqual([]);
    // The first of them is evidence: suspicious, with the reason naming the network and its size.
    const first = flags.find((v) => v.domain === 'www.site0.com')!;
    expect(first.verdict).toBe('suspicious');
    expect(first.features.network_trust).toBe(0.5);
    expect(first.reasons[0]).toBe(`1 address shared with flux network fn-1 (80 addresses in ${net!.asns} ASNs, ${net!.countries} countries): one shared address is evidence, not a verdict`);
    // Several addresses of a coherent network: flagged on the first lookup.
    const fourth = find('www.fourth-flux.biz')!;
    expect(fourth.verdict).toBe('fast-flux');
    expect(fourth.lookups_to_flag).toBe(1);
    expect(fourth.features.network_trust).toBe(1);
    expect(fourth.reasons[0]).toBe(`3 addresses shared with flux network fn-1 (80 addresses in ${net!.asns} ASNs, ${net!.countries} countries, all of its own)`);
  });

  it('counts one shared address in full when the name\'s own answers already rotate over networks', () => {
    const { find } = run((d) => {
      realFlux(d);
      // One lookup, three addresses in three networks and countries, one of them a known bot's.
      d.observe(aResponse(T0 + 4000, 'secure.fifth-flux.top', [bot(7), bot(300), bot(301)], 120));
      // The same one bot address alone: evidence, not a verdict.
      d.observe(aResponse(T0 + 4001, 'www.lone-site.com', [bot(7)], 120));
    });
    const corroborated = find('secure.fifth-flux.top')!;
    expect(corroborated.features.network_addresses).toBe(1);
    expect(corroborated.features.network_trust).toBe(1);
    expect(corroborated.verdict).toBe('fast-flux');
    expect(corroborated.lookups_to_flag).toBe(1);
    const lone = find('www.lone-site.com')!;
    expect(lone.features.network_trust).toBe(0.5);
    expect(lone.verdict).toBe('suspicious');
  });

  it('lets a name flagged only through a network join it once its own answers make it fast-flux', () => {
    const { find, detector } = run((d) => {
      realFlux(d);
      d.observe(aResponse(T0 + 4000, 'www.fourth-flux.biz', [bot(1), bot(36)], 120));
      expect(d.networks.addressCount).toBe(80);
      for (let lookup = 0; lookup < 6; lookup++) d.observe(aResponse(T0 + 4300 + lookup * 300, 'www.fourth-flux.biz', [0, 1, 2, 3, 4].map((k) => bot(500 + lookup * 5 + k)), 120));
    });
    expect(find('www.fourth-flux.biz')!.verdict).toBe('fast-flux');
    expect(detector.networks.addressCount).toBe(110);
  });

  it('does not count a network address as evidence once many unrelated registered domains resolved to it alone (shared hosting)', () => {
    const { find, flags } = run((d) => {
      realFlux(d);
      for (let i = 0; i < 40; i++) d.observe(aResponse(T0 + 2000 + i, `www.customer${i}.com`, [bot(7)], 3600));
      d.observe(aResponse(T0 + 3000, 'www.late-customer.com', [bot(7)], 3600));
    });
    // The first customers saw it as one bot's address (evidence: suspicious)...
    expect(flags.find((v) => v.domain === 'www.customer0.com')!.features.network_addresses).toBe(1);
    // ...once many unrelated domains resolved to it alone, it is shared hosting: no evidence at all.
    const late = find('www.late-customer.com')!;
    expect(late.features.network_addresses).toBe(0);
    expect(late.verdict).toBe('benign');
  });

  it('does not let a network that is not coherent carry a first-sight verdict', () => {
    const feed = (d: Detector) => {
      // One flux name over four ASNs in three countries: fast-flux on its own, a network of too few ASNs.
      for (let lookup = 0; lookup < 10; lookup++) {
        const octets = [11, 12, 13, 23];
        d.observe(aResponse(T0 + lookup * 300, 'www.small-flux.ru', octets.map((o, k) => `${o}.${lookup}.${k}.${1 + lookup}`), 0));
      }
      // Two of its addresses, both in one network: nothing of its own.
      d.observe(aResponse(T0 + 4000, 'www.touches-small.com', ['11.0.0.1', '11.1.0.2'], 300));
    };
    const touching = run(feed).find('www.touches-small.com')!;
    expect(touching.features.network_addresses).toBe(2);
    expect(touching.features.network_trust).toBe(0.5);
    expect(touching.verdict).toBe('suspicious');
    expect(touching.reasons[0]).toBe('2 addresses shared with flux network fn-1 (40 addresses in 4 ASNs, 3 countries, all of its own): evidence, not a verdict (the network is not coherent yet)');
    // The same network counted coherent (four ASNs suffice): the same name is flagged on first sight.
    const config = defaultConfig();
    config.networks.minAsns = 4;
    expect(run(feed, config).find('www.touches-small.com')!.verdict).toBe('fast-flux');
  });
});

describe('slow flux over the long horizon', () => {
  /** Six lookups 3.5 h apart, TTL 0, one or two bots per answer (8 in 5 ASNs, 3 countries), every answer new. */
  function slowFlux(d: Detector, name: string): void {
    const bots = [0, 1, 2, 6, 7, 8, 9, 10].map(poolBot);
    const sizes = [1, 1, 2, 1, 1, 2];
    let next = 0;
    sizes.forEach((size, lookup) => {
      d.observe(aResponse(T0 + lookup * 3.5 * HOUR, name, bots.slice(next, (next += size)), 0));
    });
  }

  it('recognises slow flux with its reason, which the 1 h window alone leaves suspicious', () => {
    const { find } = run((d) => slowFlux(d, 'upd.slow-bots.top'));
    const v = find('upd.slow-bots.top')!;
    expect(v.features.slow_flux).toBe(1);
    expect(v.verdict).toBe('fast-flux');
    expect(v.reasons).toContain('slow flux: 8 IPs in 5 ASNs across 3 countries over 18 h, 6 of 6 answers new, TTL 0');
    const config = defaultConfig();
    config.weights.slow_flux.points = 0;
    const without = run((d) => slowFlux(d, 'upd.slow-bots.top'), config).find('upd.slow-bots.top')!;
    expect(without.verdict).toBe('suspicious');
  });

  it('leaves dynamic-DNS renumbering alone: one address at a time, mostly one ISP', () => {
    const { find } = run((d) => {
      // Asked every 10 minutes for a day, renumbered every 4 h, once onto another ISP.
      for (let t = 0; t < 24 * 6; t++) {
        const epoch = Math.floor(t / 24);
        const address = epoch === 3 ? `91.${epoch}.7.${10 + epoch}` : `84.${epoch}.${20 + epoch}.9`;
        d.observe(aResponse(T0 + t * 600, 'home.example-ddns.net', [address], 60));
      }
      // Asked once per renumbering, every answer new, over two ISPs.
      for (let epoch = 0; epoch < 8; epoch++) d.observe(aResponse(T0 + epoch * 3 * HOUR, 'nas.example-ddns.org', [`${epoch % 3 === 2 ? 91 : 84}.${epoch}.3.4`], 60));
    });
    for (const name of ['home.example-ddns.net', 'nas.example-ddns.org']) {
      const v = find(name)!;
      expect(v.features.slow_flux).toBe(0);
      expect(v.verdict).toBe('benign');
    }
  });

  it('leaves a pool that answers several addresses at once alone (the NTP pool, mirrors)', () => {
    const { find } = run((d) => {
      for (let lookup = 0; lookup < 9; lookup++) {
        d.observe(aResponse(T0 + lookup * 2.5 * HOUR, '0.pool.example.org', [0, 1, 2, 3].map((k) => poolBot(lookup * 4 + k)), 0));
      }
    });
    expect(find('0.pool.example.org')!.features.slow_flux).toBe(0);
  });
});

describe('networks of suspicious names', () => {
  /** Bot j of eyeball network k (of eight, in six countries). */
  function siblingBot(k: number, j: number): string {
    return `${POOL_OCTETS[k % 8]}.${20 + j}.${(k % 8) * 3}.${1 + j}`;
  }
  /**
   * A sibling throwaway domain of a slow network: three lookups within 40
   * minutes, two bots each, TTL 0: six bots in four networks, overlapping
   * the next sibling's.
   */
  function sibling(d: Detector, name: string, n: number, start: number): void {
    const bots = [[n, 0], [n + 1, 0], [n + 2, 0], [n + 3, 0], [n, 1], [n + 1, 1]].map(([k, j]) => siblingBot(k!, j!));
    for (let lookup = 0; lookup < 3; lookup++) d.observe(aResponse(start + lookup * 1200, name, bots.slice(lookup * 2, lookup * 2 + 2), 0));
  }
  const SIBLINGS = ['a.kettle-bots.top', 'b.lantern-bots.xyz', 'c.marble-bots.ru', 'd.nectar-bots.top', 'e.orchid-bots.xyz'];

  it('each sibling alone is only suspicious', () => {
    for (const [n, name] of SIBLINGS.entries()) {
      const v = run((d) => sibling(d, name, n, T0)).find(name)!;
      expect(v.verdict).toBe('suspicious');
    }
  });

  it('five sibling suspicious names sharing bot addresses become fast-flux with the network reason, each flagged once', () => {
    const { find, flags, detector } = run((d) => SIBLINGS.forEach((name, n) => sibling(d, name, n, T0 + n * 3 * HOUR)));
    const verdicts = SIBLINGS.map((name) => find(name)!);
    expect(verdicts.map((v) => v.verdict)).toEqual(SIBLINGS.map(() => 'fast-flux'));
    const [net] = detector.networks.summaries();
    // Promoted as the third registered domain joined: the names count when the candidate became a network.
    expect(verdicts[0]!.features.network_names).toBe(3);
    expect(verdicts[0]!.reasons).toContain(`one of 3 suspicious names sharing ${net!.addresses} addresses in ${net!.asns} ASNs: flux network ${net!.id}`);
    expect(verdicts[0]!.network).toBe(net!.id);
    for (const name of SIBLINGS) expect(flags.filter((v) => v.domain === name && v.verdict === 'fast-flux')).toHaveLength(1);
    expect(detector.stats.suspiciousNetworks).toBe(1);
    // The fourth and fifth resolve into the network the first three formed: several shared addresses, first sight.
    expect(verdicts[4]!.features.network_addresses).toBeGreaterThanOrEqual(2);
  });

  it('two suspicious names are not a network, and three benign names sharing one hosting address are not either', () => {
    const { find } = run((d) => {
      SIBLINGS.slice(0, 2).forEach((name, n) => sibling(d, name, n, T0 + n * 3 * HOUR));
      ['www.alpha-shop.com', 'www.beta-shop.de', 'www.gamma-shop.org'].forEach((name, n) => {
        for (let lookup = 0; lookup < 4; lookup++) d.observe(aResponse(T0 + lookup * 600, name, ['198.51.100.10', `${60 + n * 20}.1.2.${3 + lookup}`], 3600));
      });
    });
    expect(SIBLINGS.slice(0, 2).map((name) => find(name)!.verdict)).toEqual(['suspicious', 'suspicious']);
    for (const name of ['www.alpha-shop.com', 'www.beta-shop.de', 'www.gamma-shop.org']) expect(find(name)!.verdict).toBe('benign');
  });
});
