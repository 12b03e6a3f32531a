import { describe, expect, it } from 'vitest';
import { octetEnricher } from '../../../test/helpers/octet-enricher.js';
import { aResponse, bot, rr, T0 } from '../../../test/helpers/observations.js';
import { defaultConfig, type Config } from '../../config/schema.js';
import type { Verdict } from '../../model/verdict.js';
import { Detector } from '../detector.js';

function run(feed: (d: Detector) => void, config: Config = defaultConfig()) {
  const finals: Verdict[] = [];
  const flags: Verdict[] = [];
  const detector = new Detector({ config, enricher: octetEnricher, onFlag: (v) => flags.push(v), onFinal: (v) => finals.push(v), reportBenign: true });
  feed(detector);
  detector.flush();
  return { flags, find: (domain: string, scope = 'name') => finals.find((v) => v.domain === domain && v.scope === scope)! };
}

// The octet enricher puts first octet o in AS o×100 and country (o mod 12): CN for 3, 15, 27, ...
/** First octets of `carriers` networks, all in one country (CN). */
const oneCountry = (carriers: number) => Array.from({ length: carriers }, (_, k) => 3 + 12 * k);

/** Address n of a pool spread over the given first octets: a few per /24 inside each network (edge clusters). */
function inNetworks(octets: number[], n: number): string {
  const o = octets[n % octets.length]!;
  const k = Math.floor(n / octets.length);
  return `${o}.${(k * 37) % 250}.${k % 4}.${1 + (k % 200)}`;
}

/** A national multi-carrier CDN: 4 answers per lookup rotating over a pool of `pool` edges in the carriers, TTL 60. */
function nationalCdn(d: Detector, name: string, carriers: number, lookups = 24, pool = 40, ttl = 60): void {
  const octets = oneCountry(carriers);
  for (let lookup = 0; lookup < lookups; lookup++) {
    const addresses = [0, 1, 2, 3].map((k) => inNetworks(octets, (lookup * 4 + k) % pool));
    d.observe(aResponse(T0 + lookup * 120, name, addresses, ttl));
  }
}

describe('geography: one country, several carriers', () => {
  it('holds a national multi-carrier CDN (8 ASNs, one country, TTL 60, rotating) below fast-flux, with the reason', () => {
    const { find, flags } = run((d) => nationalCdn(d, 'video.cdn-national.com', 8));
    const v = find('video.cdn-national.com');
    expect(v.features.asns).toBe(8);
    expect(v.features.countries).toBe(1);
    expect(v.features.single_country_asns).toBe(8);
    expect(v.verdict).not.toBe('fast-flux');
    expect(flags.filter((f) => f.verdict === 'fast-flux')).toEqual([]);
    expect(v.reasons).toContain(
      "answers from 8 ASNs, all in one country (CN): consistent geography, a national CDN's shape (address diversity and timing count at most 20 points)",
    );
    expect(v.contributions.find((c) => c.feature === 'single_country_asns')!.points).toBeLessThan(0);
  });

  it('is what keeps it from fast-flux: without the hold the same answers score as flux', () => {
    const config = defaultConfig();
    config.geography.maxPoints = 100;
    const v = run((d) => nationalCdn(d, 'video.cdn-national.com', 8), config).find('video.cdn-national.com');
    expect(v.verdict).toBe('fast-flux');
  });

  it('holds a registered domain whose throwaway-looking names all answer from one country likewise', () => {
    const octets = oneCountry(8);
    const feed = (d: Detector) => {
      for (let n = 0; n < 24; n++) {
        const addresses = [0, 1, 2].map((k) => inNetworks(octets, (n * 3 + k) % 56));
        d.observe(aResponse(T0 + n * 60, `e${n}.edge-national.net`, addresses, 30));
      }
    };
    const zone = run(feed).find('edge-national.net', 'registered_domain');
    expect(zone.features.single_country_asns).toBe(8);
    expect(zone.verdict).toBe('benign');
    const unheld = defaultConfig();
    unheld.geography.maxPoints = 100;
    expect(run(feed, unheld).find('edge-national.net', 'registered_domain').verdict).toBe('fast-flux');
  });

  it('still flags flux spread over many countries', () => {
    const { find } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) d.observe(aResponse(T0 + lookup * 300, 'login.evil-bank.com', [0, 1, 2, 3].map((k) => bot(lookup * 4 + k)), 120));
    });
    const v = find('login.evil-bank.com');
    expect(v.features.countries).toBeGreaterThan(1);
    expect(v.features.single_country_asns).toBe(0);
    expect(v.verdict).toBe('fast-flux');
  });

  it('still flags flux confined to one country by very many addresses, or by more networks than a CDN uses', () => {
    const { find } = run((d) => {
      // 8 carriers (a CDN's count) but 240 distinct addresses: a pool, not edge clusters.
      nationalCdn(d, 'pool.one-country-flux.ru', 8, 60, 400);
      // 12 networks in one country: residential spread.
      nationalCdn(d, 'wide.one-country-flux.su', 12, 24, 48);
    });
    const pool = find('pool.one-country-flux.ru');
    expect(pool.features.ips).toBeGreaterThanOrEqual(200);
    expect(pool.features.single_country_asns).toBe(0);
    expect(pool.verdict).toBe('fast-flux');
    const wide = find('wide.one-country-flux.su');
    expect(wide.features.asns).toBe(12);
    expect(wide.features.single_country_asns).toBe(0);
    expect(wide.verdict).toBe('fast-flux');
  });

  it('still flags a one-country name whose name servers rotate across bots (double flux)', () => {
    const octets = oneCountry(4);
    const { find } = run((d) => {
      for (let lookup = 0; lookup < 12; lookup++) {
        const ns = [`ns${lookup}.dns-national.ru`, `ns${lookup + 1}.dns-national.ru`];
        d.observe(
          aResponse(T0 + lookup * 300, 'shop.dns-national.ru', [0, 1, 2].map((k) => inNetworks(octets, lookup * 3 + k)), 60, {
            authority: ns.map((n) => rr('dns-national.ru', 'NS', n, 60)),
            additional: ns.map((n, k) => rr(n, 'A', bot(100 + lookup * 2 + k), 60)),
          }),
        );
      }
    });
    const v = find('shop.dns-national.ru');
    expect(v.features.single_country_asns).toBe(4);
    expect(v.verdict).toBe('fast-flux');
    expect(v.flux).toBe('double');
  });
});
