/**
 * Threat intelligence in detection: addresses and networks a feed lists as
 * flux infrastructure are evidence (features/intel.ts), listed names get the
 * listing verdict (intel-verdict.ts). Real feeds parsed by the real parsers,
 * the real public-suffix rule, the real reference data for CDNs and pools.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { octetEnricher } from '../../test/helpers/octet-enricher.js';
import { aResponse, bot, T0 } from '../../test/helpers/observations.js';
import { defaultConfig, type Config } from '../config/schema.js';
import { loadInfra, type Infra } from '../enrich/infra/index.js';
import { buildIntelIndex, type IntelFeedInput } from '../intel/index.js';
import { parseList } from '../intel/list.js';
import { emptyObservation } from '../model/observation.js';
import type { Verdict } from '../model/verdict.js';
import { Detector } from './detector.js';
import { isIntelListing } from './intel-verdict.js';
import { isRegistrable } from './registered-domain.js';

interface Feed {
  name: string;
  text: string;
  confidence?: number;
  action?: 'block' | 'log';
}

function indexOf(feeds: Feed[], isAllowlisted: (name: string) => boolean = () => false) {
  const inputs: IntelFeedInput[] = feeds.map((f) => ({
    name: f.name,
    action: f.action ?? 'log',
    confidence: f.confidence ?? 50,
    expiresAt: Infinity,
    feed: parseList(f.text, `${f.name}.txt`),
  }));
  // No isKnownInfrastructure: a hostile feed's CDN entries reach the index, and the detector's own test must still win.
  return buildIntelIndex(inputs, { isRegistrable, isAllowlisted });
}

let infra: Infra;
beforeAll(() => {
  infra = loadInfra();
});

function run(
  feeds: Feed[],
  observe: (d: Detector) => void,
  options: { allowlisted?: (name: string) => boolean; config?: Config; reportBenign?: boolean; withInfra?: boolean } = {},
) {
  const index = indexOf(feeds);
  const flags: Verdict[] = [];
  const finals: Verdict[] = [];
  const detector = new Detector({
    config: options.config ?? defaultConfig(),
    enricher: octetEnricher,
    infra: options.withInfra === true ? infra : null,
    intel: { current: () => index },
    isAllowlisted: options.allowlisted ?? null,
    onFlag: (v) => flags.push(v),
    onFinal: (v) => finals.push(v),
    reportBenign: options.reportBenign ?? false,
  });
  observe(detector);
  detector.flush();
  const find = (domain: string) => finals.find((v) => v.domain === domain && v.scope === 'name');
  return { detector, flags, finals, find, index };
}

const PARTNER: Feed = { name: 'partner-a', text: '# partner A: flux infrastructure\n185.100.87.9\n91.92.93.0/24\n' };

describe('addresses listed as flux infrastructure are evidence', () => {
  it('flags a never-seen name on its first lookup through one listed address, the reason naming feed, entry and value', () => {
    const { flags, find } = run([PARTNER], (d) => d.observe(aResponse(T0, 'secure-login.paypa1-verify.com', ['185.100.87.9'], 300)));
    expect(flags).toHaveLength(1);
    const v = find('secure-login.paypa1-verify.com')!;
    expect(v).toMatchObject({ verdict: 'fast-flux', lookups_to_flag: 1, score: 60 });
    expect(v.features).toMatchObject({ intel_addresses: 1, intel_evidence: 0.5, ips: 1 });
    expect(v.contributions).toEqual([{ feature: 'intel_evidence', points: 60 }]);
    expect(v.reasons[0]).toBe('185.100.87.9 listed by intel feed partner-a (entry partner-a.txt:2, confidence 50) as flux infrastructure');
    expect(v.intel).toEqual([{ feed: 'partner-a', ref: 'partner-a.txt:2', kind: 'address', value: '185.100.87.9', note: '', confidence: 50, action: 'log' }]);
    // Evidence, not a listing of the name: not a listing verdict, and the flag event was the detection's.
    expect(isIntelListing(v)).toBe(false);
    expect(flags[0]!.verdict).toBe('fast-flux');
  });

  it('flags through an address inside a listed /24, naming the address and the network', () => {
    const { find } = run([PARTNER], (d) => d.observe(aResponse(T0, 'cdn.update-check.net', ['91.92.93.17', bot(3)], 300)));
    const v = find('cdn.update-check.net')!;
    expect(v).toMatchObject({ verdict: 'fast-flux', lookups_to_flag: 1 });
    expect(v.features.intel_addresses).toBe(1);
    expect(v.reasons[0]).toBe('91.92.93.17 (in 91.92.93.0/24) listed by intel feed partner-a (entry partner-a.txt:3, confidence 50) as flux infrastructure');
    expect(v.intel).toEqual([{ feed: 'partner-a', ref: 'partner-a.txt:3', kind: 'cidr', value: '91.92.93.0/24', note: '', confidence: 50, action: 'log' }]);
  });

  it("weighs a listing by its feed's confidence: one address of a feed at 25 is suspicious, two are fast-flux", () => {
    const weak: Feed = { name: 'weak', text: '77.88.99.0/24\n', confidence: 25 };
    const { find } = run([weak], (d) => {
      d.observe(aResponse(T0, 'one.lowconf-a.com', ['77.88.99.1'], 300));
      d.observe(aResponse(T0, 'two.lowconf-b.com', ['77.88.99.2', '77.88.99.3'], 300));
    });
    expect(find('one.lowconf-a.com')).toMatchObject({ verdict: 'suspicious', score: 30, features: { intel_evidence: 0.25 } });
    expect(find('two.lowconf-b.com')).toMatchObject({ verdict: 'fast-flux', score: 60, lookups_to_flag: 1, features: { intel_addresses: 2, intel_evidence: 0.5 } });
  });

  it('counts listed addresses exactly (each once, whatever the table keeps) and names at most four listings, most specific first', () => {
    const config = defaultConfig();
    config.limits.maxAddressesPerDomain = 8;
    const feeds: Feed[] = [
      { name: 'nets', text: '45.140.0.0/16\n45.140.20.0/24\n' },
      { name: 'hosts', text: '45.140.20.7\n' },
    ];
    const { find } = run(
      feeds,
      (d) => {
        // 20 listed addresses over 10 lookups, each seen twice; the table keeps 8.
        for (let lookup = 0; lookup < 10; lookup++) {
          const a = (lookup * 2) % 20;
          d.observe(aResponse(T0 + lookup * 60, 'api.rotating-host.org', [`45.140.20.${a + 1}`, `45.140.20.${a + 2}`, `45.140.${a + 30}.9`], 60));
          d.observe(aResponse(T0 + lookup * 60 + 30, 'api.rotating-host.org', [`45.140.20.${a + 1}`, `45.140.20.${a + 2}`], 60));
        }
      },
      { config },
    );
    const v = find('api.rotating-host.org')!;
    expect(v.features.intel_addresses).toBe(30);
    expect(v.features.ips).toBe(30);
    // The table overflowed (window peaks may be bounds) but the departed fingerprints did not fill: the count is exact.
    expect(v.lower_bounds ?? []).not.toContain('intel_addresses');
    expect(v.intel).toHaveLength(4);
    expect(v.intel![0]).toMatchObject({ feed: 'hosts', kind: 'address', value: '45.140.20.7' });
    expect(v.intel!.slice(1).map((l) => l.value)).toEqual(['45.140.20.0/24', '45.140.20.0/24', '45.140.20.0/24']);
    expect(v.reasons.find((r) => r.includes('more listed addresses'))).toContain('and 26 more listed addresses');
  });

  it('never flags an allowlisted name, whatever its addresses', () => {
    const allowed = (name: string) => name === 'shop.partner-store.com' || name.endsWith('.shop.partner-store.com');
    const { flags, finals } = run([PARTNER], (d) => d.observe(aResponse(T0, 'shop.partner-store.com', ['185.100.87.9', '91.92.93.4'], 300)), {
      allowlisted: allowed,
      reportBenign: true,
    });
    expect(flags).toEqual([]);
    expect(finals).toHaveLength(1);
    expect(finals[0]).toMatchObject({ verdict: 'benign', score: 8 });
    expect(finals[0]!.contributions.map((c) => c.feature)).not.toContain('intel_evidence');
    expect(finals[0]!.features.intel_addresses).toBeUndefined();
    expect(finals[0]!.intel).toBeUndefined();
  });

  it('a CDN address listed by a hostile feed never triggers, nor does a pool name or a top site resolving into a listed network', () => {
    const hostile: Feed = { name: 'hostile', text: '1.1.1.7\n8.6.112.0/24\n185.100.87.0/24\n', confidence: 100, action: 'block' };
    const { flags, finals, detector } = run(
      [hostile],
      (d) => {
        d.observe(aResponse(T0, 'www.small-shop.com', ['1.1.1.7'], 300));
        d.observe(aResponse(T0, 'assets.small-shop.com', ['8.6.112.10'], 300));
        d.observe(aResponse(T0, '2.pool.ntp.org', ['185.100.87.20'], 130));
        d.observe(aResponse(T0, 'www.000webhost.com', ['185.100.87.21'], 300));
      },
      { withInfra: true, reportBenign: true },
    );
    expect(flags).toEqual([]);
    expect(finals.filter((v) => v.verdict !== 'benign')).toEqual([]);
    expect(finals.filter((v) => v.intel !== undefined || v.features.intel_addresses !== undefined)).toEqual([]);
    expect(detector.stats.flagEvents).toBe(0);
  });

  it('an IPv6 address in a listed /48 counts too', () => {
    const v6: Feed = { name: 'v6', text: '2a0e:b107:1234::/48\n' };
    const { find } = run([v6, PARTNER], (d) => {
      d.observe(aResponse(T0, 'v6.bad-flux.xyz', ['2a0e:b107:1234::53'], 300));
    });
    expect(find('v6.bad-flux.xyz')).toMatchObject({ verdict: 'fast-flux', lookups_to_flag: 1, features: { intel_addresses: 1 } });
  });
});

describe('domains a feed lists get the listing verdict', () => {
  const DOMAINS: Feed = { name: 'botnet-c2', text: 'flux-cdn.biz\n*.evil-flux.ru\ngithub.io\nco.uk\ncom\n', action: 'block', confidence: 90 };

  it('raises the listing verdict once for the listed domain and a name under it, and reports it once', () => {
    let live: Verdict | null = null;
    const { flags, finals, detector } = run(
      [DOMAINS],
      (d) => {
        d.observe(aResponse(T0, 'www.flux-cdn.biz', ['5.5.5.5'], 300));
        d.observe(aResponse(T0 + 10, 'flux-cdn.biz', ['5.5.5.6'], 300));
        const txt = emptyObservation(T0 + 20, 'mail.flux-cdn.biz', 'TXT');
        d.observe(txt);
        // What the daemon refreshes its flagged set with: the listing, while it is tracked.
        live = d.current('flux-cdn.biz');
      },
      { reportBenign: true },
    );
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ domain: 'flux-cdn.biz', verdict: 'fast-flux', flux: null, score: 90, lookups_to_flag: 1 });
    expect(flags[0]!.reasons).toEqual(['flux-cdn.biz (above www.flux-cdn.biz) listed by intel feed botnet-c2 (entry botnet-c2.txt:1, confidence 90)']);
    expect(flags[0]!.intel).toEqual([{ feed: 'botnet-c2', ref: 'botnet-c2.txt:1', kind: 'domain', value: 'flux-cdn.biz', note: '', confidence: 90, action: 'block' }]);
    // One listing verdict (scope name); the registered domain's union of its two names is reported apart, as always.
    const listed = finals.filter((v) => v.domain === 'flux-cdn.biz' && v.scope === 'name');
    expect(listed).toHaveLength(1);
    expect(isIntelListing(listed[0]!)).toBe(true);
    expect(listed[0]!.features.lookups).toBe(3);
    expect(listed[0]!.evidence.addresses).toEqual([]);
    // The name under it keeps its own (benign) verdict: the listed domain's verdict covers it.
    expect(finals.find((v) => v.domain === 'www.flux-cdn.biz')).toMatchObject({ verdict: 'benign' });
    expect(detector.stats.intelListed).toBe(1);
    expect(live).toMatchObject({ domain: 'flux-cdn.biz', verdict: 'fast-flux', intel: [{ kind: 'domain' }] });
  });

  it('a listed name fast-flux on its own evidence keeps its detection verdict, with the listing first in intel', () => {
    const { finals, flags } = run([DOMAINS], (d) => {
      for (let lookup = 0; lookup < 6; lookup++) d.observe(aResponse(T0 + lookup * 300, 'pay.evil-flux.ru', [0, 1, 2, 3, 4].map((k) => bot(lookup * 5 + k)), 120));
    });
    const mine = finals.filter((v) => v.domain === 'pay.evil-flux.ru');
    expect(mine).toHaveLength(1);
    const v = mine[0]!;
    expect(v.verdict).toBe('fast-flux');
    expect(v.contributions.length).toBeGreaterThan(0);
    expect(v.intel![0]).toMatchObject({ kind: 'domain', value: 'evil-flux.ru', feed: 'botnet-c2' });
    expect(v.reasons.at(-1)).toBe('evil-flux.ru (above pay.evil-flux.ru) listed by intel feed botnet-c2 (entry botnet-c2.txt:2, confidence 90)');
    expect(isIntelListing(v)).toBe(false);
    // The listed domain's verdict too (a different name: evil-flux.ru and all under it).
    expect(finals.filter((f) => f.domain === 'evil-flux.ru')).toHaveLength(1);
    // The listing on the first lookup; the name under it rises on its own evidence.
    expect(flags.map((f) => [f.domain, f.verdict])).toEqual([
      ['evil-flux.ru', 'fast-flux'],
      ['pay.evil-flux.ru', 'suspicious'],
      ['pay.evil-flux.ru', 'fast-flux'],
    ]);
  });

  it('refuses a public-suffix listing (com, co.uk, github.io): no name under them is listed', () => {
    const { flags, finals, index, detector } = run([DOMAINS], (d) => {
      d.observe(aResponse(T0, 'a.github.io', ['5.5.5.5'], 300));
      d.observe(aResponse(T0, 'www.shop.co.uk', ['5.5.5.6'], 300));
      d.observe(aResponse(T0, 'example.com', ['5.5.5.7'], 300));
      d.observe(aResponse(T0, 'com', ['5.5.5.8'], 300));
    });
    expect(index.counts[0]!.refused['public-suffix']).toBe(3);
    expect(flags).toEqual([]);
    expect(finals).toEqual([]);
    expect(detector.stats.intelListed).toBe(0);
  });

  it('does not raise a listing again that a verdict restored from the store had raised before a restart', () => {
    const index = indexOf([DOMAINS]);
    const before: Verdict[] = [];
    const first = new Detector({ config: defaultConfig(), enricher: octetEnricher, intel: { current: () => index }, onFlag: (v) => before.push(v) });
    first.observe(aResponse(T0, 'www.flux-cdn.biz', ['5.5.5.5'], 300));
    expect(before).toHaveLength(1);
    const after: Verdict[] = [];
    const restarted = new Detector({ config: defaultConfig(), enricher: octetEnricher, intel: { current: () => index }, onFlag: (v) => after.push(v) });
    restarted.rememberFlag(before[0]!);
    restarted.observe(aResponse(T0 + 60, 'www.flux-cdn.biz', ['5.5.5.5'], 300));
    expect(after).toEqual([]);
    expect(restarted.stats.restoredFlags).toBe(1);
    expect(restarted.current('flux-cdn.biz')).toMatchObject({ verdict: 'fast-flux', intel: [{ kind: 'domain' }] });
  });

  it('never lists an allowlisted name under a listed domain', () => {
    const allowed = (name: string) => name === 'partner.flux-cdn.biz';
    const { flags, detector } = run([DOMAINS], (d) => {
      d.observe(aResponse(T0, 'partner.flux-cdn.biz', ['5.5.5.5'], 300));
      d.observe(aResponse(T0 + 1, 'partner.flux-cdn.biz', ['5.5.5.5'], 300));
    }, { allowlisted: allowed });
    expect(flags).toEqual([]);
    expect(detector.stats.intelAllowlisted).toBe(2);
  });
});
